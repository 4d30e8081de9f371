#include "sdk/src/upload/backoff.h"

#include <algorithm>

namespace cairn::sdk {

absl::Duration Backoff::NextDelay(int failures, std::optional<absl::Duration> retry_after) {
  absl::Duration cap = min_;
  for (int i = 1; i < failures && cap < max_; ++i) cap *= 2;
  cap = std::min(cap, max_);
  double fraction = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  absl::Duration delay = std::max(min_, cap * fraction);
  if (retry_after) delay = std::max(delay, std::min(*retry_after, max_));
  return delay;
}

}  // namespace cairn::sdk
