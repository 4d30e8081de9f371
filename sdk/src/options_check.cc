#include "sdk/src/options_check.h"

#include <filesystem>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/strings.h"
#include "common/src/platform/platform.h"

namespace cairn::sdk {
namespace {

// Host part of an http(s) URL, lowercased, without port or brackets.
std::string UrlHost(std::string_view url) {
  size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  std::string_view rest = url.substr(start);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    rest = rest.substr(1, rest.find(']') - 1);
  } else {
    rest = rest.substr(0, rest.find(':'));
  }
  return absl::AsciiStrToLower(ToAbsl(rest));
}

// Loopback means a literal 127.0.0.0/8 or ::1 address, or "localhost"; a
// name like "127.0.0.1.example.com" is not.
bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || platform::IsLoopbackLiteral(host);
}

}  // namespace

absl::Status ValidateOptions(const Options& options) {
  if (options.collector_url.empty()) return absl::InvalidArgumentError("collector_url is required");
  if (options.write_key.empty()) return absl::InvalidArgumentError("write_key is required");
  if (options.storage_dir.empty()) return absl::InvalidArgumentError("storage_dir is required");
  std::string scheme =
      absl::AsciiStrToLower(options.collector_url.substr(0, options.collector_url.find("://")));
  if (scheme == "http") {
    if (!options.allow_insecure_http && !IsLoopbackHost(UrlHost(options.collector_url))) {
      return absl::InvalidArgumentError(
          "plain http:// is refused except to a loopback host; use https:// "
          "(or set allow_insecure_http, never in production)");
    }
  } else if (scheme != "https") {
    return absl::InvalidArgumentError("collector_url must start with https:// or http://");
  }
  if (options.max_batch_events == 0 || options.max_batch_bytes == 0 ||
      options.queue_capacity == 0 || options.commit_max_events == 0) {
    return absl::InvalidArgumentError("batch, queue and commit bounds must be positive");
  }
  if (options.max_requests_in_flight < 1 || options.max_requests_in_flight > 2) {
    return absl::InvalidArgumentError("max_requests_in_flight: 1 or 2");
  }
  if (options.min_backoff <= absl::ZeroDuration() || options.max_backoff < options.min_backoff) {
    return absl::InvalidArgumentError("need 0 < min_backoff <= max_backoff");
  }
  if (options.network_retry_floor < absl::ZeroDuration() ||
      options.network_retry_floor > absl::Hours(1)) {
    return absl::InvalidArgumentError("network_retry_floor: 0 to 1 hour");
  }
  if (options.shutdown_timeout < absl::ZeroDuration() ||
      options.shutdown_timeout > absl::Minutes(1)) {
    return absl::InvalidArgumentError("shutdown_timeout: 0 to 1 minute");
  }
  if (options.attribute_allowlist.size() > kMaxAttributes) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute_allowlist: at most ", kMaxAttributes, " keys"));
  }
  for (const std::string& key : options.attribute_allowlist) {
    if (!IsValidId(key, kMaxAttributeKeyBytes)) {
      return absl::InvalidArgumentError(absl::StrCat("attribute_allowlist: keys are 1-",
                                                     kMaxAttributeKeyBytes, " printable bytes"));
    }
  }
  if (options.renewal_notifications_default == Options::RenewalDefault::kSoftOptIn &&
      (options.renewal_default_policy_version.empty() ||
       options.renewal_default_policy_version.size() > kMaxPolicyFieldBytes ||
       options.renewal_default_policy_id.size() > kMaxPolicyFieldBytes)) {
    return absl::InvalidArgumentError(
        "renewal soft opt-in needs renewal_default_policy_version (at most 128 bytes)");
  }
  return absl::OkStatus();
}

ClientPaths ResolvePaths(const Options& options) {
  const std::filesystem::path dir(options.storage_dir);
  return ClientPaths{
      absl::StrCat(absl::StripSuffix(options.collector_url, "/"), "/v1/batch"),
      (dir / "cairn-buffer.db").string(),
      (dir / "consent.db").string(),
  };
}

}  // namespace cairn::sdk
