#ifndef CAIRN_COLLECTOR_STORE_SQL_RUNNER_H_
#define CAIRN_COLLECTOR_STORE_SQL_RUNNER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"

namespace cairn::collector {

// A bound SQL parameter: NULL, integer, real or text. Values are always
// bound, never spliced into the SQL text.
using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string>;

// One result row, every column as text (nullopt for NULL): integers in
// decimal, reals in the database's shortest round-trip form.
using SqlRow = std::vector<std::optional<std::string>>;

// The small dialect-neutral SQL surface the engagement tables are written
// against, so SqliteStore and PgStore share one implementation of them
// (EngagementStore). SQL uses "?1".."?N" placeholders (SQLite's syntax);
// the PostgreSQL runner rewrites them to "$1".."$N". Only SQL both
// databases accept may be used (no dialect functions). A runner is only
// valid inside the Store::RunEngagementRead/Write callback that handed it
// out: it belongs to that transaction. Not thread-safe.
class SqlRunner {
 public:
  virtual ~SqlRunner() = default;
  // Runs one statement and returns all its rows (memory: the whole
  // result). Fails with the database's error (Unavailable/ResourceExhausted
  // when busy or full, InvalidArgument/Internal for bad SQL).
  virtual absl::StatusOr<std::vector<SqlRow>> Query(std::string_view sql,
                                                    std::span<const SqlValue> params) = 0;
  // Runs one statement without rows; returns the rows it changed. Fails
  // like Query.
  virtual absl::StatusOr<int64_t> Execute(std::string_view sql,
                                          std::span<const SqlValue> params) = 0;
};

// Column parsers over one SqlRow: each sets `ok` false on a value that is
// NULL (where a value is required), missing or does not parse, and returns
// a zero value then; the caller checks `ok` once after the row. Free.
struct SqlRowReader {
  const SqlRow& row;
  bool ok = true;
  int64_t Int(size_t col) {
    int64_t v = 0;
    if (col >= row.size() || !row[col] || !absl::SimpleAtoi(*row[col], &v)) ok = false;
    return v;
  }
  std::optional<int64_t> OptInt(size_t col) {
    if (col < row.size() && !row[col]) return std::nullopt;
    return Int(col);
  }
  double Double(size_t col) {
    double v = 0;
    if (col >= row.size() || !row[col] || !absl::SimpleAtod(*row[col], &v)) ok = false;
    return v;
  }
  std::string Text(size_t col) {
    if (col >= row.size() || !row[col]) {
      ok = false;
      return {};
    }
    return *row[col];
  }
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_SQL_RUNNER_H_
