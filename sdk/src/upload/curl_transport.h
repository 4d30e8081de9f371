#ifndef CAIRN_SDK_UPLOAD_CURL_TRANSPORT_H_
#define CAIRN_SDK_UPLOAD_CURL_TRANSPORT_H_

#include <atomic>
#include <string>

#include "cairn/transport.h"

typedef void CURL;
typedef void CURLM;

namespace cairn::sdk {

// Transport over libcurl: one easy handle in a multi handle, so the
// connection stays alive between batches and Abort can wake a waiting
// transfer at once (curl_multi_wakeup) instead of at the next progress tick.
// TLS peer and host verification are always on.
class CurlTransport final : public Transport {
 public:
  // `ca_bundle_path` replaces the system CA store when not empty.
  explicit CurlTransport(std::string ca_bundle_path);
  ~CurlTransport() override;

  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override;
  void Abort() override;

 private:
  std::string ca_bundle_path_;
  CURLM* multi_ = nullptr;
  CURL* easy_ = nullptr;
  std::atomic<bool> aborted_{false};
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_UPLOAD_CURL_TRANSPORT_H_
