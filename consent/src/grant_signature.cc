#include "cairn/consent/grant_signature.h"

#include "absl/strings/str_cat.h"
#include "cairn/common/crypto.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/strings.h"

namespace cairn::consent {

std::string GrantSigningText(std::string_view account_id, std::string_view wire_user_id,
                             Purpose purpose, Decision decision, absl::Time signed_at) {
  return absl::StrCat("cairn-consent-grant-v1\n", ToAbsl(account_id), "\n", ToAbsl(wire_user_id),
                      "\n", static_cast<int>(ToWire(purpose)), "\n",
                      static_cast<int>(ToWire(decision)), "\n", absl::ToUnixSeconds(signed_at));
}

std::string SignGrant(std::string_view secret, std::string_view account_id,
                      std::string_view wire_user_id, Purpose purpose, Decision decision,
                      absl::Time signed_at) {
  return ToHex(
      HmacSha256(secret, GrantSigningText(account_id, wire_user_id, purpose, decision, signed_at)));
}

bool HasValidGrantSignature(std::string_view secret, const cairn::v1::Event& event) {
  if (secret.empty() || !event.has_consent_change()) return false;
  const cairn::v1::ConsentChange& change = event.consent_change();
  if (change.grant_signature().empty() || !change.has_signed_at()) return false;
  std::optional<Purpose> purpose = FromWire(change.purpose());
  if (!purpose) return false;
  const absl::Time signed_at = FromProto(change.signed_at());
  if (absl::AbsDuration(signed_at - FromProto(event.occurred_at())) > kMaxGrantSignatureSkew) {
    return false;
  }
  const std::string expected = SignGrant(secret, event.account_id(), event.user_id(), *purpose,
                                         DecisionFromWire(change.decision()), signed_at);
  return ConstantTimeEquals(expected, change.grant_signature());
}

}  // namespace cairn::consent
