#ifndef CAIRN_COLLECTOR_STORE_CS_SCHEMA_H_
#define CAIRN_COLLECTOR_STORE_CS_SCHEMA_H_

#include <string_view>

namespace cairn::collector {

// The customer-success snapshot tables and account context, two migration
// steps shared by SqliteStore and PgStore (types both databases read the
// same way: BIGINT has integer affinity in SQLite, DOUBLE PRECISION real).
//
// account_snapshot: one row per account, the view an evaluation computed
//   (the admin.v1.Account, base64 of its wire bytes) plus the columns the account list sorts
//   and filters on, so a page is one indexed query whatever the book size.
// account_health_daily: the health of each account per UTC day (the last
//   evaluation of that day), kept under the retention window.
// account_segments: the segment tags of account_settings, one row each,
//   for filtering and grouping.
// renewal_outcomes: what became of each renewal (renewed, churned,
//   downgraded, expanded) with the ARR before and after, for retention and
//   the backtest of health against outcomes.
// account_settings gains the account's context: owner (the CSM's name),
//   plan, ARR in cents and the segment tags newline-joined.
inline constexpr std::string_view kCsSnapshotTables = R"sql(
CREATE TABLE IF NOT EXISTS account_snapshot (
  account_id          TEXT PRIMARY KEY,
  evaluated_at_ms     BIGINT NOT NULL,
  band_rank           BIGINT NOT NULL,
  score               BIGINT NOT NULL,
  trend_ratio         DOUBLE PRECISION,
  active_users        BIGINT NOT NULL,
  logins_week         BIGINT NOT NULL,
  alert_severity      TEXT,
  view           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS account_snapshot_by_risk
  ON account_snapshot (band_rank, score, account_id);
CREATE TABLE IF NOT EXISTS account_health_daily (
  account_id          TEXT NOT NULL,
  day                 BIGINT NOT NULL,
  score               BIGINT NOT NULL,
  band_rank           BIGINT NOT NULL,
  frequency           DOUBLE PRECISION,
  trend               DOUBLE PRECISION,
  breadth             DOUBLE PRECISION,
  time_to_value       DOUBLE PRECISION,
  logins_week         BIGINT NOT NULL,
  active_users        BIGINT NOT NULL,
  PRIMARY KEY (account_id, day)
);
CREATE INDEX IF NOT EXISTS account_health_daily_by_day ON account_health_daily (day);
CREATE TABLE IF NOT EXISTS account_segments (
  account_id          TEXT NOT NULL,
  segment             TEXT NOT NULL,
  PRIMARY KEY (account_id, segment)
);
CREATE INDEX IF NOT EXISTS account_segments_by_segment ON account_segments (segment, account_id);
CREATE TABLE IF NOT EXISTS renewal_outcomes (
  account_id          TEXT NOT NULL,
  renewal_day         BIGINT NOT NULL,
  outcome             TEXT NOT NULL,
  arr_before_cents    BIGINT NOT NULL,
  arr_after_cents     BIGINT NOT NULL,
  recorded_at_ms      BIGINT NOT NULL,
  PRIMARY KEY (account_id, renewal_day)
);
CREATE INDEX IF NOT EXISTS renewal_outcomes_by_day ON renewal_outcomes (renewal_day);
)sql";
// The context columns, a step of their own: SQLite's ADD COLUMN has no IF
// NOT EXISTS, so SqliteStore skips this step where the columns exist.
inline constexpr std::string_view kCsContextColumns = R"sql(
ALTER TABLE account_settings ADD COLUMN owner TEXT;
ALTER TABLE account_settings ADD COLUMN plan TEXT;
ALTER TABLE account_settings ADD COLUMN arr_cents BIGINT;
ALTER TABLE account_settings ADD COLUMN segments TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS account_settings_by_renewal ON account_settings (renewal_day);
)sql";
// The same for PostgreSQL, safe to run again.
inline constexpr std::string_view kCsContextColumnsPg = R"sql(
ALTER TABLE account_settings ADD COLUMN IF NOT EXISTS owner TEXT;
ALTER TABLE account_settings ADD COLUMN IF NOT EXISTS plan TEXT;
ALTER TABLE account_settings ADD COLUMN IF NOT EXISTS arr_cents BIGINT;
ALTER TABLE account_settings ADD COLUMN IF NOT EXISTS segments TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS account_settings_by_renewal ON account_settings (renewal_day);
)sql";

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_CS_SCHEMA_H_
