#ifndef CAIRN_COLLECTOR_OPS_HISTOGRAM_H_
#define CAIRN_COLLECTOR_OPS_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace cairn::collector {

// A Prometheus histogram of durations with fixed buckets from 0.5 ms to 10 s.
// Observe is lock-free (relaxed atomics), fit for the request path; a
// concurrent reader may see a count a moment before the matching sum.
class Histogram {
 public:
  // Upper bounds of the buckets, in seconds (+Inf is implicit).
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  10.0};

  // Records one duration. Cost: two or three relaxed atomic adds.
  void Observe(absl::Duration d);

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

  // Appends the histogram's `_bucket`, `_sum` and `_count` lines in the
  // Prometheus text format. `labels` is empty or `key="value"` pairs joined
  // with ',' (no braces); values must already be escaped.
  void AppendPrometheus(std::string_view name, std::string_view labels, std::string* out) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_nanos_{0};
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_OPS_HISTOGRAM_H_
