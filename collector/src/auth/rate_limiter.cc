#include "auth/rate_limiter.h"

#include <algorithm>

namespace cairn::collector {

std::optional<absl::Duration> RateLimiter::Acquire(const Digest256& key, absl::Time now) {
  if (!enabled()) return std::nullopt;
  const double burst = std::max(options_.burst, 1.0);
  std::lock_guard lock(mu_);
  if (buckets_.size() >= options_.max_keys && !buckets_.contains(key)) {
    absl::erase_if(buckets_, [&](const auto& entry) {
      const Bucket& b = entry.second;
      return b.tokens + absl::ToDoubleSeconds(now - b.refilled_at) * options_.requests_per_second >=
             burst;
    });
    if (buckets_.size() >= options_.max_keys) buckets_.clear();
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst, now});
  Bucket& bucket = it->second;
  if (!inserted && now > bucket.refilled_at) {
    double earned = absl::ToDoubleSeconds(now - bucket.refilled_at) * options_.requests_per_second;
    bucket.tokens = std::min(burst, bucket.tokens + earned);
    bucket.refilled_at = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  return absl::Seconds((1.0 - bucket.tokens) / options_.requests_per_second);
}

}  // namespace cairn::collector
