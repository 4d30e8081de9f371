#ifndef CAIRN_SDK_UPLOAD_BACKOFF_H_
#define CAIRN_SDK_UPLOAD_BACKOFF_H_

#include <cstdint>
#include <optional>
#include <random>

#include "absl/time/time.h"

namespace cairn::sdk {

// Retry delays: exponential growth with full jitter, floored at the minimum so
// a dead collector never sees more than one attempt per `min` (the jitter
// spreads a fleet of devices over the whole window). Not thread-safe.
class Backoff {
 public:
  // `seed` 0 seeds from the OS; any other value gives a repeatable sequence.
  Backoff(absl::Duration min, absl::Duration max, uint64_t seed = 0)
      : min_(min), max_(max), rng_(seed != 0 ? seed : std::random_device{}()) {}

  // Delay before the next attempt after `failures` (>= 1) consecutive
  // failures: uniform in [0, min(max, min * 2^(failures-1))], at least min.
  // A server's Retry-After raises the delay to it, capped at max.
  absl::Duration NextDelay(int failures, std::optional<absl::Duration> retry_after);

 private:
  absl::Duration min_;
  absl::Duration max_;
  std::mt19937_64 rng_;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_UPLOAD_BACKOFF_H_
