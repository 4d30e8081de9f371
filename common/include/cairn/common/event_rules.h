#ifndef CAIRN_COMMON_EVENT_RULES_H_
#define CAIRN_COMMON_EVENT_RULES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "cairn/v1/batch.pb.h"
#include "cairn/v1/event.pb.h"

namespace cairn {

// The wire contract's bounds, enforced by the collector and checked early by
// the SDK so a vendor learns of a bad call at record time.
inline constexpr size_t kMaxIdBytes = 128;  // account_id, user_id, session_id
inline constexpr size_t kMaxMilestoneNameBytes = 128;
inline constexpr size_t kMaxFeedbackCommentBytes = 500;  // UTF-8 bytes, not characters
inline constexpr int kMinNpsScore = 0;
inline constexpr int kMaxNpsScore = 10;
inline constexpr int kMinCsatScore = 1;
inline constexpr int kMaxCsatScore = 5;
inline constexpr size_t kMaxAttributes = 32;
inline constexpr size_t kMaxAttributeKeyBytes = 64;
inline constexpr size_t kMaxAttributeValueBytes = 256;
inline constexpr size_t kMaxPolicyFieldBytes = 128;
// Events dated earlier than this or later than receipt + kMaxFutureSkew are refused.
inline constexpr int64_t kEarliestEventUnixSeconds = 946684800;  // 2000-01-01
inline constexpr absl::Duration kMaxFutureSkew = absl::Hours(24);

// A rule broken by an event: the wire reason and a short detail free of
// personal data.
struct RuleViolation {
  cairn::v1::RejectReason reason;
  std::string detail;
};

// True for 1..max bytes of printable ASCII without spaces (ids).
bool IsValidId(std::string_view id, size_t max_bytes = kMaxIdBytes);
// True if `s` is well-formed UTF-8 (proto3 string fields must be: a parser
// refuses a whole message with one bad string).
bool IsValidUtf8(std::string_view s);
// True for 1..128 bytes of [A-Za-z0-9_.:-].
bool IsValidMilestoneName(std::string_view name);

// What is wrong with a feedback body, or nullopt if nothing: a kind other
// than NPS or CSAT, a score outside the kind's range (NPS 0-10, CSAT 1-5), a
// comment over kMaxFeedbackCommentBytes or not UTF-8, a survey id that is not
// a valid milestone name. The text is free of personal data. Pure.
std::optional<std::string_view> FeedbackProblem(const cairn::v1::Feedback& feedback);

// The purpose an event body must carry: login, logout and session_end need
// usage analytics, milestone needs milestones, feedback needs feedback,
// consent_change consent_record.
// PURPOSE_UNSPECIFIED for an event with no body.
cairn::v1::Purpose RequiredPurpose(const cairn::v1::Event& event);

// Attribute bounds CheckEvent applies: the contract's by default; a
// collector may set tighter ones (never looser: its caller checks).
struct AttributeBounds {
  size_t max_attributes = kMaxAttributes;
  size_t max_key_bytes = kMaxAttributeKeyBytes;
  size_t max_value_bytes = kMaxAttributeValueBytes;
};

// Checks one event against the contract as received at `received_at`
// (collector time), with `attributes` as the attribute bounds. Returns the
// first rule it breaks, or nullopt. Pure; cost linear in the event's size.
std::optional<RuleViolation> CheckEvent(const cairn::v1::Event& event, absl::Time received_at,
                                        const AttributeBounds& attributes = {});

}  // namespace cairn

#endif  // CAIRN_COMMON_EVENT_RULES_H_
