#include "sdk/src/upload/curl_transport.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace cairn::sdk {
namespace {

// Answers are small BatchResponses; anything bigger is not our collector.
constexpr size_t kMaxResponseBytes = 1 << 20;

struct BodySink {
  std::string body;
  bool overflow = false;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  size_t bytes = size * n;
  if (sink->body.size() + bytes > kMaxResponseBytes) {
    sink->overflow = true;
    return 0;  // makes libcurl fail the transfer
  }
  sink->body.append(data, bytes);
  return bytes;
}

absl::Status FromCurlCode(CURLcode code) {
  std::string msg = absl::StrCat("transport: ", curl_easy_strerror(code));
  switch (code) {
    case CURLE_OK: return absl::OkStatus();
    case CURLE_OPERATION_TIMEDOUT: return absl::DeadlineExceededError(msg);
    case CURLE_ABORTED_BY_CALLBACK: return absl::CancelledError(msg);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return absl::InvalidArgumentError(msg);
    default: return absl::UnavailableError(msg);
  }
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

CurlTransport::CurlTransport(std::string ca_bundle_path)
    : ca_bundle_path_(std::move(ca_bundle_path)) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  multi_ = curl_multi_init();
  easy_ = curl_easy_init();
}

CurlTransport::~CurlTransport() {
  if (easy_) curl_easy_cleanup(easy_);
  if (multi_) curl_multi_cleanup(multi_);
}

void CurlTransport::Abort() {
  aborted_.store(true);
  if (multi_) curl_multi_wakeup(multi_);
}

absl::StatusOr<HttpResponse> CurlTransport::Post(const HttpRequest& request) {
  if (!multi_ || !easy_) return absl::InternalError("transport: libcurl init failed");
  if (aborted_.load()) return absl::CancelledError("transport: aborted");

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    std::string line = absl::StrCat(name, ": ", value);
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  // No "Expect: 100-continue" round trip for bodies over 1 KiB.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));

  BodySink sink;
  curl_easy_reset(easy_);  // keeps the connection cache, which lives in multi_
  curl_easy_setopt(easy_, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy_, CURLOPT_POST, 1L);
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(request.connect_timeout)));
  curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(request.total_timeout)));
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy_, CURLOPT_USERAGENT, "cairn-cpp");
  if (!ca_bundle_path_.empty()) curl_easy_setopt(easy_, CURLOPT_CAINFO, ca_bundle_path_.c_str());

  curl_multi_add_handle(multi_, easy_);
  CURLcode result = CURLE_OK;
  bool done = false;
  while (!done) {
    int running = 0;
    if (curl_multi_perform(multi_, &running) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
      if (msg->msg == CURLMSG_DONE) {
        result = msg->data.result;
        done = true;
      }
    }
    if (done) break;
    if (aborted_.load()) {
      result = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
  }
  long status = 0;
  curl_off_t retry_after = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(easy_, CURLINFO_RETRY_AFTER, &retry_after);
  curl_multi_remove_handle(multi_, easy_);

  if (sink.overflow) return absl::UnavailableError("transport: response too large");
  if (result != CURLE_OK) return FromCurlCode(result);
  HttpResponse response;
  response.status = static_cast<int>(status);
  response.body = std::move(sink.body);
  if (retry_after > 0) response.retry_after = absl::Seconds(retry_after);
  return response;
}

}  // namespace cairn::sdk
