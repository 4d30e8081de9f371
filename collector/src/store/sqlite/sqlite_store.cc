#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cairn/common/crypto.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/strings.h"
#include "cairn/consent/purpose.h"
#include "cairn/engagement/day.h"
#include "ops/json_text.h"
#include "store/store_common.h"

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

// Version 2: consent records (append-only proof) and current consent state,
// erasure tombstones and the renewal suppression list (keyed hashes only),
// durable rejection counters, settings (the generated hash key), optional
// client IP / user agent per batch, and indexes for erasure, export and
// retention. Consent times are in microseconds so an event and the grant
// just before it are never folded into the same tick.
constexpr std::string_view kMigrationV2 = R"sql(
ALTER TABLE batches ADD COLUMN client_ip TEXT;
ALTER TABLE batches ADD COLUMN user_agent TEXT;
DROP INDEX events_by_user;
CREATE INDEX events_by_user_account ON events (user_id, account_id);
CREATE INDEX events_by_time ON events (occurred_at_ms);
CREATE TABLE consent_records (
  event_id            TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL,
  user_id             TEXT,
  user_hash           TEXT,
  purpose             INTEGER NOT NULL,
  decision            INTEGER NOT NULL,
  policy_id           TEXT NOT NULL,
  policy_version      TEXT NOT NULL,
  device_time_us      INTEGER NOT NULL,
  collector_time_ms   INTEGER NOT NULL,
  sdk_version         TEXT NOT NULL,
  source_surface      TEXT NOT NULL,
  expires_at_us       INTEGER
);
CREATE INDEX consent_records_by_subject ON consent_records (user_id, purpose, device_time_us);
CREATE TABLE consent_state (
  user_id             TEXT NOT NULL,
  purpose             INTEGER NOT NULL,
  user_hash           TEXT NOT NULL,
  decision            INTEGER NOT NULL,
  policy_id           TEXT NOT NULL,
  policy_version      TEXT NOT NULL,
  decided_at_us       INTEGER NOT NULL,
  expires_at_us       INTEGER,
  updated_at_ms       INTEGER NOT NULL,
  PRIMARY KEY (user_id, purpose)
);
CREATE INDEX consent_state_by_purpose ON consent_state (purpose, decision, user_id);
CREATE TABLE renewal_suppression (
  user_hash           TEXT PRIMARY KEY,
  since_ms            INTEGER NOT NULL,
  denied_at_us        INTEGER NOT NULL
);
CREATE TABLE erased_users (
  user_hash           TEXT PRIMARY KEY,
  erased_at_ms        INTEGER NOT NULL
);
CREATE TABLE rejections (
  reason              INTEGER PRIMARY KEY,
  count               INTEGER NOT NULL
);
CREATE TABLE settings (
  name                TEXT PRIMARY KEY,
  value               TEXT NOT NULL
);
)sql";

// Version 3: the skew-corrected occurrence time next to the device's
// (CorrectedOccurredAt). Existing rows get it from their batch's sent_at and
// received_at, exactly as new rows would; without a batch row, the device time.
constexpr std::string_view kMigrationV3 = R"sql(
ALTER TABLE events ADD COLUMN corrected_at_ms INTEGER;
UPDATE events SET corrected_at_ms = coalesce(
  (SELECT CASE WHEN b.sent_at_ms IS NULL THEN events.occurred_at_ms
               ELSE min(events.received_at_ms,
                        events.received_at_ms - (b.sent_at_ms - events.occurred_at_ms)) END
   FROM batches b WHERE b.batch_id = events.batch_id),
  occurred_at_ms);
)sql";

// Version 4: no (account_id, occurred_at_ms) index. No query of the
// collector needs it: the summary scans the table, which is faster than
// walking the index and fetching each row, and every insert paid for it (a
// fifth of the ingest rate, docs/performance.md). Per-account time ranges
// use events_by_time.
constexpr std::string_view kMigrationV4 = R"sql(
DROP INDEX IF EXISTS events_by_account_time;
)sql";

