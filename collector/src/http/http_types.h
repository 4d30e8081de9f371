#ifndef CAIRN_COLLECTOR_HTTP_HTTP_TYPES_H_
#define CAIRN_COLLECTOR_HTTP_HTTP_TYPES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::collector {

// An HTTP request as the request handler sees it, independent of the server
// library. Before the body is read (`body_complete` false) it carries only
// the request line and headers, so limits and credentials can be checked
// before any body byte is accepted.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and optional query, e.g. "/v1/batch"
  // Header names in lowercase; repeated headers joined with ", ".
  std::map<std::string, std::string, std::less<>> headers;
  // Declared Content-Length, if any.
  std::optional<uint64_t> content_length;
  std::string body;
  bool body_complete = true;
  // The peer's IP address as text ("127.0.0.1", "::1"); empty if unknown.
  // Stored only when the operator turns on --store-client-ip.
  std::string remote_address;
  // Set by the server once RequestHandler::CheckHead passed on this
  // request's header, so Handle neither checks nor charges the rate limit a
  // second time.
  bool head_checked = false;

  // The value of header `lowercase_name`, or nullopt. Cost: a map lookup.
  std::optional<std::string_view> Header(std::string_view lowercase_name) const;
  // The target without its query string.
  std::string_view Path() const;
  // The percent-decoded value of query parameter `name` (first occurrence);
  // nullopt if absent or badly encoded. '+' stays '+' (RFC 3986, not forms).
  // Cost: a scan of the target.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

// Decodes %XX escapes; nullopt for a '%' not followed by two hex digits.
std::optional<std::string> PercentDecode(std::string_view text);

// An HTTP response produced by the request handler.
struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  // Extra headers, e.g. {"Retry-After", "1"} or {"Allow", "POST"}.
  std::vector<std::pair<std::string, std::string>> headers;
  // Close the connection after sending (the request body was not read, or
  // the server is shutting down).
  bool close_connection = false;
};

// A plain-text error response: `reason` is one short line, no personal data.
HttpResponse TextResponse(int status, std::string_view reason);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_HTTP_HTTP_TYPES_H_
