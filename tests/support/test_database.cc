#include "test_database.h"

#include <libpq-fe.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cairn/common/sqlite.h"
#include "cairn/common/strings.h"
#include "pg_cluster.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_factory.h"
#include "test_batches.h"

namespace cairn::collector::testing {
namespace {

using ::cairn::testing::PgCluster;

// The binary's one PostgreSQL cluster; torn down by the static destructor.
absl::StatusOr<PgCluster*> SharedCluster() {
  static std::mutex mu;
  static std::unique_ptr<PgCluster> cluster;
  static absl::Status failed = absl::OkStatus();
  std::lock_guard lock(mu);
  if (cluster) return cluster.get();
  if (!failed.ok()) return failed;
  absl::StatusOr<std::unique_ptr<PgCluster>> started = PgCluster::Start();
  if (!started.ok()) {
    failed = started.status();
    return failed;
  }
  cluster = *std::move(started);
  return cluster.get();
}

}  // namespace

BatchRecord MakeRecord(std::vector<cairn::v1::Event> events, absl::Time received_at) {
  BatchRecord record;
  record.batch_id = cairn::testing::NewUuidV7();
  record.install_id = "install-1";
  record.sdk_version = "1.2.3";
  record.sent_at = received_at;
  record.received_at = received_at;
  record.event_count = static_cast<int64_t>(events.size());
  record.events = std::move(events);
  return record;
}

std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param == StoreKind::kSqlite ? "Sqlite" : "Postgres";
}

void PrintTo(StoreKind kind, std::ostream* os) {
  *os << (kind == StoreKind::kSqlite ? "Sqlite" : "Postgres");
}

bool StoreAvailable(StoreKind kind) {
  if (kind == StoreKind::kSqlite || PgCluster::Available()) return true;
  std::fprintf(stderr,
               "\n*** SKIPPED: PostgreSQL server binaries not installed "
               "(/usr/lib/postgresql/*/bin); the PostgreSQL store is NOT tested. "
               "Run scripts/setup.sh ***\n\n");
  return false;
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(StoreKind kind) {
  std::unique_ptr<TestDatabase> db(new TestDatabase(kind));
  if (kind == StoreKind::kSqlite) {
    db->spec_ = db->dir_.File("collector.db");
    return db;
  }
  absl::StatusOr<PgCluster*> cluster = SharedCluster();
  if (!cluster.ok()) return cluster.status();
  static std::atomic<int> next{0};
  std::string name = absl::StrCat("t_", next.fetch_add(1));
  if (absl::Status s = (*cluster)->Query(absl::StrCat("CREATE DATABASE ", name)); !s.ok()) {
    return s;
  }
  db->pg_uri_ = absl::StrCat("postgresql://cairn@127.0.0.1:", (*cluster)->port(), "/", name);
  db->spec_ = db->pg_uri_;
  return db;
}

absl::StatusOr<std::unique_ptr<Store>> TestDatabase::Open(const std::string& hash_key,
                                                          bool read_only) const {
  return OpenStore(spec_, {.read_only = read_only, .hash_key = hash_key});
}

std::string TestDatabase::UserHash(Store& store, std::string_view user_id) {
  if (auto* sqlite = dynamic_cast<SqliteStore*>(&store)) return sqlite->UserHash(user_id);
  if (auto* pg = dynamic_cast<PgStore*>(&store)) return pg->UserHash(user_id);
  ADD_FAILURE() << "unknown store type";
  return "";
}

std::vector<std::optional<std::string>> TestDatabase::QueryRow(const std::string& sql,
                                                               const std::string& param,
                                                               int columns) const {
  std::vector<std::optional<std::string>> row;
  if (kind_ == StoreKind::kSqlite) {
    auto db = sqlite::Database::Open(spec_, {.read_only = true});
    if (!db.ok()) {
      ADD_FAILURE() << db.status();
      return row;
    }
    auto stmt = (*db)->Prepare(sql);
    if (!stmt.ok()) {
      ADD_FAILURE() << stmt.status() << " in " << sql;
      return row;
    }
    if (!param.empty()) stmt->Bind(1, param);
    auto has_row = stmt->Step();
    if (!has_row.ok() || !*has_row) {
      ADD_FAILURE() << "no row from " << sql;
      return row;
    }
    for (int i = 0; i < columns; ++i) {
      if (stmt->ColumnIsNull(i)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(stmt->ColumnText(i)));
      }
    }
    return row;
  }
  PGconn* conn = PQconnectdb(pg_uri_.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    ADD_FAILURE() << PQerrorMessage(conn);
    PQfinish(conn);
    return row;
  }
  std::string pg_sql = absl::StrReplaceAll(sql, {{"?1", "$1"}});
  const char* values[] = {param.c_str()};
  PGresult* result = PQexecParams(conn, pg_sql.c_str(), param.empty() ? 0 : 1, nullptr, values,
                                  nullptr, nullptr, 0);
  if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) < 1) {
    ADD_FAILURE() << "no row from " << sql << ": " << PQerrorMessage(conn);
  } else {
    for (int i = 0; i < columns && i < PQnfields(result); ++i) {
      if (PQgetisnull(result, 0, i)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(result, 0, i)));
      }
    }
  }
  PQclear(result);
  PQfinish(conn);
  return row;
}

void StoreSuite::SetUp() {
  if (!StoreAvailable(GetParam())) GTEST_SKIP() << "PostgreSQL not installed";
  NewDatabase();
  if (HasFatalFailure()) return;
  Open();
}

void StoreSuite::NewDatabase() {
  store_.reset();
  auto db = TestDatabase::Create(GetParam());
  ASSERT_TRUE(db.ok()) << db.status();
  db_ = *std::move(db);
}

void StoreSuite::Open(const std::string& hash_key) {
  store_.reset();
  auto store = db_->Open(hash_key);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
}

BatchWriteResult StoreSuite::Write(const BatchRecord& record) {
  auto results = store_->Write({&record, 1});
  EXPECT_TRUE(results.ok()) << results.status();
  return results.ok() ? results->front() : BatchWriteResult{};
}

BatchWriteResult StoreSuite::Write(std::vector<cairn::v1::Event> events) {
  return Write(MakeRecord(std::move(events)));
}

int64_t TestDatabase::QueryInt(const std::string& sql, const std::string& param) const {
  std::vector<std::optional<std::string>> row = QueryRow(sql, param);
  int64_t value = -1;
  if (row.empty() || !row[0] || !absl::SimpleAtoi(ToAbsl(*row[0]), &value)) return -1;
  return value;
}

bool TestDatabase::Exec(const std::string& sql) const {
  if (kind_ == StoreKind::kSqlite) {
    auto db = sqlite::Database::Open(spec_);
    if (!db.ok()) {
      ADD_FAILURE() << db.status();
      return false;
    }
    absl::Status s = (*db)->Exec(sql);
    EXPECT_TRUE(s.ok()) << s << " in " << sql;
    return s.ok();
  }
  PGconn* conn = PQconnectdb(pg_uri_.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    ADD_FAILURE() << PQerrorMessage(conn);
    PQfinish(conn);
    return false;
  }
  PGresult* result = PQexec(conn, sql.c_str());
  const bool ok =
      PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK;
  EXPECT_TRUE(ok) << PQerrorMessage(conn) << " in " << sql;
  PQclear(result);
  PQfinish(conn);
  return ok;
}

}  // namespace cairn::collector::testing