// Version 5 (issue 6): the engagement tables. The four daily aggregates
// (docs/metrics.md), maintained by Write in the same transaction as the
// events the consent check stored, each keyed by (account, user, ...) and
// indexed by user for erasure and consent withdrawal; the vendor's account
// settings, milestone goals, and usage-drop alert episodes and alerts (with
// their webhook delivery state). IF NOT EXISTS keeps the step re-runnable.
constexpr std::string_view kMigrationV5 = R"sql(
CREATE TABLE IF NOT EXISTS user_day (
  account_id          TEXT NOT NULL,
  user_id             TEXT NOT NULL,
  day                 INTEGER NOT NULL,
  logins              INTEGER NOT NULL,
  PRIMARY KEY (account_id, user_id, day)
);
CREATE INDEX IF NOT EXISTS user_day_by_user ON user_day (user_id);
CREATE TABLE IF NOT EXISTS user_first_login (
  account_id          TEXT NOT NULL,
  user_id             TEXT NOT NULL,
  first_login_ms      INTEGER NOT NULL,
  PRIMARY KEY (account_id, user_id)
);
CREATE INDEX IF NOT EXISTS user_first_login_by_user ON user_first_login (user_id);
CREATE TABLE IF NOT EXISTS user_milestone (
  account_id          TEXT NOT NULL,
  user_id             TEXT NOT NULL,
  name                TEXT NOT NULL,
  first_reached_ms    INTEGER NOT NULL,
  PRIMARY KEY (account_id, user_id, name)
);
CREATE INDEX IF NOT EXISTS user_milestone_by_user ON user_milestone (user_id);
CREATE TABLE IF NOT EXISTS user_milestone_day (
  account_id          TEXT NOT NULL,
  user_id             TEXT NOT NULL,
  name                TEXT NOT NULL,
  day                 INTEGER NOT NULL,
  events              INTEGER NOT NULL,
  value_sum           REAL NOT NULL,
  PRIMARY KEY (account_id, user_id, name, day)
);
CREATE INDEX IF NOT EXISTS user_milestone_day_by_user ON user_milestone_day (user_id);
CREATE TABLE IF NOT EXISTS account_settings (
  account_id          TEXT PRIMARY KEY,
  seats               INTEGER,
  renewal_day         INTEGER,
  key_milestones      TEXT NOT NULL,
  updated_at_ms       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS goals (
  goal_id             TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL,
  name                TEXT NOT NULL,
  milestone_name      TEXT NOT NULL,
  target_count        INTEGER NOT NULL,
  start_day           INTEGER NOT NULL,
  due_day             INTEGER,
  created_at_ms       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS goals_by_account ON goals (account_id, created_at_ms);
CREATE TABLE IF NOT EXISTS alert_episodes (
  account_id          TEXT PRIMARY KEY,
  open                INTEGER NOT NULL,
  severity            INTEGER NOT NULL,
  opened_at_ms        INTEGER,
  escalated_at_ms     INTEGER,
  closed_at_ms        INTEGER,
  episodes            INTEGER NOT NULL,
  alert_id            TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
  alert_id            TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL,
  severity            INTEGER NOT NULL,
  open                INTEGER NOT NULL,
  opened_at_ms        INTEGER NOT NULL,
  escalated_at_ms     INTEGER,
  resolved_at_ms      INTEGER,
  this_week           INTEGER NOT NULL,
  baseline_mean       REAL NOT NULL,
  ratio               REAL NOT NULL,
  payload             TEXT NOT NULL,
  delivery_state      INTEGER NOT NULL,
  attempts            INTEGER NOT NULL,
  last_error          TEXT NOT NULL,
  next_attempt_ms     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_opened ON alerts (opened_at_ms);
CREATE INDEX IF NOT EXISTS alerts_by_delivery ON alerts (delivery_state, next_attempt_ms);
)sql";

constexpr std::array<std::string_view, 5> kMigrations = {kMigrationV1, kMigrationV2,
                                                         kMigrationV3, kMigrationV4,
                                                         kMigrationV5};
static_assert(kMigrations.size() == SqliteStore::kSchemaVersion);

// Daily aggregates: a write sums its events per key in memory
// (WriteContext::PendingAggregates), then one upsert per key adds the sums.
constexpr std::string_view kAddLoginDay = R"sql(
INSERT INTO user_day (account_id, user_id, day, logins) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (account_id, user_id, day) DO UPDATE SET logins = logins + excluded.logins
)sql";
constexpr std::string_view kLowerFirstLogin = R"sql(
INSERT INTO user_first_login (account_id, user_id, first_login_ms) VALUES (?1, ?2, ?3)
ON CONFLICT (account_id, user_id) DO UPDATE
SET first_login_ms = min(first_login_ms, excluded.first_login_ms)
)sql";
constexpr std::string_view kLowerMilestone = R"sql(
INSERT INTO user_milestone (account_id, user_id, name, first_reached_ms) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (account_id, user_id, name) DO UPDATE
SET first_reached_ms = min(first_reached_ms, excluded.first_reached_ms)
)sql";
constexpr std::string_view kAddMilestoneDay = R"sql(
INSERT INTO user_milestone_day (account_id, user_id, name, day, events, value_sum)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (account_id, user_id, name, day) DO UPDATE
SET events = events + excluded.events, value_sum = value_sum + excluded.value_sum
)sql";

constexpr std::string_view kInsertEvent = R"sql(
INSERT INTO events (event_id, account_id, user_id, purpose, kind, occurred_at_ms,
                    received_at_ms, sequence, session_id, install_id, batch_id,
                    milestone_name, milestone_value, session_duration_ms,
                    attributes_json, event_proto, corrected_at_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
ON CONFLICT (event_id) DO NOTHING
)sql";

constexpr std::string_view kInsertBatch = R"sql(
INSERT INTO batches (batch_id, install_id, sent_at_ms, received_at_ms, last_received_at_ms,
                     times_received, event_count, accepted, duplicates, rejected,
                     client_ip, user_agent)
VALUES (?1, ?2, ?3, ?4, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT (batch_id) DO NOTHING
)sql";

constexpr std::string_view kIsErased = "SELECT 1 FROM erased_users WHERE user_hash = ?1";

// The latest record at or before the event; rowid breaks ties so the record
// stored last wins, as in consent::ConsentState.
constexpr std::string_view kDecisionAt = R"sql(
SELECT decision, expires_at_us FROM consent_records
WHERE user_id = ?1 AND purpose = ?2 AND device_time_us <= ?3
ORDER BY device_time_us DESC, rowid DESC LIMIT 1
)sql";

// The latest record of (user, purpose), whatever its date: it answers
// kDecisionAt for every event dated at or after it (WriteContext::consent).
constexpr std::string_view kLatestDecision = R"sql(
SELECT device_time_us, decision, expires_at_us FROM consent_records
WHERE user_id = ?1 AND purpose = ?2
ORDER BY device_time_us DESC, rowid DESC LIMIT 1
)sql";

constexpr std::string_view kInsertConsentRecord = R"sql(
INSERT INTO consent_records (event_id, account_id, user_id, purpose, decision, policy_id,
                             policy_version, device_time_us, collector_time_ms, sdk_version,
                             source_surface, expires_at_us)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (event_id) DO NOTHING
)sql";

// The current state follows the latest decision by device time, whatever
// order the records arrive in.
constexpr std::string_view kUpsertConsentState = R"sql(
INSERT INTO consent_state (user_id, purpose, user_hash, decision, policy_id, policy_version,
                           decided_at_us, expires_at_us, updated_at_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT (user_id, purpose) DO UPDATE SET
  user_hash = excluded.user_hash, decision = excluded.decision,
  policy_id = excluded.policy_id, policy_version = excluded.policy_version,
  decided_at_us = excluded.decided_at_us, expires_at_us = excluded.expires_at_us,
  updated_at_ms = excluded.updated_at_ms
WHERE excluded.decided_at_us >= consent_state.decided_at_us
)sql";

constexpr std::string_view kSuppress = R"sql(
INSERT INTO renewal_suppression (user_hash, since_ms, denied_at_us) VALUES (?1, ?2, ?3)
ON CONFLICT (user_hash) DO UPDATE SET denied_at_us = max(denied_at_us, excluded.denied_at_us)
)sql";

// Only a grant made after the latest opt-out lifts it; a late-arriving older
// grant does not.
constexpr std::string_view kLiftSuppression =
    "DELETE FROM renewal_suppression WHERE user_hash = ?1 AND denied_at_us < ?2";

constexpr std::string_view kAddRejections = R"sql(
INSERT INTO rejections (reason, count) VALUES (?1, ?2)
ON CONFLICT (reason) DO UPDATE SET count =
  CASE WHEN count > 9223372036854775807 - excluded.count THEN 9223372036854775807
       ELSE count + excluded.count END
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

