#include "store/consent_rule.h"

#include "absl/time/time.h"
#include "cairn/common/proto_time.h"
#include "cairn/consent/purpose.h"

namespace cairn::collector {

int64_t ConsentMomentMicros(const cairn::v1::Event& event) {
  return absl::ToUnixMicros(FromProto(event.occurred_at()));
}

bool NeedsDecisions(const cairn::v1::Event& event) {
  if (event.has_consent_change()) return false;
  std::optional<consent::Purpose> purpose = consent::FromWire(event.purpose());
  return purpose.has_value() && consent::NeedsConsent(*purpose);
}

consent::PurposeState DecisionFromRow(int64_t device_time_us, int64_t stored_decision,
                                      std::optional<int64_t> expires_at_us) {
  consent::PurposeState state;
  state.decision = consent::DecisionFromWire(static_cast<int>(stored_decision));
  state.decided_at = absl::FromUnixMicros(device_time_us);
  if (expires_at_us) state.expires_at = absl::FromUnixMicros(*expires_at_us);
  return state;
}

ConsentVerdict JudgeEvent(const cairn::v1::Event& event, bool erased,
                          std::span<const consent::PurposeState> decisions) {
  // Malformed first: its refusal names the event's fault, which must not
  // tell an erased user from another.
  if (event.has_consent_change() && !consent::RecordFromEvent(event).ok()) {
    return ConsentVerdict::kMalformedConsent;
  }
  if (erased) return ConsentVerdict::kUserErased;
  if (event.has_consent_change()) return ConsentVerdict::kAllowed;
  std::optional<consent::Purpose> purpose = consent::FromWire(event.purpose());
  // Validation refuses unknown purposes before the store; refused here too.
  if (!purpose) return ConsentVerdict::kNoConsent;
  if (!consent::NeedsConsent(*purpose)) return ConsentVerdict::kAllowed;
  const absl::Time at = absl::FromUnixMicros(ConsentMomentMicros(event));
  return consent::DecisionInForce(decisions, at) == consent::Decision::kGranted
             ? ConsentVerdict::kAllowed
             : ConsentVerdict::kNoConsent;
}

bool MayLiftSuppression(const cairn::v1::Event& event, bool signature_verified) {
  return signature_verified && event.has_consent_change() &&
         !consent::IsVendorDefault(event.consent_change());
}

ConsentRefusal RefusalOf(ConsentVerdict verdict, const cairn::v1::Event& event) {
  switch (verdict) {
    case ConsentVerdict::kUserErased:
      return {cairn::v1::REJECT_REASON_USER_ERASED, "user was erased"};
    case ConsentVerdict::kMalformedConsent:
      return {event.consent_change().policy_version().empty()
                  ? cairn::v1::REJECT_REASON_MISSING_POLICY_VERSION
                  : cairn::v1::REJECT_REASON_INVALID_CONSENT,
              "malformed consent change"};
    case ConsentVerdict::kAllowed:
    case ConsentVerdict::kNoConsent:
      break;
  }
  return {cairn::v1::REJECT_REASON_NO_CONSENT,
          "no consent for this purpose when the event occurred"};
}

}  // namespace cairn::collector
