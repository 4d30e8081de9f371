#include "cairn/consent/consent_state.h"

#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cairn/common/proto_time.h"
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

std::string_view DecisionName(Decision decision) {
  switch (decision) {
    case Decision::kGranted:
      return "granted";
    case Decision::kDenied:
      return "denied";
    case Decision::kUnknown:
      return "unknown";
  }
  return "unknown";
}

cairn::v1::ConsentDecision ToWire(Decision decision) {
  switch (decision) {
    case Decision::kGranted:
      return cairn::v1::CONSENT_DECISION_GRANTED;
    case Decision::kDenied:
      return cairn::v1::CONSENT_DECISION_DENIED;
    case Decision::kUnknown:
      return cairn::v1::CONSENT_DECISION_UNSPECIFIED;
  }
  return cairn::v1::CONSENT_DECISION_UNSPECIFIED;
}

Decision DecisionFromWire(int wire_value) {
  switch (wire_value) {
    case cairn::v1::CONSENT_DECISION_GRANTED:
      return Decision::kGranted;
    case cairn::v1::CONSENT_DECISION_DENIED:
      return Decision::kDenied;
    default:
      return Decision::kUnknown;
  }
}

void ToConsentChange(const ConsentRecord& record, cairn::v1::ConsentChange* out) {
  out->set_purpose(ToWire(record.purpose));
  out->set_decision(ToWire(record.decision));
  out->set_policy_id(record.policy_id);
  out->set_policy_version(record.policy_version);
  out->set_source_surface(record.source_surface);
  if (record.expires_at) {
    ToProto(*record.expires_at, out->mutable_expires_at());
  } else {
    out->clear_expires_at();
  }
  out->set_origin(record.source_surface == kVendorDefaultSurface
                      ? cairn::v1::CONSENT_ORIGIN_VENDOR_DEFAULT
                      : cairn::v1::CONSENT_ORIGIN_USER_ACTION);
  out->set_grant_signature(record.grant_signature);
  if (record.signed_at) {
    ToProto(*record.signed_at, out->mutable_signed_at());
  } else {
    out->clear_signed_at();
  }
}

bool IsVendorDefault(const cairn::v1::ConsentChange& change) {
  return change.origin() == cairn::v1::CONSENT_ORIGIN_VENDOR_DEFAULT ||
         (change.origin() == cairn::v1::CONSENT_ORIGIN_UNSPECIFIED &&
          change.source_surface() == kVendorDefaultSurface);
}

absl::StatusOr<ConsentRecord> RecordFromEvent(const cairn::v1::Event& event,
                                              std::string_view sdk_version) {
  if (!event.has_consent_change()) {
    return absl::InvalidArgumentError("not a consent change event");
  }
  const cairn::v1::ConsentChange& change = event.consent_change();
  std::optional<Purpose> purpose = FromWire(change.purpose());
  if (!purpose) return absl::InvalidArgumentError("consent change for an unknown purpose");
  ConsentRecord record;
  record.subject = event.user_id();
  record.purpose = *purpose;
  record.decision = DecisionFromWire(change.decision());
  record.policy_id = change.policy_id();
  record.policy_version = change.policy_version();
  record.device_time = FromProto(event.occurred_at());
  record.source_sdk_version = std::string(sdk_version);
  record.source_surface = change.source_surface();
  if (change.has_expires_at()) record.expires_at = FromProto(change.expires_at());
  record.grant_signature = change.grant_signature();
  if (change.has_signed_at()) record.signed_at = FromProto(change.signed_at());
  if (absl::Status s = ValidateRecord(record); !s.ok()) return s;
  return record;
}

absl::Status ConsentState::Apply(const ConsentRecord& record) {
  if (absl::Status s = ValidateRecord(record); !s.ok()) return s;
  History& history = states_[record.subject][static_cast<size_t>(record.purpose)];
  PurposeState state{record.decision, record.policy_version, record.device_time, record.expires_at};
  // Keep the history sorted by decision time; most records arrive in order,
  // so the search ends at the back.
  auto pos = history.end();
  while (pos != history.begin() && std::prev(pos)->decided_at > state.decided_at) --pos;
  if (pos != history.begin() && std::prev(pos)->decided_at == state.decided_at) {
    *std::prev(pos) = std::move(state);
  } else {
    history.insert(pos, std::move(state));
  }
  if (history.size() > kMaxHistory) history.erase(history.begin());
  return absl::OkStatus();
}

const ConsentState::History* ConsentState::Find(std::string_view subject, Purpose purpose) const {
  auto it = states_.find(ToAbsl(subject));
  if (it == states_.end()) return nullptr;
  const History& history = it->second[static_cast<size_t>(purpose)];
  return history.empty() ? nullptr : &history;
}

namespace {

Decision EffectiveDecision(const PurposeState& state, absl::Time at) {
  if (state.decision == Decision::kGranted && state.expires_at && at >= *state.expires_at) {
    return Decision::kUnknown;
  }
  return state.decision;
}

}  // namespace

Decision DecisionInForce(std::span<const PurposeState> history, absl::Time at) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->decided_at <= at) return EffectiveDecision(*it, at);
  }
  return Decision::kUnknown;
}

Decision ConsentState::DecisionAt(std::string_view subject, Purpose purpose, absl::Time at) const {
  const History* history = Find(subject, purpose);
  if (history == nullptr) return Decision::kUnknown;
  return DecisionInForce(*history, at);
}

bool ConsentState::Allows(std::string_view subject, Purpose purpose, absl::Time at) const {
  if (!NeedsConsent(purpose)) return true;
  return DecisionAt(subject, purpose, at) == Decision::kGranted;
}

Decision ConsentState::CurrentDecision(std::string_view subject, Purpose purpose,
                                       absl::Time now) const {
  const History* history = Find(subject, purpose);
  return history == nullptr ? Decision::kUnknown : EffectiveDecision(history->back(), now);
}

bool ConsentState::CurrentlyAllows(std::string_view subject, Purpose purpose,
                                   absl::Time now) const {
  if (!NeedsConsent(purpose)) return true;
  return CurrentDecision(subject, purpose, now) == Decision::kGranted;
}

PurposeState ConsentState::Get(std::string_view subject, Purpose purpose) const {
  const History* history = Find(subject, purpose);
  return history == nullptr ? PurposeState{} : history->back();
}

std::vector<std::string> ConsentState::Subjects() const {
  std::vector<std::string> subjects;
  subjects.reserve(states_.size());
  for (const auto& [subject, unused] : states_) subjects.push_back(subject);
  return subjects;
}

void ConsentState::Forget(std::string_view subject) { states_.erase(ToAbsl(subject)); }

}  // namespace cairn::consent
