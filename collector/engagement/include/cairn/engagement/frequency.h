#ifndef CAIRN_ENGAGEMENT_FREQUENCY_H_
#define CAIRN_ENGAGEMENT_FREQUENCY_H_

#include <span>
#include <string_view>

#include "absl/time/time.h"
#include "cairn/engagement/aggregates.h"

namespace cairn::engagement {

// ChurnZero-style login-frequency band over the last 14 days.
enum class FrequencyBand {
  kDaily,       // >= 9 login days
  kWeekly,      // 5-8
  kOccasional,  // 2-4
  kInactive,    // 0-1
};

// "daily", "weekly", "occasional", "inactive".
std::string_view FrequencyBandName(FrequencyBand band);

// Login days of the account in the last 14 days: the UTC days in
// [DayOf(now) - 13, DayOf(now)] on which any of its users logged in at
// least once (per account, not per user). 0..14. Cost: O(days).
int LoginDays14(std::span<const AccountDay> days, absl::Time now);

// The band of `login_days` (values outside 0..14 are clamped). Free.
FrequencyBand BandForLoginDays(int login_days);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_FREQUENCY_H_
