// cairn-store-raw-bench: the raw batched insert rate of each store, the
// reference the collector's ingest rate is set against (the target: ingest at
// least 60% of the raw store rate measured in the same run).
//
//   cairn-store-raw-bench                         # SQLite only
//   cairn-store-raw-bench --pg-throwaway          # + a durable throwaway PostgreSQL
//   cairn-store-raw-bench --pg-uri=postgresql://user@127.0.0.1:5432/db
//
// Flags (--name=value; '-' or '_'):
//   --rows=N          rows per run (default 200000)
//   --batch-rows=N    rows per transaction (default 500)
//   --sqlite-dir=DIR  where the SQLite files go (default: a temp dir, removed)
//   --pg-uri=URI      also measure this PostgreSQL (its table cairn_raw_bench
//                     is dropped and recreated)
//   --pg-throwaway    also start a throwaway PostgreSQL (durable settings:
//                     fsync on) on loopback and measure it (needs the
//                     postgresql package and a build with the test fixtures)
//
// Rows are the collector's rows (docs/collector.md, schema v1) for the load
// generator's events (bench/load/workload.h): a unique time-ordered TEXT key
// (UUIDv7), 16 columns, two secondary indexes, the serialized event as a
// blob. Every row is built before the clock starts; the clock covers only
// the inserts and commits.
//
// Runs:
//   sqlite_events    collector schema, WAL, synchronous=FULL (as the
//                    collector), one prepared INSERT ... ON CONFLICT(event_id)
//                    DO NOTHING per row, --batch-rows rows per transaction
//   sqlite_events_noidx  the same without the two secondary indexes
//   sqlite_key_only  the same with only (event_id TEXT PRIMARY KEY, event_proto)
//   sqlite_collector_default  the collector's current indexes (schema v4:
//                    (user_id, account_id) and (occurred_at_ms)), SQLite's
//                    default cache and checkpoint interval
//   sqlite_collector the same with the collector's writer settings
//                    (--sqlite-cache-mib, default 64; --sqlite-wal-autocheckpoint,
//                    default 8192 pages)
//   sqlite_lean      the collector's current table (schema v8): one row per
//                    event clustered by the 16-byte id (WITHOUT ROWID), no
//                    event blob but a ~15-byte residual, the (user_id,
//                    account_id) and (occurred_at_ms) indexes, the collector's
//                    writer settings
//   pg_copy_upsert   per transaction: COPY into a temp staging table, then
//                    INSERT INTO events SELECT ... ON CONFLICT DO NOTHING
//   pg_insert_values one multi-row INSERT ... VALUES (...),(...) ON CONFLICT
//                    DO NOTHING per transaction (prepared, text parameters)
//   pg_copy_binary   the collector's PostgreSQL table of today (schema 6:
//                    event_rows, uuid key, monthly partitions by the key,
//                    the lean row of store/event_row.h, two secondary
//                    indexes), made by the store's own migration step in a
//                    schema of its own (cairn_raw, dropped after), one
//                    binary COPY per transaction from the store's own row
//                    encoder: the reference for PostgreSQL ingest
// Each run writes into a fresh table and checks the row count afterwards.
// Prints one readable line and one JSON line ({"cairn_store_raw":...}) per
// run. Exit status: 0 if every run stored every row, 1 if not, 2 on usage.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cairn/common/crypto.h"
#include "cairn/common/sqlite.h"
#include "cairn/common/strings.h"
#include "cairn/common/uuid.h"
#include "store/event_row.h"
#include "store/postgres/pg_copy.h"
#include "store/postgres/pg_partitions.h"
#include "store/postgres/pg_schema.h"
#include "workload.h"

#ifdef CAIRN_HAVE_PG_CLUSTER
#include "pg_cluster.h"
#endif

namespace cairn::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  int64_t rows = 200000;
  int batch_rows = 500;
  std::string sqlite_dir;
  std::string pg_uri;
  bool pg_throwaway = false;
  // Writer connection settings of the collector's SQLite store
  // (SqliteStoreOptions), used by the sqlite_collector run.
  int64_t sqlite_cache_mib = 64;
  int64_t sqlite_wal_autocheckpoint = 8192;
};

