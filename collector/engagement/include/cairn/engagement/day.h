#ifndef CAIRN_ENGAGEMENT_DAY_H_
#define CAIRN_ENGAGEMENT_DAY_H_

#include <cstdint>

#include "absl/time/time.h"

namespace cairn::engagement {

// A UTC calendar day as a count of days since 1970-01-01 (day 0). All daily
// aggregates are keyed by it; the store keeps it as an INTEGER column.
using DayIndex = int64_t;

// The UTC day holding `t` (floor, so times before 1970 give negative days).
// Free. InfinitePast/InfiniteFuture give the int64 extremes.
DayIndex DayOf(absl::Time t);

// Midnight UTC starting `day`. Free.
absl::Time StartOfDay(DayIndex day);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_DAY_H_
