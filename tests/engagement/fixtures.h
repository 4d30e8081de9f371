// Shared fixture time for the engagement tests: "today" is 2026-03-20 UTC
// (day 20532 since 1970-01-01: python3 -c "import datetime; print((
// datetime.date(2026,3,20)-datetime.date(1970,1,1)).days)"), and "now" is
// noon that day. Offsets are in days relative to today.
#ifndef CAIRN_TESTS_ENGAGEMENT_FIXTURES_H_
#define CAIRN_TESTS_ENGAGEMENT_FIXTURES_H_

#include "absl/time/time.h"
#include "cairn/engagement/day.h"

namespace cairn::engagement::testing {

inline constexpr DayIndex kToday = 20532;

// `day_offset` days from today at `hour`:00 UTC.
inline absl::Time At(int day_offset, int hour = 10) {
  return absl::UnixEpoch() + absl::Hours(24) * (kToday + day_offset) + absl::Hours(hour);
}

inline const absl::Time kNow = At(0, 12);

}  // namespace cairn::engagement::testing

#endif  // CAIRN_TESTS_ENGAGEMENT_FIXTURES_H_