std::optional<std::string> ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return "unexpected argument " + arg;
    size_t eq = arg.find('=');
    std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    std::replace(name.begin(), name.end(), '_', '-');
    std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    bool ok = true;
    if (name == "rows")
      ok = absl::SimpleAtoi(ToAbsl(value), &flags.rows) && flags.rows > 0;
    else if (name == "batch-rows")
      ok = absl::SimpleAtoi(ToAbsl(value), &flags.batch_rows) && flags.batch_rows > 0;
    else if (name == "sqlite-dir")
      flags.sqlite_dir = value;
    else if (name == "pg-uri")
      flags.pg_uri = value;
    else if (name == "pg-throwaway")
      flags.pg_throwaway = true;
    else if (name == "sqlite-cache-mib")
      ok = absl::SimpleAtoi(ToAbsl(value), &flags.sqlite_cache_mib) && flags.sqlite_cache_mib >= 0;
    else if (name == "sqlite-wal-autocheckpoint")
      ok = absl::SimpleAtoi(ToAbsl(value), &flags.sqlite_wal_autocheckpoint) &&
           flags.sqlite_wal_autocheckpoint >= 0;
    else
      return "unknown flag --" + name;
    if (!ok) return "bad value for --" + name + ": " + value;
  }
  return std::nullopt;
}

// The collector's events table (docs/collector.md, schema v1). The SQLite
// and PostgreSQL texts differ only in types.
constexpr const char* kSqliteEvents = R"sql(
CREATE TABLE events (
  event_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, user_id TEXT NOT NULL,
  purpose INTEGER NOT NULL, kind TEXT NOT NULL, occurred_at_ms INTEGER NOT NULL,
  received_at_ms INTEGER NOT NULL, sequence INTEGER NOT NULL, session_id TEXT NOT NULL,
  install_id TEXT NOT NULL, batch_id TEXT NOT NULL, milestone_name TEXT,
  milestone_value REAL, session_duration_ms INTEGER, attributes_json TEXT NOT NULL,
  event_proto BLOB NOT NULL);
CREATE INDEX events_by_account_time ON events (account_id, occurred_at_ms);
CREATE INDEX events_by_user ON events (user_id);
)sql";

// The index set of the collector's current schema (v4): the same table
// with these instead of kSqliteEvents' two.
constexpr const char* kSqliteCollectorIndexes = R"sql(
CREATE INDEX events_by_user_account ON events (user_id, account_id);
CREATE INDEX events_by_time ON events (occurred_at_ms);
)sql";

constexpr const char* kSqliteKeyOnly =
    "CREATE TABLE events (event_id TEXT PRIMARY KEY, event_proto BLOB NOT NULL);";

constexpr const char* kPgEvents = R"sql(
DROP TABLE IF EXISTS cairn_raw_bench;
CREATE TABLE cairn_raw_bench (
  event_id text PRIMARY KEY, account_id text NOT NULL, user_id text NOT NULL,
  purpose integer NOT NULL, kind text NOT NULL, occurred_at_ms bigint NOT NULL,
  received_at_ms bigint NOT NULL, sequence bigint NOT NULL, session_id text NOT NULL,
  install_id text NOT NULL, batch_id text NOT NULL, milestone_name text,
  milestone_value double precision, session_duration_ms bigint, attributes_json text NOT NULL,
  event_proto bytea NOT NULL);
CREATE INDEX ON cairn_raw_bench (account_id, occurred_at_ms);
CREATE INDEX ON cairn_raw_bench (user_id);
)sql";

constexpr const char* kColumns =
    "event_id, account_id, user_id, purpose, kind, occurred_at_ms, received_at_ms, sequence, "
    "session_id, install_id, batch_id, milestone_name, milestone_value, session_duration_ms, "
    "attributes_json, event_proto";
constexpr int kColumnCount = 16;

struct Result {
  std::string run;
  int64_t rows = 0;
  double seconds = 0;
  bool complete = false;
  std::string error;
};

std::vector<StoredRow> MakeRows(int64_t count) {
  Workload workload(1000, absl::Now());
  std::vector<StoredRow> rows;
  rows.reserve(static_cast<size_t>(count));
  std::string install = RandomHexId();
  UuidV7Generator batch_ids;
  std::string batch_id;
  int64_t now_ms = absl::ToUnixMillis(absl::Now());
  for (int64_t i = 0; i < count; ++i) {
    if (i % 500 == 0) batch_id = batch_ids.Next(absl::Now());
    rows.push_back(ToStoredRow(workload.LoadEvent(i), install, batch_id, now_ms));
  }
  return rows;
}

