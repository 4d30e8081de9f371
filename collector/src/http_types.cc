#include "cairn/collector/http_types.h"

namespace cairn::collector {

std::optional<std::string_view> HttpRequest::Header(std::string_view lowercase_name) const {
  auto it = headers.find(lowercase_name);
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string_view HttpRequest::Path() const {
  std::string_view path = target;
  size_t query = path.find('?');
  return query == std::string_view::npos ? path : path.substr(0, query);
}

HttpResponse TextResponse(int status, std::string_view reason) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body = std::string(reason);
  response.body.push_back('\n');
  return response;
}

}  // namespace cairn::collector
