#include "auth/customer_link.h"

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cairn/common/crypto.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/strings.h"

namespace cairn::collector {
namespace {

std::string Mac(std::string_view key, std::string_view account_id, int64_t expiry) {
  return ToHex(
      HmacSha256(key, absl::StrCat("cairn-customer-link\n", ToAbsl(account_id), "\n", expiry)));
}

}  // namespace

std::string SignCustomerLink(std::string_view key, std::string_view account_id,
                             absl::Time expires_at) {
  const int64_t expiry = absl::ToUnixSeconds(expires_at);
  return absl::StrCat(absl::WebSafeBase64Escape(ToAbsl(account_id)), ".", expiry, ".",
                      Mac(key, account_id, expiry));
}

absl::StatusOr<CustomerLink> VerifyCustomerLink(std::string_view key, std::string_view token,
                                                absl::Time now) {
  const absl::Status bad = absl::UnauthenticatedError("invalid customer link");
  if (key.empty() || token.size() > 1024) return bad;
  std::vector<absl::string_view> parts = absl::StrSplit(ToAbsl(token), '.');
  if (parts.size() != 3) return bad;
  std::string account_id;
  if (parts[0].empty() || parts[0].find('=') != absl::string_view::npos ||
      !absl::WebSafeBase64Unescape(parts[0], &account_id) || !IsValidId(account_id)) {
    return bad;
  }
  int64_t expiry = 0;
  if (parts[1].empty() || parts[1][0] == '+' || parts[1][0] == '-' ||
      !absl::SimpleAtoi(parts[1], &expiry)) {
    return bad;
  }
  // Canonical forms only, so one link has one spelling.
  if (absl::WebSafeBase64Escape(account_id) != parts[0] || absl::StrCat(expiry) != parts[1]) {
    return bad;
  }
  if (!ConstantTimeEquals(Mac(key, account_id, expiry), ToStd(parts[2]))) return bad;
  CustomerLink link;
  link.account_id = std::move(account_id);
  link.expires_at = absl::FromUnixSeconds(expiry);
  if (now >= link.expires_at) return absl::PermissionDeniedError("link expired");
  return link;
}

}  // namespace cairn::collector
