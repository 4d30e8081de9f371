// The median of a few values (the robust fits and seasonal checks).
#ifndef CAIRN_ENGAGEMENT_SRC_MEDIAN_H_
#define CAIRN_ENGAGEMENT_SRC_MEDIAN_H_

#include <algorithm>
#include <vector>

namespace cairn::engagement {

// The middle value, or the mean of the two middle ones; 0 for none.
// Cost: O(n log n).
template <typename T>
double Median(std::vector<T> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t m = values.size();
  return m % 2 == 1
             ? static_cast<double>(values[m / 2])
             : (static_cast<double>(values[m / 2 - 1]) + static_cast<double>(values[m / 2])) / 2.0;
}

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_SRC_MEDIAN_H_
