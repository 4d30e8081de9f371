#include "sdk/src/upload/curl_transport.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace cairn::sdk {

CurlTransport::CurlTransport(std::string ca_bundle_path)
    : ca_bundle_path_(std::move(ca_bundle_path)) {}

void CurlTransport::Abort() {
  for (HttpClient& client : clients_) client.Abort();
}

absl::StatusOr<HttpResponse> CurlTransport::Post(const HttpRequest& request) {
  HttpClientRequest out;
  out.method = "POST";
  out.url = request.url;
  for (const auto& [name, value] : request.headers) {
    out.headers.push_back(absl::StrCat(name, ": ", value));
  }
  out.body = request.body;
  out.connect_timeout = request.connect_timeout;
  out.total_timeout = request.total_timeout;
  out.ca_bundle_path = ca_bundle_path_;
  // Answers are small BatchResponses; anything bigger is not our collector.
  out.max_response_bytes = 1 << 20;
  // The first client is taken whenever it is free, so its connection is
  // the one kept warm when requests do not overlap.
  int slot = -1;
  {
    std::lock_guard lock(mu_);
    for (int i = 0; i < kClients && slot < 0; ++i) {
      if (!in_use_[i]) slot = i;
    }
    if (slot < 0) return absl::UnavailableError("more requests at once than the transport runs");
    in_use_[slot] = true;
  }
  absl::StatusOr<HttpClientResponse> answer = clients_[slot].Send(out);
  {
    std::lock_guard lock(mu_);
    in_use_[slot] = false;
  }
  if (!answer.ok()) return answer.status();
  HttpResponse response;
  response.status = answer->status;
  response.body = std::move(answer->body);
  response.retry_after = answer->retry_after;
  return response;
}

}  // namespace cairn::sdk
