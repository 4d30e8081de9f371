#ifndef CAIRN_COLLECTOR_STORE_EVENT_ROW_H_
#define CAIRN_COLLECTOR_STORE_EVENT_ROW_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/v1/event.pb.h"

namespace cairn::collector {

// The stored form of one event, as both stores' events tables hold it: the
// event's fields as columns plus the few that have no column (`residual`),
// so each event is kept once. Made on the ingest I/O threads (the decoder
// fills BatchRecord::rows), so the store's single writer does only storage
// work; about 1 us an event.
// An id as the SQLite store keeps it: a canonical UUID (any case) as its 16
// bytes, stored as a BLOB; anything else as its text. 20 bytes less a row
// for each such id, and the view prints the text back.
struct CompactId {
  std::string bytes;
  bool binary = false;  // `bytes` are a UUID's 16 bytes
};
// The compact form of an id that is a UUID when the SDK makes it (event,
// session and batch ids).
CompactId CompactUuid(std::string_view id);
// The compact form of an id that is 32 lowercase hex digits when the SDK
// makes it (install ids): its 16 bytes, printed back as hex.
CompactId CompactHex(std::string_view id);

struct EventRow {
  // The event_id's 16 bytes (RFC 9562 order) when it is a canonical UUID,
  // which every event accepted since UUIDv7 became the rule is: UUIDv7s sort
  // by creation time, so this one key serves de-duplication and time order.
  // An id stored before that rule keeps its text (`id_binary` false).
  std::string id;
  bool id_binary = false;
  CompactId session_id;
  int body_case = 0;            // cairn::v1::Event::BodyCase: 10 login ... 14 consent_change
  int64_t occurred_at_ms = 0;   // device clock
  int64_t corrected_at_ms = 0;  // CorrectedOccurredAt
  int64_t day = 0;              // engagement::DayOf(corrected time), the aggregates' day
  std::optional<double> milestone_value;       // finite values only
  std::optional<int64_t> session_duration_ms;  // session_end events
  std::string attributes_json;                 // AttributesJson
  // The event with every field a column holds cleared (ids, account, user,
  // purpose, sequence, session, attributes, the milestone's name and finite
  // value), serialized: the occurrence time to the nanosecond and the body.
  // 10-20 bytes for most events.
  std::string residual;
};

// The row of `event`, delivered in a batch sent at `sent_at` (device clock,
// InfinitePast if unknown) and received at `received_at`. Cannot fail.
EventRow EncodeEventRow(const cairn::v1::Event& event, absl::Time sent_at, absl::Time received_at);

// The stored key of an event id: its 16 bytes if `event_id` is a canonical
// UUID (either case), else the text itself (CompactUuid's bytes).
std::string EventKey(std::string_view event_id);
// The event id a stored key stands for: lowercase canonical text for 16
// bytes, else the bytes as text.
std::string EventIdFromKey(std::string_view key);
// Lowercase canonical UUID text of 16 bytes.
std::string UuidText(std::string_view bytes);

// The columns of a stored event that EventFromRow reassembles it from.
struct StoredEventColumns {
  std::string_view key;       // EventRow::id, used when `event_id` is empty
  std::string_view event_id;  // the id's text, where the store reads it as text
  std::string_view account_id;
  std::string_view user_id;
  int64_t purpose = 0;
  int64_t sequence = 0;
  std::string_view session_id;
  std::optional<std::string_view> milestone_name;
  std::optional<double> milestone_value;
  std::string_view attributes_json;
  std::string_view residual;
};

// The event a stored row holds. `residual` may also be a whole serialized
// event (rows written before the residual form): the columns win where both
// carry a field. DataLoss if the residual or the attributes do not parse.
absl::StatusOr<cairn::v1::Event> EventFromRow(const StoredEventColumns& columns);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_EVENT_ROW_H_
