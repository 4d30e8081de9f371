#ifndef CAIRN_COLLECTOR_STORE_SQL_ROWS_H_
#define CAIRN_COLLECTOR_STORE_SQL_ROWS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/sql_runner.h"
#include "store/store.h"

namespace cairn::collector {

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

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_SQL_ROWS_H_