// ---- SQLite ------------------------------------------------------------------

enum class SqliteSchema { kEvents, kEventsNoIndex, kKeyOnly, kCollector, kLean };

// The collector's events table since schema v8 (sqlite_schema.cc).
constexpr const char* kSqliteLean = R"sql(
CREATE TABLE events (
  id BLOB PRIMARY KEY, account_id TEXT NOT NULL, user_id TEXT NOT NULL,
  purpose INTEGER NOT NULL, body_case INTEGER NOT NULL, occurred_at_ms INTEGER NOT NULL,
  corrected_at_ms INTEGER NOT NULL, received_at_ms INTEGER NOT NULL, sequence INTEGER NOT NULL,
  session_id TEXT NOT NULL, install_id TEXT NOT NULL, batch_id TEXT NOT NULL,
  milestone_name TEXT, milestone_value REAL, session_duration_ms INTEGER,
  attributes_json TEXT NOT NULL, residual BLOB NOT NULL) WITHOUT ROWID;
CREATE INDEX events_by_user_account ON events (user_id, account_id);
CREATE INDEX events_by_time ON events (occurred_at_ms);
)sql";

// The 16 bytes of a canonical UUID's text.
std::string UuidBytes(const std::string& text) {
  std::string hex;
  for (char c : text) {
    if (c != '-') hex.push_back(c);
  }
  return HexDecode(hex, HexLetters::kEitherCase).value_or(text);
}

// Connection settings beyond WAL and synchronous=FULL; 0 keeps SQLite's
// default (2 MiB cache, checkpoint every 1000 pages).
struct SqliteTuning {
  int64_t cache_mib = 0;
  int64_t wal_autocheckpoint = 0;
};

