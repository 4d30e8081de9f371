#ifndef CAIRN_TRANSPORT_H_
#define CAIRN_TRANSPORT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cairn {

// One HTTP POST as the SDK sends it.
struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration total_timeout = absl::Seconds(30);
};

// What came back. Any status code is a response; only failures to get one
// (refused, reset, timeout, TLS) are errors.
struct HttpResponse {
  int status = 0;
  std::string body;
  // Parsed Retry-After header (delta-seconds form), if present.
  std::optional<absl::Duration> retry_after;
};

// How the SDK talks to the collector. The default is libcurl; tests inject
// faults through their own implementation. Post is called from one SDK
// thread at a time unless MaxConcurrentPosts says more may overlap; Abort
// may come from any thread.
class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request` and waits for the whole response or a timeout. Fails with
  // Unavailable (network), DeadlineExceeded (timeout) or Cancelled (Abort).
  virtual absl::StatusOr<HttpResponse> Post(const HttpRequest& request) = 0;
  // Makes a Post in progress, and every later one, fail fast with Cancelled.
  // Used by Shutdown so a stalled collector cannot hold the app.
  virtual void Abort() = 0;
  // How many Posts may run at once, each on its own SDK thread. The SDK
  // overlaps at most this many (and Options::max_requests_in_flight). The
  // default, 1, keeps an implementation free of locking: its Posts never
  // overlap. Read once, when the Client starts. Must not fail.
  virtual int MaxConcurrentPosts() const { return 1; }
};

}  // namespace cairn

#endif  // CAIRN_TRANSPORT_H_
