#include "http/proto_json.h"

#include <cmath>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cairn/common/strings.h"
#include "google/protobuf/util/json_util.h"

namespace cairn::collector {

std::string AdminJsonText(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) {
    // Only text that is not UTF-8 gets here; an answer that says so beats a
    // half-written one.
    out = absl::StrCat("{\"error\":\"answer not printable as JSON\"}");
  }
  out.push_back('\n');
  return out;
}

HttpResponse AdminJsonResponse(const google::protobuf::Message& message, int status) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = AdminJsonText(message);
  return response;
}

absl::Status ParseAdminBody(std::string_view body, google::protobuf::Message* message) {
  message->Clear();
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return absl::OkStatus();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), message, options);
  if (status.ok()) return absl::OkStatus();
  // The parser's syntax errors run over several lines with a caret; the
  // first line carries the field name or the problem.
  std::string_view text(status.message().data(), status.message().size());
  text = text.substr(0, text.find('\n'));
  return absl::InvalidArgumentError(absl::StrCat("bad request body: ", ToAbsl(text)));
}

google::protobuf::Value NumberOrNull(double value) {
  google::protobuf::Value out;
  if (!std::isfinite(value)) {
    out.set_null_value(google::protobuf::NULL_VALUE);
  } else {
    out.set_number_value(std::strtod(absl::StrFormat("%.6g", value).c_str(), nullptr));
  }
  return out;
}

google::protobuf::Value StringOrNull(const std::optional<std::string>& value) {
  google::protobuf::Value out;
  if (value) {
    out.set_string_value(*value);
  } else {
    out.set_null_value(google::protobuf::NULL_VALUE);
  }
  return out;
}

}  // namespace cairn::collector
