#include "cairn/common/event_rules.h"

#include "cairn/common/proto_time.h"
#include "cairn/common/uuid.h"

namespace cairn {
namespace {

using cairn::v1::RejectReason;

bool IsPrintableNoSpace(char c) { return c > 0x20 && c < 0x7f; }

bool IsMilestoneChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

std::optional<RuleViolation> Violation(RejectReason reason, std::string detail) {
  return RuleViolation{reason, std::move(detail)};
}

bool IsValidTimestamp(const google::protobuf::Timestamp& ts) {
  return ts.nanos() >= 0 && ts.nanos() < 1000000000;
}

}  // namespace

bool IsValidId(std::string_view id, size_t max_bytes) {
  if (id.empty() || id.size() > max_bytes) return false;
  for (char c : id) {
    if (!IsPrintableNoSpace(c)) return false;
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra;
    uint32_t min;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1, min = 0x80, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, min = 0x800, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, min = 0x10000, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are invalid.
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

bool IsValidMilestoneName(std::string_view name) {
  if (name.empty() || name.size() > kMaxMilestoneNameBytes) return false;
  for (char c : name) {
    if (!IsMilestoneChar(c)) return false;
  }
  return true;
}

std::optional<std::string_view> FeedbackProblem(const cairn::v1::Feedback& feedback) {
  int score = feedback.score();
  switch (feedback.kind()) {
    case cairn::v1::FEEDBACK_KIND_NPS:
      if (score < kMinNpsScore || score > kMaxNpsScore) return "NPS score must be 0-10";
      break;
    case cairn::v1::FEEDBACK_KIND_CSAT:
      if (score < kMinCsatScore || score > kMaxCsatScore) return "CSAT score must be 1-5";
      break;
    default:
      return "feedback kind must be NPS or CSAT";
  }
  if (feedback.comment().size() > kMaxFeedbackCommentBytes || !IsValidUtf8(feedback.comment())) {
    return "feedback comment must be at most 500 bytes of UTF-8";
  }
  if (!feedback.survey_id().empty() && !IsValidMilestoneName(feedback.survey_id())) {
    return "survey id must be 1-128 of [A-Za-z0-9_.:-]";
  }
  return std::nullopt;
}

cairn::v1::Purpose RequiredPurpose(const cairn::v1::Event& event) {
  switch (event.body_case()) {
    case cairn::v1::Event::kLogin:
    case cairn::v1::Event::kLogout:
    case cairn::v1::Event::kSessionEnd:
      return cairn::v1::PURPOSE_USAGE_ANALYTICS;
    case cairn::v1::Event::kMilestone:
      return cairn::v1::PURPOSE_MILESTONES;
    case cairn::v1::Event::kConsentChange:
      return cairn::v1::PURPOSE_CONSENT_RECORD;
    case cairn::v1::Event::kFeedback:
      return cairn::v1::PURPOSE_FEEDBACK;
    case cairn::v1::Event::BODY_NOT_SET:
      break;
  }
  return cairn::v1::PURPOSE_UNSPECIFIED;
}

std::optional<RuleViolation> CheckEvent(const cairn::v1::Event& event, absl::Time received_at,
                                        const AttributeBounds& attributes) {
  if (UuidVersion(event.event_id()) != 7) {
    return Violation(RejectReason::REJECT_REASON_INVALID_EVENT_ID, "event_id is not a UUIDv7");
  }
  if (!IsValidId(event.account_id())) {
    return Violation(RejectReason::REJECT_REASON_INVALID_ACCOUNT_ID,
                     "account_id must be 1-128 printable bytes");
  }
  if (!IsValidId(event.user_id())) {
    return Violation(RejectReason::REJECT_REASON_INVALID_USER_ID,
                     "user_id must be 1-128 printable bytes");
  }
  if (!event.session_id().empty() && !IsValidId(event.session_id())) {
    return Violation(RejectReason::REJECT_REASON_INVALID_SESSION,
                     "session_id must be up to 128 printable bytes");
  }
  if (!event.has_occurred_at() || !IsValidTimestamp(event.occurred_at())) {
    return Violation(RejectReason::REJECT_REASON_INVALID_TIMESTAMP, "occurred_at missing");
  }
  absl::Time occurred = FromProto(event.occurred_at());
  if (occurred < absl::FromUnixSeconds(kEarliestEventUnixSeconds) ||
      occurred > received_at + kMaxFutureSkew) {
    return Violation(RejectReason::REJECT_REASON_INVALID_TIMESTAMP,
                     "occurred_at out of the accepted range");
  }
  if (event.purpose() == cairn::v1::PURPOSE_UNSPECIFIED ||
      !cairn::v1::Purpose_IsValid(event.purpose())) {
    return Violation(RejectReason::REJECT_REASON_INVALID_PURPOSE, "unknown purpose");
  }
  cairn::v1::Purpose required = RequiredPurpose(event);
  if (required == cairn::v1::PURPOSE_UNSPECIFIED) {
    return Violation(RejectReason::REJECT_REASON_MISSING_BODY, "event has no body");
  }
  if (event.purpose() != required) {
    return Violation(RejectReason::REJECT_REASON_PURPOSE_MISMATCH,
                     "purpose does not fit the event body");
  }
  if (event.has_milestone() && !IsValidMilestoneName(event.milestone().name())) {
    return Violation(RejectReason::REJECT_REASON_INVALID_MILESTONE,
                     "milestone name must be 1-128 of [A-Za-z0-9_.:-]");
  }
  if (event.has_feedback()) {
    if (std::optional<std::string_view> problem = FeedbackProblem(event.feedback())) {
      return Violation(RejectReason::REJECT_REASON_INVALID_FEEDBACK, std::string(*problem));
    }
  }
  if (event.has_session_end() && (event.session_end().duration().seconds() < 0 ||
                                  event.session_end().duration().nanos() < 0)) {
    return Violation(RejectReason::REJECT_REASON_INVALID_SESSION, "negative session duration");
  }
  if (event.has_consent_change()) {
    const cairn::v1::ConsentChange& change = event.consent_change();
    if (change.policy_version().empty()) {
      return Violation(RejectReason::REJECT_REASON_MISSING_POLICY_VERSION,
                       "consent change without a policy version");
    }
    bool consentable = change.purpose() == cairn::v1::PURPOSE_USAGE_ANALYTICS ||
                       change.purpose() == cairn::v1::PURPOSE_MILESTONES ||
                       change.purpose() == cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS ||
                       change.purpose() == cairn::v1::PURPOSE_FEEDBACK;
    bool decided = change.decision() == cairn::v1::CONSENT_DECISION_GRANTED ||
                   change.decision() == cairn::v1::CONSENT_DECISION_DENIED;
    if (!consentable || !decided || change.policy_version().size() > kMaxPolicyFieldBytes ||
        change.policy_id().size() > kMaxPolicyFieldBytes ||
        change.source_surface().size() > kMaxPolicyFieldBytes) {
      return Violation(RejectReason::REJECT_REASON_INVALID_CONSENT, "malformed consent change");
    }
  }
  if (static_cast<size_t>(event.attributes_size()) > attributes.max_attributes) {
    return Violation(RejectReason::REJECT_REASON_INVALID_ATTRIBUTES, "too many attributes");
  }
  for (const auto& [key, value] : event.attributes()) {
    if (!IsValidId(key, attributes.max_key_bytes) || value.size() > attributes.max_value_bytes ||
        !IsValidUtf8(value)) {
      return Violation(RejectReason::REJECT_REASON_INVALID_ATTRIBUTES,
                       "attribute key or value over its bound");
    }
  }
  return std::nullopt;
}

}  // namespace cairn
