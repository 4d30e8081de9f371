#include "http/request_head.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
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

}  // namespace cairn::collector
