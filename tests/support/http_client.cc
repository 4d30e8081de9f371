#include "http_client.h"

#include <utility>

namespace cairn::testing {

absl::StatusOr<HttpResult> HttpCall(const std::string& method, const std::string& url,
                                    const std::string& body,
                                    const std::vector<std::string>& headers) {
  HttpClientRequest request;
  request.method = method;
  request.url = url;
  request.headers = headers;
  request.body = body;
  request.connect_timeout = absl::Seconds(5);
  request.total_timeout = absl::Seconds(60);
  request.max_response_bytes = size_t{256} << 20;
  request.use_environment_proxy = false;
  absl::StatusOr<HttpClientResponse> response = SendHttpRequest(request);
  if (!response.ok()) return response.status();
  HttpResult result;
  result.status = response->status;
  result.body = std::move(response->body);
  result.headers = std::move(response->headers);
  return result;
}

absl::StatusOr<HttpResult> HttpPost(const std::string& url, const std::string& body,
                                    const std::vector<std::string>& headers) {
  return HttpCall("POST", url, body, headers);
}

absl::StatusOr<HttpResult> HttpGet(const std::string& url,
                                   const std::vector<std::string>& headers) {
  return HttpCall("GET", url, "", headers);
}

absl::StatusOr<HttpResult> HttpPut(const std::string& url, const std::string& body,
                                   const std::vector<std::string>& headers) {
  return HttpCall("PUT", url, body, headers);
}

absl::StatusOr<HttpResult> HttpDelete(const std::string& url,
                                      const std::vector<std::string>& headers) {
  return HttpCall("DELETE", url, "", headers);
}

}  // namespace cairn::testing
