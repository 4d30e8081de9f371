#ifndef CAIRN_TESTS_SUPPORT_HTTP_CLIENT_H_
#define CAIRN_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cairn/common/http_client.h"

namespace cairn::testing {

// The final response of a request (an interim 100 Continue is skipped).
struct HttpResult {
  long status = 0;
  std::string body;
  // Header names in lowercase.
  std::map<std::string, std::string> headers;
};

// Blocking HTTP requests through cairn::HttpClient, for tests on loopback:
// no proxy, a 5 s connect and 60 s total timeout, answers up to 256 MiB. `headers` are "Name:
// value" lines. A transport failure (refused, reset, timeout) is Unavailable; any HTTP status is an
// OK result.
absl::StatusOr<HttpResult> HttpPost(const std::string& url, const std::string& body,
                                    const std::vector<std::string>& headers);
absl::StatusOr<HttpResult> HttpGet(const std::string& url,
                                   const std::vector<std::string>& headers = {});
absl::StatusOr<HttpResult> HttpPut(const std::string& url, const std::string& body,
                                   const std::vector<std::string>& headers);
absl::StatusOr<HttpResult> HttpDelete(const std::string& url,
                                      const std::vector<std::string>& headers = {});
// Any method: GET and DELETE send no body, others send `body`.
absl::StatusOr<HttpResult> HttpCall(const std::string& method, const std::string& url,
                                    const std::string& body,
                                    const std::vector<std::string>& headers);

using ::cairn::UrlEncode;

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_HTTP_CLIENT_H_
