#include "cairn/common/http_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cairn/common/crypto.h"

namespace cairn {
namespace {

struct Sink {
  HttpClientResponse* response;
  size_t limit;
  bool overflow = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t bytes = size * n;
  if (sink->response->body.size() + bytes > sink->limit) {
    sink->overflow = true;
    return 0;  // makes libcurl fail the transfer
  }
  sink->response->body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  absl::string_view line(data, size * n);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new status line: the headers of an interim response (100) go.
    sink->response->headers.clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    sink->response->headers[absl::AsciiStrToLower(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * n;
}

absl::Status FromCurlCode(CURLcode code) {
  std::string msg = absl::StrCat("http: ", curl_easy_strerror(code));
  switch (code) {
    case CURLE_OK:
      return absl::OkStatus();
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(msg);
    case CURLE_ABORTED_BY_CALLBACK:
      return absl::CancelledError(msg);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

bool SendsNoBody(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "DELETE";
}

}  // namespace

HttpClient::HttpClient() {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  multi_ = curl_multi_init();
  easy_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (easy_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(easy_));
  if (multi_ != nullptr) curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void HttpClient::Abort() {
  aborted_.store(true);
  if (multi_ != nullptr) curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

absl::StatusOr<HttpClientResponse> HttpClient::Send(const HttpClientRequest& request) {
  auto* multi = static_cast<CURLM*>(multi_);
  auto* easy = static_cast<CURL*>(easy_);
  if (multi == nullptr || easy == nullptr) return absl::InternalError("http: libcurl init failed");
  if (aborted_.load()) return absl::CancelledError("http: aborted");

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const std::string& line : request.headers) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  // No "Expect: 100-continue" round trip for bodies over 1 KiB.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));

  HttpClientResponse response;
  Sink sink{&response, request.max_response_bytes};
  curl_easy_reset(easy);  // keeps the connection cache, which lives in the multi handle
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  if (SendsNoBody(request.method)) {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    if (request.method == "HEAD") curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  if (request.method != "GET" && request.method != "POST" && request.method != "HEAD") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(request.connect_timeout)));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(request.total_timeout)));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "cairn-cpp");
  if (!request.use_environment_proxy) {
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
  } else if (!request.no_proxy_hosts.empty()) {
    curl_easy_setopt(easy, CURLOPT_NOPROXY, request.no_proxy_hosts.c_str());
  }
  if (!request.ca_bundle_path.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, request.ca_bundle_path.c_str());
  }

  // The multi interface, so Abort can wake a transfer that is waiting.
  curl_multi_add_handle(multi, easy);
  CURLcode result = CURLE_OK;
  bool done = false;
  while (!done) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
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
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  long status = 0;
  curl_off_t retry_after = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after);
  curl_multi_remove_handle(multi, easy);

  if (sink.overflow) return absl::UnavailableError("http: response too large");
  if (result != CURLE_OK) return FromCurlCode(result);
  response.status = static_cast<int>(status);
  if (retry_after > 0) response.retry_after = absl::Seconds(retry_after);
  return response;
}

absl::StatusOr<HttpClientResponse> SendHttpRequest(const HttpClientRequest& request) {
  HttpClient client;
  return client.Send(request);
}

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.append(absl::AsciiStrToUpper(HexEncode(std::string_view(&c, 1))));
    }
  }
  return out;
}

}  // namespace cairn
