#include "cairn/engagement/seasonality.h"

#include <algorithm>
#include <vector>

#include "median.h"

namespace cairn::engagement {

bool IsRecurringDip(std::span<const int64_t> weekly, const RecurringDip& dip, double dip_ratio,
                    double min_weekly_logins) {
  if (dip.period_weeks < 1 || weekly.size() < 2) return false;
  const double typical = Median(std::vector<int64_t>(weekly.begin() + 1, weekly.end()));
  if (typical <= 0 || typical < min_weekly_logins) return false;
  int seen = 0;
  for (int k = dip.phase; k < static_cast<int>(weekly.size()); k += dip.period_weeks) {
    if (k < 1) continue;
    if (static_cast<double>(weekly[static_cast<size_t>(k)]) >= dip_ratio * typical) return false;
    ++seen;
  }
  return seen >= 2;
}

uint32_t LocalDipWeeks(std::span<const int64_t> weekly, double dip_ratio) {
  const int n = std::min(static_cast<int>(weekly.size()), 16);
  uint32_t out = 0;
  for (int k = 0; k < n; ++k) {
    std::vector<int64_t> near;
    for (int j = std::max(0, k - 2); j <= std::min(n - 1, k + 2); ++j) {
      if (j != k) near.push_back(weekly[static_cast<size_t>(j)]);
    }
    if (static_cast<double>(weekly[static_cast<size_t>(k)]) < dip_ratio * Median(near)) {
      out |= 1u << k;
    }
  }
  return out;
}

}  // namespace cairn::engagement
