#include "cairn/consent/consent_state.h"

#include "absl/strings/str_cat.h"

namespace cairn::consent {

absl::Status ValidateRecord(const ConsentRecord& record) {
  if (!NeedsConsent(record.purpose)) {
    return absl::InvalidArgumentError("consent_record is not a consentable purpose");
  }
  if (record.decision == Decision::kUnknown) {
    return absl::InvalidArgumentError("a consent record must grant or deny");
  }
  if (record.subject.empty()) {
    return absl::InvalidArgumentError("a consent record needs a subject");
  }
  if (record.policy_version.empty()) {
    return absl::InvalidArgumentError("a consent record needs a policy version");
  }
  return absl::OkStatus();
}

absl::Status ConsentState::Apply(const ConsentRecord& record) {
  if (absl::Status s = ValidateRecord(record); !s.ok()) return s;
  PurposeState& state = states_[Key{record.subject, record.purpose}];
  if (state.decision != Decision::kUnknown && record.device_time < state.decided_at) {
    return absl::OkStatus();  // an older decision never overrides a newer one
  }
  state.decision = record.decision;
  state.policy_version = record.policy_version;
  state.decided_at = record.device_time;
  state.expires_at = record.expires_at;
  return absl::OkStatus();
}

Decision ConsentState::DecisionAt(const std::string& subject, Purpose purpose,
                                  absl::Time at) const {
  auto it = states_.find(Key{subject, purpose});
  if (it == states_.end()) return Decision::kUnknown;
  const PurposeState& state = it->second;
  if (state.decision == Decision::kGranted && state.expires_at && at >= *state.expires_at) {
    return Decision::kUnknown;
  }
  return state.decision;
}

bool ConsentState::Allows(const std::string& subject, Purpose purpose, absl::Time at) const {
  if (!NeedsConsent(purpose)) return true;
  return DecisionAt(subject, purpose, at) == Decision::kGranted;
}

PurposeState ConsentState::Get(const std::string& subject, Purpose purpose) const {
  auto it = states_.find(Key{subject, purpose});
  return it == states_.end() ? PurposeState{} : it->second;
}

void ConsentState::Forget(const std::string& subject) {
  absl::erase_if(states_, [&](const auto& kv) { return kv.first.subject == subject; });
}

}  // namespace cairn::consent
