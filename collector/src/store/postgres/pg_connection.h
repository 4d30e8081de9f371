#ifndef CAIRN_COLLECTOR_STORE_POSTGRES_PG_CONNECTION_H_
#define CAIRN_COLLECTOR_STORE_POSTGRES_PG_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct pg_conn;
struct pg_result;

namespace cairn::collector {

// Text-format parameters of one statement ($1, $2, ...); nullopt is NULL.
// Values are copied, so temporaries are fine. NUL bytes, which PostgreSQL
// text cannot hold, become U+FFFD (the contract allows them only in free
// text such as attribute values).
class PgParams {
 public:
  PgParams& Add(std::string_view text);
  PgParams& Add(int64_t value);
  PgParams& AddNull();
  // A bytea value (sent in hex form).
  PgParams& AddBytes(std::string_view bytes);
  template <typename T>
  PgParams& AddOptional(const std::optional<T>& value) {
    return value ? Add(*value) : AddNull();
  }
  size_t size() const { return values_.size(); }
  const std::vector<std::optional<std::string>>& values() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// A PostgreSQL array literal ("{...}") built element by element, for one
// text-format parameter that carries many values (unnest($1::text[]), ...):
// one statement for a whole group instead of one per value. Text elements
// are quoted and escaped; reals have 17 significant digits (exact).
class PgArrayLiteral {
 public:
  PgArrayLiteral& Add(std::string_view text);
  PgArrayLiteral& Add(int64_t value);
  PgArrayLiteral& Add(double value);
  // The literal, closed; the builder is spent.
  std::string Finish();

 private:
  void Separate();
  std::string text_ = "{";
};

// One query result (owns the PGresult). Accessors take row, column.
class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&&) noexcept;
  PgResult& operator=(PgResult&&) noexcept;
  ~PgResult();

  int rows() const;
  // Columns of the result. Free.
  int columns() const;
  bool IsNull(int row, int col) const;
  std::string_view Text(int row, int col) const;
  // 0 for NULL or a non-integer.
  int64_t Int(int row, int col) const;
  bool Bool(int row, int col) const { return Text(row, col) == "t"; }
  // A bytea column decoded; nullopt if it does not decode.
  std::optional<std::string> Bytes(int row, int col) const;
  // Rows a command affected (INSERT/UPDATE/DELETE), from its tag.
  int64_t AffectedRows() const;

 private:
  pg_result* result_;
};

// One libpq connection of the PostgreSQL store. Not thread-safe: the store
// guards each connection with a mutex (writer) or hands it out from a pool
// (readers). All statements go through PQexecParams with bound parameters
// or COPY, never SQL built from values.
class PgConnection {
 public:
  // Connects to `uri` (postgresql://... or key=value; password from the
  // URI, PGPASSWORD or ~/.pgpass, as libpq does) with a 10 s connect
  // timeout. Unavailable with libpq's message on failure.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& uri);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with `params` (or several statements, without
  // params). Errors by SQLSTATE: Aborted for a serialization failure or
  // deadlock (retry the transaction), AlreadyExists for a unique violation,
  // ResourceExhausted for class 53 (disk full, out of memory), Unavailable when the connection is
  // lost or the server shuts down, Internal otherwise; the message has the server's.
  absl::StatusOr<PgResult> Exec(std::string_view sql, const PgParams& params = {});
  // Exec for statements whose rows are not needed.
  absl::Status Run(std::string_view sql, const PgParams& params = {});
  // COPY ... FROM STDIN with `data` in the format `copy_sql` names (text,
  // or binary from PgCopyWriter), sent in 1 MiB chunks. Errors as Exec.
  absl::Status CopyIn(std::string_view copy_sql, std::string_view data);

  // True if the connection is usable; if not, tries once to reconnect.
  // Session state (temporary tables) is gone after a reconnect: the
  // caller checks `generation()` to know when to set it up again.
  bool EnsureConnected();
  // Increments on every successful reconnect.
  int generation() const { return generation_; }
  // Best-effort ROLLBACK after a failed transaction (ignored if none).
  void RollbackQuietly();

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  absl::Status ResultStatus(pg_result* result, std::string_view sql);

  pg_conn* conn_;
  int generation_ = 0;
};

// Appends `value` to a COPY text-format line: backslash, tab, newline and
// carriage return escaped; NUL becomes U+FFFD.
void AppendCopyText(std::string_view value, std::string* line);
// A bytea value for COPY text format (hex form, backslash escaped).
void AppendCopyBytes(std::string_view bytes, std::string* line);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_POSTGRES_PG_CONNECTION_H_
