#include "cairn/collector/sqlite_store.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/strings.h"

namespace cairn::collector {
namespace {

// Schema history. Never edit a shipped step: add a new one. Step i moves the
// schema from version i to i+1 (Database::Migrate).
constexpr std::string_view kMigrationV1 = R"sql(
CREATE TABLE events (
  event_id            TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL,
  user_id             TEXT NOT NULL,
  purpose             INTEGER NOT NULL,
  kind                TEXT NOT NULL,
  occurred_at_ms      INTEGER NOT NULL,
  received_at_ms      INTEGER NOT NULL,
  sequence            INTEGER NOT NULL,
  session_id          TEXT NOT NULL,
  install_id          TEXT NOT NULL,
  batch_id            TEXT NOT NULL,
  milestone_name      TEXT,
  milestone_value     REAL,
  session_duration_ms INTEGER,
  attributes_json     TEXT NOT NULL,
  event_proto         BLOB NOT NULL
);
CREATE INDEX events_by_account_time ON events (account_id, occurred_at_ms);
CREATE INDEX events_by_user ON events (user_id);
CREATE TABLE batches (
  batch_id            TEXT PRIMARY KEY,
  install_id          TEXT NOT NULL,
  sent_at_ms          INTEGER,
  received_at_ms      INTEGER NOT NULL,
  last_received_at_ms INTEGER NOT NULL,
  times_received      INTEGER NOT NULL,
  event_count         INTEGER NOT NULL,
  accepted            INTEGER NOT NULL,
  duplicates          INTEGER NOT NULL,
  rejected            INTEGER NOT NULL
);
CREATE TABLE client_drops (
  install_id          TEXT NOT NULL,
  reason              INTEGER NOT NULL,
  count               INTEGER NOT NULL,
  PRIMARY KEY (install_id, reason)
);
)sql";

constexpr std::array<std::string_view, 1> kMigrations = {kMigrationV1};
static_assert(kMigrations.size() == SqliteStore::kSchemaVersion);

constexpr std::string_view kInsertEvent = R"sql(
INSERT INTO events (event_id, account_id, user_id, purpose, kind, occurred_at_ms,
                    received_at_ms, sequence, session_id, install_id, batch_id,
                    milestone_name, milestone_value, session_duration_ms,
                    attributes_json, event_proto)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
ON CONFLICT (event_id) DO NOTHING
)sql";

constexpr std::string_view kInsertBatch = R"sql(
INSERT INTO batches (batch_id, install_id, sent_at_ms, received_at_ms, last_received_at_ms,
                     times_received, event_count, accepted, duplicates, rejected)
VALUES (?1, ?2, ?3, ?4, ?4, 1, ?5, ?6, ?7, ?8)
ON CONFLICT (batch_id) DO NOTHING
)sql";

constexpr std::string_view kNoteBatchRetry = R"sql(
UPDATE batches SET times_received = times_received + 1, last_received_at_ms = ?2
WHERE batch_id = ?1
)sql";

// Saturating add: a hostile or buggy device must not overflow the counter.
constexpr std::string_view kAddClientDrops = R"sql(
INSERT INTO client_drops (install_id, reason, count) VALUES (?1, ?2, ?3)
ON CONFLICT (install_id, reason) DO UPDATE SET count =
  CASE WHEN count > 9223372036854775807 - excluded.count THEN 9223372036854775807
       ELSE count + excluded.count END
)sql";

int64_t ClampToInt64(uint64_t v) {
  return v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(v);
}

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
    case cairn::v1::Event::BODY_NOT_SET:
      break;
  }
  return "unknown";
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

// Attributes as a JSON object with sorted keys, so equal maps give equal text
// (protobuf map order is unspecified).
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

absl::Status WithContext(const absl::Status& status, std::string_view what) {
  return absl::Status(status.code(), absl::StrCat(ToAbsl(what), ": ", status.message()));
}

}  // namespace

struct SqliteStore::WriteStatements {
  sqlite::Statement insert_event;
  sqlite::Statement insert_batch;
  sqlite::Statement note_batch_retry;
  sqlite::Statement add_client_drops;
};

SqliteStore::SqliteStore(std::unique_ptr<sqlite::Database> writer,
                         std::unique_ptr<sqlite::Database> reader,
                         std::unique_ptr<WriteStatements> statements)
    : writer_(std::move(writer)), statements_(std::move(statements)), reader_(std::move(reader)) {}

