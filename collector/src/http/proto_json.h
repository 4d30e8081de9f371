#ifndef CAIRN_COLLECTOR_HTTP_PROTO_JSON_H_
#define CAIRN_COLLECTOR_HTTP_PROTO_JSON_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "http/http_types.h"

namespace cairn::collector {

// JSON of the admin API (cairn.admin.v1) through protobuf's JSON mapping.

// `message` as compact JSON with the proto field names, every field
// printed even at its default (readers rely on "count":0 and "[]"), and a
// trailing newline. Cost: one pass over the message. Never fails for the
// admin messages (only invalid UTF-8 could, and then the text says so).
std::string AdminJsonText(const google::protobuf::Message& message);

// An application/json response of `message` with `status`.
HttpResponse AdminJsonResponse(const google::protobuf::Message& message, int status = 200);

// Parses a request body into `message`: an empty or blank body is the empty
// message; unknown fields and values of the wrong type are refused. The
// error is InvalidArgument with one line that names the field, e.g.
// "bad request body: bogus: Cannot find field." Cost: one pass.
absl::Status ParseAdminBody(std::string_view body, google::protobuf::Message* message);

// A number rounded to 6 significant digits (the precision the API has always
// answered), or null when it is not finite.
google::protobuf::Value NumberOrNull(double value);
// A string, or null when there is none.
google::protobuf::Value StringOrNull(const std::optional<std::string>& value);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_HTTP_PROTO_JSON_H_
