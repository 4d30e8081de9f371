#include "cairn/consent/consent_state.h"

#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"

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
  PurposeState& state = states_[record.subject][static_cast<size_t>(record.purpose)];
  if (state.decision != Decision::kUnknown && record.device_time < state.decided_at) {
    return absl::OkStatus();  // an older decision never overrides a newer one
  }
  state.decision = record.decision;
  state.policy_version = record.policy_version;
  state.decided_at = record.device_time;
  state.expires_at = record.expires_at;
  return absl::OkStatus();
}

const PurposeState* ConsentState::Find(std::string_view subject, Purpose purpose) const {
  auto it = states_.find(ToAbsl(subject));
  return it == states_.end() ? nullptr : &it->second[static_cast<size_t>(purpose)];
}

Decision ConsentState::DecisionAt(std::string_view subject, Purpose purpose,
                                  absl::Time at) const {
  const PurposeState* state = Find(subject, purpose);
  if (state == nullptr) return Decision::kUnknown;
  if (state->decision == Decision::kGranted && state->expires_at && at >= *state->expires_at) {
    return Decision::kUnknown;
  }
  return state->decision;
}

bool ConsentState::Allows(std::string_view subject, Purpose purpose, absl::Time at) const {
  if (!NeedsConsent(purpose)) return true;
  return DecisionAt(subject, purpose, at) == Decision::kGranted;
}

PurposeState ConsentState::Get(std::string_view subject, Purpose purpose) const {
  const PurposeState* state = Find(subject, purpose);
  return state == nullptr ? PurposeState{} : *state;
}

void ConsentState::Forget(std::string_view subject) { states_.erase(ToAbsl(subject)); }

}  // namespace cairn::consent