SqliteStore::~SqliteStore() {
  // The reader goes first so the writer is the last connection: closing it
  // checkpoints the WAL and removes the -wal and -shm files.
  {
    std::lock_guard lock(read_mu_);
    reader_.reset();
  }
  // Statements before their connection.
  std::lock_guard lock(write_mu_);
  statements_.reset();
  writer_.reset();
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                               const SqliteStoreOptions& options) {
  std::unique_ptr<sqlite::Database> writer;
  std::unique_ptr<WriteStatements> statements;
  if (!options.read_only) {
    sqlite::OpenOptions open_options;
    open_options.wal = true;
    open_options.synchronous_full = options.synchronous_full;
    absl::StatusOr<std::unique_ptr<sqlite::Database>> db =
        sqlite::Database::Open(path, open_options);
    if (!db.ok()) return WithContext(db.status(), "opening the collector database");
    writer = *std::move(db);
    if (absl::Status s = writer->Migrate(kMigrations); !s.ok()) {
      return WithContext(s, "migrating the collector database");
    }
    statements = std::make_unique<WriteStatements>();
    struct {
      sqlite::Statement* target;
      std::string_view sql;
    } const prepared[] = {{&statements->insert_event, kInsertEvent},
                          {&statements->insert_batch, kInsertBatch},
                          {&statements->note_batch_retry, kNoteBatchRetry},
                          {&statements->add_client_drops, kAddClientDrops}};
    for (const auto& p : prepared) {
      absl::StatusOr<sqlite::Statement> stmt = writer->Prepare(p.sql);
      if (!stmt.ok()) return stmt.status();
      *p.target = *std::move(stmt);
    }
  }

  sqlite::OpenOptions read_options;
  read_options.read_only = true;
  absl::StatusOr<std::unique_ptr<sqlite::Database>> reader =
      sqlite::Database::Open(path, read_options);
  if (!reader.ok()) return WithContext(reader.status(), "opening the collector database");
  absl::StatusOr<int> version = (*reader)->SchemaVersion();
  if (!version.ok()) return version.status();
  if (*version != kSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("not a cairn collector database of schema version ", kSchemaVersion,
                     " (found version ", *version, ")"));
  }
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::move(writer), *std::move(reader), std::move(statements)));
}

absl::StatusOr<std::vector<BatchWriteResult>> SqliteStore::Write(
    std::span<const BatchRecord> batches) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  sqlite::Transaction txn(*writer_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  std::vector<BatchWriteResult> results;
  results.reserve(batches.size());
  for (const BatchRecord& batch : batches) {
    absl::StatusOr<BatchWriteResult> result = WriteOne(batch);
    if (!result.ok()) return result.status();  // txn rolls back
    results.push_back(*std::move(result));
  }
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return results;
}

absl::StatusOr<BatchWriteResult> SqliteStore::WriteOne(const BatchRecord& batch) {
  BatchWriteResult result;
  result.outcomes.reserve(batch.events.size());
  const int64_t received_ms = absl::ToUnixMillis(batch.received_at);
  sqlite::Statement& insert = statements_->insert_event;
  for (const cairn::v1::Event& event : batch.events) {
    // Locals outlive Run(): the statement binds them without copying.
    std::string attributes = AttributesJson(event);
    std::string serialized = event.SerializeAsString();
    insert.Bind(1, event.event_id())
        .Bind(2, event.account_id())
        .Bind(3, event.user_id())
        .Bind(4, static_cast<int64_t>(event.purpose()))
        .Bind(5, EventKind(event))
        .Bind(6, absl::ToUnixMillis(FromProto(event.occurred_at())))
        .Bind(7, received_ms)
        .Bind(8, static_cast<int64_t>(event.sequence()))  // wraps above 2^63
        .Bind(9, event.session_id())
        .Bind(10, batch.install_id)
        .Bind(11, batch.batch_id);
    if (event.has_milestone()) {
      insert.Bind(12, event.milestone().name());
      if (event.milestone().has_value() && std::isfinite(event.milestone().value())) {
        insert.Bind(13, event.milestone().value());
      } else {
        insert.BindNull(13);
      }
    } else {
      insert.BindNull(12).BindNull(13);
    }
    if (event.has_session_end()) {
      insert.Bind(14, absl::ToInt64Milliseconds(FromProto(event.session_end().duration())));
    } else {
      insert.BindNull(14);
    }
    insert.Bind(15, attributes).BindBlob(16, serialized);
    if (absl::Status s = insert.Run(); !s.ok()) return WithContext(s, "storing an event");
    if (writer_->Changes() == 1) {
      result.outcomes.push_back(EventOutcome::kInserted);
      ++result.inserted;
    } else {
      result.outcomes.push_back(EventOutcome::kDuplicate);
      ++result.duplicates;
    }
  }

  sqlite::Statement& insert_batch = statements_->insert_batch;
  insert_batch.Bind(1, batch.batch_id).Bind(2, batch.install_id);
  if (batch.sent_at == absl::InfinitePast()) {
    insert_batch.BindNull(3);
  } else {
    insert_batch.Bind(3, absl::ToUnixMillis(batch.sent_at));
  }
  insert_batch.Bind(4, received_ms)
      .Bind(5, batch.event_count)
      .Bind(6, result.inserted)
      .Bind(7, result.duplicates)
      .Bind(8, batch.rejected);
  if (absl::Status s = insert_batch.Run(); !s.ok()) return WithContext(s, "recording a batch");
  result.first_delivery = writer_->Changes() == 1;

  if (result.first_delivery) {
    // Drop counters travel with the batch; counting them once per batch_id
    // keeps a retried batch from inflating them.
    sqlite::Statement& add_drops = statements_->add_client_drops;
    for (const auto& [reason, count] : batch.drops) {
      if (count == 0) continue;
      add_drops.Bind(1, batch.install_id)
          .Bind(2, static_cast<int64_t>(reason))
          .Bind(3, ClampToInt64(count));
      if (absl::Status s = add_drops.Run(); !s.ok()) {
        return WithContext(s, "adding drop counters");
      }
    }
  } else {
    sqlite::Statement& retry = statements_->note_batch_retry;
    retry.Bind(1, batch.batch_id).Bind(2, received_ms);
    if (absl::Status s = retry.Run(); !s.ok()) return WithContext(s, "recording a retry");
  }
  return result;
}

