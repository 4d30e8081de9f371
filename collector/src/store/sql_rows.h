#ifndef CAIRN_COLLECTOR_STORE_SQL_ROWS_H_
#define CAIRN_COLLECTOR_STORE_SQL_ROWS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cairn/common/strings.h"
#include "cairn/engagement/aggregates.h"
#include "store/sql_runner.h"
#include "store/store.h"

namespace cairn::collector {

// The error for a stored row that does not read back as written (a damaged
// or hand-edited table): DataLoss naming what, never the row's values.
inline absl::Status UnreadableRow(std::string_view what) {
  return absl::DataLossError(absl::StrCat("unreadable ", ToAbsl(what)));
}

// Appends rows of (user_id, name, first_reached_ms), as the user_milestone
// table holds them, to `out`; DataLoss on a row that does not read.
inline absl::Status AppendUserMilestones(std::span<const SqlRow> rows,
                                         std::vector<engagement::UserMilestone>& out) {
  for (const SqlRow& row : rows) {
    SqlRowReader r{row};
    engagement::UserMilestone& m = out.emplace_back();
    m.user_id = r.Text(0);
    m.name = r.Text(1);
    m.first_reached = absl::FromUnixMillis(r.Int(2));
    if (!r.ok) return UnreadableRow("user_milestone row");
  }
  return absl::OkStatus();
}

// A text parameter (copied: SqlValue owns its text). Free apart from the copy.
inline SqlValue SqlText(std::string_view s) { return SqlValue(std::string(s)); }
// Text or NULL.
inline SqlValue SqlOptText(const std::optional<std::string>& s) {
  if (!s) return SqlValue(nullptr);
  return SqlValue(*s);
}
// A time as unix milliseconds, the unit of the engagement-side tables.
inline SqlValue SqlMillis(absl::Time t) { return SqlValue(int64_t{absl::ToUnixMillis(t)}); }

// Every row `query` returns, each through `parse`, read in one engagement
// read snapshot of `store`; the first parse error stops it. Memory: the
// whole result.
template <typename Row, typename Parse>
absl::StatusOr<std::vector<Row>> ReadSqlRows(Store* store, const std::string& query,
                                             std::span<const SqlValue> params, Parse parse) {
  std::vector<Row> out;
  absl::Status s = store->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    absl::StatusOr<std::vector<SqlRow>> rows = sql.Query(query, params);
    if (!rows.ok()) return rows.status();
    for (const SqlRow& row : *rows) {
      absl::StatusOr<Row> parsed = parse(row);
      if (!parsed.ok()) return parsed.status();
      out.push_back(*std::move(parsed));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

// One statement in its own write transaction; the rows it changed.
inline absl::StatusOr<int64_t> ExecuteSql(Store* store, std::string_view statement,
                                          std::span<const SqlValue> params) {
  int64_t changed = 0;
  absl::Status s = store->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    absl::StatusOr<int64_t> n = sql.Execute(statement, params);
    if (!n.ok()) return n.status();
    changed = *n;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return changed;
}

// Keyset paging: a cursor names the last row shown by its sort key (an
// integer) and its text id, as "<key>.<id>".
inline std::string KeysetCursor(int64_t key, std::string_view id) {
  return absl::StrCat(key, ".", ToAbsl(id));
}

// Appends to `where` the condition "after `cursor`" in the order
// (`key_sql`, `id_column`), ascending or descending, binding its two values
// as the next parameters. InvalidArgument for a cursor KeysetCursor did not
// make.
inline absl::Status AppendKeysetAfter(std::string_view cursor, std::string_view key_sql,
                                      std::string_view id_column, bool descending,
                                      std::vector<SqlValue>* params, std::string* where) {
  const size_t dot = cursor.find('.');
  int64_t key = 0;
  if (dot == std::string_view::npos || dot + 1 == cursor.size() ||
      !absl::SimpleAtoi(ToAbsl(cursor.substr(0, dot)), &key)) {
    return absl::InvalidArgumentError("bad page_token");
  }
  params->emplace_back(key);
  params->emplace_back(std::string(cursor.substr(dot + 1)));
  const size_t k = params->size() - 1;
  const char* op = descending ? " < ?" : " > ?";
  absl::StrAppend(where, " AND (", ToAbsl(key_sql), op, k, " OR (", ToAbsl(key_sql), " = ?", k,
                  " AND ", ToAbsl(id_column), op, k + 1, "))");
  return absl::OkStatus();
}

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_SQL_ROWS_H_
