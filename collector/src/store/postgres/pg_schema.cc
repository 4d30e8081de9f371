#include "store/postgres/pg_schema.h"

#include <array>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/crypto.h"
#include "store/cs_schema.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_partitions.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

// Schema history. Never edit a shipped step: add a new one. Step i moves the
// schema from version i to i+1. Same tables and column names as the SQLite
// store, so operators' queries work on both. Identifiers use the "C"
// collation: byte order, as in SQLite, for sorting and paging cursors.
// corrected_at_ms is the skew-corrected occurrence time (see Store).
// consent_records.seq orders records stored at the same device time (the
// SQLite store uses rowid).
constexpr std::string_view kStepV1 = R"sql(
CREATE TABLE events (
  event_id            text COLLATE "C" PRIMARY KEY,
  account_id          text COLLATE "C" NOT NULL,
  user_id             text COLLATE "C" NOT NULL,
  purpose             integer NOT NULL,
  kind                text NOT NULL,
  occurred_at_ms      bigint NOT NULL,
  corrected_at_ms     bigint NOT NULL,
  received_at_ms      bigint NOT NULL,
  sequence            bigint NOT NULL,
  session_id          text NOT NULL,
  install_id          text NOT NULL,
  batch_id            text NOT NULL,
  milestone_name      text COLLATE "C",
  milestone_value     double precision,
  session_duration_ms bigint,
  attributes_json     text NOT NULL,
  event_proto         bytea NOT NULL
);
CREATE INDEX events_by_account_time ON events (account_id, occurred_at_ms);
CREATE INDEX events_by_user_account ON events (user_id, account_id);
CREATE INDEX events_by_time ON events (occurred_at_ms);
CREATE TABLE batches (
  batch_id            text COLLATE "C" PRIMARY KEY,
  install_id          text NOT NULL,
  sent_at_ms          bigint,
  received_at_ms      bigint NOT NULL,
  last_received_at_ms bigint NOT NULL,
  times_received      bigint NOT NULL,
  event_count         bigint NOT NULL,
  accepted            bigint NOT NULL,
  duplicates          bigint NOT NULL,
  rejected            bigint NOT NULL,
  client_ip           text,
  user_agent          text
);
CREATE TABLE client_drops (
  install_id          text COLLATE "C" NOT NULL,
  reason              integer NOT NULL,
  count               bigint NOT NULL,
  PRIMARY KEY (install_id, reason)
);
CREATE TABLE consent_records (
  seq                 bigint GENERATED ALWAYS AS IDENTITY,
  event_id            text COLLATE "C" PRIMARY KEY,
  account_id          text NOT NULL,
  user_id             text COLLATE "C",
  user_hash           text,
  purpose             integer NOT NULL,
  decision            integer NOT NULL,
  policy_id           text NOT NULL,
  policy_version      text NOT NULL,
  device_time_us      bigint NOT NULL,
  collector_time_ms   bigint NOT NULL,
  sdk_version         text NOT NULL,
  source_surface      text NOT NULL,
  expires_at_us       bigint
);
CREATE INDEX consent_records_by_subject
  ON consent_records (user_id, purpose, device_time_us, seq);
CREATE TABLE consent_state (
  user_id             text COLLATE "C" NOT NULL,
  purpose             integer NOT NULL,
  user_hash           text NOT NULL,
  decision            integer NOT NULL,
  policy_id           text NOT NULL,
  policy_version      text NOT NULL,
  decided_at_us       bigint NOT NULL,
  expires_at_us       bigint,
  updated_at_ms       bigint NOT NULL,
  PRIMARY KEY (user_id, purpose)
);
CREATE INDEX consent_state_by_purpose ON consent_state (purpose, decision, user_id);
CREATE TABLE renewal_suppression (
  user_hash           text PRIMARY KEY,
  since_ms            bigint NOT NULL,
  denied_at_us        bigint NOT NULL
);
CREATE TABLE erased_users (
  user_hash           text PRIMARY KEY,
  erased_at_ms        bigint NOT NULL
);
CREATE TABLE rejections (
  reason              integer PRIMARY KEY,
  count               bigint NOT NULL
);
CREATE TABLE settings (
  name                text PRIMARY KEY,
  value               text NOT NULL
);
)sql";

