#ifndef CAIRN_COMMON_SQLITE_H_
#define CAIRN_COMMON_SQLITE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cairn::sqlite {

// A prepared statement. Values are only ever passed as bound parameters.
// Bind errors are remembered and reported by the next Step/Run.
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // Bind by 1-based index. Text and blobs are copied only if `copy` is true;
  // otherwise the caller keeps them alive until the next Reset/Step.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text, bool copy = false);
  Statement& BindBlob(int index, std::string_view bytes, bool copy = false);
  Statement& BindNull(int index);

  // Advances one row: true if a row is available, false when done. Errors
  // (constraint, IO, full disk) come back as a Status carrying SQLite's text.
  absl::StatusOr<bool> Step();
  // Steps until done, then resets: for statements that return no rows.
  absl::Status Run();
  // Makes the statement reusable and clears the bindings.
  void Reset();

  int64_t ColumnInt(int col) const;
  double ColumnDouble(int col) const;
  std::string_view ColumnText(int col) const;
  std::string_view ColumnBlob(int col) const;
  bool ColumnIsNull(int col) const;
  // True if the column's value in the current row is a REAL. Free.
  bool ColumnIsReal(int col) const;
  // Columns of the statement's result (0 for a statement without rows). Free.
  int ColumnCount() const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  void NoteBind(int rc);

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  int bind_error_ = 0;
};

struct OpenOptions {
  // Write-ahead log: readers never block the writer.
  bool wal = true;
  // synchronous=NORMAL in WAL mode is durable against process crashes;
  // FULL also survives power loss at the cost of an fsync per commit.
  bool synchronous_full = false;
  // How long a statement waits for another connection's lock.
  int busy_timeout_ms = 5000;
  bool read_only = false;
};

// One SQLite connection. Not thread-safe: one owner thread at a time.
class Database {
 public:
  // Opens (creating if needed) `path`. Fails with Unavailable if the file
  // cannot be opened and DataLoss if it is not a readable database.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        const OpenOptions& options = {});
  ~Database();

  // Runs one or more statements without parameters (schema, pragmas).
  absl::Status Exec(std::string_view sql);
  absl::StatusOr<Statement> Prepare(std::string_view sql);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // Brings the schema to version `steps.size()`: step i (0-based) moves it from
  // version i to i+1, each in its own transaction, tracked by user_version.
  absl::Status Migrate(std::span<const std::string_view> steps);
  // Current schema version (PRAGMA user_version).
  absl::StatusOr<int> SchemaVersion();
  // Checks page integrity (PRAGMA quick_check); DataLoss if damaged.
  absl::Status QuickCheck();
  sqlite3* raw() const { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// Scoped transaction: BEGIN IMMEDIATE on Begin, ROLLBACK unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  ~Transaction();
  absl::Status Begin();
  absl::Status Commit();

 private:
  Database& db_;
  bool open_ = false;
};

// Maps an SQLite result code to a Status (full disk -> ResourceExhausted,
// corruption -> DataLoss, busy -> Unavailable, constraint -> AlreadyExists).
absl::Status StatusFromSqlite(int rc, sqlite3* db, std::string_view what);

}  // namespace cairn::sqlite

#endif  // CAIRN_COMMON_SQLITE_H_
