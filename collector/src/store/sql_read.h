#ifndef CAIRN_COLLECTOR_STORE_SQL_READ_H_
#define CAIRN_COLLECTOR_STORE_SQL_READ_H_

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/sql_runner.h"
#include "store/store.h"

namespace cairn::collector {

// Every row `query` returns, each through `parse`, read in one engagement
// read of `store`; the first parse error stops it. Memory: the whole
// result. Fails with the store's error or the parser's.
template <typename Row, typename Parse>
absl::StatusOr<std::vector<Row>> ReadSqlRows(Store* store, const std::string& query,
                                             std::span<const SqlValue> params, Parse parse) {
  std::vector<Row> out;
  absl::Status s = store->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    absl::StatusOr<std::vector<SqlRow>> rows = sql.Query(query, params);
    if (!rows.ok()) return rows.status();
    out.reserve(rows->size());
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

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_SQL_READ_H_