// Version 2: no (account_id, occurred_at_ms) index, as in the SQLite store's
// version 4: no query of the collector needs it, and every insert paid for it.
constexpr std::string_view kStepV2 = R"sql(
DROP INDEX IF EXISTS events_by_account_time;
)sql";

// Version 3: the engagement tables, as the SQLite store's version
// 5: the four daily aggregates maintained by Write (indexed by user for
// erasure and withdrawal), account settings, goals, alert episodes and
// alerts with their webhook delivery state.
constexpr std::string_view kStepV3 = R"sql(
CREATE TABLE IF NOT EXISTS user_day (
  account_id          text COLLATE "C" NOT NULL,
  user_id             text COLLATE "C" NOT NULL,
  day                 bigint NOT NULL,
  logins              bigint NOT NULL,
  PRIMARY KEY (account_id, user_id, day)
);
CREATE INDEX IF NOT EXISTS user_day_by_user ON user_day (user_id);
CREATE TABLE IF NOT EXISTS user_first_login (
  account_id          text COLLATE "C" NOT NULL,
  user_id             text COLLATE "C" NOT NULL,
  first_login_ms      bigint NOT NULL,
  PRIMARY KEY (account_id, user_id)
);
CREATE INDEX IF NOT EXISTS user_first_login_by_user ON user_first_login (user_id);
CREATE TABLE IF NOT EXISTS user_milestone (
  account_id          text COLLATE "C" NOT NULL,
  user_id             text COLLATE "C" NOT NULL,
  name                text COLLATE "C" NOT NULL,
  first_reached_ms    bigint NOT NULL,
  PRIMARY KEY (account_id, user_id, name)
);
CREATE INDEX IF NOT EXISTS user_milestone_by_user ON user_milestone (user_id);
CREATE TABLE IF NOT EXISTS user_milestone_day (
  account_id          text COLLATE "C" NOT NULL,
  user_id             text COLLATE "C" NOT NULL,
  name                text COLLATE "C" NOT NULL,
  day                 bigint NOT NULL,
  events              bigint NOT NULL,
  value_sum           double precision NOT NULL,
  PRIMARY KEY (account_id, user_id, name, day)
);
CREATE INDEX IF NOT EXISTS user_milestone_day_by_user ON user_milestone_day (user_id);
CREATE TABLE IF NOT EXISTS account_settings (
  account_id          text COLLATE "C" PRIMARY KEY,
  seats               bigint,
  renewal_day         bigint,
  key_milestones      text NOT NULL,
  updated_at_ms       bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS goals (
  goal_id             text COLLATE "C" PRIMARY KEY,
  account_id          text COLLATE "C" NOT NULL,
  name                text NOT NULL,
  milestone_name      text COLLATE "C" NOT NULL,
  target_count        bigint NOT NULL,
  start_day           bigint NOT NULL,
  due_day             bigint,
  created_at_ms       bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS goals_by_account ON goals (account_id, created_at_ms);
CREATE TABLE IF NOT EXISTS alert_episodes (
  account_id          text COLLATE "C" PRIMARY KEY,
  open                bigint NOT NULL,
  severity            bigint NOT NULL,
  opened_at_ms        bigint,
  escalated_at_ms     bigint,
  closed_at_ms        bigint,
  episodes            bigint NOT NULL,
  alert_id            text NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
  alert_id            text COLLATE "C" PRIMARY KEY,
  account_id          text COLLATE "C" NOT NULL,
  severity            bigint NOT NULL,
  open                bigint NOT NULL,
  opened_at_ms        bigint NOT NULL,
  escalated_at_ms     bigint,
  resolved_at_ms      bigint,
  this_week           bigint NOT NULL,
  baseline_mean       double precision NOT NULL,
  ratio               double precision NOT NULL,
  payload             text NOT NULL,
  delivery_state      bigint NOT NULL,
  attempts            bigint NOT NULL,
  last_error          text NOT NULL,
  next_attempt_ms     bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_opened ON alerts (opened_at_ms);
CREATE INDEX IF NOT EXISTS alerts_by_delivery ON alerts (delivery_state, next_attempt_ms);
)sql";

// Version 4: consent state and the renewal suppression list keyed by
// (account, user), rebuilt from the consent records exactly as SQLite's
// version 6 does (sqlite_schema.cc says why each rule): the state per
// (account, user, purpose) from the latest record, dropping state rows
// with no record; a suppression per (account, user hash) where the user
// denied renewal notifications and made no later grant other than a vendor
// default; an old entry that fits no account kept with account_id ''.
constexpr std::string_view kStepV4 = R"sql(
CREATE TABLE consent_state_v4 (
  account_id          text COLLATE "C" NOT NULL,
  user_id             text COLLATE "C" NOT NULL,
  purpose             integer NOT NULL,
  user_hash           text NOT NULL,
  decision            integer NOT NULL,
  policy_id           text NOT NULL,
  policy_version      text NOT NULL,
  decided_at_us       bigint NOT NULL,
  expires_at_us       bigint,
  updated_at_ms       bigint NOT NULL,
  PRIMARY KEY (account_id, user_id, purpose)
);
INSERT INTO consent_state_v4 (account_id, user_id, purpose, user_hash, decision, policy_id,
                              policy_version, decided_at_us, expires_at_us, updated_at_ms)
SELECT DISTINCT ON (r.account_id, r.user_id, r.purpose)
       r.account_id, r.user_id, r.purpose, s.user_hash, r.decision, r.policy_id,
       r.policy_version, r.device_time_us, r.expires_at_us, r.collector_time_ms
FROM consent_records r JOIN consent_state s ON s.user_id = r.user_id AND s.purpose = r.purpose
ORDER BY r.account_id, r.user_id, r.purpose, r.device_time_us DESC, r.seq DESC;
CREATE TABLE renewal_suppression_v4 (
  account_id          text COLLATE "C" NOT NULL,
  user_hash           text NOT NULL,
  since_ms            bigint NOT NULL,
  denied_at_us        bigint NOT NULL,
  PRIMARY KEY (account_id, user_hash)
);
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
INSERT INTO renewal_suppression_v4 (account_id, user_hash, since_ms, denied_at_us)
SELECT d.account_id, d.user_hash, d.since_ms, d.denied_at_us FROM denials d
WHERE NOT EXISTS (SELECT 1 FROM renewal g
                  WHERE g.account_id = d.account_id AND g.user_hash = d.user_hash
                    AND g.decision = 1 AND g.source_surface <> 'vendor_default'
                    AND g.device_time_us > d.denied_at_us);
INSERT INTO renewal_suppression_v4 (account_id, user_hash, since_ms, denied_at_us)
SELECT '', o.user_hash, o.since_ms, o.denied_at_us FROM renewal_suppression o
WHERE NOT EXISTS (SELECT 1 FROM renewal_suppression_v4 n WHERE n.user_hash = o.user_hash);
DROP TABLE consent_state;
ALTER TABLE consent_state_v4 RENAME TO consent_state;
ALTER INDEX consent_state_v4_pkey RENAME TO consent_state_pkey;
CREATE INDEX consent_state_by_purpose ON consent_state (purpose, decision, account_id, user_id);
CREATE INDEX consent_state_by_user ON consent_state (user_id);
DROP TABLE renewal_suppression;
ALTER TABLE renewal_suppression_v4 RENAME TO renewal_suppression;
ALTER INDEX renewal_suppression_v4_pkey RENAME TO renewal_suppression_pkey;
CREATE INDEX renewal_suppression_by_user ON renewal_suppression (user_hash);
)sql";

// Version 5: the account-level totals of the retention purge, as the SQLite
// store's version 7.
constexpr std::string_view kStepV5 = R"sql(
CREATE TABLE IF NOT EXISTS account_first_login (
  account_id          text COLLATE "C" PRIMARY KEY,
  first_login_ms      bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS account_milestone (
  account_id          text COLLATE "C" NOT NULL,
  name                text COLLATE "C" NOT NULL,
  first_reached_ms    bigint NOT NULL,
  PRIMARY KEY (account_id, name)
);
CREATE TABLE IF NOT EXISTS account_milestone_day (
  account_id          text COLLATE "C" NOT NULL,
  name                text COLLATE "C" NOT NULL,
  day                 bigint NOT NULL,
  events              bigint NOT NULL,
  value_sum           double precision NOT NULL,
  PRIMARY KEY (account_id, name, day)
);
)sql";

// Version 6: one lean row per event (EventRow) in `event_rows`, as the
// SQLite store's version 8: the id as a native uuid (16 bytes), the event
// once (its columns plus the few fields no column holds, `residual`; no
// second copy as a protobuf blob), the kind as the body's number, and only
// the indexes the reads need: the key, by user (erasure, export,
// recipients) and by time (retention). Columns are ordered for alignment
// (8-byte values first). The table is range-partitioned by month on the id
// itself (pg_partitions.h says why), with a default partition for ids
// outside the months near the collector's clock. `events` becomes a view
// with the columns, names and text forms it always had, so an operator's
// SQL and every read written against it keep working. Existing rows move
// over with their whole stored event as the residual, which reads back the
// same (EventFromRow); an id that is not a canonical UUID (none the
// collector accepted) becomes the first 16 bytes of its SHA-256, as
// PgEventUuid maps it. The month partitions of the moved rows are made
// between the two halves of the step (MigrateToV6).
constexpr std::string_view kStepV6 = R"sql(
CREATE TABLE event_rows (
  id                  uuid NOT NULL,
  occurred_at_ms      bigint NOT NULL,
  corrected_at_ms     bigint NOT NULL,
  received_at_ms      bigint NOT NULL,
  sequence            bigint NOT NULL,
  milestone_value     double precision,
  session_duration_ms bigint,
  purpose             integer NOT NULL,
  body_case           smallint NOT NULL,
  account_id          text COLLATE "C" NOT NULL,
  user_id             text COLLATE "C" NOT NULL,
  session_id          text NOT NULL,
  install_id          text NOT NULL,
  batch_id            text NOT NULL,
  milestone_name      text COLLATE "C",
  attributes_json     text NOT NULL,
  residual            bytea NOT NULL,
  PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE TABLE event_rows_default PARTITION OF event_rows DEFAULT;
CREATE INDEX event_rows_by_user_account ON event_rows (user_id, account_id);
CREATE INDEX event_rows_by_time ON event_rows (occurred_at_ms);
)sql";

constexpr std::string_view kStepV6Move = R"sql(
INSERT INTO event_rows (id, occurred_at_ms, corrected_at_ms, received_at_ms, sequence,
                        milestone_value, session_duration_ms, purpose, body_case, account_id,
                        user_id, session_id, install_id, batch_id, milestone_name,
                        attributes_json, residual)
SELECT CASE WHEN event_id ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$'
            THEN event_id::uuid
            ELSE encode(substr(sha256(convert_to(event_id, 'UTF8')), 1, 16), 'hex')::uuid END,
       occurred_at_ms, corrected_at_ms, received_at_ms, sequence, milestone_value,
       session_duration_ms, purpose,
       CASE kind WHEN 'login' THEN 10 WHEN 'logout' THEN 11 WHEN 'session_end' THEN 12
                 WHEN 'milestone' THEN 13 WHEN 'consent_change' THEN 14 ELSE 0 END,
       account_id, user_id, session_id, install_id, batch_id, milestone_name, attributes_json,
       event_proto
FROM events
ON CONFLICT (id) DO NOTHING;
DROP TABLE events;
CREATE VIEW events AS
SELECT id::text AS event_id, account_id, user_id, purpose,
       CASE body_case WHEN 10 THEN 'login' WHEN 11 THEN 'logout' WHEN 12 THEN 'session_end'
                      WHEN 13 THEN 'milestone' WHEN 14 THEN 'consent_change'
                      ELSE 'unknown' END AS kind,
       occurred_at_ms, corrected_at_ms, received_at_ms, sequence, session_id, install_id,
       batch_id, milestone_name, milestone_value, session_duration_ms, attributes_json,
       residual AS event_proto, id
FROM event_rows;
)sql";