absl::Status WithContext(const absl::Status& status, std::string_view what) {
  return absl::Status(status.code(), absl::StrCat(ToAbsl(what), ": ", status.message()));
}

}  // namespace

struct SqliteStore::WriteStatements {
  sqlite::Statement insert_event;
  sqlite::Statement insert_batch;
  sqlite::Statement note_batch_retry;
  sqlite::Statement add_client_drops;
  sqlite::Statement is_erased;
  sqlite::Statement decision_at;
  sqlite::Statement latest_decision;
  sqlite::Statement insert_consent_record;
  sqlite::Statement upsert_consent_state;
  sqlite::Statement suppress;
  sqlite::Statement lift_suppression;
  sqlite::Statement add_rejections;
  sqlite::Statement add_login_day;
  sqlite::Statement lower_first_login;
  sqlite::Statement lower_milestone;
  sqlite::Statement add_milestone_day;
};

// State of one Write call. Tombstones cannot change during a Write (erasure
// takes the same lock), so memoising them per call is safe; nothing is kept
// across calls, as other processes may share the database.
struct SqliteStore::WriteContext {
  std::unordered_map<std::string, bool> erased;  // user_id -> has a tombstone
  // The latest consent record of a (user, purpose), read once per write:
  // an event dated at or after it (nearly all events) is judged by it
  // without a probe of its own. Storing a record of that (user, purpose)
  // drops the entry.
  struct LatestConsent {
    bool any = false;  // false: no record at all, so no grant at any time
    int64_t at_us = 0;
    bool granted = false;
    std::optional<int64_t> expires_at_us;
  };
  std::map<std::pair<std::string, int64_t>, LatestConsent> consent;
  // The daily aggregates of the events stored so far in this write, summed
  // per key (a write of 20,000 events from 1,000 users has about 1,000 login
  // keys): written by FlushAggregates before the commit, and before any
  // withdrawal deletes the user's rows (so it deletes these too).
  struct PendingAggregates {
    using UserKey = std::pair<std::string, std::string>;  // account, user
    std::map<std::tuple<std::string, std::string, int64_t>, int64_t> login_days;
    std::map<UserKey, int64_t> first_login_ms;
    std::map<std::tuple<std::string, std::string, std::string>, int64_t> first_milestone_ms;
    struct MilestoneDay {
      int64_t events = 0;
      double value_sum = 0;
    };
    std::map<std::tuple<std::string, std::string, std::string, int64_t>, MilestoneDay>
        milestone_days;
    bool empty() const { return login_days.empty() && first_milestone_ms.empty(); }
  };
  PendingAggregates aggregates;
};

namespace {

// Reads one settings value; nullopt if absent.
absl::StatusOr<std::optional<std::string>> ReadSetting(sqlite::Database& db,
                                                       std::string_view name) {
  absl::StatusOr<sqlite::Statement> stmt = db.Prepare("SELECT value FROM settings WHERE name = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, name);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(std::string(stmt->ColumnText(0)));
}

absl::Status WriteSetting(sqlite::Database& db, std::string_view name, std::string_view value) {
  absl::StatusOr<sqlite::Statement> stmt =
      db.Prepare("INSERT INTO settings (name, value) VALUES (?1, ?2)");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, name).Bind(2, value).Run();
}

// The key for tombstones and the suppression list: the configured one, or
// the one generated for this database on first use. Remembers a check value
// so a different key (which would silently un-erase users) is refused.
absl::StatusOr<std::string> SetUpHashKey(sqlite::Database& db, const std::string& configured) {
  if (!configured.empty() && configured.size() < kMinHashKeyBytes) {
    return absl::InvalidArgumentError("the hash key must be at least 16 bytes");
  }
  sqlite::Transaction txn(db);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  std::string key = configured;
  if (key.empty()) {
    absl::StatusOr<std::optional<std::string>> stored = ReadSetting(db, "generated_hash_key");
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) {
      absl::StatusOr<std::string> decoded = HexDecode(**stored);
      if (!decoded.ok()) return decoded.status();
      key = *std::move(decoded);
    } else {
      absl::StatusOr<std::string> generated = RandomBytes(kGeneratedHashKeyBytes);
      if (!generated.ok()) return generated.status();
      key = *std::move(generated);
      std::string hex;
      for (unsigned char c : key) absl::StrAppendFormat(&hex, "%02x", c);
      if (absl::Status s = WriteSetting(db, "generated_hash_key", hex); !s.ok()) return s;
    }
  }
  std::string check = ToHex(HmacSha256(key, kHashKeyCheckInput));
  absl::StatusOr<std::optional<std::string>> stored_check = ReadSetting(db, "hash_key_check");
  if (!stored_check.ok()) return stored_check.status();
  if (!stored_check->has_value()) {
    if (absl::Status s = WriteSetting(db, "hash_key_check", check); !s.ok()) return s;
  } else if (!ConstantTimeEquals(**stored_check, check)) {
    return absl::FailedPreconditionError(
        "the hash key differs from the one this database was first used with (its erasure "
        "tombstones and suppression list would no longer match)");
  }
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return key;
}

// Wire enum value of a consent::Decision as stored.
int64_t StoredDecision(consent::Decision decision) {
  return static_cast<int64_t>(consent::ToWire(decision));
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<sqlite::Database> writer,
                         std::unique_ptr<sqlite::Database> reader,
                         std::unique_ptr<WriteStatements> statements, std::string hash_key)
    : hash_key_(std::move(hash_key)),
      writer_(std::move(writer)),
      statements_(std::move(statements)),
      reader_(std::move(reader)) {}

