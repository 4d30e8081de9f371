#include "http/http_types.h"

#include "cairn/common/crypto.h"

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

std::optional<std::string> HttpRequest::QueryParam(std::string_view name) const {
  size_t start = target.find('?');
  if (start == std::string::npos) return std::nullopt;
  std::string_view query = std::string_view(target).substr(start + 1);
  while (!query.empty()) {
    size_t end = query.find('&');
    std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (key != name) continue;
    return PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    absl::StatusOr<std::string> byte = HexDecode(text.substr(i + 1, 2), HexLetters::kEitherCase);
    if (!byte.ok()) return std::nullopt;
    out += *byte;
    i += 2;
  }
  return out;
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
