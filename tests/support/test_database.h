#ifndef CAIRN_TESTS_SUPPORT_TEST_DATABASE_H_
#define CAIRN_TESTS_SUPPORT_TEST_DATABASE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "store/store.h"
#include "temp_dir.h"

namespace cairn::collector::testing {

// The stores the shared store suites run against.
enum class StoreKind { kSqlite, kPostgres };

// A fixed "now" well inside the range the stores accept, so that dates in
// the store suites are exact.
inline constexpr absl::Time kStoreTestNow = absl::FromUnixSeconds(1750000000);

// A batch record as the request handler would hand it to the store: a new
// batch id, install "install-1", SDK "1.2.3", sent and received at
// `received_at` (so no clock skew), `events` in order.
BatchRecord MakeRecord(std::vector<cairn::v1::Event> events,
                       absl::Time received_at = kStoreTestNow);

// "Sqlite" / "Postgres", for test names.
std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info);
// The same name for gtest's value printer (ctest's listing shows it).
void PrintTo(StoreKind kind, std::ostream* os);

// True if `kind` can run here. PostgreSQL needs Debian's server binaries;
// without them this prints a loud SKIPPED banner.
bool StoreAvailable(StoreKind kind);

// One fresh, empty database for one test: a file in a temporary directory,
// or a new database (CREATE DATABASE t_N) in one throwaway PostgreSQL
// cluster shared by the whole test binary (started on first use, about 2 s,
// stopped at exit), so each test is isolated and the suite stays fast.
class TestDatabase {
 public:
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(StoreKind kind);

  StoreKind kind() const { return kind_; }
  // The --db value naming this database.
  const std::string& spec() const { return spec_; }

  // Opens (or reopens) the store on this database through OpenStore.
  absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& hash_key = "",
                                              bool read_only = false) const;
  // The store's keyed hash of `user_id` (SqliteStore/PgStore::UserHash).
  static std::string UserHash(Store& store, std::string_view user_id);

  // Runs `sql` (SQL both stores accept; "?1" is the one optional text
  // parameter) on a separate connection and returns the first `columns`
  // columns of its first row as text (nullopt for NULL). Adds a test
  // failure and returns an empty row if it fails or returns no row.
  std::vector<std::optional<std::string>> QueryRow(const std::string& sql,
                                                   const std::string& param = "",
                                                   int columns = 1) const;
  // Runs `sql` (one or more statements, no parameters) on a separate
  // writable connection, for tests that reshape a database (e.g. back to
  // an older schema). A failure is a test failure; returns whether it ran.
  bool Exec(const std::string& sql) const;
  // The first column of QueryRow as an integer (-1 if absent or NULL).
  int64_t QueryInt(const std::string& sql, const std::string& param = "") const;

 private:
  TestDatabase(StoreKind kind) : kind_(kind) {}

  StoreKind kind_;
  cairn::testing::TempDir dir_;
  std::string spec_;
  std::string pg_uri_;
};

// The fixture of the store suites, value-parameterized by StoreKind: each
// test gets a fresh database of that kind and a store open on it. A kind
// that cannot run here skips the test (loudly); a database or store that
// cannot be made is a fatal test failure.
class StoreSuite : public ::testing::TestWithParam<StoreKind> {
 protected:
  // Skips unless the kind can run here, then NewDatabase() and Open().
  void SetUp() override;

  // Closes the store and makes a fresh, empty database (a new file or
  // CREATE DATABASE: milliseconds).
  void NewDatabase();
  // Closes the store and opens it again on the database with `hash_key`.
  void Open(const std::string& hash_key = "");

  // Writes one batch; a failed write is a test failure and an empty result.
  BatchWriteResult Write(const BatchRecord& record);
  // Writes `events` as one batch received at kStoreTestNow.
  BatchWriteResult Write(std::vector<cairn::v1::Event> events);

  // TestDatabase::QueryInt on this test's database.
  int64_t QueryInt(const std::string& sql, const std::string& param = "") {
    return db_->QueryInt(sql, param);
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

}  // namespace cairn::collector::testing

#endif  // CAIRN_TESTS_SUPPORT_TEST_DATABASE_H_
