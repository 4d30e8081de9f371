#include "cairn/consent/consent_log.h"

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cairn/common/sqlite.h"
#include "cairn/common/strings.h"

namespace cairn::consent {
namespace {

// Times are Unix microseconds; purpose and decision their wire values, so
// the file reads the same as the protocol.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE consent_records (
  position           INTEGER PRIMARY KEY,
  event_id           TEXT    NOT NULL,
  account_id         TEXT    NOT NULL,
  subject            TEXT    NOT NULL,
  purpose            INTEGER NOT NULL,
  decision           INTEGER NOT NULL,
  policy_id          TEXT    NOT NULL,
  policy_version     TEXT    NOT NULL,
  device_time_us     INTEGER NOT NULL,
  collector_time_us  INTEGER,
  source_sdk_version TEXT    NOT NULL,
  source_surface     TEXT    NOT NULL,
  expires_at_us      INTEGER
);
CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
CREATE TRIGGER consent_records_no_delete BEFORE DELETE ON consent_records
BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
CREATE TABLE undelivered (
  position INTEGER PRIMARY KEY REFERENCES consent_records (position)
);
)sql";

// Version 2: the vendor backend's signature of an explicit grant, kept until
// it is delivered with the decision. Records made before it have none.
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE consent_records ADD COLUMN grant_signature TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_records ADD COLUMN signed_at_us INTEGER;
)sql";

constexpr std::string_view kMigrations[] = {kSchemaV1, kSchemaV2};

constexpr std::string_view kColumns =
    "r.position, r.event_id, r.account_id, r.subject, r.purpose, r.decision, r.policy_id, "
    "r.policy_version, r.device_time_us, r.collector_time_us, r.source_sdk_version, "
    "r.source_surface, r.expires_at_us, (u.position IS NULL), r.grant_signature, "
    "r.signed_at_us ";

}  // namespace

SqliteConsentLog::SqliteConsentLog(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
SqliteConsentLog::~SqliteConsentLog() = default;

absl::StatusOr<std::unique_ptr<SqliteConsentLog>> SqliteConsentLog::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<sqlite::Database>> db = sqlite::Database::Open(path);
  if (!db.ok()) return db.status();
  // The log is small; a full check at open costs little and catches a
  // damaged file before a decision is read from it.
  if (absl::Status s = (*db)->QuickCheck(); !s.ok()) return s;
  if (absl::Status s = (*db)->Migrate(kMigrations); !s.ok()) return s;
  return std::unique_ptr<SqliteConsentLog>(new SqliteConsentLog(std::move(*db)));
}

absl::StatusOr<int64_t> SqliteConsentLog::Append(const LogEntry& entry) {
  const ConsentRecord& r = entry.record;
  sqlite::Transaction txn(*db_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  absl::StatusOr<sqlite::Statement> insert = db_->Prepare(
      "INSERT INTO consent_records (event_id, account_id, subject, purpose, decision, "
      "policy_id, policy_version, device_time_us, collector_time_us, source_sdk_version, "
      "source_surface, expires_at_us, grant_signature, signed_at_us) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, entry.event_id).Bind(2, entry.account_id).Bind(3, r.subject);
  insert->Bind(4, static_cast<int64_t>(ToWire(r.purpose)));
  insert->Bind(5, static_cast<int64_t>(ToWire(r.decision)));
  insert->Bind(6, r.policy_id).Bind(7, r.policy_version);
  insert->Bind(8, absl::ToUnixMicros(r.device_time));
  if (r.collector_time) {
    insert->Bind(9, absl::ToUnixMicros(*r.collector_time));
  } else {
    insert->BindNull(9);
  }
  insert->Bind(10, r.source_sdk_version).Bind(11, r.source_surface);
  if (r.expires_at) {
    insert->Bind(12, absl::ToUnixMicros(*r.expires_at));
  } else {
    insert->BindNull(12);
  }
  insert->Bind(13, r.grant_signature);
  if (r.signed_at) {
    insert->Bind(14, absl::ToUnixMicros(*r.signed_at));
  } else {
    insert->BindNull(14);
  }
  if (absl::Status s = insert->Run(); !s.ok()) return s;
  absl::StatusOr<sqlite::Statement> last = db_->Prepare("SELECT last_insert_rowid()");
  if (!last.ok()) return last.status();
  absl::StatusOr<bool> row = last->Step();
  if (!row.ok()) return row.status();
  const int64_t position = last->ColumnInt(0);
  last->Reset();
  if (!entry.delivered) {
    absl::StatusOr<sqlite::Statement> queue =
        db_->Prepare("INSERT INTO undelivered (position) VALUES (?)");
    if (!queue.ok()) return queue.status();
    queue->Bind(1, position);
    if (absl::Status s = queue->Run(); !s.ok()) return s;
  }
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return position;
}

absl::StatusOr<std::vector<LogEntry>> SqliteConsentLog::Select(std::string_view where_and_order,
                                                               int64_t limit) {
  absl::StatusOr<sqlite::Statement> select =
      db_->Prepare(absl::StrCat("SELECT ", ToAbsl(kColumns), ToAbsl(where_and_order), " LIMIT ?"));
  if (!select.ok()) return select.status();
  select->Bind(1, limit);
  std::vector<LogEntry> out;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    LogEntry e;
    e.position = select->ColumnInt(0);
    e.event_id = std::string(select->ColumnText(1));
    e.account_id = std::string(select->ColumnText(2));
    ConsentRecord& r = e.record;
    r.subject = std::string(select->ColumnText(3));
    std::optional<Purpose> purpose = FromWire(static_cast<int>(select->ColumnInt(4)));
    if (!purpose) return absl::DataLossError("consent log holds an unknown purpose");
    r.purpose = *purpose;
    r.decision = DecisionFromWire(static_cast<int>(select->ColumnInt(5)));
    r.policy_id = std::string(select->ColumnText(6));
    r.policy_version = std::string(select->ColumnText(7));
    r.device_time = absl::FromUnixMicros(select->ColumnInt(8));
    if (!select->ColumnIsNull(9)) r.collector_time = absl::FromUnixMicros(select->ColumnInt(9));
    r.source_sdk_version = std::string(select->ColumnText(10));
    r.source_surface = std::string(select->ColumnText(11));
    if (!select->ColumnIsNull(12)) r.expires_at = absl::FromUnixMicros(select->ColumnInt(12));
    e.delivered = select->ColumnInt(13) != 0;
    r.grant_signature = std::string(select->ColumnText(14));
    if (!select->ColumnIsNull(15)) r.signed_at = absl::FromUnixMicros(select->ColumnInt(15));
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::vector<LogEntry>> SqliteConsentLog::LoadAll() {
  return Select(
      "FROM consent_records r LEFT JOIN undelivered u ON u.position = r.position "
      "ORDER BY r.position",
      -1);
}

absl::StatusOr<std::vector<LogEntry>> SqliteConsentLog::Undelivered(size_t max) {
  return Select(
      "FROM undelivered u JOIN consent_records r ON r.position = u.position "
      "ORDER BY u.position",
      static_cast<int64_t>(max));
}

absl::Status SqliteConsentLog::MarkDelivered(std::span<const int64_t> positions) {
  if (positions.empty()) return absl::OkStatus();
  sqlite::Transaction txn(*db_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  absl::StatusOr<sqlite::Statement> del =
      db_->Prepare("DELETE FROM undelivered WHERE position = ?");
  if (!del.ok()) return del.status();
  for (int64_t position : positions) {
    del->Bind(1, position);
    if (absl::Status s = del->Run(); !s.ok()) return s;
  }
  return txn.Commit();
}

}  // namespace cairn::consent
