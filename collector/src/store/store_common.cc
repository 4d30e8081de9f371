#include "store/store_common.h"

#include <openssl/rand.h>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/crypto.h"
#include "cairn/common/strings.h"
#include "ops/json_text.h"

namespace cairn::collector {

std::string_view EventKind(const cairn::v1::Event& event) {
  switch (event.body_case()) {
    case cairn::v1::Event::kLogin:
      return "login";
    case cairn::v1::Event::kLogout:
      return "logout";
    case cairn::v1::Event::kSessionEnd:
      return "session_end";
    case cairn::v1::Event::kMilestone:
      return "milestone";
    case cairn::v1::Event::kConsentChange:
      return "consent_change";
    case cairn::v1::Event::kFeedback:
      return "feedback";
    case cairn::v1::Event::BODY_NOT_SET:
      break;
  }
  return "unknown";
}

std::string AttributesJson(const cairn::v1::Event& event) {
  std::vector<std::pair<std::string_view, std::string_view>> entries;
  entries.reserve(event.attributes_size());
  for (const auto& [key, value] : event.attributes()) entries.emplace_back(key, value);
  std::sort(entries.begin(), entries.end());
  std::string json = "{";
  for (const auto& [key, value] : entries) {
    if (json.size() > 1) json.push_back(',');
    AppendJsonString(key, &json);
    json.push_back(':');
    AppendJsonString(value, &json);
  }
  json.push_back('}');
  return json;
}

absl::Time CorrectedOccurredAt(absl::Time occurred_at, absl::Time sent_at, absl::Time received_at) {
  if (sent_at == absl::InfinitePast()) return occurred_at;
  // absl::Time arithmetic saturates, so hostile times cannot overflow.
  return std::min(received_at, received_at - (sent_at - occurred_at));
}

absl::Status WithContext(const absl::Status& status, std::string_view what) {
  return absl::Status(status.code(), absl::StrCat(ToAbsl(what), ": ", status.message()));
}

int64_t StoredDecision(consent::Decision decision) {
  return static_cast<int64_t>(consent::ToWire(decision));
}

int64_t ClampToInt64(uint64_t v) {
  return v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(v);
}

absl::StatusOr<std::string> RandomBytes(size_t bytes) {
  std::string key(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    return absl::InternalError("no random bytes for the hash key");
  }
  return key;
}

std::string GeneratedHashKeyText(std::string_view key) { return HexEncode(key); }

absl::StatusOr<std::string> GeneratedHashKeyFromText(std::string_view text) {
  absl::StatusOr<std::string> key = HexDecode(text);
  if (!key.ok()) return absl::DataLossError("malformed hash key in settings");
  return key;
}

std::string HashKeyCheck(std::string_view key) {
  return ToHex(HmacSha256(key, kHashKeyCheckInput));
}

absl::Status VerifyHashKeyCheck(std::string_view stored_check, std::string_view check) {
  if (ConstantTimeEquals(stored_check, check)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "the hash key differs from the one this database was first used with (its erasure "
      "tombstones and suppression list would no longer match)");
}

std::span<const std::string_view> WithdrawnAggregateTables(consent::Purpose purpose) {
  switch (purpose) {
    case consent::Purpose::kUsageAnalytics:
      return std::span<const std::string_view>(kAggregateTables).subspan(0, 2);
    case consent::Purpose::kMilestones:
      return std::span<const std::string_view>(kAggregateTables).subspan(2, 2);
    case consent::Purpose::kFeedback:
      return std::span<const std::string_view>(kAggregateTables).subspan(4, 1);
    default:
      return {};
  }
}

}  // namespace cairn::collector
