#ifndef CAIRN_COLLECTOR_AUTH_RATE_LIMITER_H_
#define CAIRN_COLLECTOR_AUTH_RATE_LIMITER_H_

#include <cstddef>
#include <mutex>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "cairn/common/crypto.h"

namespace cairn::collector {

struct RateLimitOptions {
  // Requests per second each write key may make on average; 0 turns the
  // limit off.
  double requests_per_second = 0;
  // Requests a key may make at once after being quiet (the bucket's size);
  // at least 1 when the limit is on.
  double burst = 1;
  // Most keys with a bucket at once. At the bound, buckets that have
  // refilled (their key has been quiet) are forgotten; if none has, every
  // bucket is, so memory stays bounded even for keys a client invents.
  size_t max_keys = 100000;
};

// A token bucket per write key: each request takes one token, tokens come
// back at `requests_per_second` up to `burst`. Keys are named by the SHA-256
// digest WriteKeySet matched, so only configured keys ever get a bucket and
// memory stays bounded by the number of keys. Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(const RateLimitOptions& options) : options_(options) {}

  bool enabled() const { return options_.requests_per_second > 0; }

  // Takes a token for `key` at `now`. Returns nullopt if the request may go
  // on, else how long until a token is back (the Retry-After). Cost: a mutex
  // and a hash lookup; nothing when the limit is off.
  std::optional<absl::Duration> Acquire(const Digest256& key, absl::Time now);

 private:
  struct Bucket {
    double tokens;
    absl::Time refilled_at;
  };
  const RateLimitOptions options_;
  std::mutex mu_;                                   // std::mutex: visible to ThreadSanitizer
  absl::flat_hash_map<Digest256, Bucket> buckets_;  // guarded by mu_
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_AUTH_RATE_LIMITER_H_
