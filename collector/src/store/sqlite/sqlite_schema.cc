// SqliteStore: the schema, its migrations, opening and the hash key.
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/crypto.h"
#include "store/cs_schema.h"
#include "store/event_row.h"
#include "store/sqlite/sqlite_internal.h"
#include "store/sqlite/sqlite_store.h"
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

// Version 5: the engagement tables. The four daily aggregates
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

// Version 6: consent state and the renewal suppression list keyed by
// (account, user), so an opt-out made in one account holds there whatever
// the same user id decides in another. Both are rebuilt from the consent
// records, which carry the account each decision was made in:
// - consent_state: per (account, user, purpose) the latest record by device
//   time (of equal times, the one stored last) of users who still have a
//   state row; a state row with no record behind it has no account and no
//   proof and is dropped (its user reads as never asked in every account);
// - renewal_suppression: per (account, user hash) where the user denied
//   renewal notifications (purpose 3, decision 2) and made no later grant
//   other than a vendor default ("vendor_default"): such a grant no longer
//   lifts an objection, so objections undone by one come back. Erased users
//   are found through their pseudonymised records (user_hash), the others
//   through their old state rows' hash;
// - an old suppression entry none of that places in an account (its
//   records were deleted) is kept with account_id '' and holds in every
//   account: an objection is never lost.
constexpr std::string_view kMigrationV6 = R"sql(
CREATE TABLE consent_state_v6 (
  account_id          TEXT NOT NULL,
  user_id             TEXT NOT NULL,
  purpose             INTEGER NOT NULL,
  user_hash           TEXT NOT NULL,
  decision            INTEGER NOT NULL,
  policy_id           TEXT NOT NULL,
  policy_version      TEXT NOT NULL,
  decided_at_us       INTEGER NOT NULL,
  expires_at_us       INTEGER,
  updated_at_ms       INTEGER NOT NULL,
  PRIMARY KEY (account_id, user_id, purpose)
);
INSERT INTO consent_state_v6 (account_id, user_id, purpose, user_hash, decision, policy_id,
                              policy_version, decided_at_us, expires_at_us, updated_at_ms)
SELECT r.account_id, r.user_id, r.purpose, s.user_hash, r.decision, r.policy_id,
       r.policy_version, r.device_time_us, r.expires_at_us, r.collector_time_ms
FROM consent_records r JOIN consent_state s ON s.user_id = r.user_id AND s.purpose = r.purpose
WHERE r.rowid = (SELECT l.rowid FROM consent_records l
                 WHERE l.user_id = r.user_id AND l.purpose = r.purpose
                   AND l.account_id = r.account_id
                 ORDER BY l.device_time_us DESC, l.rowid DESC LIMIT 1);
CREATE TABLE renewal_suppression_v6 (
  account_id          TEXT NOT NULL,
  user_hash           TEXT NOT NULL,
  since_ms            INTEGER NOT NULL,
  denied_at_us        INTEGER NOT NULL,
  PRIMARY KEY (account_id, user_hash)
);
INSERT INTO renewal_suppression_v6 (account_id, user_hash, since_ms, denied_at_us)
WITH renewal AS (
  SELECT r.account_id, r.decision, r.device_time_us, r.collector_time_ms, r.source_surface,
         coalesce(r.user_hash, (SELECT s.user_hash FROM consent_state s
                                WHERE s.user_id = r.user_id LIMIT 1)) AS user_hash
  FROM consent_records r WHERE r.purpose = 3
), denials AS (
  SELECT account_id, user_hash, min(collector_time_ms) AS since_ms,
         max(device_time_us) AS denied_at_us
  FROM renewal WHERE decision = 2 AND user_hash IS NOT NULL GROUP BY account_id, user_hash
)
SELECT d.account_id, d.user_hash, d.since_ms, d.denied_at_us FROM denials d
WHERE NOT EXISTS (SELECT 1 FROM renewal g
                  WHERE g.account_id = d.account_id AND g.user_hash = d.user_hash
                    AND g.decision = 1 AND g.source_surface <> 'vendor_default'
                    AND g.device_time_us > d.denied_at_us);
