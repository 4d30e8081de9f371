#ifndef CAIRN_COLLECTOR_CLI_CLI_HTTP_H_
#define CAIRN_COLLECTOR_CLI_CLI_HTTP_H_

#include <optional>
#include <string>
#include <string_view>

#include "google/protobuf/message.h"

namespace cairn::cli {

// Percent-encodes a path segment or query value (RFC 3986 unreserved kept).
std::string Encode(std::string_view text);

// `path` as cairnctl's messages show it: the segment after "users",
// "accounts" or "goals" (a user, account or goal id) becomes "{id}" and the
// query is left out, so no id reaches an error line or a terminal log.
// "/v1/users/alice/export?x=1" gives "/v1/users/{id}/export". Cost: one pass.
std::string PathForMessages(std::string_view path);

// A request body: the message's JSON with the proto field names, only the
// fields set (an empty message is "{}"). Cost: one pass over the message.
std::string BodyJson(const google::protobuf::Message& message);

// One HTTP answer: status and body.
struct Response {
  long status = 0;
  std::string body;
};

// cairnctl's connection to a collector (cairn::HttpClient): the admin token
// as a Bearer header, no redirects (the token goes to this host only),
// proxies never for the local machine.
class Client {
 public:
  Client(std::string base_url, std::string token);
  const std::string& base_url() const { return base_; }

  // One request with an optional JSON body; nullopt (message in *error) if
  // the collector was not reached. Blocks up to 10 s to connect, 120 s in all.
  std::optional<Response> Call(const char* method, const std::string& path, const std::string* body,
                               std::string* error) const;

 private:
  std::string base_;
  std::string token_;
};

}  // namespace cairn::cli

#endif  // CAIRN_COLLECTOR_CLI_CLI_HTTP_H_
