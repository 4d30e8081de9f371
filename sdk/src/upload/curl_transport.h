#ifndef CAIRN_SDK_UPLOAD_CURL_TRANSPORT_H_
#define CAIRN_SDK_UPLOAD_CURL_TRANSPORT_H_

#include <array>
#include <mutex>
#include <string>

#include "cairn/common/http_client.h"
#include "cairn/transport.h"

namespace cairn::sdk {

// The default Transport: cairn::HttpClient (libcurl) keeps the connection
// alive between batches, and Abort wakes a waiting transfer at once. TLS
// peer and host verification are always on; answers over 1 MiB fail.
// Runs two Posts at once, each on a client (and connection) of its own.
class CurlTransport final : public Transport {
 public:
  // `ca_bundle_path` replaces the system CA store when not empty. Opens no
  // connection yet.
  explicit CurlTransport(std::string ca_bundle_path);

  // Sends on a client no other Post is using. Unavailable if more Posts
  // overlap than MaxConcurrentPosts allows (the SDK never does that).
  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override;
  // Aborts every client's transfer, and every later Post.
  void Abort() override;
  int MaxConcurrentPosts() const override { return kClients; }

 private:
  static constexpr int kClients = 2;

  const std::string ca_bundle_path_;
  std::array<HttpClient, kClients> clients_;
  std::mutex mu_;
  std::array<bool, kClients> in_use_{};  // guarded by mu_
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_UPLOAD_CURL_TRANSPORT_H_
