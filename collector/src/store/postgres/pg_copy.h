// Rows for COPY ... FROM STDIN (FORMAT binary), and the PostgreSQL store's
// event rows in that format. Private to the PostgreSQL store and its raw
// benchmark; not part of the collector's API.
#ifndef CAIRN_COLLECTOR_STORE_POSTGRES_PG_COPY_H_
#define CAIRN_COLLECTOR_STORE_POSTGRES_PG_COPY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/v1/event.pb.h"
#include "store/event_row.h"

namespace cairn::collector {

// Builds the data of one binary COPY: the PGCOPY header, then rows of
// fields in network byte order, then the trailer. Binary COPY skips the
// server's text parsing and escaping of every value; a row costs a few
// hundred bytes of appends. Cannot fail: what the server refuses (a value
// of the wrong type for its column) fails the COPY itself.
class PgCopyWriter {
 public:
  PgCopyWriter();

  // Starts a row of `fields` fields; exactly that many Add calls follow.
  void BeginRow(int16_t fields);
  void AddNull();
  void AddInt16(int16_t value);
  void AddInt32(int32_t value);
  void AddInt64(int64_t value);
  // float8; NaN and infinities go as they are (the caller decides whether
  // they may be stored).
  void AddFloat8(double value);
  // text: NUL bytes, which PostgreSQL text cannot hold, become U+FFFD, as
  // PgParams and COPY text do.
  void AddText(std::string_view text);
  // bytea, the bytes as they are.
  void AddBytes(std::string_view bytes);
  // uuid: exactly 16 bytes (RFC 9562 order).
  void AddUuid(std::string_view bytes16);

  // Rows begun so far.
  int64_t rows() const { return rows_; }
  // The whole COPY data with its trailer; no Add after this.
  const std::string& Finish();

 private:
  void AddLength(int32_t length);

  std::string data_;
  int64_t rows_ = 0;
};

// The uuid an event is stored under: EventKey's 16 bytes for a canonical
// UUID (every event accepted by the collector), else the first 16 bytes of
// the SHA-256 of the id's text, as the migration to schema 6 maps such ids
// of older rows, so a retry of one is still a duplicate.
std::string PgEventUuid(std::string_view key);

// The 16 bytes of a uuid in PostgreSQL's text output (any version and
// variant, unlike EventKey); empty if `text` is not one.
std::string UuidBytes(std::string_view text);

// The columns of event_rows in the order AppendEventRow writes them, for
// "COPY event_rows (<this>) FROM STDIN (FORMAT binary)".
inline constexpr std::string_view kPgEventRowColumns =
    "id, occurred_at_ms, corrected_at_ms, received_at_ms, sequence, milestone_value, "
    "session_duration_ms, purpose, body_case, account_id, user_id, session_id, install_id, "
    "batch_id, milestone_name, attributes_json, residual";

// Appends the row of `event` (stored form `row`, from a batch of
// `install_id` and `batch_id` received at `received_at_ms`) to `copy`.
void AppendEventRow(const cairn::v1::Event& event, const EventRow& row, int64_t received_at_ms,
                    std::string_view install_id, std::string_view batch_id, PgCopyWriter& copy);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_POSTGRES_PG_COPY_H_
