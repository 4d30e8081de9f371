#include "sdk/src/device/event_buffer.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"
#include "cairn/common/uuid.h"

namespace cairn::sdk {
namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE events (
  seq        INTEGER PRIMARY KEY,
  user_id    TEXT    NOT NULL,
  purpose    INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  payload    BLOB    NOT NULL
);
CREATE INDEX events_by_user ON events (user_id, purpose);
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// v2: the per-user index cost a third of the insert rate and a share of every
// delete; the rare per-user operations scan the (bounded) buffer instead.
constexpr std::string_view kSchemaV2 = "DROP INDEX IF EXISTS events_by_user;";

constexpr std::string_view kMigrations[] = {kSchemaV1, kSchemaV2};

constexpr char kSequenceFieldTag = (5 << 3) | 0;  // Event.sequence, varint

}  // namespace

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void AppendSequenceField(std::string& serialized_event, uint64_t sequence) {
  serialized_event.push_back(kSequenceFieldTag);
  AppendVarint(serialized_event, sequence);
}

absl::StatusOr<std::unique_ptr<EventBuffer>> EventBuffer::Open(const std::string& path,
                                                               uint64_t max_file_bytes) {
  absl::StatusOr<std::unique_ptr<sqlite::Database>> db = sqlite::Database::Open(path);
  if (!db.ok()) return db.status();
  if (absl::Status s = (*db)->Migrate(kMigrations); !s.ok()) return s;
  if (max_file_bytes > 0) {
    // SQLite answers SQLITE_FULL past this many pages: the same error, and
    // the same handling, as a disk that has run out of space.
    absl::StatusOr<sqlite::Statement> page_size = (*db)->Prepare("PRAGMA page_size");
    if (!page_size.ok()) return page_size.status();
    absl::StatusOr<bool> row = page_size->Step();
    if (!row.ok()) return row.status();
    uint64_t pages = std::max<uint64_t>(1, max_file_bytes / page_size->ColumnInt(0));
    if (absl::Status s = (*db)->Exec(absl::StrCat("PRAGMA max_page_count=", pages)); !s.ok()) {
      return s;
    }
  }
  return std::unique_ptr<EventBuffer>(new EventBuffer(std::move(*db)));
}

