#include "cairn/common/sqlite.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"

namespace cairn::sqlite {

absl::Status StatusFromSqlite(int rc, sqlite3* db, std::string_view what) {
  std::string msg = absl::StrCat(ToAbsl(what), ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
      return absl::OkStatus();
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(msg);
    case SQLITE_CONSTRAINT:
      return absl::AlreadyExistsError(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(other.stmt_), db_(other.db_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = other.stmt_;
    db_ = other.db_;
    bind_error_ = other.bind_error_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

Statement& Statement::Bind(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value));
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text, bool copy) {
  NoteBind(sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                             copy ? SQLITE_TRANSIENT : SQLITE_STATIC));
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes, bool copy) {
  NoteBind(sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                             copy ? SQLITE_TRANSIENT : SQLITE_STATIC));
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  if (bind_error_ != 0) {
    int rc = bind_error_;
    bind_error_ = 0;
    return StatusFromSqlite(rc, nullptr, "bind");
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  absl::Status status = StatusFromSqlite(rc, db_, "step");
  sqlite3_reset(stmt_);
  return status;
}

absl::Status Statement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) {
      Reset();
      return row.status();
    }
    if (!*row) break;
  }
  Reset();
  return absl::OkStatus();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

int64_t Statement::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }

std::string_view Statement::ColumnText(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string_view(reinterpret_cast<const char*>(p), n) : std::string_view();
}

std::string_view Statement::ColumnBlob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string_view(static_cast<const char*>(p), n) : std::string_view();
}

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

bool Statement::ColumnIsReal(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_FLOAT;
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         const OpenOptions& options) {
  sqlite3* raw = nullptr;
  int flags =
      SQLITE_OPEN_NOMUTEX |
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = StatusFromSqlite(rc, raw, "open");
    sqlite3_close(raw);
    return status;
  }
  std::unique_ptr<Database> db(new Database(raw));
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  // The first read of the file tells a database from garbage.
  if (absl::Status s = db->Exec("SELECT count(*) FROM sqlite_schema"); !s.ok()) {
    return s;
  }
  if (!options.read_only) {
    if (options.wal) {
      if (absl::Status s = db->Exec("PRAGMA journal_mode=WAL"); !s.ok()) return s;
    }
    std::string sync =
        absl::StrCat("PRAGMA synchronous=", options.synchronous_full ? "FULL" : "NORMAL");
    if (absl::Status s = db->Exec(sync); !s.ok()) return s;
  }
  return db;
}

Database::~Database() { sqlite3_close_v2(db_); }

absl::Status Database::Exec(std::string_view sql) {
  std::string copy(sql);
  int rc = sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, nullptr);
  return StatusFromSqlite(rc, db_, "exec");
}

absl::StatusOr<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return StatusFromSqlite(rc, db_, "prepare");
  return Statement(stmt, db_);
}

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

absl::StatusOr<int> Database::SchemaVersion() {
  absl::StatusOr<Statement> stmt = Prepare("PRAGMA user_version");
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(stmt->ColumnInt(0));
}

absl::Status Database::Migrate(std::span<const std::string_view> steps) {
  absl::StatusOr<int> version = SchemaVersion();
  if (!version.ok()) return version.status();
  if (*version > static_cast<int>(steps.size())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "schema version ", *version, " is newer than this program (", steps.size(), ")"));
  }
  for (int v = *version; v < static_cast<int>(steps.size()); ++v) {
    Transaction txn(*this);
    if (absl::Status s = txn.Begin(); !s.ok()) return s;
    if (absl::Status s = Exec(steps[v]); !s.ok()) return s;
    if (absl::Status s = Exec(absl::StrCat("PRAGMA user_version=", v + 1)); !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.Commit(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Database::QuickCheck() {
  absl::StatusOr<Statement> stmt = Prepare("PRAGMA quick_check");
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row || stmt->ColumnText(0) != "ok") {
    return absl::DataLossError("database failed its integrity check");
  }
  return absl::OkStatus();
}

Transaction::~Transaction() {
  if (open_) db_.Exec("ROLLBACK").IgnoreError();
}

absl::Status Transaction::Begin() {
  absl::Status s = db_.Exec("BEGIN IMMEDIATE");
  open_ = s.ok();
  return s;
}

absl::Status Transaction::Commit() {
  absl::Status s = db_.Exec("COMMIT");
  if (s.ok()) open_ = false;
  return s;
}

}  // namespace cairn::sqlite
