#ifndef CAIRN_COLLECTOR_AUTH_CUSTOMER_LINK_H_
#define CAIRN_COLLECTOR_AUTH_CUSTOMER_LINK_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cairn::collector {

// A verified customer link: the one account it reveals, and until when.
struct CustomerLink {
  std::string account_id;
  absl::Time expires_at = absl::UnixEpoch();
};

// Signs a customer-view link for `account_id` valid until `expires_at`
// (floored to whole seconds): "<base64url(account_id), unpadded>.<expiry
// unix seconds>.<hex HMAC-SHA256(key, "cairn-customer-link\n" + account_id +
// "\n" + expiry)>". `key` is the collector's keyed-hash key. Cost: one HMAC.
// Cannot fail.
std::string SignCustomerLink(std::string_view key, std::string_view account_id,
                             absl::Time expires_at);

// Verifies a token made by SignCustomerLink. The signature is compared in
// constant time. Fails with Unauthenticated for a malformed token or a
// wrong signature (or an empty key), PermissionDenied ("link expired") for
// a valid one at or after its expiry. Cost: one HMAC.
absl::StatusOr<CustomerLink> VerifyCustomerLink(std::string_view key, std::string_view token,
                                                absl::Time now);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_AUTH_CUSTOMER_LINK_H_