INSERT INTO renewal_suppression_v6 (account_id, user_hash, since_ms, denied_at_us)
SELECT '', o.user_hash, o.since_ms, o.denied_at_us FROM renewal_suppression o
WHERE NOT EXISTS (SELECT 1 FROM renewal_suppression_v6 n WHERE n.user_hash = o.user_hash);
DROP TABLE consent_state;
ALTER TABLE consent_state_v6 RENAME TO consent_state;
CREATE INDEX consent_state_by_purpose ON consent_state (purpose, decision, account_id, user_id);
CREATE INDEX consent_state_by_user ON consent_state (user_id);
DROP TABLE renewal_suppression;
ALTER TABLE renewal_suppression_v6 RENAME TO renewal_suppression;
CREATE INDEX renewal_suppression_by_user ON renewal_suppression (user_hash);
)sql";

// Version 7: account-level totals the retention purge folds the per-user
// aggregates into once they are older than the retention window: the
// account's first login, the first reach of each milestone name and the
// milestone events per name and day, without any user id (store/user_data.h).
constexpr std::string_view kMigrationV7 = R"sql(
CREATE TABLE IF NOT EXISTS account_first_login (
  account_id          TEXT PRIMARY KEY,
  first_login_ms      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS account_milestone (
  account_id          TEXT NOT NULL,
  name                TEXT NOT NULL,
  first_reached_ms    INTEGER NOT NULL,
  PRIMARY KEY (account_id, name)
);
CREATE TABLE IF NOT EXISTS account_milestone_day (
  account_id          TEXT NOT NULL,
  name                TEXT NOT NULL,
  day                 INTEGER NOT NULL,
  events              INTEGER NOT NULL,
  value_sum           REAL NOT NULL,
  PRIMARY KEY (account_id, name, day)
);
)sql";

// Version 8: one lean row per event (EventRow), in a table clustered by the
// event id's 16 bytes. A UUIDv7 id leads with its creation time, so the one
// key de-duplicates and keeps the table in time order; new rows append at
// its end instead of landing all over a separate text-key index. The event
// is kept once: its columns plus the few fields no column holds (`residual`),
// no second copy as a protobuf blob. Ids the SDK makes as UUIDs (event,
// session, batch) are kept as their 16 bytes and the install id's 32 hex
// digits as 16 bytes (CompactId); any other id stays text. The two indexes
// the reads need stay (erasure and export by user, retention by time).
// `events` becomes a view with the columns, names and text forms it always
// had, so an operator's SQL and every read written against it keep working.
// Existing rows move over with their whole stored event as the residual,
// which reads back the same (EventFromRow). cairn_uuid_key() and
// cairn_hex_key() are CompactUuid and CompactHex, registered on the
// writer connection.
constexpr std::string_view kMigrationV8 = R"sql(
CREATE TABLE event_rows (
  id                  BLOB PRIMARY KEY,
  account_id          TEXT NOT NULL,
  user_id             TEXT NOT NULL,
  purpose             INTEGER NOT NULL,
  body_case           INTEGER NOT NULL,
  occurred_at_ms      INTEGER NOT NULL,
  corrected_at_ms     INTEGER NOT NULL,
  received_at_ms      INTEGER NOT NULL,
  sequence            INTEGER NOT NULL,
  session_id          BLOB NOT NULL,
  install_id          BLOB NOT NULL,
  batch_id            BLOB NOT NULL,
  milestone_name      TEXT,
  milestone_value     REAL,
  session_duration_ms INTEGER,
  attributes_json     TEXT NOT NULL,
  residual            BLOB NOT NULL
) WITHOUT ROWID;
INSERT INTO event_rows
SELECT cairn_uuid_key(event_id), account_id, user_id, purpose,
       CASE kind WHEN 'login' THEN 10 WHEN 'logout' THEN 11 WHEN 'session_end' THEN 12
                 WHEN 'milestone' THEN 13 WHEN 'consent_change' THEN 14 ELSE 0 END,
       occurred_at_ms, coalesce(corrected_at_ms, occurred_at_ms), received_at_ms, sequence,
       cairn_uuid_key(session_id), cairn_hex_key(install_id), cairn_uuid_key(batch_id),
       milestone_name, milestone_value, session_duration_ms, attributes_json, event_proto
