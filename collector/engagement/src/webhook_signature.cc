#include "cairn/engagement/webhook_signature.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/common/crypto.h"

namespace cairn::engagement {
namespace {

std::string Signature(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  std::string payload = absl::StrCat(unix_seconds, ".");
  payload.append(body);
  return ToHex(HmacSha256(secret, payload));
}

}  // namespace

absl::StatusOr<std::string> SignWebhook(std::string_view secret, absl::Time timestamp,
                                        std::string_view body) {
  if (secret.empty()) return absl::InvalidArgumentError("webhook secret is empty");
  if (timestamp == absl::InfinitePast() || timestamp == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("webhook timestamp is infinite");
  }
  const int64_t t = absl::ToUnixSeconds(timestamp);
  return absl::StrCat("t=", t, ",v1=", Signature(secret, t, body));
}

absl::Status VerifyWebhook(std::string_view secret, std::string_view header, std::string_view body,
                           absl::Time now, absl::Duration tolerance) {
  if (secret.empty()) return absl::InvalidArgumentError("webhook secret is empty");
  std::optional<int64_t> t;
  std::vector<std::string_view> v1;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return absl::InvalidArgumentError("webhook signature item without '='");
    }
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "t") {
      int64_t parsed = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (t || value.empty() || ec != std::errc() || end != value.data() + value.size()) {
        return absl::InvalidArgumentError("webhook signature needs exactly one numeric t");
      }
      t = parsed;
    } else if (key == "v1") {
      v1.push_back(value);
    }
  }
  if (!t) return absl::InvalidArgumentError("webhook signature has no t");
  if (v1.empty()) return absl::InvalidArgumentError("webhook signature has no v1");
  const std::string expected = Signature(secret, *t, body);
  bool match = false;
  // Every candidate is compared, so timing does not tell which one matched.
  for (std::string_view candidate : v1) match |= ConstantTimeEquals(expected, candidate);
  if (!match) return absl::PermissionDeniedError("webhook signature does not match");
  if (absl::AbsDuration(now - absl::FromUnixSeconds(*t)) > tolerance) {
    return absl::OutOfRangeError("webhook timestamp outside the tolerance window");
  }
  return absl::OkStatus();
}

}  // namespace cairn::engagement
