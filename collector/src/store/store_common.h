#ifndef CAIRN_COLLECTOR_STORE_STORE_COMMON_H_
#define CAIRN_COLLECTOR_STORE_STORE_COMMON_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/consent/consent_state.h"
#include "cairn/consent/purpose.h"
#include "cairn/v1/event.pb.h"

namespace cairn::collector {

// What both stores write the same way: the derived columns of an event row
// and the hash-key bookkeeping.

// "login", "logout", "session_end", "milestone", "consent_change".
std::string_view EventKind(const cairn::v1::Event& event);

// Attributes as a JSON object with sorted keys, so equal maps give equal
// text (protobuf map order is unspecified).
std::string AttributesJson(const cairn::v1::Event& event);

// The occurrence time corrected for the device's clock skew, Segment /
// Snowplow style: received_at - (sent_at - occurred_at), i.e. the event's
// age on the device clock subtracted from the collector's clock. Never
// later than received_at (a device clock that went back between recording
// and sending would put it there). occurred_at itself when the device sent
// no sent_at (InfinitePast).
absl::Time CorrectedOccurredAt(absl::Time occurred_at, absl::Time sent_at, absl::Time received_at);

// `status` with "`what`: " before its message, same code: store errors say
// which step failed.
absl::Status WithContext(const absl::Status& status, std::string_view what);

// The wire value of a consent decision, as both stores keep it in their
// decision columns.
int64_t StoredDecision(consent::Decision decision);

// A uint64 counter as int64, saturating.
int64_t ClampToInt64(uint64_t v);

// Hash keys: shortest accepted, generated size, and the input whose HMAC
// is stored as the check value of the key in use.
inline constexpr size_t kMinHashKeyBytes = 16;
inline constexpr size_t kGeneratedHashKeyBytes = 32;
inline constexpr std::string_view kHashKeyCheckInput = "cairn-collector hash key check v1";

// `bytes` random bytes from OpenSSL; Internal if it has none.
absl::StatusOr<std::string> RandomBytes(size_t bytes);
// The generated hash key as the settings table keeps it (lowercase hex), and
// back; DataLoss if the stored text is malformed.
std::string GeneratedHashKeyText(std::string_view key);
absl::StatusOr<std::string> GeneratedHashKeyFromText(std::string_view text);

// The check value stored for `key` (hex of its HMAC of kHashKeyCheckInput).
std::string HashKeyCheck(std::string_view key);
// FailedPrecondition unless `stored_check` is the check of the key in use
// (`check`): another key would no longer match the erasure tombstones.
// Compares in constant time.
absl::Status VerifyHashKeyCheck(std::string_view stored_check, std::string_view check);

// The engagement aggregate tables, the same in both stores (erasure
// deletes the user's rows in all of them).
inline constexpr std::array<std::string_view, 5> kAggregateTables = {
    "user_day", "user_first_login", "user_milestone", "user_milestone_day", "user_feedback_day"};

// The aggregate tables a purpose's withdrawal empties for the user: the
// first two for usage_analytics, the next two for milestones,
// user_feedback_day for feedback, none else.
std::span<const std::string_view> WithdrawnAggregateTables(consent::Purpose purpose);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_STORE_COMMON_H_