FROM events WHERE true
ON CONFLICT (id) DO NOTHING;
DROP TABLE events;
CREATE INDEX events_by_user_account ON event_rows (user_id, account_id);
CREATE INDEX events_by_time ON event_rows (occurred_at_ms);
CREATE VIEW events (event_id, account_id, user_id, purpose, kind, occurred_at_ms,
                    received_at_ms, sequence, session_id, install_id, batch_id,
                    milestone_name, milestone_value, session_duration_ms,
                    attributes_json, event_proto, corrected_at_ms) AS
SELECT CASE WHEN typeof(id) = 'blob' THEN lower(
         hex(substr(id, 1, 4)) || '-' || hex(substr(id, 5, 2)) || '-' || hex(substr(id, 7, 2))
         || '-' || hex(substr(id, 9, 2)) || '-' || hex(substr(id, 11, 6)))
       ELSE id END, account_id, user_id, purpose,
       CASE body_case WHEN 10 THEN 'login' WHEN 11 THEN 'logout' WHEN 12 THEN 'session_end'
                      WHEN 13 THEN 'milestone' WHEN 14 THEN 'consent_change'
                      ELSE 'unknown' END,
       occurred_at_ms, received_at_ms, sequence, CASE WHEN typeof(session_id) = 'blob' THEN lower(
         hex(substr(session_id, 1, 4)) || '-' || hex(substr(session_id, 5, 2)) || '-' || hex(substr(session_id, 7, 2))
         || '-' || hex(substr(session_id, 9, 2)) || '-' || hex(substr(session_id, 11, 6)))
       ELSE session_id END,
       CASE WHEN typeof(install_id) = 'blob' THEN lower(hex(install_id)) ELSE install_id END,
       CASE WHEN typeof(batch_id) = 'blob' THEN lower(
         hex(substr(batch_id, 1, 4)) || '-' || hex(substr(batch_id, 5, 2)) || '-' || hex(substr(batch_id, 7, 2))
         || '-' || hex(substr(batch_id, 9, 2)) || '-' || hex(substr(batch_id, 11, 6)))
       ELSE batch_id END, milestone_name, milestone_value, session_duration_ms, attributes_json,
       residual, corrected_at_ms
FROM event_rows;
)sql";

// Version 8 again on a database whose events are already the view (a tool
// set its version back to re-run older steps): nothing moves. Also version
// 10 again where its columns exist.
constexpr std::string_view kMigrationV8Done = "SELECT 1;";

// Feedback aggregate: per (account, user, kind, day) the latest NPS or CSAT
// score the consent check stored (the later answer of a day wins), so NPS
// per account and overall is computed without reading events. No comment:
// that stays in the event. Indexed by user for erasure and withdrawal. The
// events view names the feedback body's kind (it said "unknown"); a view
// holds no rows, so replacing it moves nothing.
constexpr std::string_view kMigrationFeedbackDay = R"sql(
CREATE TABLE IF NOT EXISTS user_feedback_day (
  account_id          TEXT NOT NULL,
  user_id             TEXT NOT NULL,
  kind                INTEGER NOT NULL,
  day                 INTEGER NOT NULL,
  score               INTEGER NOT NULL,
  answered_at_ms      INTEGER NOT NULL,
  PRIMARY KEY (account_id, user_id, kind, day)
);
CREATE INDEX IF NOT EXISTS user_feedback_day_by_user ON user_feedback_day (user_id);
CREATE INDEX IF NOT EXISTS user_feedback_day_by_day ON user_feedback_day (kind, day);
DROP VIEW IF EXISTS events;
CREATE VIEW events (event_id, account_id, user_id, purpose, kind, occurred_at_ms,
                    received_at_ms, sequence, session_id, install_id, batch_id,
                    milestone_name, milestone_value, session_duration_ms,
                    attributes_json, event_proto, corrected_at_ms) AS