namespace {

// Runs `sql` (no parameters) and calls `row` for each result row.
template <typename RowFn>
absl::Status ForEachRow(sqlite::Database& db, std::string_view sql, RowFn row) {
  absl::StatusOr<sqlite::Statement> stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  while (true) {
    absl::StatusOr<bool> has_row = stmt->Step();
    if (!has_row.ok()) return has_row.status();
    if (!*has_row) return absl::OkStatus();
    row(*stmt);
  }
}

absl::Status ReadSummary(sqlite::Database& db, StoreSummary* summary) {
  absl::Status s = ForEachRow(db, "SELECT count(*), count(DISTINCT account_id) FROM events",
                              [&](const sqlite::Statement& r) {
                                summary->total_events = r.ColumnInt(0);
                                summary->accounts = r.ColumnInt(1);
                              });
  if (!s.ok()) return s;
  // A user id is only meaningful within its account.
  s = ForEachRow(db, "SELECT count(*) FROM (SELECT DISTINCT account_id, user_id FROM events)",
                 [&](const sqlite::Statement& r) { summary->users = r.ColumnInt(0); });
  if (!s.ok()) return s;
  s = ForEachRow(db, "SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind",
                 [&](const sqlite::Statement& r) {
                   summary->events_by_kind[std::string(r.ColumnText(0))] = r.ColumnInt(1);
                 });
  if (!s.ok()) return s;
  s = ForEachRow(db,
                 absl::StrCat("SELECT account_id, count(DISTINCT user_id), "
                              "sum(kind = 'login'), count(DISTINCT milestone_name), "
                              "max(occurred_at_ms) FROM events GROUP BY account_id "
                              "ORDER BY max(occurred_at_ms) DESC, account_id LIMIT ",
                              kMaxSummaryAccounts),
                 [&](const sqlite::Statement& r) {
                   AccountSummary account;
                   account.account_id = std::string(r.ColumnText(0));
                   account.users = r.ColumnInt(1);
                   account.logins = r.ColumnInt(2);
                   account.milestones_reached = r.ColumnInt(3);
                   account.last_activity = absl::FromUnixMillis(r.ColumnInt(4));
                   summary->top_accounts.push_back(std::move(account));
                 });
  if (!s.ok()) return s;
  s = ForEachRow(db, "SELECT count(*) FROM batches",
                 [&](const sqlite::Statement& r) { summary->batches = r.ColumnInt(0); });
  if (!s.ok()) return s;
  // total() sums as a double and cannot overflow, unlike sum().
  return ForEachRow(
      db, "SELECT reason, total(count) FROM client_drops GROUP BY reason ORDER BY reason",
      [&](const sqlite::Statement& r) {
        double total = r.ColumnDouble(1);
        int64_t count = total >= 9.2e18 ? std::numeric_limits<int64_t>::max()
                                        : static_cast<int64_t>(total);
        summary->client_drops[static_cast<cairn::v1::DropReason>(r.ColumnInt(0))] = count;
      });
}

}  // namespace

absl::StatusOr<StoreSummary> SqliteStore::Summarize() {
  std::lock_guard lock(read_mu_);
  // One read transaction: every figure comes from the same snapshot.
  if (absl::Status s = reader_->Exec("BEGIN"); !s.ok()) return s;
  StoreSummary summary;
  absl::Status s = ReadSummary(*reader_, &summary);
  reader_->Exec(s.ok() ? "COMMIT" : "ROLLBACK").IgnoreError();
  if (!s.ok()) return WithContext(s, "summarizing the collector database");
  return summary;
}

}  // namespace cairn::collector
