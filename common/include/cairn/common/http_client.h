#ifndef CAIRN_COMMON_HTTP_CLIENT_H_
#define CAIRN_COMMON_HTTP_CLIENT_H_

#include <atomic>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cairn {

// One HTTP request as every Cairn client sends it: the SDK's transport, the
// collector's alert webhooks, cairnctl and the tests.
struct HttpClientRequest {
  std::string method = "GET";  // GET, HEAD and DELETE send no body
  std::string url;
  // Header lines, "Name: value" ("Name:" removes a header libcurl would add).
  std::vector<std::string> headers;
  std::string body;
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration total_timeout = absl::Seconds(30);
  // Larger answers fail the request (Unavailable): a peer cannot make the
  // client hold more than this.
  size_t max_response_bytes = 1 << 20;
  // Environment proxies (http_proxy, ...) apply unless this is false; a
  // client that only talks to this machine turns them off.
  bool use_environment_proxy = true;
  // With environment proxies on, hosts still reached directly (libcurl's
  // NOPROXY list, e.g. "localhost,127.0.0.1,::1").
  std::string no_proxy_hosts;
  // A CA bundle to verify the server with instead of the system's. TLS
  // peer and host verification are always on.
  std::string ca_bundle_path;
};

// The final response (an interim 100 Continue is skipped).
struct HttpClientResponse {
  int status = 0;
  std::string body;
  // Header names in lowercase; a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  // The Retry-After header in its delta-seconds form, if present.
  std::optional<absl::Duration> retry_after;
};

// Blocking HTTP/1.1 client over libcurl, http and https only, no redirects
// followed. Keeps its connections between requests (keep-alive), so one
// instance per peer is cheap to reuse. Not thread-safe, except Abort.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` and waits for the whole answer or a timeout. Any status
  // code is a response. Fails with InvalidArgument (bad URL or scheme),
  // Unavailable (refused, reset, TLS, answer over max_response_bytes),
  // DeadlineExceeded (timeout) or Cancelled (after Abort). Cost: one
  // request; a new connection only when none is kept to that host.
  absl::StatusOr<HttpClientResponse> Send(const HttpClientRequest& request);

  // Makes the request in progress, and every later one, fail fast with
  // Cancelled. Any thread.
  void Abort();

 private:
  void* multi_ = nullptr;  // CURLM*, owns the connection cache
  void* easy_ = nullptr;   // CURL*, reset between requests
  std::atomic<bool> aborted_{false};
};

// One request on a fresh client: for callers that send rarely.
absl::StatusOr<HttpClientResponse> SendHttpRequest(const HttpClientRequest& request);

// Percent-encodes everything but RFC 3986 unreserved characters, for path
// segments and query values.
std::string UrlEncode(std::string_view text);

}  // namespace cairn

#endif  // CAIRN_COMMON_HTTP_CLIENT_H_