SELECT CASE WHEN typeof(id) = 'blob' THEN lower(
         hex(substr(id, 1, 4)) || '-' || hex(substr(id, 5, 2)) || '-' || hex(substr(id, 7, 2))
         || '-' || hex(substr(id, 9, 2)) || '-' || hex(substr(id, 11, 6)))
       ELSE id END, account_id, user_id, purpose,
       CASE body_case WHEN 10 THEN 'login' WHEN 11 THEN 'logout' WHEN 12 THEN 'session_end'
                      WHEN 13 THEN 'milestone' WHEN 14 THEN 'consent_change'
                      WHEN 15 THEN 'feedback' ELSE 'unknown' END,
       occurred_at_ms, received_at_ms, sequence, CASE WHEN typeof(session_id) = 'blob' THEN lower(
         hex(substr(session_id, 1, 4)) || '-' || hex(substr(session_id, 5, 2)) || '-' || hex(substr(session_id, 7, 2))
         || '-' || hex(substr(session_id, 9, 2)) || '-' || hex(substr(session_id, 11, 6)))
       ELSE session_id END,
       CASE WHEN typeof(install_id) = 'blob' THEN lower(hex(install_id)) ELSE install_id END,
       CASE WHEN typeof(batch_id) = 'blob' THEN lower(
         hex(substr(batch_id, 1, 4)) || '-' || hex(substr(batch_id, 5, 2)) || '-' || hex(substr(batch_id, 7, 2))
         || '-' || hex(substr(batch_id, 9, 2)) || '-' || hex(substr(batch_id, 11, 6)))
       ELSE batch_id END, milestone_name, milestone_value, session_duration_ms, attributes_json,
       residual, corrected_at_ms
FROM event_rows;
)sql";

// The admin audit log and the per-account tasks and notes (workflow):
// additive, so it can run on any earlier database. No column holds an end
// user's id: actors and owners are token names, accounts are companies.
constexpr std::string_view kMigrationAccessWorkflow = R"sql(
CREATE TABLE IF NOT EXISTS admin_audit (
  audit_id            TEXT PRIMARY KEY,
  at_ms               INTEGER NOT NULL,
  actor               TEXT NOT NULL,
  role                TEXT NOT NULL,
  method              TEXT NOT NULL,
  route               TEXT NOT NULL,
  account_id          TEXT,
  status              INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS admin_audit_by_time ON admin_audit (at_ms, audit_id);
CREATE INDEX IF NOT EXISTS admin_audit_by_actor ON admin_audit (actor, at_ms);
CREATE TABLE IF NOT EXISTS account_tasks (
  task_id             TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL,
  title               TEXT NOT NULL,
  owner               TEXT NOT NULL,
  due_day             INTEGER,
  status              TEXT NOT NULL,
  created_by          TEXT NOT NULL,
  created_at_ms       INTEGER NOT NULL,
  updated_at_ms       INTEGER NOT NULL,
  alert_id            TEXT
);
CREATE INDEX IF NOT EXISTS account_tasks_by_account ON account_tasks (account_id, created_at_ms);
CREATE INDEX IF NOT EXISTS account_tasks_by_owner ON account_tasks (owner, status, due_day);
CREATE TABLE IF NOT EXISTS account_notes (
  note_id             TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL,
  text                TEXT NOT NULL,
  author              TEXT NOT NULL,
  created_at_ms       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS account_notes_by_account ON account_notes (account_id, created_at_ms);
)sql";

// Version 13 (alert kinds and workflow): what opened each alert ("drop" or
// "declining"), the fitted 12-week loss then, and a person's acknowledgement
// and snooze. Additive: older alerts are drops with none of these set.
constexpr std::string_view kMigrationAlertKinds = R"sql(
ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'drop';
ALTER TABLE alerts ADD COLUMN loss_12w REAL;
ALTER TABLE alerts ADD COLUMN acknowledged_at_ms INTEGER;
ALTER TABLE alerts ADD COLUMN snoozed_until_ms INTEGER;
)sql";

