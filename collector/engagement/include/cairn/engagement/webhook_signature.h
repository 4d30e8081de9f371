#ifndef CAIRN_ENGAGEMENT_WEBHOOK_SIGNATURE_H_
#define CAIRN_ENGAGEMENT_WEBHOOK_SIGNATURE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cairn::engagement {

// The HTTP header that carries the signature of an alert webhook.
inline constexpr std::string_view kWebhookSignatureHeader = "Cairn-Signature";

// Default window within which a receiver accepts a signed timestamp, which
// bounds replays of a captured request.
inline constexpr absl::Duration kWebhookTolerance = absl::Minutes(5);

// Signs a webhook body (Stripe-like scheme): returns the header value
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<unix seconds>.<body>")>".
// `timestamp` is floored to whole seconds. Cost: one HMAC over the body
// (about 2 ns/byte). Fails with InvalidArgument for an empty secret or an
// infinite timestamp.
absl::StatusOr<std::string> SignWebhook(std::string_view secret, absl::Time timestamp,
                                        std::string_view body);

// Verifies a header produced by SignWebhook against the exact body bytes
// received. The header is comma-separated key=value pairs: one t, one or
// more v1 (any may match, which allows rotating secrets), unknown keys
// ignored. Signatures are compared in constant time. Returns OK when a v1
// matches and |now - t| <= tolerance. Fails with InvalidArgument (empty
// secret, malformed header: no or repeated t, non-numeric t, no v1),
// PermissionDenied (no v1 matches) or OutOfRange (valid signature, but t
// outside the tolerance window). Cost: one HMAC over the body.
absl::Status VerifyWebhook(std::string_view secret, std::string_view header, std::string_view body,
                           absl::Time now, absl::Duration tolerance = kWebhookTolerance);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_WEBHOOK_SIGNATURE_H_