// The distinct days (UTC) of the UUIDv7 times of the events to move, for
// their month partitions.
constexpr std::string_view kStepV6Days = R"sql(
SELECT DISTINCT ('x' || substr(event_id, 1, 8) || substr(event_id, 10, 4))::bit(48)::bigint
                / 86400000
FROM events
WHERE event_id ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$'
)sql";

// The feedback aggregate, as the SQLite store's user_feedback_day step: per
// (account, user, kind, day) the latest stored NPS or CSAT score, never the
// comment. Indexed by user for erasure and withdrawal. The events view
// names the feedback body's kind (same columns, so it is replaced in place).
constexpr std::string_view kStepFeedbackDay = R"sql(
CREATE TABLE IF NOT EXISTS user_feedback_day (
  account_id          text COLLATE "C" NOT NULL,
  user_id             text COLLATE "C" NOT NULL,
  kind                integer NOT NULL,
  day                 bigint NOT NULL,
  score               integer NOT NULL,
  answered_at_ms      bigint NOT NULL,
  PRIMARY KEY (account_id, user_id, kind, day)
);
CREATE INDEX IF NOT EXISTS user_feedback_day_by_user ON user_feedback_day (user_id);
CREATE INDEX IF NOT EXISTS user_feedback_day_by_day ON user_feedback_day (kind, day);
CREATE OR REPLACE VIEW events AS
SELECT id::text AS event_id, account_id, user_id, purpose,
       CASE body_case WHEN 10 THEN 'login' WHEN 11 THEN 'logout' WHEN 12 THEN 'session_end'
                      WHEN 13 THEN 'milestone' WHEN 14 THEN 'consent_change'
                      WHEN 15 THEN 'feedback' ELSE 'unknown' END AS kind,
       occurred_at_ms, corrected_at_ms, received_at_ms, sequence, session_id, install_id,
       batch_id, milestone_name, milestone_value, session_duration_ms, attributes_json,
       residual AS event_proto, id
