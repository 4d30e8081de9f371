#include "store/event_row.h"

#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/common/crypto.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/strings.h"
#include "cairn/common/uuid.h"
#include "cairn/engagement/day.h"
#include "google/protobuf/util/json_util.h"
#include "store/store.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

bool IsStorableValue(const cairn::v1::Milestone& milestone) {
  return milestone.has_value() && std::isfinite(milestone.value());
}

}  // namespace

EventRow EncodeEventRow(const cairn::v1::Event& event, absl::Time sent_at, absl::Time received_at) {
  EventRow row;
  CompactId id = CompactUuid(event.event_id());
  row.id = std::move(id.bytes);
  row.id_binary = id.binary;
  row.session_id = CompactUuid(event.session_id());
  row.body_case = static_cast<int>(event.body_case());
  const absl::Time occurred_at = FromProto(event.occurred_at());
  row.occurred_at_ms = absl::ToUnixMillis(occurred_at);
  const absl::Time corrected = CorrectedOccurredAt(occurred_at, sent_at, received_at);
  row.corrected_at_ms = absl::ToUnixMillis(corrected);
  // The aggregates' day is that of the stored millisecond, as before.
  row.day = engagement::DayOf(absl::FromUnixMillis(row.corrected_at_ms));
  row.attributes_json = AttributesJson(event);

  cairn::v1::Event residual;
  if (event.has_occurred_at()) *residual.mutable_occurred_at() = event.occurred_at();
  switch (event.body_case()) {
    case cairn::v1::Event::kLogin:
      *residual.mutable_login() = event.login();
      break;
    case cairn::v1::Event::kLogout:
      *residual.mutable_logout() = event.logout();
      break;
    case cairn::v1::Event::kSessionEnd:
      *residual.mutable_session_end() = event.session_end();
      row.session_duration_ms =
          absl::ToInt64Milliseconds(FromProto(event.session_end().duration()));
      break;
    case cairn::v1::Event::kMilestone: {
      cairn::v1::Milestone* milestone = residual.mutable_milestone();
      *milestone = event.milestone();
      milestone->clear_name();
      if (IsStorableValue(event.milestone())) {
        row.milestone_value = event.milestone().value();
        milestone->clear_value();
      }
      break;
    }
    case cairn::v1::Event::kConsentChange:
      *residual.mutable_consent_change() = event.consent_change();
      break;
    case cairn::v1::Event::kFeedback:
      // The whole body, comment included: the event is the one place the
      // comment is kept (export and erasure reach it there).
      *residual.mutable_feedback() = event.feedback();
      break;
    case cairn::v1::Event::BODY_NOT_SET:
      break;
  }
  residual.SerializeToString(&row.residual);
  return row;
}

CompactId CompactUuid(std::string_view id) {
  if (IsCanonicalUuid(id)) {
    std::string hex;
    hex.reserve(32);
    for (char c : id) {
      if (c != '-') hex.push_back(c);
    }
    absl::StatusOr<std::string> bytes = HexDecode(hex, HexLetters::kEitherCase);
    if (bytes.ok()) return CompactId{*std::move(bytes), true};
  }
  return CompactId{std::string(id), false};
}

CompactId CompactHex(std::string_view id) {
  // Lowercase only, so the hex printed back is the id that came in.
  if (id.size() == 32) {
    absl::StatusOr<std::string> bytes = HexDecode(id, HexLetters::kLowercase);
    if (bytes.ok()) return CompactId{*std::move(bytes), true};
  }
  return CompactId{std::string(id), false};
}

std::string EventKey(std::string_view event_id) { return CompactUuid(event_id).bytes; }

std::string UuidText(std::string_view bytes) {
  const std::string hex = HexEncode(bytes);
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20));
}

std::string EventIdFromKey(std::string_view key) {
  return key.size() == 16 ? UuidText(key) : std::string(key);
}

absl::StatusOr<cairn::v1::Event> EventFromRow(const StoredEventColumns& columns) {
  cairn::v1::Event event;
  if (!event.ParseFromArray(columns.residual.data(), static_cast<int>(columns.residual.size()))) {
    return absl::DataLossError("a stored event does not parse");
  }
  event.set_event_id(columns.event_id.empty() ? EventIdFromKey(columns.key)
                                              : std::string(columns.event_id));
  event.set_account_id(std::string(columns.account_id));
  event.set_user_id(std::string(columns.user_id));
  event.set_purpose(static_cast<cairn::v1::Purpose>(columns.purpose));
  event.set_sequence(static_cast<uint64_t>(columns.sequence));
  event.set_session_id(std::string(columns.session_id));
  if (columns.milestone_name.has_value()) {
    event.mutable_milestone()->set_name(std::string(*columns.milestone_name));
  }
  if (columns.milestone_value.has_value()) {
    event.mutable_milestone()->set_value(*columns.milestone_value);
  }
  event.clear_attributes();
  if (columns.attributes_json != "{}") {
    cairn::v1::Event attributes;
    const auto parsed = google::protobuf::util::JsonStringToMessage(
        absl::StrCat("{\"attributes\":", ToAbsl(columns.attributes_json), "}"), &attributes);
    if (!parsed.ok()) return absl::DataLossError("stored attributes do not parse");
    *event.mutable_attributes() = std::move(*attributes.mutable_attributes());
  }
  return event;
}

void EncodeEventRows(BatchRecord& batch) {
  if (batch.rows.size() == batch.events.size()) return;
  batch.rows.clear();
  batch.rows.reserve(batch.events.size());
  for (const cairn::v1::Event& event : batch.events) {
    batch.rows.push_back(EncodeEventRow(event, batch.sent_at, batch.received_at));
  }
}

std::span<const EventRow> RowsOf(const BatchRecord& batch, std::vector<EventRow>& scratch) {
  if (batch.rows.size() == batch.events.size()) return batch.rows;
  scratch.clear();
  scratch.reserve(batch.events.size());
  for (const cairn::v1::Event& event : batch.events) {
    scratch.push_back(EncodeEventRow(event, batch.sent_at, batch.received_at));
  }
  return scratch;
}

}  // namespace cairn::collector