SqliteStore::~SqliteStore() {
  // The reader goes first so the writer is the last connection: closing it
  // checkpoints the WAL and removes the -wal and -shm files.
  {
    std::lock_guard lock(read_mu_);
    read_cache_.clear();
    reader_.reset();
  }
  // Statements before their connection.
  std::lock_guard lock(write_mu_);
  write_cache_.clear();
  statements_.reset();
  writer_.reset();
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                               const SqliteStoreOptions& options) {
  std::unique_ptr<sqlite::Database> writer;
  std::unique_ptr<WriteStatements> statements;
  std::string hash_key;
  if (!options.read_only) {
    sqlite::OpenOptions open_options;
    open_options.wal = true;
    open_options.synchronous_full = options.synchronous_full;
    absl::StatusOr<std::unique_ptr<sqlite::Database>> db =
        sqlite::Database::Open(path, open_options);
    if (!db.ok()) return WithContext(db.status(), "opening the collector database");
    writer = *std::move(db);
    // Writer-only tuning (SqliteStoreOptions); none of it touches durability.
    std::string tuning = "PRAGMA temp_store=MEMORY;";
    if (options.cache_mib > 0) {
      absl::StrAppend(&tuning, "PRAGMA cache_size=", -int64_t{options.cache_mib} * 1024, ";");
    }
    if (options.wal_autocheckpoint_pages > 0) {
      absl::StrAppend(&tuning, "PRAGMA wal_autocheckpoint=", options.wal_autocheckpoint_pages,
                      ";");
    }
    if (absl::Status s = writer->Exec(tuning); !s.ok()) {
      return WithContext(s, "configuring the collector database");
    }
    if (absl::Status s = writer->Migrate(kMigrations); !s.ok()) {
      return WithContext(s, "migrating the collector database");
    }
    absl::StatusOr<std::string> key = SetUpHashKey(*writer, options.hash_key);
    if (!key.ok()) return key.status();
    hash_key = *std::move(key);
    statements = std::make_unique<WriteStatements>();
    struct {
      sqlite::Statement* target;
      std::string_view sql;
    } const prepared[] = {{&statements->insert_event, kInsertEvent},
                          {&statements->insert_batch, kInsertBatch},
                          {&statements->note_batch_retry, kNoteBatchRetry},
                          {&statements->add_client_drops, kAddClientDrops},
                          {&statements->is_erased, kIsErased},
                          {&statements->decision_at, kDecisionAt},
                          {&statements->latest_decision, kLatestDecision},
                          {&statements->insert_consent_record, kInsertConsentRecord},
                          {&statements->upsert_consent_state, kUpsertConsentState},
                          {&statements->suppress, kSuppress},
                          {&statements->lift_suppression, kLiftSuppression},
                          {&statements->add_rejections, kAddRejections},
                          {&statements->add_login_day, kAddLoginDay},
                          {&statements->lower_first_login, kLowerFirstLogin},
                          {&statements->lower_milestone, kLowerMilestone},
                          {&statements->add_milestone_day, kAddMilestoneDay}};
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
  return std::unique_ptr<SqliteStore>(new SqliteStore(
      std::move(writer), *std::move(reader), std::move(statements), std::move(hash_key)));
}

std::string SqliteStore::UserHash(std::string_view user_id) const {
  return ToHex(HmacSha256(hash_key_, user_id));
}

absl::StatusOr<std::vector<BatchWriteResult>> SqliteStore::Write(
    std::span<const BatchRecord> batches) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  sqlite::Transaction txn(*writer_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  WriteContext context;
  std::vector<BatchWriteResult> results;
  results.reserve(batches.size());
  for (const BatchRecord& batch : batches) {
    absl::StatusOr<BatchWriteResult> result = WriteOne(batch, context);
    if (!result.ok()) return result.status();  // txn rolls back
    results.push_back(*std::move(result));
  }
  if (absl::Status s = FlushAggregates(context); !s.ok()) return s;
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return results;
}

absl::StatusOr<bool> SqliteStore::IsErased(std::string_view user_id, WriteContext& context) {
  auto it = context.erased.find(std::string(user_id));
  if (it != context.erased.end()) return it->second;
  std::string hash = UserHash(user_id);
  sqlite::Statement& query = statements_->is_erased;
  query.Bind(1, hash);
  absl::StatusOr<bool> row = query.Step();
  query.Reset();
  if (!row.ok()) return WithContext(row.status(), "looking up a tombstone");
  context.erased.emplace(std::string(user_id), *row);
  return *row;
}

absl::StatusOr<bool> SqliteStore::HadGrant(const cairn::v1::Event& event,
                                           WriteContext& context) {
  std::optional<consent::Purpose> purpose = consent::FromWire(event.purpose());
  if (!purpose) return false;  // CheckEvent refuses unknown purposes before this
  if (!consent::NeedsConsent(*purpose)) return true;
  const int64_t at_us = absl::ToUnixMicros(FromProto(event.occurred_at()));
  const int64_t wire_purpose = static_cast<int64_t>(event.purpose());
  const int64_t granted_value = StoredDecision(consent::Decision::kGranted);
  auto key = std::make_pair(event.user_id(), wire_purpose);
  auto it = context.consent.find(key);
  if (it == context.consent.end()) {
    sqlite::Statement& latest = statements_->latest_decision;
    latest.Bind(1, event.user_id()).Bind(2, wire_purpose);
    absl::StatusOr<bool> row = latest.Step();
    WriteContext::LatestConsent entry;
    if (row.ok() && *row) {
      entry.any = true;
      entry.at_us = latest.ColumnInt(0);
      entry.granted = latest.ColumnInt(1) == granted_value;
      if (!latest.ColumnIsNull(2)) entry.expires_at_us = latest.ColumnInt(2);
    }
    latest.Reset();
    if (!row.ok()) return WithContext(row.status(), "looking up consent");
    it = context.consent.emplace(std::move(key), entry).first;
  }
  const WriteContext::LatestConsent& latest = it->second;
  if (!latest.any) return false;
  if (at_us >= latest.at_us) {
    // A grant reads as unknown from its expiry on (consent::ConsentState).
    return latest.granted && (!latest.expires_at_us || at_us < *latest.expires_at_us);
  }
  // Dated before the latest record: the record in force then.
  sqlite::Statement& query = statements_->decision_at;
  query.Bind(1, event.user_id()).Bind(2, wire_purpose).Bind(3, at_us);
  absl::StatusOr<bool> row = query.Step();
  bool granted = false;
  if (row.ok() && *row) {
    granted = query.ColumnInt(0) == granted_value &&
              (query.ColumnIsNull(1) || at_us < query.ColumnInt(1));
  }
  query.Reset();
  if (!row.ok()) return WithContext(row.status(), "looking up consent");
  return granted;
}

absl::Status SqliteStore::StoreConsentRecord(const cairn::v1::Event& event,
                                             const BatchRecord& batch, WriteContext& context) {
  // The caller checked it with RecordFromEvent already.
  absl::StatusOr<consent::ConsentRecord> record =
      consent::RecordFromEvent(event, batch.sdk_version);
  if (!record.ok()) return record.status();
  const int64_t device_us = absl::ToUnixMicros(record->device_time);
  const int64_t received_ms = absl::ToUnixMillis(batch.received_at);
  const int64_t purpose = static_cast<int64_t>(consent::ToWire(record->purpose));
  const int64_t decision = StoredDecision(record->decision);
  const std::string hash = UserHash(event.user_id());

  sqlite::Statement& insert = statements_->insert_consent_record;
  insert.Bind(1, event.event_id())
      .Bind(2, event.account_id())
      .Bind(3, event.user_id())
      .Bind(4, purpose)
      .Bind(5, decision)
      .Bind(6, record->policy_id)
      .Bind(7, record->policy_version)
      .Bind(8, device_us)
      .Bind(9, received_ms)
      .Bind(10, record->source_sdk_version)
      .Bind(11, record->source_surface);
  if (record->expires_at) {
    insert.Bind(12, absl::ToUnixMicros(*record->expires_at));
  } else {
    insert.BindNull(12);
  }
  if (absl::Status s = insert.Run(); !s.ok()) return WithContext(s, "storing a consent record");
  // The memoised latest record of this (user, purpose) may be stale now.
  context.consent.erase(std::make_pair(event.user_id(), purpose));

  sqlite::Statement& upsert = statements_->upsert_consent_state;
  upsert.Bind(1, event.user_id())
      .Bind(2, purpose)
      .Bind(3, hash)
      .Bind(4, decision)
      .Bind(5, record->policy_id)
      .Bind(6, record->policy_version)
      .Bind(7, device_us);
  if (record->expires_at) {
    upsert.Bind(8, absl::ToUnixMicros(*record->expires_at));
  } else {
    upsert.BindNull(8);
  }
  upsert.Bind(9, received_ms);
  if (absl::Status s = upsert.Run(); !s.ok()) return WithContext(s, "updating consent state");

  if (record->decision == consent::Decision::kDenied) {
    // Events stored earlier in this write are in the aggregates first, so
    // the deletion below takes them too.
    if (absl::Status s = FlushAggregates(context); !s.ok()) return s;
    // Withdrawal: what the purpose produced stops counting (docs/metrics.md),
    // if the denial is the user's current decision (consent_state, just
    // updated): an older denial arriving after a later grant deletes nothing.
    for (std::string_view table : WithdrawnAggregateTables(record->purpose)) {
      absl::StatusOr<sqlite::Statement> del = writer_->Prepare(absl::StrCat(
          "DELETE FROM ", ToAbsl(table),
          " WHERE user_id = ?1 AND EXISTS (SELECT 1 FROM consent_state c WHERE c.user_id = ?1 "
          "AND c.purpose = ?2 AND c.decision = ?3)"));
      if (!del.ok()) return del.status();
      del->Bind(1, event.user_id()).Bind(2, purpose).Bind(3, decision);
      if (absl::Status s = del->Run(); !s.ok()) return WithContext(s, "withdrawing aggregates");
    }
  }
  if (record->purpose == consent::Purpose::kRenewalNotifications) {
    if (record->decision == consent::Decision::kDenied) {
      sqlite::Statement& suppress = statements_->suppress;
      suppress.Bind(1, hash).Bind(2, received_ms).Bind(3, device_us);
      if (absl::Status s = suppress.Run(); !s.ok()) return WithContext(s, "suppressing");
    } else {
      sqlite::Statement& lift = statements_->lift_suppression;
      lift.Bind(1, hash).Bind(2, device_us);
      if (absl::Status s = lift.Run(); !s.ok()) return WithContext(s, "lifting suppression");
    }
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::AddRejections(const std::map<cairn::v1::RejectReason, int64_t>& counts) {
  sqlite::Statement& add = statements_->add_rejections;
  for (const auto& [reason, count] : counts) {
    if (count <= 0) continue;
    add.Bind(1, static_cast<int64_t>(reason)).Bind(2, count);
    if (absl::Status s = add.Run(); !s.ok()) return WithContext(s, "counting rejections");
  }
  return absl::OkStatus();
}

absl::StatusOr<BatchWriteResult> SqliteStore::WriteOne(const BatchRecord& batch,
                                                       WriteContext& context) {
  BatchWriteResult result;
  result.outcomes.assign(batch.events.size(), EventOutcome::kInserted);
  const int64_t received_ms = absl::ToUnixMillis(batch.received_at);
  std::map<cairn::v1::RejectReason, int64_t> rejection_counts = batch.validation_rejections;
  auto reject = [&](size_t index, cairn::v1::RejectReason reason, std::string_view detail) {
    result.outcomes[index] = EventOutcome::kRejected;
    result.rejections.push_back(StoreRejection{index, reason, std::string(detail)});
    ++rejection_counts[reason];
  };

  sqlite::Statement& insert = statements_->insert_event;
  // Returns whether the event was new (false: duplicate).
  auto insert_event = [&](const cairn::v1::Event& event) -> absl::StatusOr<bool> {
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
    const absl::Time occurred_at = FromProto(event.occurred_at());
    insert.Bind(15, attributes).BindBlob(16, serialized);
    insert.Bind(17, absl::ToUnixMillis(
                        CorrectedOccurredAt(occurred_at, batch.sent_at, batch.received_at)));
    if (absl::Status s = insert.Run(); !s.ok()) return WithContext(s, "storing an event");
    return writer_->Changes() == 1;
  };
  auto note_stored = [&](size_t index, bool inserted) {
    if (inserted) {
      ++result.inserted;
    } else {
      result.outcomes[index] = EventOutcome::kDuplicate;
      ++result.duplicates;
    }
  };

  // Pass 1: consent changes, so the batch's other events are judged with
  // them. The event row and the record share the event_id, so a replayed
  // change is a duplicate and appends no second record.
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const cairn::v1::Event& event = batch.events[i];
    if (!event.has_consent_change()) continue;
    absl::StatusOr<bool> erased = IsErased(event.user_id(), context);
    if (!erased.ok()) return erased.status();
    if (*erased) {
      reject(i, cairn::v1::REJECT_REASON_USER_ERASED, "user was erased");
      continue;
    }
    if (!consent::RecordFromEvent(event, batch.sdk_version).ok()) {
      reject(i,
             event.consent_change().policy_version().empty()
                 ? cairn::v1::REJECT_REASON_MISSING_POLICY_VERSION
                 : cairn::v1::REJECT_REASON_INVALID_CONSENT,
             "malformed consent change");
      continue;
    }
    absl::StatusOr<bool> inserted = insert_event(event);
    if (!inserted.ok()) return inserted.status();
    note_stored(i, *inserted);
    if (*inserted) {
      if (absl::Status s = StoreConsentRecord(event, batch, context); !s.ok()) return s;
    }
  }
  // Pass 2: everything else, each against the consent that held when it
  // occurred.
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const cairn::v1::Event& event = batch.events[i];
    if (event.has_consent_change()) continue;
    absl::StatusOr<bool> erased = IsErased(event.user_id(), context);
    if (!erased.ok()) return erased.status();
    if (*erased) {
      reject(i, cairn::v1::REJECT_REASON_USER_ERASED, "user was erased");
      continue;
    }
    absl::StatusOr<bool> granted = HadGrant(event, context);
    if (!granted.ok()) return granted.status();
    if (!*granted) {
      reject(i, cairn::v1::REJECT_REASON_NO_CONSENT,
             "no consent for this purpose when the event occurred");
      continue;
    }
    absl::StatusOr<bool> inserted = insert_event(event);
    if (!inserted.ok()) return inserted.status();
    note_stored(i, *inserted);
    if (*inserted) {
      FoldAggregates(event, batch, context);
    }
  }
  std::sort(result.rejections.begin(), result.rejections.end(),
            [](const StoreRejection& a, const StoreRejection& b) { return a.index < b.index; });

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
      .Bind(8, batch.rejected + static_cast<int64_t>(result.rejections.size()));
  if (batch.client_ip) {
    insert_batch.Bind(9, *batch.client_ip);
  } else {
    insert_batch.BindNull(9);
  }
  if (batch.user_agent) {
    insert_batch.Bind(10, *batch.user_agent);
  } else {
    insert_batch.BindNull(10);
  }
  if (absl::Status s = insert_batch.Run(); !s.ok()) return WithContext(s, "recording a batch");
  result.first_delivery = writer_->Changes() == 1;

  if (result.first_delivery) {
    // Drop and rejection counters travel with the batch; counting them once
    // per batch_id keeps a retried batch from inflating them.
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
    if (absl::Status s = AddRejections(rejection_counts); !s.ok()) return s;
  } else {
    sqlite::Statement& retry = statements_->note_batch_retry;
    retry.Bind(1, batch.batch_id).Bind(2, received_ms);
    if (absl::Status s = retry.Run(); !s.ok()) return WithContext(s, "recording a retry");
  }
  return result;
}

namespace {

// Runs `stmt` (parameters bound) and calls `row` for each result row, then
// resets it.
template <typename RowFn>
absl::Status ForEachRow(sqlite::Statement& stmt, RowFn row) {
  while (true) {
    absl::StatusOr<bool> has_row = stmt.Step();
    if (!has_row.ok()) return has_row.status();
    if (!*has_row) break;
    row(stmt);
  }
  stmt.Reset();
  return absl::OkStatus();
}

// Runs `sql` (no parameters) and calls `row` for each result row.
template <typename RowFn>
absl::Status ForEachRow(sqlite::Database& db, std::string_view sql, RowFn row) {
  absl::StatusOr<sqlite::Statement> stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  return ForEachRow(*stmt, row);
}

int64_t TotalToInt64(double total) {
  return total >= 9.2e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(total);
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
  s = ForEachRow(db,
                 "SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM erased_users), "
                 "(SELECT count(*) FROM renewal_suppression), "
                 "(SELECT count(*) FROM consent_records)",
                 [&](const sqlite::Statement& r) {
                   summary->batches = r.ColumnInt(0);
                   summary->erased_users = r.ColumnInt(1);
                   summary->suppressed_users = r.ColumnInt(2);
                   summary->consent_records = r.ColumnInt(3);
                 });
  if (!s.ok()) return s;
  s = ForEachRow(db, "SELECT reason, count FROM rejections ORDER BY reason",
                 [&](const sqlite::Statement& r) {
                   summary->rejections[static_cast<cairn::v1::RejectReason>(r.ColumnInt(0))] =
                       r.ColumnInt(1);
                 });
  if (!s.ok()) return s;
  // total() sums as a double and cannot overflow, unlike sum().
  return ForEachRow(
      db, "SELECT reason, total(count) FROM client_drops GROUP BY reason ORDER BY reason",
      [&](const sqlite::Statement& r) {
        summary->client_drops[static_cast<cairn::v1::DropReason>(r.ColumnInt(0))] =
            TotalToInt64(r.ColumnDouble(1));
      });
}

absl::Status ReadUserExport(sqlite::Database& db, std::string_view user_id, size_t max_events,
                            UserExport* out) {
  absl::StatusOr<sqlite::Statement> events = db.Prepare(
      "SELECT event_proto, received_at_ms, corrected_at_ms FROM events WHERE user_id = ?1 "
      "ORDER BY occurred_at_ms, event_id LIMIT ?2");
  if (!events.ok()) return events.status();
  events->Bind(1, user_id).Bind(2, static_cast<int64_t>(max_events) + 1);
  bool corrupt = false;
  absl::Status s = ForEachRow(*events, [&](const sqlite::Statement& r) {
    if (out->events.size() == max_events) {
      out->truncated = true;
      return;
    }
    StoredEvent& stored = out->events.emplace_back();
    std::string_view blob = r.ColumnBlob(0);
    if (!stored.event.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) corrupt = true;
    stored.received_at = absl::FromUnixMillis(r.ColumnInt(1));
    stored.corrected_occurred_at = absl::FromUnixMillis(r.ColumnInt(2));
  });
  if (!s.ok()) return s;
  if (corrupt) return absl::DataLossError("a stored event does not parse");

  absl::StatusOr<sqlite::Statement> records = db.Prepare(
      "SELECT event_id, account_id, purpose, decision, policy_id, policy_version, "
      "device_time_us, collector_time_ms, sdk_version, source_surface, expires_at_us "
      "FROM consent_records WHERE user_id = ?1 ORDER BY device_time_us, rowid LIMIT ?2");
  if (!records.ok()) return records.status();
  records->Bind(1, user_id).Bind(2, static_cast<int64_t>(max_events) + 1);
  return ForEachRow(*records, [&](const sqlite::Statement& r) {
    if (out->consent_records.size() == max_events) {
      out->truncated = true;
      return;
    }
    StoredConsentRecord& stored = out->consent_records.emplace_back();
    stored.event_id = std::string(r.ColumnText(0));
    stored.account_id = std::string(r.ColumnText(1));
    consent::ConsentRecord& record = stored.record;
    record.subject = std::string(user_id);
    record.purpose = consent::FromWire(static_cast<int>(r.ColumnInt(2)))
                         .value_or(consent::Purpose::kUsageAnalytics);
    record.decision = consent::DecisionFromWire(static_cast<int>(r.ColumnInt(3)));
    record.policy_id = std::string(r.ColumnText(4));
    record.policy_version = std::string(r.ColumnText(5));
    record.device_time = absl::FromUnixMicros(r.ColumnInt(6));
    record.collector_time = absl::FromUnixMillis(r.ColumnInt(7));
    record.source_sdk_version = std::string(r.ColumnText(8));
    record.source_surface = std::string(r.ColumnText(9));
    if (!r.ColumnIsNull(10)) record.expires_at = absl::FromUnixMicros(r.ColumnInt(10));
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

absl::Status SqliteStore::Ping() {
  std::lock_guard lock(read_mu_);
  absl::StatusOr<int> version = reader_->SchemaVersion();
  if (!version.ok()) return WithContext(version.status(), "reading the collector database");
  return absl::OkStatus();
}

absl::StatusOr<UserExport> SqliteStore::ExportUser(std::string_view user_id, size_t max_events) {
  std::lock_guard lock(read_mu_);
  if (absl::Status s = reader_->Exec("BEGIN"); !s.ok()) return s;
  UserExport out;
  absl::Status s = ReadUserExport(*reader_, user_id, max_events, &out);
  reader_->Exec(s.ok() ? "COMMIT" : "ROLLBACK").IgnoreError();
  if (!s.ok()) return WithContext(s, "exporting a user");
  return out;
}

absl::StatusOr<ErasureResult> SqliteStore::EraseUser(std::string_view user_id, absl::Time now) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  const std::string hash = UserHash(user_id);
  sqlite::Transaction txn(*writer_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  ErasureResult result;
  // Binds ?1 user id, then ?2 keyed hash and ?3 now if `params` says so.
  auto run = [&](std::string_view sql, int params = 1) -> absl::StatusOr<int64_t> {
    absl::StatusOr<sqlite::Statement> stmt = writer_->Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, user_id);
    if (params >= 2) stmt->Bind(2, hash);
    if (params >= 3) stmt->Bind(3, absl::ToUnixMillis(now));
    if (absl::Status s = stmt->Run(); !s.ok()) return WithContext(s, "erasing a user");
    return writer_->Changes();
  };
  absl::StatusOr<int64_t> events = run("DELETE FROM events WHERE user_id = ?1");
  if (!events.ok()) return events.status();
  result.events_deleted = *events;
  for (std::string_view table : kAggregateTables) {
    absl::StatusOr<int64_t> rows =
        run(absl::StrCat("DELETE FROM ", ToAbsl(table), " WHERE user_id = ?1"));
    if (!rows.ok()) return rows.status();
  }
  absl::StatusOr<int64_t> states = run("DELETE FROM consent_state WHERE user_id = ?1");
  if (!states.ok()) return states.status();
  result.consent_states_deleted = *states;
  // Proof of consent stays (Art. 7(1), 17(3)(e)), without the clear id.
  absl::StatusOr<int64_t> records =
      run("UPDATE consent_records SET user_id = NULL, user_hash = ?2 WHERE user_id = ?1", 2);
  if (!records.ok()) return records.status();
  result.consent_records_pseudonymised = *records;
  absl::StatusOr<int64_t> tombstones_added =
      run("INSERT INTO erased_users (user_hash, erased_at_ms) "
          "SELECT ?2, ?3 WHERE ?1 IS NOT NULL ON CONFLICT (user_hash) DO NOTHING",
          3);
  if (!tombstones_added.ok()) return tombstones_added.status();
  result.already_erased = *tombstones_added == 0;
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return result;
}

absl::StatusOr<RecipientsPage> SqliteStore::RenewalRecipients(std::string_view account_id,
                                                              std::string_view after,
                                                              size_t limit, absl::Time now) {
  std::lock_guard lock(read_mu_);
  // Erased users have no consent state left; the tombstone check is a
  // second guard, the suppression check the Art. 21 one.
  absl::StatusOr<sqlite::Statement> stmt = reader_->Prepare(R"sql(
SELECT c.user_id FROM consent_state c
WHERE c.purpose = ?1 AND c.decision = ?2 AND c.user_id > ?3
  AND (c.expires_at_us IS NULL OR c.expires_at_us > ?4)
  AND EXISTS (SELECT 1 FROM events e WHERE e.user_id = c.user_id AND e.account_id = ?5)
  AND NOT EXISTS (SELECT 1 FROM renewal_suppression s WHERE s.user_hash = c.user_hash)
  AND NOT EXISTS (SELECT 1 FROM erased_users x WHERE x.user_hash = c.user_hash)
ORDER BY c.user_id LIMIT ?6
)sql");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int64_t>(cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS))
      .Bind(2, StoredDecision(consent::Decision::kGranted))
      .Bind(3, after)
      .Bind(4, absl::ToUnixMicros(now))
      .Bind(5, account_id)
      .Bind(6, static_cast<int64_t>(limit) + 1);
  RecipientsPage page;
  bool more = false;
  absl::Status s = ForEachRow(*stmt, [&](const sqlite::Statement& r) {
    if (page.user_ids.size() == limit) {
      more = true;
      return;
    }
    page.user_ids.emplace_back(r.ColumnText(0));
  });
  if (!s.ok()) return WithContext(s, "listing renewal recipients");
  if (more && !page.user_ids.empty()) page.next_after = page.user_ids.back();
  return page;
}

absl::StatusOr<int64_t> SqliteStore::PurgeEventsBefore(absl::Time cutoff, size_t max_rows) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  absl::StatusOr<sqlite::Statement> stmt = writer_->Prepare(
      "DELETE FROM events WHERE rowid IN "
      "(SELECT rowid FROM events WHERE occurred_at_ms < ?1 LIMIT ?2)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, absl::ToUnixMillis(cutoff)).Bind(2, static_cast<int64_t>(max_rows));
  sqlite::Transaction txn(*writer_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  if (absl::Status s = stmt->Run(); !s.ok()) return WithContext(s, "purging old events");
  int64_t deleted = writer_->Changes();
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return deleted;
}

void SqliteStore::FoldAggregates(const cairn::v1::Event& event, const BatchRecord& batch,
                                 WriteContext& context) {
  const absl::Time at =
      CorrectedOccurredAt(FromProto(event.occurred_at()), batch.sent_at, batch.received_at);
  const int64_t at_ms = absl::ToUnixMillis(at);
  const int64_t day = engagement::DayOf(absl::FromUnixMillis(at_ms));
  WriteContext::PendingAggregates& pending = context.aggregates;
  auto lower = [at_ms](auto& map, auto key) {
    auto [it, added] = map.try_emplace(std::move(key), at_ms);
    if (!added) it->second = std::min(it->second, at_ms);
  };
  if (event.has_login() && event.purpose() == cairn::v1::PURPOSE_USAGE_ANALYTICS) {
    ++pending.login_days[{event.account_id(), event.user_id(), day}];
    lower(pending.first_login_ms, std::make_pair(event.account_id(), event.user_id()));
  } else if (event.has_milestone() && event.purpose() == cairn::v1::PURPOSE_MILESTONES) {
    const std::string& name = event.milestone().name();
    lower(pending.first_milestone_ms, std::make_tuple(event.account_id(), event.user_id(), name));
    WriteContext::PendingAggregates::MilestoneDay& sums =
        pending.milestone_days[{event.account_id(), event.user_id(), name, day}];
    ++sums.events;
    if (event.milestone().has_value() && std::isfinite(event.milestone().value())) {
      sums.value_sum += event.milestone().value();
    }
  }
}

absl::Status SqliteStore::FlushAggregates(WriteContext& context) {
  WriteContext::PendingAggregates& pending = context.aggregates;
  if (pending.empty()) return absl::OkStatus();
  for (const auto& [key, logins] : pending.login_days) {
    sqlite::Statement& add = statements_->add_login_day;
    add.Bind(1, std::get<0>(key)).Bind(2, std::get<1>(key)).Bind(3, std::get<2>(key)).Bind(4, logins);
    if (absl::Status s = add.Run(); !s.ok()) return WithContext(s, "aggregating logins");
  }
  for (const auto& [key, at_ms] : pending.first_login_ms) {
    sqlite::Statement& first = statements_->lower_first_login;
    first.Bind(1, key.first).Bind(2, key.second).Bind(3, at_ms);
    if (absl::Status s = first.Run(); !s.ok()) return WithContext(s, "aggregating logins");
  }
  for (const auto& [key, at_ms] : pending.first_milestone_ms) {
    sqlite::Statement& first = statements_->lower_milestone;
    first.Bind(1, std::get<0>(key)).Bind(2, std::get<1>(key)).Bind(3, std::get<2>(key)).Bind(
        4, at_ms);
    if (absl::Status s = first.Run(); !s.ok()) return WithContext(s, "aggregating milestones");
  }
  for (const auto& [key, sums] : pending.milestone_days) {
    sqlite::Statement& add = statements_->add_milestone_day;
    add.Bind(1, std::get<0>(key))
        .Bind(2, std::get<1>(key))
        .Bind(3, std::get<2>(key))
        .Bind(4, std::get<3>(key))
        .Bind(5, sums.events)
        .Bind(6, sums.value_sum);
    if (absl::Status s = add.Run(); !s.ok()) return WithContext(s, "aggregating milestones");
  }
  pending = {};
  return absl::OkStatus();
}

namespace {

// SqlRunner over one SQLite connection (its caller holds the lock), with
// the connection's cache of prepared statements.
class SqliteRunner final : public SqlRunner {
 public:
  SqliteRunner(sqlite::Database& db, std::unordered_map<std::string, sqlite::Statement>& cache)
      : db_(db), cache_(cache) {}

  absl::StatusOr<std::vector<SqlRow>> Query(std::string_view sql,
                                            std::span<const SqlValue> params) override {
    absl::StatusOr<sqlite::Statement*> stmt = Prepared(sql);
    if (!stmt.ok()) return stmt.status();
    sqlite::Statement& st = **stmt;
    BindAll(st, params);
    std::vector<SqlRow> rows;
    const int columns = st.ColumnCount();
    while (true) {
      absl::StatusOr<bool> has_row = st.Step();
      if (!has_row.ok()) {
        st.Reset();
        return has_row.status();
      }
      if (!*has_row) break;
      SqlRow& row = rows.emplace_back();
      row.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (st.ColumnIsNull(c)) {
          row.emplace_back();
        } else if (st.ColumnIsReal(c)) {
          row.emplace_back(absl::StrFormat("%.17g", st.ColumnDouble(c)));
        } else {
          row.emplace_back(std::string(st.ColumnText(c)));
        }
      }
    }
    st.Reset();
    return rows;
  }

  absl::StatusOr<int64_t> Execute(std::string_view sql,
                                  std::span<const SqlValue> params) override {
    absl::StatusOr<sqlite::Statement*> stmt = Prepared(sql);
    if (!stmt.ok()) return stmt.status();
    BindAll(**stmt, params);
    if (absl::Status s = (*stmt)->Run(); !s.ok()) return s;  // Run resets
    return db_.Changes();
  }

 private:
  absl::StatusOr<sqlite::Statement*> Prepared(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) return &it->second;
    absl::StatusOr<sqlite::Statement> stmt = db_.Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    return &cache_.emplace(std::string(sql), *std::move(stmt)).first->second;
  }

  static void BindAll(sqlite::Statement& stmt, std::span<const SqlValue> params) {
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        stmt.BindNull(index);
      } else if (const int64_t* n = std::get_if<int64_t>(&v)) {
        stmt.Bind(index, *n);
      } else if (const double* d = std::get_if<double>(&v)) {
        stmt.Bind(index, *d);
      } else {
        stmt.Bind(index, std::get<std::string>(v));
      }
    }
  }

  sqlite::Database& db_;
  std::unordered_map<std::string, sqlite::Statement>& cache_;
};

}  // namespace

absl::Status SqliteStore::RunEngagementRead(absl::FunctionRef<absl::Status(SqlRunner&)> body) {
  std::lock_guard lock(read_mu_);
  if (absl::Status s = reader_->Exec("BEGIN"); !s.ok()) return s;
  SqliteRunner runner(*reader_, read_cache_);
  absl::Status s = body(runner);
  reader_->Exec(s.ok() ? "COMMIT" : "ROLLBACK").IgnoreError();
  return s;
}

absl::Status SqliteStore::RunEngagementWrite(absl::FunctionRef<absl::Status(SqlRunner&)> body) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  sqlite::Transaction txn(*writer_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  SqliteRunner runner(*writer_, write_cache_);
  if (absl::Status s = body(runner); !s.ok()) return s;  // txn rolls back
  return txn.Commit();
}

}  // namespace cairn::collector
