#ifndef CAIRN_CONSENT_PURPOSE_H_
#define CAIRN_CONSENT_PURPOSE_H_

#include <array>
#include <optional>
#include <string_view>

#include "cairn/v1/event.pb.h"

namespace cairn::consent {

// Why data is processed. Each event has one purpose and needs consent for it,
// except kConsentRecord (the proof of a decision, which the GDPR requires).
enum class Purpose {
  kUsageAnalytics,        // logins, logouts, sessions
  kMilestones,            // value moments
  kRenewalNotifications,  // direct marketing around renewal (Art. 21 opt-out)
  kConsentRecord,         // the consent decision itself (Art. 7(1))
  kFeedback,              // in-app survey answers (NPS, CSAT) and their comments
  // New purposes go last: ConsentState indexes its tables by this value.
};

// The purposes a user can grant or deny, in display order.
inline constexpr std::array<Purpose, 4> kConsentablePurposes = {
    Purpose::kUsageAnalytics, Purpose::kMilestones, Purpose::kRenewalNotifications,
    Purpose::kFeedback};

// Stable lowercase name: "usage_analytics", "milestones",
// "renewal_notifications", "consent_record", "feedback".
std::string_view PurposeName(Purpose purpose);
// Inverse of PurposeName; nullopt for an unknown name.
std::optional<Purpose> PurposeFromName(std::string_view name);

// Conversions to and from the wire enum. FromWire returns nullopt for
// PURPOSE_UNSPECIFIED and values this build does not know.
cairn::v1::Purpose ToWire(Purpose purpose);
std::optional<Purpose> FromWire(cairn::v1::Purpose purpose);
std::optional<Purpose> FromWire(int wire_value);

// True for purposes that need the user's consent before any processing.
constexpr bool NeedsConsent(Purpose purpose) { return purpose != Purpose::kConsentRecord; }

}  // namespace cairn::consent

#endif  // CAIRN_CONSENT_PURPOSE_H_
