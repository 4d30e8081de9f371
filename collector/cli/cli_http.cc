#include "cli_http.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cairn/common/http_client.h"
#include "google/protobuf/util/json_util.h"

namespace cairn::cli {

std::string Encode(std::string_view text) { return UrlEncode(text); }

std::string PathForMessages(std::string_view path) {
  path = path.substr(0, path.find('?'));
  std::vector<std::string> parts;
  bool id_next = false;
  for (absl::string_view segment :
       absl::StrSplit(absl::string_view(path.data(), path.size()), '/')) {
    parts.push_back(id_next ? std::string("{id}") : std::string(segment));
    id_next = segment == "users" || segment == "accounts" || segment == "goals";
  }
  return absl::StrJoin(parts, "/");
}

std::string BodyJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) out = "{}";
  return out;
}

Client::Client(std::string base_url, std::string token)
    : base_(std::move(base_url)), token_(std::move(token)) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

std::optional<Response> Client::Call(const char* method, const std::string& path,
                                     const std::string* body, std::string* error) const {
  HttpClientRequest request;
  request.method = method;
  request.url = base_ + path;
  request.headers = {"Authorization: Bearer " + token_, "Accept: application/json"};
  if (body != nullptr) {
    request.headers.push_back("Content-Type: application/json");
    request.body = *body;
  }
  request.connect_timeout = absl::Seconds(10);
  request.total_timeout = absl::Seconds(120);
  request.max_response_bytes = size_t{256} << 20;  // a large export
  // Proxies never for the local machine: the token stays on it.
  request.no_proxy_hosts = "localhost,127.0.0.1,::1";
  absl::StatusOr<HttpClientResponse> answer = SendHttpRequest(request);
  if (!answer.ok()) {
    *error = absl::StrCat("cannot reach ", base_, ": ", answer.status().message());
    return std::nullopt;
  }
  return Response{answer->status, std::move(answer->body)};
}

}  // namespace cairn::cli
