#include "cairn/engagement/frequency.h"

namespace cairn::engagement {

std::string_view FrequencyBandName(FrequencyBand band) {
  switch (band) {
    case FrequencyBand::kDaily:
      return "daily";
    case FrequencyBand::kWeekly:
      return "weekly";
    case FrequencyBand::kOccasional:
      return "occasional";
    case FrequencyBand::kInactive:
      return "inactive";
  }
  return "inactive";
}

int LoginDays14(std::span<const AccountDay> days, absl::Time now) {
  const DayIndex today = DayOf(now);
  int count = 0;
  for (const AccountDay& day : days) {
    if (day.day >= today - 13 && day.day <= today && day.logins > 0) ++count;
  }
  return count;
}

FrequencyBand BandForLoginDays(int login_days) {
  if (login_days >= 9) return FrequencyBand::kDaily;
  if (login_days >= 5) return FrequencyBand::kWeekly;
  if (login_days >= 2) return FrequencyBand::kOccasional;
  return FrequencyBand::kInactive;
}

}  // namespace cairn::engagement
