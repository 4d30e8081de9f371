#include "http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace cairn::testing {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<HttpResult*>(user)->body.append(data, size * count);
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* result = static_cast<HttpResult*>(user);
  absl::string_view line(data, size * count);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new status line: headers of an interim response (100) are dropped.
    result->headers.clear();
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    result->headers[name] = value;
  }
  return size * count;
}

absl::StatusOr<HttpResult> Perform(const std::string& url, const std::string* post_body,
                                   const std::vector<std::string>& headers,
                                   const char* custom_method = nullptr) {
  GlobalInitOnce();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  HttpResult result;
  curl_slist* header_list = nullptr;
  for (const std::string& header : headers) {
    header_list = curl_slist_append(header_list, header.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result);
  if (post_body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(post_body->size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  if (custom_method != nullptr) curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, custom_method);
  CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(header_list);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("HTTP request failed: ", curl_easy_strerror(code)));
  }
  return result;
}

}  // namespace

absl::StatusOr<HttpResult> HttpPost(const std::string& url, const std::string& body,
                                    const std::vector<std::string>& headers) {
  return Perform(url, &body, headers);
}

absl::StatusOr<HttpResult> HttpGet(const std::string& url,
                                   const std::vector<std::string>& headers) {
  return Perform(url, nullptr, headers);
}

absl::StatusOr<HttpResult> HttpPut(const std::string& url, const std::string& body,
                                   const std::vector<std::string>& headers) {
  return Perform(url, &body, headers, "PUT");
}

absl::StatusOr<HttpResult> HttpDelete(const std::string& url,
                                      const std::vector<std::string>& headers) {
  return Perform(url, nullptr, headers, "DELETE");
}

absl::StatusOr<HttpResult> HttpCall(const std::string& method, const std::string& url,
                                    const std::string& body,
                                    const std::vector<std::string>& headers) {
  if (method == "GET") return Perform(url, nullptr, headers);
  if (method == "DELETE") return Perform(url, nullptr, headers, "DELETE");
  return Perform(url, &body, headers, method == "POST" ? nullptr : method.c_str());
}

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.append(absl::StrFormat("%%%02X", static_cast<unsigned char>(c)));
    }
  }
  return out;
}

}  // namespace cairn::testing