FROM event_rows;
)sql";

// The admin audit log and the per-account tasks and notes, as the SQLite
// store's kMigrationAccessWorkflow.
constexpr std::string_view kStepAccessWorkflow = R"sql(
CREATE TABLE IF NOT EXISTS admin_audit (
  audit_id            text COLLATE "C" PRIMARY KEY,
  at_ms               bigint NOT NULL,
  actor               text COLLATE "C" NOT NULL,
  role                text NOT NULL,
  method              text NOT NULL,
  route               text NOT NULL,
  account_id          text COLLATE "C",
  status              bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS admin_audit_by_time ON admin_audit (at_ms, audit_id);
CREATE INDEX IF NOT EXISTS admin_audit_by_actor ON admin_audit (actor, at_ms);
CREATE TABLE IF NOT EXISTS account_tasks (
  task_id             text COLLATE "C" PRIMARY KEY,
  account_id          text COLLATE "C" NOT NULL,
  title               text NOT NULL,
  owner               text COLLATE "C" NOT NULL,
  due_day             bigint,
  status              text NOT NULL,
  created_by          text NOT NULL,
  created_at_ms       bigint NOT NULL,
  updated_at_ms       bigint NOT NULL,
  alert_id            text
);
CREATE INDEX IF NOT EXISTS account_tasks_by_account ON account_tasks (account_id, created_at_ms);
CREATE INDEX IF NOT EXISTS account_tasks_by_owner ON account_tasks (owner, status, due_day);
CREATE TABLE IF NOT EXISTS account_notes (
  note_id             text COLLATE "C" PRIMARY KEY,
  account_id          text COLLATE "C" NOT NULL,
  text                text NOT NULL,
  author              text NOT NULL,
  created_at_ms       bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS account_notes_by_account ON account_notes (account_id, created_at_ms);
)sql";

// Version 11 (alert kinds and workflow), as the SQLite store's step of
// the same name: what opened each alert, the fitted 12-week loss, a
// person's acknowledgement and snooze. Additive.
constexpr std::string_view kStepAlertKinds = R"sql(
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'drop',
                   ADD COLUMN IF NOT EXISTS loss_12w double precision,
                   ADD COLUMN IF NOT EXISTS acknowledged_at_ms bigint,
                   ADD COLUMN IF NOT EXISTS snoozed_until_ms bigint;
)sql";

