#include "http/request_head.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cairn/common/strings.h"

namespace cairn::collector {

void ResetParser(std::optional<RequestParser>& parser, const ServerOptions& options) {
  parser.emplace();
  parser->header_limit(static_cast<uint32_t>(options.max_header_bytes));
  parser->body_limit(options.max_body_bytes);
}

HttpRequest HeadFromParser(const RequestParser& parser) {
  const auto& message = parser.get();
  HttpRequest head;
  head.method = std::string(message.method_string());
  head.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name = absl::AsciiStrToLower(ToAbsl(field.name_string()));
    std::string_view value = field.value();
    auto [it, inserted] = head.headers.try_emplace(std::move(name), value);
    if (!inserted) {
      it->second.append(", ");
      it->second.append(value);
    }
  }
  if (boost::optional<uint64_t> length = parser.content_length()) head.content_length = *length;
  head.body_complete = false;
  return head;
}

std::optional<HttpResponse> RefuseAmbiguousFraming(const HttpRequest& head, unsigned http_version) {
  std::optional<std::string_view> transfer_encoding = head.Header("transfer-encoding");
  if (!transfer_encoding) return std::nullopt;
  auto refuse = [](int status, std::string_view reason) {
    HttpResponse response = TextResponse(status, reason);
    response.close_connection = true;
    return response;
  };
  if (http_version < 11) return refuse(400, "Transfer-Encoding in an HTTP/1.0 request");
  if (head.Header("content-length")) {
    return refuse(400, "both Content-Length and Transfer-Encoding");
  }
  // Empty list elements are allowed (RFC 9110 5.6.1) and carry no coding.
  std::vector<absl::string_view> codings;
  for (absl::string_view coding : absl::StrSplit(ToAbsl(*transfer_encoding), ',')) {
    coding = absl::StripAsciiWhitespace(coding);
    if (!coding.empty()) codings.push_back(coding);
  }
  if (codings.empty() || !absl::EqualsIgnoreCase(codings.back(), "chunked")) {
    return refuse(400, "Transfer-Encoding does not end in chunked");
  }
  if (codings.size() > 1) return refuse(501, "only the chunked transfer coding is supported");
  return std::nullopt;
}

}  // namespace cairn::collector
