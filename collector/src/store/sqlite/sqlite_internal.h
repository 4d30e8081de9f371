// Private to the SQLite store's sources (sqlite_*.cc): what more than one
// of them needs. Not part of the collector's API.
#ifndef CAIRN_COLLECTOR_STORE_SQLITE_SQLITE_INTERNAL_H_
#define CAIRN_COLLECTOR_STORE_SQLITE_SQLITE_INTERNAL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cairn/common/sqlite.h"
#include "cairn/consent/consent_state.h"
#include "store/daily_aggregates.h"
#include "store/sqlite/sqlite_store.h"

namespace cairn::collector {

// The writer connection's statements, prepared once by Open
// (PrepareWriteStatements) and reused by every Write.
struct SqliteStore::WriteStatements {
  sqlite::Statement insert_event;
  sqlite::Statement insert_batch;
  sqlite::Statement note_batch_retry;
  sqlite::Statement add_client_drops;
  sqlite::Statement is_erased;
  sqlite::Statement data_version;
  sqlite::Statement consent_decisions;
  sqlite::Statement insert_consent_record;
  sqlite::Statement upsert_consent_state;
  sqlite::Statement suppress;
  sqlite::Statement lift_suppression;
  sqlite::Statement is_suppressed;
  sqlite::Statement add_rejections;
  sqlite::Statement add_login_day;
  sqlite::Statement lower_first_login;
  sqlite::Statement lower_milestone;
  sqlite::Statement add_milestone_day;
  sqlite::Statement keep_latest_feedback;
};

// What the writer knows of tombstones and consent decisions, kept across
// writes, and the state of one Write call (its pending aggregates). Only
// this connection changes tombstones and consent records unless another
// process shares the file: PRAGMA data_version tells that, and any change
// by another connection forgets everything known (so does any write that
// fails, whose reads may have seen its own rolled-back rows, and erasure).
// Storing a consent record drops its (user, purpose) entry.
struct SqliteStore::WriteContext {
  int64_t data_version = -1;  // of the writer connection when this was read
  // Keys are looked up by views (std::less<>), so an event whose key is
  // already there costs no string copy: a write of 20,000 events from one
  // user copies its (long, pseudonymised) user id a handful of times.
  std::map<std::string, bool, std::less<>> erased;  // user_id -> has a tombstone
  // The candidate consent decisions of a (user, purpose), read once per
  // write (kConsentDecisions): they cover every moment from `from_us` on.
  // A batch reads them from its earliest event of the pair, so one read
  // usually serves the whole write. Storing a record of that (user,
  // purpose) drops the entry.
  struct Decisions {
    int64_t from_us = 0;
    std::vector<consent::PurposeState> sorted;
  };
  std::map<std::tuple<std::string, int64_t>, Decisions, ViewLess> consent;
  // The daily aggregates of the events stored so far in this write: written
  // by FlushAggregates before the commit, and before any withdrawal deletes
  // the user's rows (so it deletes these too).
  DailyAggregates aggregates;
};

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

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_SQLITE_SQLITE_INTERNAL_H_