constexpr std::array<std::string_view, 13> kMigrations = {
    kMigrationV1,        kMigrationV2,      kMigrationV3,          kMigrationV4,
    kMigrationV5,        kMigrationV6,      kMigrationV7,          kMigrationV8,
    kCsSnapshotTables,   kCsContextColumns, kMigrationFeedbackDay, kMigrationAccessWorkflow,
    kMigrationAlertKinds};
static_assert(kMigrations.size() == SqliteStore::kSchemaVersion);

// cairn_uuid_key(text) and cairn_hex_key(text): CompactUuid and CompactHex
// for the version 8 step, a BLOB of the compact bytes or the text as it was.
template <CompactId (*compact)(std::string_view)>
void CompactIdFunction(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const CompactId id =
      compact(std::string_view(text, static_cast<size_t>(sqlite3_value_bytes(argv[0]))));
  const int size = static_cast<int>(id.bytes.size());
  if (id.binary) {
    sqlite3_result_blob(context, id.bytes.data(), size, SQLITE_TRANSIENT);
  } else {
    sqlite3_result_text(context, id.bytes.data(), size, SQLITE_TRANSIENT);
  }
}

// Whether `sql` returns a row. The statement is finished (destroyed) before
// the migration steps run: a pending statement would keep DROP TABLE from
// running.
absl::StatusOr<bool> HasRow(sqlite::Database& db, const char* sql) {
  absl::StatusOr<sqlite::Statement> statement = db.Prepare(sql);
  if (!statement.ok()) return statement.status();
  return statement->Step();
}

