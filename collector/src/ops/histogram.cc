#include "ops/histogram.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cairn/common/strings.h"

namespace cairn::collector {

void Histogram::Observe(absl::Duration d) {
  double seconds = absl::ToDoubleSeconds(d);
  size_t slot = 0;
  while (slot < kBounds.size() && seconds > kBounds[slot]) ++slot;
  buckets_[slot].fetch_add(1, std::memory_order_relaxed);
  int64_t nanos = absl::ToInt64Nanoseconds(d);
  sum_nanos_.fetch_add(nanos > 0 ? static_cast<uint64_t>(nanos) : 0, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::AppendPrometheus(std::string_view name, std::string_view labels,
                                 std::string* out) const {
  std::string prefix = labels.empty() ? "" : absl::StrCat(ToAbsl(labels), ",");
  // Prometheus buckets are cumulative.
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le = i < kBounds.size() ? absl::StrFormat("%g", kBounds[i]) : "+Inf";
    absl::StrAppend(out, ToAbsl(name), "_bucket{", prefix, "le=\"", le, "\"} ", cumulative, "\n");
  }
  std::string braces = labels.empty() ? "" : absl::StrCat("{", ToAbsl(labels), "}");
  absl::StrAppend(
      out, ToAbsl(name), "_sum", braces, " ",
      absl::StrFormat("%.9f",
                      static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9),
      "\n");
  // The count is the +Inf bucket, so the two always agree in one scrape.
  absl::StrAppend(out, ToAbsl(name), "_count", braces, " ", cumulative, "\n");
}

}  // namespace cairn::collector