constexpr std::array<std::string_view, 11> kSteps = {kStepV1,           kStepV2,
                                                     kStepV3,           kStepV4,
                                                     kStepV5,           kStepV6,
                                                     kCsSnapshotTables, kCsContextColumnsPg,
                                                     kStepFeedbackDay,  kStepAccessWorkflow,
                                                     kStepAlertKinds};
static_assert(kSteps.size() == kPgSchemaVersion);

// Version 6 inside the migration's transaction: the table, the partitions
// of the months of the rows to move (those near the collector's clock; the
// others go to the default partition) and the months ahead, then the move.
// Skipped where event_rows exists already (a tool set the recorded version
// back to re-run older steps): nothing moves twice.
absl::Status MigrateToV6(PgConnection& conn) {
  absl::StatusOr<PgResult> done = conn.Exec("SELECT to_regclass('event_rows') IS NOT NULL");
  if (!done.ok()) return done.status();
  if (done->Bool(0, 0)) return absl::OkStatus();
  if (absl::Status s = conn.Run(kStepV6); !s.ok()) return s;
  absl::StatusOr<PgResult> days = conn.Exec(kStepV6Days);
  if (!days.ok()) return days.status();
  const PgMonth now = MonthOf(absl::Now());
  std::set<PgMonth> months;
  for (PgMonth m = now; m <= now + kPgMonthsCreatedAhead; ++m) months.insert(m);
  for (int r = 0; r < days->rows(); ++r) {
    const PgMonth month = MonthOf(absl::FromUnixSeconds(days->Int(r, 0) * 86400));
    if (WantsPartition(month, now)) months.insert(month);
  }
  for (PgMonth month : months) {
    if (absl::Status s = conn.Run(CreatePartitionSql(month)); !s.ok()) return s;
  }
  return conn.Run(kStepV6Move);
}