// Migrates `db` to kSchemaVersion. The version 8 step is skipped where the
// events are already the view (its SQL could not run twice), and versions 10
// and 13 where their columns exist (SQLite has no ADD COLUMN IF NOT EXISTS).
absl::Status MigrateCollectorSchema(sqlite::Database& db) {
  for (const auto& [name, function] :
       {std::pair{"cairn_uuid_key", &CompactIdFunction<CompactUuid>},
        std::pair{"cairn_hex_key", &CompactIdFunction<CompactHex>}}) {
    if (sqlite3_create_function_v2(db.raw(), name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                   function, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return absl::InternalError(absl::StrCat("cannot register ", name));
    }
  }
  std::array<std::string_view, kMigrations.size()> steps = kMigrations;
  absl::StatusOr<bool> is_view =
      HasRow(db, "SELECT 1 FROM sqlite_schema WHERE name = 'events' AND type = 'view'");
  if (!is_view.ok()) return is_view.status();
  if (*is_view) steps[7] = kMigrationV8Done;
  absl::StatusOr<bool> has_owner =
      HasRow(db, "SELECT 1 FROM pragma_table_info('account_settings') WHERE name = 'owner'");
  if (!has_owner.ok()) return has_owner.status();
  if (*has_owner) steps[9] = kMigrationV8Done;
  // A re-run of the alert-kinds step (a version set back by a tool) must
  // find the columns there.
  absl::StatusOr<bool> has_kind =
      HasRow(db, "SELECT 1 FROM pragma_table_info('alerts') WHERE name = 'kind'");
  if (!has_kind.ok()) return has_kind.status();
  if (*has_kind) steps[12] = kMigrationV8Done;
  return db.Migrate(steps);
}

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
      absl::StatusOr<std::string> decoded = GeneratedHashKeyFromText(**stored);
      if (!decoded.ok()) return decoded.status();
      key = *std::move(decoded);
    } else {
      absl::StatusOr<std::string> generated = RandomBytes(kGeneratedHashKeyBytes);
      if (!generated.ok()) return generated.status();
      key = *std::move(generated);
      if (absl::Status s = WriteSetting(db, "generated_hash_key", GeneratedHashKeyText(key));
          !s.ok()) {
        return s;
      }
    }
  }
  std::string check = HashKeyCheck(key);
  absl::StatusOr<std::optional<std::string>> stored_check = ReadSetting(db, "hash_key_check");
  if (!stored_check.ok()) return stored_check.status();
  if (!stored_check->has_value()) {
    if (absl::Status s = WriteSetting(db, "hash_key_check", check); !s.ok()) return s;
  } else if (absl::Status s = VerifyHashKeyCheck(**stored_check, check); !s.ok()) {
    return s;
  }
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return key;
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
  for (std::unique_ptr<EngagementReader>& r : engagement_readers_) {
    std::lock_guard lock(r->mu);
    r->cache.clear();
    r->db.reset();
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
    // More lookaside slots than SQLite's 100: an insert's records and
    // cells then rarely fall through to malloc. 1.2 MB; an optimisation
    // only, so a refusal (memory in use) changes nothing else.
    sqlite3_db_config(writer->raw(), SQLITE_DBCONFIG_LOOKASIDE, nullptr, 1200, 1000);
    // Writer-only tuning (SqliteStoreOptions); none of it touches durability.
    std::string tuning = "PRAGMA temp_store=MEMORY;";
    if (options.cache_mib > 0) {
      absl::StrAppend(&tuning, "PRAGMA cache_size=", -int64_t{options.cache_mib} * 1024, ";");
    }
    if (options.wal_autocheckpoint_pages > 0) {
      absl::StrAppend(&tuning, "PRAGMA wal_autocheckpoint=", options.wal_autocheckpoint_pages, ";");
    }
    if (absl::Status s = writer->Exec(tuning); !s.ok()) {
      return WithContext(s, "configuring the collector database");
    }
    if (absl::Status s = MigrateCollectorSchema(*writer); !s.ok()) {
      return WithContext(s, "migrating the collector database");
    }
    absl::StatusOr<std::string> key = SetUpHashKey(*writer, options.hash_key);
    if (!key.ok()) return key.status();
    hash_key = *std::move(key);
    absl::StatusOr<std::unique_ptr<WriteStatements>> prepared = PrepareWriteStatements(*writer);
    if (!prepared.ok()) return prepared.status();
    statements = *std::move(prepared);
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
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(
      std::move(writer), *std::move(reader), std::move(statements), std::move(hash_key)));
  for (int i = 0; i < std::max(1, options.engagement_readers); ++i) {
    absl::StatusOr<std::unique_ptr<sqlite::Database>> db =
        sqlite::Database::Open(path, read_options);
    if (!db.ok()) return WithContext(db.status(), "opening the collector database");
    auto slot = std::make_unique<EngagementReader>();
    slot->db = *std::move(db);
    store->engagement_readers_.push_back(std::move(slot));
  }
  return store;
}

std::span<const std::string_view> SqliteStore::MigrationSteps() { return kMigrations; }

std::string SqliteStore::UserHash(std::string_view user_id) const {
  return ToHex(HmacSha256(hash_key_, user_id));
}

absl::Status SqliteStore::Ping() {
  std::lock_guard lock(read_mu_);
  absl::StatusOr<int> version = reader_->SchemaVersion();
  if (!version.ok()) return WithContext(version.status(), "reading the collector database");
  return absl::OkStatus();
}

}  // namespace cairn::collector
