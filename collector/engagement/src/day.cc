#include "cairn/engagement/day.h"

#include <limits>

namespace cairn::engagement {

DayIndex DayOf(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<DayIndex>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<DayIndex>::max();
  return absl::ToInt64Seconds(absl::Floor(t - absl::UnixEpoch(), absl::Hours(24))) / 86400;
}

absl::Time StartOfDay(DayIndex day) { return absl::UnixEpoch() + absl::Hours(24) * day; }

}  // namespace cairn::engagement