Result RunSqlite(const std::string& name, const std::string& path, SqliteSchema schema,
                 const std::vector<StoredRow>& rows, int batch_rows,
                 const SqliteTuning& tuning = {}) {
  const bool key_only = schema == SqliteSchema::kKeyOnly;
  const bool lean = schema == SqliteSchema::kLean;
  Result result;
  result.run = name;
  sqlite::OpenOptions options;
  options.wal = true;
  options.synchronous_full = true;
  absl::StatusOr<std::unique_ptr<sqlite::Database>> db = sqlite::Database::Open(path, options);
  if (!db.ok()) return result.error = db.status().ToString(), result;
  std::string ddl = key_only ? kSqliteKeyOnly : lean ? kSqliteLean : kSqliteEvents;
  // Without the two secondary indexes: the cost of the table and key alone.
  if (schema == SqliteSchema::kEventsNoIndex || schema == SqliteSchema::kCollector) {
    ddl = ddl.substr(0, ddl.find("CREATE INDEX"));
  }
  if (schema == SqliteSchema::kCollector) ddl += kSqliteCollectorIndexes;
  if (tuning.cache_mib > 0) {
    ddl += absl::StrCat("PRAGMA cache_size=", -tuning.cache_mib * 1024, ";");
  }
  if (tuning.wal_autocheckpoint > 0) {
    ddl += absl::StrCat("PRAGMA wal_autocheckpoint=", tuning.wal_autocheckpoint, ";");
  }
  if (absl::Status s = (*db)->Exec(ddl); !s.ok()) {
    return result.error = s.ToString(), result;
  }
  absl::StatusOr<sqlite::Statement> insert = (*db)->Prepare(
      key_only ? "INSERT INTO events (event_id, event_proto) VALUES (?1, ?2) "
                 "ON CONFLICT (event_id) DO NOTHING"
      : lean   ? "INSERT INTO events VALUES (?1, ?2, ?3, ?4, 13, ?5, ?5, ?6, ?7, ?8, ?9, ?10, "
                 "?11, ?12, NULL, ?13, ?14) ON CONFLICT (id) DO NOTHING"
               : absl::StrCat("INSERT INTO events (", kColumns,
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                                "?13, ?14, ?15, ?16) ON CONFLICT (event_id) DO NOTHING"));
  if (!insert.ok()) return result.error = insert.status().ToString(), result;

  // The lean table's binary keys and residuals, made before the clock
  // starts like every other row field (the collector makes them on its I/O
  // threads).
  std::vector<std::string> keys;
  if (lean) {
    keys.reserve(rows.size());
    for (const StoredRow& row : rows) keys.push_back(UuidBytes(row.event_id));
  }
  const std::string residual(15, '\x01');

  Clock::time_point start = Clock::now();
  for (size_t begin = 0; begin < rows.size(); begin += static_cast<size_t>(batch_rows)) {
    size_t end = std::min(rows.size(), begin + static_cast<size_t>(batch_rows));
    sqlite::Transaction transaction(**db);
    if (absl::Status s = transaction.Begin(); !s.ok()) return result.error = s.ToString(), result;
    for (size_t i = begin; i < end; ++i) {
      const StoredRow& row = rows[i];
      if (lean) {
        insert->BindBlob(1, keys[i]).Bind(2, row.account_id).Bind(3, row.user_id);
        insert->Bind(4, int64_t{row.purpose}).Bind(5, row.occurred_at_ms);
        insert->Bind(6, row.received_at_ms).Bind(7, row.sequence).Bind(8, row.session_id);
        insert->Bind(9, row.install_id).Bind(10, row.batch_id);
        if (row.has_milestone)
          insert->Bind(11, row.milestone_name);
        else
          insert->BindNull(11);
        if (row.has_milestone_value)
          insert->Bind(12, row.milestone_value);
        else
          insert->BindNull(12);
        insert->Bind(13, row.attributes_json).BindBlob(14, residual);
        if (absl::Status s = insert->Run(); !s.ok()) return result.error = s.ToString(), result;
        continue;
      }
      insert->Bind(1, row.event_id);
      if (key_only) {
        insert->BindBlob(2, row.event_proto);
      } else {
        insert->Bind(2, row.account_id).Bind(3, row.user_id).Bind(4, int64_t{row.purpose});
        insert->Bind(5, row.kind).Bind(6, row.occurred_at_ms).Bind(7, row.received_at_ms);
        insert->Bind(8, row.sequence).Bind(9, row.session_id).Bind(10, row.install_id);
        insert->Bind(11, row.batch_id);
        if (row.has_milestone)
          insert->Bind(12, row.milestone_name);
        else
          insert->BindNull(12);
        if (row.has_milestone_value)
          insert->Bind(13, row.milestone_value);
        else
          insert->BindNull(13);
        insert->BindNull(14);
        insert->Bind(15, row.attributes_json).BindBlob(16, row.event_proto);
      }
      if (absl::Status s = insert->Run(); !s.ok()) return result.error = s.ToString(), result;
    }
    if (absl::Status s = transaction.Commit(); !s.ok()) return result.error = s.ToString(), result;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  absl::StatusOr<sqlite::Statement> count = (*db)->Prepare("SELECT count(*) FROM events");
  if (count.ok() && count->Step().value_or(false)) result.rows = count->ColumnInt(0);
  result.complete = result.rows == static_cast<int64_t>(rows.size());
  return result;
}

// ---- PostgreSQL ----------------------------------------------------------------

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;

// Runs `sql` (one or more statements); the server's message on failure.
std::optional<std::string> PgExec(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  PQclear(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return std::nullopt;
  return std::string(PQerrorMessage(conn));
}

// Runs one COPY ... FROM STDIN with `data`; the server's message on failure.
std::optional<std::string> PgCopy(PGconn* conn, const std::string& copy_sql,
                                  const std::string& data) {
  PGresult* started = PQexec(conn, copy_sql.c_str());
  const bool copy_in = PQresultStatus(started) == PGRES_COPY_IN;
  PQclear(started);
  if (!copy_in) return std::string(PQerrorMessage(conn));
  if (PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1 ||
      PQputCopyEnd(conn, nullptr) != 1) {
    return std::string(PQerrorMessage(conn));
  }
  bool copied = true;
  while (PGresult* r = PQgetResult(conn)) {
    copied = copied && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
  }
  if (!copied) return std::string(PQerrorMessage(conn));
  return std::nullopt;
}

int64_t PgCount(PGconn* conn) {
  PGresult* result = PQexec(conn, "SELECT count(*) FROM cairn_raw_bench");
  int64_t count = -1;
  if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
    count = std::strtoll(PQgetvalue(result, 0, 0), nullptr, 10);
  }
  PQclear(result);
  return count;
}

std::string HexBytea(const std::string& bytes) {
  return absl::StrCat("\\x", cairn::HexEncode(bytes));
}

// COPY text format: backslash, tab, newline and carriage return escaped.
void AppendCopyField(std::string& line, const std::string& value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        line += "\\\\";
        break;
      case '\t':
        line += "\\t";
        break;
      case '\n':
        line += "\\n";
        break;
      case '\r':
        line += "\\r";
        break;
      default:
        line.push_back(c);
    }
  }
}

