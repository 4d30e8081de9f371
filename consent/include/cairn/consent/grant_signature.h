#ifndef CAIRN_CONSENT_GRANT_SIGNATURE_H_
#define CAIRN_CONSENT_GRANT_SIGNATURE_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "cairn/consent/consent_state.h"
#include "cairn/consent/purpose.h"
#include "cairn/v1/event.pb.h"

namespace cairn::consent {

// A signed grant is how the vendor's backend vouches that the user made an
// explicit decision: a write key sits in every copy of the app, so a
// decision that undoes an objection needs a secret the app never holds.
// The backend signs, the app passes the signature through SetConsent, the
// collector verifies it (docs/privacy.md, "What a write key can do").

// How far signed_at may lie from the decision's own time, either way: a
// captured signature cannot be replayed with a decision dated much later.
inline constexpr absl::Duration kMaxGrantSignatureSkew = absl::Hours(24);

// The text that is signed, one field per line:
//   "cairn-consent-grant-v1\n<account>\n<user>\n<purpose>\n<decision>\n<signed_at>"
// with the user id as sent (pseudonymised if the app pseudonymises), the
// purpose and decision as their wire numbers, signed_at in whole seconds
// since the Unix epoch. Pure.
std::string GrantSigningText(std::string_view account_id, std::string_view wire_user_id,
                             Purpose purpose, Decision decision, absl::Time signed_at);

// Lowercase hex HMAC-SHA256 of GrantSigningText under `secret`: what the
// vendor's backend computes. Pure; one HMAC.
std::string SignGrant(std::string_view secret, std::string_view account_id,
                      std::string_view wire_user_id, Purpose purpose, Decision decision,
                      absl::Time signed_at);

// True if `event` is a consent change whose grant_signature is SignGrant of
// its own account, user, purpose and decision and its signed_at under
// `secret`, with signed_at within kMaxGrantSignatureSkew of occurred_at.
// False for an empty secret. Compares in constant time. Pure; one HMAC.
bool HasValidGrantSignature(std::string_view secret, const cairn::v1::Event& event);

}  // namespace cairn::consent

#endif  // CAIRN_CONSENT_GRANT_SIGNATURE_H_