// pg_advisory_lock key of the migration: "cairnmig" in ASCII.
constexpr int64_t kMigrationLockKey = 0x636169726e6d6967;

}  // namespace

absl::StatusOr<int> PgSchemaVersion(PgConnection& conn) {
  absl::StatusOr<PgResult> exists = conn.Exec("SELECT to_regclass('schema_version') IS NOT NULL");
  if (!exists.ok()) return exists.status();
  if (!exists->Bool(0, 0)) return 0;
  absl::StatusOr<PgResult> version =
      conn.Exec("SELECT coalesce(max(version), 0) FROM schema_version");
  if (!version.ok()) return version.status();
  return static_cast<int>(version->Int(0, 0));
}

absl::Status MigratePgSchema(PgConnection& conn) {
  PgParams key;
  key.Add(kMigrationLockKey);
  if (absl::Status s = conn.Run("SELECT pg_advisory_lock($1)", key); !s.ok()) return s;
  auto migrate = [&]() -> absl::Status {
    absl::Status s = conn.Run(
        "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
        "applied_at timestamptz NOT NULL DEFAULT now())");
    if (!s.ok()) return s;
    absl::StatusOr<int> current = PgSchemaVersion(conn);
    if (!current.ok()) return current.status();
    if (*current > kPgSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat("the PostgreSQL schema is version ",
                                                        *current, ", newer than this build's ",
                                                        kPgSchemaVersion));
    }
    for (int version = *current; version < kPgSchemaVersion; ++version) {
      if (s = conn.Run("BEGIN"); !s.ok()) return s;
      s = version + 1 == 6 ? MigrateToV6(conn) : conn.Run(kSteps[static_cast<size_t>(version)]);
      if (s.ok()) {
        PgParams next;
        next.Add(int64_t{version + 1});
        s = conn.Run("INSERT INTO schema_version (version) VALUES ($1)", next);
      }
      if (s.ok()) s = conn.Run("COMMIT");
      if (!s.ok()) {
        conn.RollbackQuietly();
        return absl::Status(
            s.code(), absl::StrCat("migrating to schema version ", version + 1, ": ", s.message()));
      }
    }
    return absl::OkStatus();
  };
  absl::Status result = migrate();
  conn.Run("SELECT pg_advisory_unlock($1)", key).IgnoreError();
  return result;
}