// The 16 column values of `row` as text; nullopt is SQL NULL.
std::vector<std::optional<std::string>> PgValues(const StoredRow& row) {
  return {row.event_id,
          row.account_id,
          row.user_id,
          std::to_string(row.purpose),
          row.kind,
          std::to_string(row.occurred_at_ms),
          std::to_string(row.received_at_ms),
          std::to_string(row.sequence),
          row.session_id,
          row.install_id,
          row.batch_id,
          row.has_milestone ? std::optional<std::string>(row.milestone_name) : std::nullopt,
          row.has_milestone_value ? std::optional<std::string>(absl::StrCat(row.milestone_value))
                                  : std::nullopt,
          std::nullopt,
          row.attributes_json,
          HexBytea(row.event_proto)};
}

Result RunPgCopyUpsert(PGconn* conn, const std::vector<StoredRow>& rows, int batch_rows) {
  Result result;
  result.run = "pg_copy_upsert";
  if (auto e = PgExec(conn, kPgEvents)) return result.error = *e, result;
  if (auto e = PgExec(conn,
                      "DROP TABLE IF EXISTS cairn_raw_staging; "
                      "CREATE TEMP TABLE cairn_raw_staging (LIKE cairn_raw_bench) "
                      "ON COMMIT DELETE ROWS")) {
    return result.error = *e, result;
  }
  // COPY data built before the clock, like the other runs' rows.
  std::vector<std::string> chunks;
  for (size_t begin = 0; begin < rows.size(); begin += static_cast<size_t>(batch_rows)) {
    size_t end = std::min(rows.size(), begin + static_cast<size_t>(batch_rows));
    std::string data;
    for (size_t i = begin; i < end; ++i) {
      bool first = true;
      for (const std::optional<std::string>& value : PgValues(rows[i])) {
        if (!first) data.push_back('\t');
        first = false;
        if (value)
          AppendCopyField(data, *value);
        else
          data += "\\N";
      }
      data.push_back('\n');
    }
    chunks.push_back(std::move(data));
  }
  const std::string copy = absl::StrCat("COPY cairn_raw_staging (", kColumns, ") FROM STDIN");
  const std::string upsert =
      absl::StrCat("INSERT INTO cairn_raw_bench (", kColumns, ") SELECT ", kColumns,
                   " FROM cairn_raw_staging ON CONFLICT (event_id) DO NOTHING; COMMIT");

  Clock::time_point start = Clock::now();
  for (const std::string& chunk : chunks) {
    if (auto e = PgExec(conn, "BEGIN")) return result.error = *e, result;
    if (auto e = PgCopy(conn, copy, chunk)) return result.error = *e, result;
    if (auto e = PgExec(conn, upsert)) return result.error = *e, result;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.rows = PgCount(conn);
  result.complete = result.rows == static_cast<int64_t>(rows.size());
  return result;
}

Result RunPgInsertValues(PGconn* conn, const std::vector<StoredRow>& rows, int batch_rows) {
  Result result;
  result.run = "pg_insert_values";
  if (auto e = PgExec(conn, kPgEvents)) return result.error = *e, result;
  // One prepared statement per batch size (the last batch may be short).
  std::map<size_t, std::string> prepared;
  auto statement_for = [&](size_t count) -> std::optional<std::string> {
    auto it = prepared.find(count);
    if (it != prepared.end()) return it->second;
    std::string sql = absl::StrCat("INSERT INTO cairn_raw_bench (", kColumns, ") VALUES ");
    int param = 1;
    for (size_t r = 0; r < count; ++r) {
      sql += r == 0 ? "(" : ",(";
      for (int c = 0; c < kColumnCount; ++c) {
        // Typed placeholders: text parameters into non-text columns.
        static constexpr const char* kTypes[kColumnCount] = {
            "", "", "", "::integer",          "",         "::bigint", "::bigint", "::bigint", "",
            "", "", "", "::double precision", "::bigint", "",         "::bytea"};
        absl::StrAppend(&sql, c == 0 ? "" : ",", "$", param++, kTypes[c]);
      }
      sql += ")";
    }
    sql += " ON CONFLICT (event_id) DO NOTHING";
    std::string name = absl::StrCat("insert_", count);
    PGresult* r = PQprepare(conn, name.c_str(), sql.c_str(), 0, nullptr);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) return std::nullopt;
    prepared[count] = name;
    return name;
  };
  // Parameter text built before the clock.
  std::vector<std::vector<std::optional<std::string>>> values;
  values.reserve(rows.size());
  for (const StoredRow& row : rows) values.push_back(PgValues(row));

  Clock::time_point start = Clock::now();
  std::vector<const char*> params;
  for (size_t begin = 0; begin < rows.size(); begin += static_cast<size_t>(batch_rows)) {
    size_t end = std::min(rows.size(), begin + static_cast<size_t>(batch_rows));
    std::optional<std::string> name = statement_for(end - begin);
    if (!name) return result.error = PQerrorMessage(conn), result;
    params.clear();
    for (size_t i = begin; i < end; ++i) {
      for (const std::optional<std::string>& value : values[i]) {
        params.push_back(value ? value->c_str() : nullptr);
      }
    }
    PGresult* r = PQexecPrepared(conn, name->c_str(), static_cast<int>(params.size()),
                                 params.data(), nullptr, nullptr, 0);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) return result.error = PQerrorMessage(conn), result;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.rows = PgCount(conn);
  result.complete = result.rows == static_cast<int64_t>(rows.size());
  return result;
}

