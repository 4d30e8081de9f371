#include "cairn/common/sqlite.h"

#include <fstream>
#include <string_view>

#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn::sqlite {
namespace {

constexpr std::string_view kSteps[] = {
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, v REAL)",
    "ALTER TABLE t ADD COLUMN extra BLOB",
};

TEST(Sqlite, MigratesOnceAndKeepsDataAcrossReopen) {
  cairn::testing::TempDir dir;
  {
    auto db = Database::Open(dir.File("a.db"));
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Migrate(kSteps).ok());
    EXPECT_EQ(*(*db)->SchemaVersion(), 2);
    auto insert = (*db)->Prepare("INSERT INTO t (name, v, extra) VALUES (?, ?, ?)");
    ASSERT_TRUE(insert.ok());
    insert->Bind(1, std::string_view("it's; DROP TABLE t; --")).Bind(2, 1.5);
    insert->BindBlob(3, std::string_view("\0\1\2", 3));
    ASSERT_TRUE(insert->Run().ok());
    EXPECT_EQ((*db)->Changes(), 1);
  }
  auto db = Database::Open(dir.File("a.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Migrate(kSteps).ok());  // idempotent
  EXPECT_EQ(*(*db)->SchemaVersion(), 2);
  auto select = (*db)->Prepare("SELECT name, v, extra FROM t");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnText(0), "it's; DROP TABLE t; --");  // bound, not executed
  EXPECT_DOUBLE_EQ(select->ColumnDouble(1), 1.5);
  EXPECT_EQ(select->ColumnBlob(2), std::string_view("\0\1\2", 3));
  EXPECT_FALSE(*select->Step());
}

TEST(Sqlite, NewerSchemaThanTheProgramIsRefused) {
  cairn::testing::TempDir dir;
  auto db = Database::Open(dir.File("b.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Migrate(kSteps).ok());
  std::span<const std::string_view> older(kSteps, 1);
  EXPECT_EQ((*db)->Migrate(older).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Sqlite, GarbageFileIsDataLoss) {
  cairn::testing::TempDir dir;
  std::ofstream(dir.File("junk.db")) << std::string(8192, 'x');
  auto db = Database::Open(dir.File("junk.db"));
  EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << db.status();
}

TEST(Sqlite, ConstraintViolationIsAlreadyExistsAndTransactionRollsBack) {
  cairn::testing::TempDir dir;
  auto db = Database::Open(dir.File("c.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("CREATE TABLE k (id TEXT PRIMARY KEY)").ok());
  {
    Transaction txn(**db);
    ASSERT_TRUE(txn.Begin().ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO k VALUES ('a')").ok());
    EXPECT_EQ((*db)->Exec("INSERT INTO k VALUES ('a')").code(), absl::StatusCode::kAlreadyExists);
  }  // not committed: rolled back
  auto count = (*db)->Prepare("SELECT count(*) FROM k");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->ColumnInt(0), 0);
}

TEST(Sqlite, BindErrorIsReportedByStep) {
  cairn::testing::TempDir dir;
  auto db = Database::Open(dir.File("d.db"));
  ASSERT_TRUE(db.ok());
  auto stmt = (*db)->Prepare("SELECT ?");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(5, int64_t{1});  // no such parameter
  EXPECT_FALSE(stmt->Step().ok());
}

}  // namespace
}  // namespace cairn::sqlite