absl::Status EventBuffer::Append(std::span<const BufferedEvent> events) {
  if (events.empty()) return absl::OkStatus();
  sqlite::Transaction txn(*db_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  absl::StatusOr<sqlite::Statement> insert = db_->Prepare(
      "INSERT INTO events (seq, user_id, purpose, created_ms, payload) VALUES (?,?,?,?,?)");
  if (!insert.ok()) return insert.status();
  int64_t last = 0;
  for (const BufferedEvent& e : events) {
    insert->Bind(1, e.sequence).Bind(2, e.user_id).Bind(3, static_cast<int64_t>(e.purpose));
    insert->Bind(4, e.created_ms).BindBlob(5, e.payload);
    if (absl::Status s = insert->Run(); !s.ok()) return s;
    last = std::max(last, e.sequence);
  }
  absl::StatusOr<int64_t> previous = LastSequence();
  if (!previous.ok()) return previous.status();
  if (last > *previous) {
    if (absl::Status s = PutMeta("last_seq", absl::StrCat(last)); !s.ok()) return s;
  }
  return txn.Commit();
}

absl::StatusOr<std::vector<BufferedEvent>> EventBuffer::ReadOldest(size_t max_events,
                                                                   size_t max_bytes) {
  return ReadBetween(0, std::numeric_limits<int64_t>::max(), max_events, max_bytes);
}

absl::StatusOr<std::vector<BufferedEvent>> EventBuffer::ReadBetween(int64_t after, int64_t before,
                                                                    size_t max_events,
                                                                    size_t max_bytes) {
  absl::StatusOr<sqlite::Statement> select = db_->Prepare(
      "SELECT seq, user_id, purpose, created_ms, payload FROM events WHERE seq > ? AND seq < ? "
      "ORDER BY seq LIMIT ?");
  if (!select.ok()) return select.status();
  select->Bind(1, after).Bind(2, before).Bind(3, static_cast<int64_t>(max_events));
  std::vector<BufferedEvent> out;
  size_t bytes = 0;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string_view payload = select->ColumnBlob(4);
    if (!out.empty() && bytes + payload.size() > max_bytes) break;
    bytes += payload.size();
    BufferedEvent e;
    e.sequence = select->ColumnInt(0);
    e.user_id = std::string(select->ColumnText(1));
    e.purpose = static_cast<int>(select->ColumnInt(2));
    e.created_ms = select->ColumnInt(3);
    e.payload = std::string(payload);
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

// Steps a DELETE ... RETURNING length(payload) statement to its end.
absl::StatusOr<BufferSize> SumDeleted(sqlite::Statement& del) {
  BufferSize removed;
  while (true) {
    absl::StatusOr<bool> row = del.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ++removed.rows;
    removed.bytes += static_cast<uint64_t>(del.ColumnInt(0));
  }
  del.Reset();
  return removed;
}

}  // namespace

absl::StatusOr<BufferSize> EventBuffer::RemoveRange(int64_t first, int64_t last) {
  // One range delete walks the rowid b-tree once: about a third of the cost
  // of deleting the same rows one by one.
  absl::StatusOr<sqlite::Statement> del =
      db_->Prepare("DELETE FROM events WHERE seq BETWEEN ? AND ? RETURNING length(payload)");
  if (!del.ok()) return del.status();
  del->Bind(1, first).Bind(2, last);
  return SumDeleted(*del);
}

absl::StatusOr<BufferSize> EventBuffer::RemoveSequences(std::span<const int64_t> sequences) {
  BufferSize removed;
  if (sequences.empty()) return removed;
  sqlite::Transaction txn(*db_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  absl::StatusOr<sqlite::Statement> del =
      db_->Prepare("DELETE FROM events WHERE seq = ? RETURNING length(payload)");
  if (!del.ok()) return del.status();
  for (int64_t seq : sequences) {
    del->Bind(1, seq);
    absl::StatusOr<BufferSize> one = SumDeleted(*del);
    if (!one.ok()) return one.status();
    removed.rows += one->rows;
    removed.bytes += one->bytes;
  }
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return removed;
}

absl::StatusOr<BufferSize> EventBuffer::RemoveUser(std::string_view user_id,
                                                   std::optional<int> purpose) {
  absl::StatusOr<sqlite::Statement> del = db_->Prepare(
      purpose ? "DELETE FROM events WHERE user_id = ? AND purpose = ? RETURNING length(payload)"
              : "DELETE FROM events WHERE user_id = ? RETURNING length(payload)");
  if (!del.ok()) return del.status();
  del->Bind(1, user_id);
  if (purpose) del->Bind(2, static_cast<int64_t>(*purpose));
  return SumDeleted(*del);
}

absl::StatusOr<std::vector<BufferedEvent>> EventBuffer::ReadUser(std::string_view user_id) {
  absl::StatusOr<sqlite::Statement> select = db_->Prepare(
      "SELECT seq, user_id, purpose, created_ms, payload FROM events WHERE user_id = ? "
      "ORDER BY seq");
  if (!select.ok()) return select.status();
  select->Bind(1, user_id);
  std::vector<BufferedEvent> out;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    BufferedEvent e;
    e.sequence = select->ColumnInt(0);
    e.user_id = std::string(select->ColumnText(1));
    e.purpose = static_cast<int>(select->ColumnInt(2));
    e.created_ms = select->ColumnInt(3);
    e.payload = std::string(select->ColumnBlob(4));
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<Eviction> EventBuffer::EnforceBounds(const BufferBounds& bounds,
                                                    BufferSize current) {
  Eviction eviction;
  bool over_rows = bounds.max_rows > 0 && current.rows > bounds.max_rows;
  bool over_bytes = bounds.max_bytes > 0 && current.bytes > bounds.max_bytes;
  // Walk from the oldest event, deciding for each whether it goes; events are
  // in creation order, so the walk stops at the first one that stays.
  absl::StatusOr<sqlite::Statement> oldest = db_->Prepare(
      "SELECT seq, created_ms, length(payload) FROM events WHERE seq > ? ORDER BY seq");
  if (!oldest.ok()) return oldest.status();
  oldest->Bind(1, bounds.keep_through);
  std::vector<int64_t> doomed;
  while (true) {
    absl::StatusOr<bool> row = oldest->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    uint64_t bytes = static_cast<uint64_t>(oldest->ColumnInt(2));
    if (oldest->ColumnInt(1) < bounds.expire_before_ms) {
      ++eviction.expired;
    } else if (over_rows && current.rows - eviction.removed.rows > bounds.max_rows) {
      ++eviction.over_rows;
    } else if (over_bytes && current.bytes - eviction.removed.bytes > bounds.max_bytes) {
      ++eviction.over_bytes;
    } else {
      break;
    }
    doomed.push_back(oldest->ColumnInt(0));
    ++eviction.removed.rows;
    eviction.removed.bytes += bytes;
  }
  oldest->Reset();
  if (doomed.empty()) return eviction;
  // The doomed events are the oldest ones past keep_through: a range.
  absl::StatusOr<BufferSize> removed = RemoveRange(doomed.front(), doomed.back());
  if (!removed.ok()) return removed.status();
  eviction.removed = *removed;  // exact, should another connection have deleted one meanwhile
  return eviction;
}

absl::StatusOr<std::optional<int64_t>> EventBuffer::OldestSequence(int64_t after) {
  absl::StatusOr<sqlite::Statement> select =
      db_->Prepare("SELECT min(seq) FROM events WHERE seq > ?");
  if (!select.ok()) return select.status();
  select->Bind(1, after);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row || select->ColumnIsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(select->ColumnInt(0));
}

absl::StatusOr<int64_t> EventBuffer::LastSequence() {
  absl::StatusOr<std::optional<std::string>> value = GetMeta("last_seq");
  if (!value.ok()) return value.status();
  int64_t last = 0;
  if (value->has_value() && !absl::SimpleAtoi(**value, &last)) {
    return absl::DataLossError("buffer meta last_seq is not a number");
  }
  return last;
}

absl::Status EventBuffer::RaiseLastSequence(int64_t sequence) {
  absl::StatusOr<int64_t> last = LastSequence();
  if (!last.ok()) return last.status();
  if (*last >= sequence) return absl::OkStatus();
  return PutMeta("last_seq", absl::StrCat(sequence));
}

absl::StatusOr<std::string> EventBuffer::InstallId() {
  absl::StatusOr<std::optional<std::string>> value = GetMeta("install_id");
  if (!value.ok()) return value.status();
  if (value->has_value()) return **value;
  std::string id = RandomHexId();
  if (absl::Status s = PutMeta("install_id", id); !s.ok()) return s;
  return id;
}

absl::StatusOr<BufferSize> EventBuffer::Size() {
  absl::StatusOr<sqlite::Statement> select =
      db_->Prepare("SELECT count(*), coalesce(sum(length(payload)), 0) FROM events");
  if (!select.ok()) return select.status();
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  return BufferSize{static_cast<uint64_t>(select->ColumnInt(0)),
                    static_cast<uint64_t>(select->ColumnInt(1))};
}

absl::StatusOr<std::optional<std::string>> EventBuffer::GetMeta(std::string_view key) {
  absl::StatusOr<sqlite::Statement> select = db_->Prepare("SELECT value FROM meta WHERE key = ?");
  if (!select.ok()) return select.status();
  select->Bind(1, key);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(std::string(select->ColumnText(0)));
}

absl::Status EventBuffer::PutMeta(std::string_view key, std::string_view value) {
  absl::StatusOr<sqlite::Statement> upsert = db_->Prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!upsert.ok()) return upsert.status();
  upsert->Bind(1, key).Bind(2, value);
  return upsert->Run();
}

absl::StatusOr<std::string> EventBuffer::LoadUnreportedDrops() {
  absl::StatusOr<std::optional<std::string>> value = GetMeta("unreported_drops");
  if (!value.ok()) return value.status();
  return value->value_or("");
}

absl::Status EventBuffer::SaveUnreportedDrops(std::string_view encoded) {
  return PutMeta("unreported_drops", encoded);
}

}  // namespace cairn::sdk