// The collector's events, as the store's binary COPY sends them: one COPY
// (with its header and trailer) per transaction, built before the clock.
Result RunPgCopyBinary(PGconn* conn, int64_t count, int batch_rows) {
  Result result;
  result.run = "pg_copy_binary";
  const absl::Time now = absl::Now();
  const collector::PgMonth month = collector::MonthOf(now);
  std::string ddl =
      "DROP SCHEMA IF EXISTS cairn_raw CASCADE; CREATE SCHEMA cairn_raw; "
      "SET search_path = cairn_raw;";
  absl::StrAppend(&ddl, cairn::ToAbsl(collector::PgMigrationSteps()[5]), ";",
                  collector::CreatePartitionSql(month), ";",
                  collector::CreatePartitionSql(month + 1), ";");
  if (auto e = PgExec(conn, ddl)) return result.error = *e, result;
  Workload workload(1000, now);
  std::string install = RandomHexId();
  UuidV7Generator batch_ids;
  const int64_t now_ms = absl::ToUnixMillis(now);
  std::vector<std::string> chunks;
  for (int64_t begin = 0; begin < count; begin += batch_rows) {
    const int64_t end = std::min(count, begin + batch_rows);
    const std::string batch_id = batch_ids.Next(now);
    collector::PgCopyWriter copy;
    for (int64_t i = begin; i < end; ++i) {
      const cairn::v1::Event event = workload.LoadEvent(i);
      const collector::EventRow row = collector::EncodeEventRow(event, now, now);
      collector::AppendEventRow(event, row, now_ms, install, batch_id, copy);
    }
    chunks.push_back(copy.Finish());
  }
  const std::string copy_sql =
      absl::StrCat("COPY event_rows (", cairn::ToAbsl(collector::kPgEventRowColumns),
                   ") FROM STDIN (FORMAT binary)");

  Clock::time_point start = Clock::now();
  for (const std::string& chunk : chunks) {
    if (auto e = PgExec(conn, "BEGIN")) return result.error = *e, result;
    if (auto e = PgCopy(conn, copy_sql, chunk)) return result.error = *e, result;
    if (auto e = PgExec(conn, "COMMIT")) return result.error = *e, result;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  PGresult* counted = PQexec(conn, "SELECT count(*) FROM event_rows");
  if (PQresultStatus(counted) == PGRES_TUPLES_OK && PQntuples(counted) == 1) {
    result.rows = std::strtoll(PQgetvalue(counted, 0, 0), nullptr, 10);
  }
  PQclear(counted);
  result.complete = result.rows == count;
  PgExec(conn, "RESET search_path; DROP SCHEMA cairn_raw CASCADE");
  return result;
}

void Report(const Result& result, int batch_rows) {
  double rate = result.seconds > 0 ? static_cast<double>(result.rows) / result.seconds : 0;
  if (!result.error.empty()) {
    std::printf("%-19s FAILED: %s\n", result.run.c_str(), result.error.c_str());
  } else {
    std::printf("%-19s %9lld rows in %6.2f s = %8.0f rows/s (%d rows per transaction)%s\n",
                result.run.c_str(), static_cast<long long>(result.rows), result.seconds, rate,
                batch_rows, result.complete ? "" : "  ROW COUNT WRONG");
  }
  std::printf("%s\n", absl::StrFormat("{\"cairn_store_raw\":\"%s\",\"rows\":%d,\"seconds\":%.3f,"
                                      "\"rows_per_s\":%.0f,\"batch_rows\":%d,\"ok\":%s}",
                                      result.run, result.rows, result.seconds, rate, batch_rows,
                                      result.complete && result.error.empty() ? "true" : "false")
                          .c_str());
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  Flags flags;
  if (std::optional<std::string> error = ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr, "cairn-store-raw-bench: %s (see store_raw_bench.cc)\n", error->c_str());
    return 2;
  }
  std::vector<StoredRow> rows = MakeRows(flags.rows);
  bool all_ok = true;
  auto note = [&](const Result& result) {
    Report(result, flags.batch_rows);
    all_ok = all_ok && result.complete && result.error.empty();
  };

  std::string dir = flags.sqlite_dir;
  bool remove_dir = dir.empty();
  if (remove_dir) {
    dir = (std::filesystem::temp_directory_path() / ("cairn-raw-bench-" + RandomHexId())).string();
  }
  std::filesystem::create_directories(dir);
  note(RunSqlite("sqlite_events", dir + "/events.db", SqliteSchema::kEvents, rows,
                 flags.batch_rows));
  note(RunSqlite("sqlite_events_noidx", dir + "/events_noidx.db", SqliteSchema::kEventsNoIndex,
                 rows, flags.batch_rows));
  note(RunSqlite("sqlite_key_only", dir + "/key_only.db", SqliteSchema::kKeyOnly, rows,
                 flags.batch_rows));
  note(RunSqlite("sqlite_collector_default", dir + "/collector_default.db",
                 SqliteSchema::kCollector, rows, flags.batch_rows));
  note(RunSqlite("sqlite_collector", dir + "/collector.db", SqliteSchema::kCollector, rows,
                 flags.batch_rows,
                 {.cache_mib = flags.sqlite_cache_mib,
                  .wal_autocheckpoint = flags.sqlite_wal_autocheckpoint}));
  note(RunSqlite("sqlite_lean", dir + "/lean.db", SqliteSchema::kLean, rows, flags.batch_rows,
                 {.cache_mib = flags.sqlite_cache_mib,
                  .wal_autocheckpoint = flags.sqlite_wal_autocheckpoint}));
  if (remove_dir) std::filesystem::remove_all(dir);

  std::string uri = flags.pg_uri;
#ifdef CAIRN_HAVE_PG_CLUSTER
  std::unique_ptr<testing::PgCluster> cluster;
  if (flags.pg_throwaway) {
    testing::PgClusterOptions options;
    options.durable = true;
    absl::StatusOr<std::unique_ptr<testing::PgCluster>> started =
        testing::PgCluster::Start(options);
    if (!started.ok()) {
      std::fprintf(stderr, "cannot start a throwaway PostgreSQL: %s\n",
                   started.status().ToString().c_str());
      return 1;
    }
    cluster = std::move(*started);
    uri = cluster->connection_uri();
    std::printf("throwaway PostgreSQL (durable: fsync on) at %s\n", uri.c_str());
  }
#else
  if (flags.pg_throwaway) {
    std::fprintf(stderr, "built without the PostgreSQL test fixtures: use --pg-uri\n");
    return 2;
  }
#endif
  if (!uri.empty()) {
    PgConnPtr conn(PQconnectdb(uri.c_str()));
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      std::fprintf(stderr, "cannot connect to %s: %s", uri.c_str(), PQerrorMessage(conn.get()));
      return 1;
    }
    PgExec(conn.get(), "SET client_min_messages = warning");
    note(RunPgCopyUpsert(conn.get(), rows, flags.batch_rows));
    note(RunPgInsertValues(conn.get(), rows, flags.batch_rows));
    note(RunPgCopyBinary(conn.get(), flags.rows, flags.batch_rows));
    PgExec(conn.get(), "DROP TABLE IF EXISTS cairn_raw_bench");
  }
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) { return cairn::bench::Main(argc, argv); }