// PgStore: opening (schema migration, hash key) and the writer session's
// own schema. The database's schema itself is above.
PgStore::PgStore(const PgStoreOptions& options, std::unique_ptr<PgConnection> writer,
                 std::unique_ptr<PgPool> readers, std::string hash_key)
    : options_(options),
      hash_key_(std::move(hash_key)),
      readers_(std::move(readers)),
      writer_(std::move(writer)) {}

PgStore::~PgStore() = default;

namespace {

absl::StatusOr<std::string> ReadSetting(PgConnection& conn, std::string_view name) {
  PgParams params;
  params.Add(name);
  absl::StatusOr<PgResult> row = conn.Exec("SELECT value FROM settings WHERE name = $1", params);
  if (!row.ok()) return row.status();
  if (row->rows() != 1) return absl::InternalError("setting vanished");
  return std::string(row->Text(0, 0));
}

// Inserts `value` unless another collector got there first, and returns
// whichever value is stored: race-free without a lock.
absl::StatusOr<std::string> SettingOnce(PgConnection& conn, std::string_view name,
                                        std::string_view value) {
  PgParams params;
  params.Add(name).Add(value);
  absl::Status s = conn.Run(
      "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", params);
  if (!s.ok()) return s;
  return ReadSetting(conn, name);
}

// The configured hash key, or the database's generated one; refuses a key
// other than the one the database was first used with.
absl::StatusOr<std::string> SetUpHashKey(PgConnection& conn, const std::string& configured) {
  std::string key = configured;
  if (key.empty()) {
    absl::StatusOr<std::string> fresh = RandomBytes(kGeneratedHashKeyBytes);
    if (!fresh.ok()) return fresh.status();
    absl::StatusOr<std::string> stored =
        SettingOnce(conn, "generated_hash_key", GeneratedHashKeyText(*fresh));
    if (!stored.ok()) return stored.status();
    absl::StatusOr<std::string> decoded = GeneratedHashKeyFromText(*stored);
    if (!decoded.ok()) return decoded.status();
    key = *std::move(decoded);
  }
  std::string check = HashKeyCheck(key);
  absl::StatusOr<std::string> stored_check = SettingOnce(conn, "hash_key_check", check);
  if (!stored_check.ok()) return stored_check.status();
  if (absl::Status s = VerifyHashKeyCheck(*stored_check, check); !s.ok()) return s;
  return key;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgStore>> PgStore::Open(const std::string& uri,
                                                       const PgStoreOptions& options) {
  if (!options.hash_key.empty() && options.hash_key.size() < kMinHashKeyBytes) {
    return absl::InvalidArgumentError("the hash key must be at least 16 bytes");
  }
  auto readers = std::make_unique<PgPool>(uri, options.max_readers);
  std::unique_ptr<PgConnection> writer;
  std::string hash_key;
  if (!options.read_only) {
    absl::StatusOr<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(uri);
    if (!conn.ok()) return WithContext(conn.status(), "opening the collector database");
    writer = *std::move(conn);
    if (absl::Status s = MigratePgSchema(*writer); !s.ok()) {
      return WithContext(s, "migrating the collector database");
    }
    absl::StatusOr<std::string> key = SetUpHashKey(*writer, options.hash_key);
    if (!key.ok()) return key.status();
    hash_key = *std::move(key);
  } else {
    absl::StatusOr<PgPool::Lease> reader = readers->Acquire();
    if (!reader.ok()) return WithContext(reader.status(), "opening the collector database");
    absl::StatusOr<int> version = PgSchemaVersion(**reader);
    if (!version.ok()) return version.status();
    if (*version != kPgSchemaVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("not a cairn collector database of schema version ", kPgSchemaVersion,
                       " (found version ", *version, ")"));
    }
  }
  std::unique_ptr<PgStore> store(
      new PgStore(options, std::move(writer), std::move(readers), std::move(hash_key)));
  if (store->writer_) {
    std::lock_guard lock(store->write_mu_);
    if (absl::Status s = store->EnsurePartitions({}); !s.ok()) return s;
  }
  return store;
}

std::string PgStore::UserHash(std::string_view user_id) const {
  return ToHex(HmacSha256(hash_key_, user_id));
}

std::span<const std::string_view> PgMigrationSteps() { return kSteps; }

}  // namespace cairn::collector
