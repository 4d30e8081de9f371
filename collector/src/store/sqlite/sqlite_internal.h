// Private to the SQLite store's sources (sqlite_*.cc): what more than one
// of them needs. Not part of the collector's API.
#ifndef CAIRN_COLLECTOR_STORE_SQLITE_SQLITE_INTERNAL_H_
#define CAIRN_COLLECTOR_STORE_SQLITE_SQLITE_INTERNAL_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cairn/common/sqlite.h"
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
