#ifndef CAIRN_SDK_UPLOAD_CURL_TRANSPORT_H_
#define CAIRN_SDK_UPLOAD_CURL_TRANSPORT_H_

#include <string>

#include "cairn/common/http_client.h"
#include "cairn/transport.h"

namespace cairn::sdk {

// The default Transport: cairn::HttpClient (libcurl) keeps the connection
// alive between batches, and Abort wakes a waiting transfer at once. TLS
// peer and host verification are always on; answers over 1 MiB fail.
class CurlTransport final : public Transport {
 public:
  // `ca_bundle_path` replaces the system CA store when not empty.
  explicit CurlTransport(std::string ca_bundle_path);

  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override;
  void Abort() override;

 private:
  const std::string ca_bundle_path_;
  HttpClient client_;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_UPLOAD_CURL_TRANSPORT_H_
