#include "cairn/collector/sqlite_store.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "cairn/common/sqlite.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "temp_dir.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::GrantsFor;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeLogout;
using ::cairn::testing::MakeMilestone;
using ::cairn::testing::NewUuidV7;
using ::cairn::testing::TempDir;
using ::cairn::testing::WithGrants;
using ::testing::ElementsAre;

BatchRecord Record(std::vector<cairn::v1::Event> events) {
  BatchRecord record;
  record.batch_id = NewUuidV7();
  record.install_id = "install-1";
  record.sent_at = absl::Now();
  record.received_at = absl::Now();
  record.event_count = static_cast<int64_t>(events.size());
  record.events = std::move(events);
  return record;
}

absl::StatusOr<BatchWriteResult> WriteOne(Store& store, const BatchRecord& record) {
  absl::StatusOr<std::vector<BatchWriteResult>> results = store.Write({&record, 1});
  if (!results.ok()) return results.status();
  return results->front();
}

int64_t QueryInt(const std::string& path, const std::string& sql) {
  auto db = sqlite::Database::Open(path, {.read_only = true});
  EXPECT_TRUE(db.ok()) << db.status();
  auto stmt = (*db)->Prepare(sql);
  EXPECT_TRUE(stmt.ok()) << stmt.status();
  auto row = stmt->Step();
  EXPECT_TRUE(row.ok() && *row);
  return stmt->ColumnInt(0);
}

// Rows of the events table other than consent changes.
constexpr char kCountEvents[] = "SELECT count(*) FROM events WHERE kind != 'consent_change'";

class CollectorSqliteStoreTest : public ::testing::Test {
 protected:
  // "user-1" has granted analytics and milestones (two consent events).
  void SetUp() override { OpenStore("collector.db", /*grant_user_1=*/true); }

  void OpenStore(const std::string& name, bool grant_user_1) {
    store_.reset();
    path_ = dir_.File(name);
    auto store = SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    if (grant_user_1) {
      ASSERT_TRUE(WriteOne(*store_, Record(GrantsFor("acct-1", {"user-1"}))).ok());
    }
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(CollectorSqliteStoreTest, InsertsEventsWithTheirColumns) {
  cairn::v1::Event milestone = MakeMilestone("acct-1", "user-1", "invoice_sent", 3.5);
  (*milestone.mutable_attributes())["plan"] = "pro \"gold\"";
  BatchRecord record = Record({MakeLogin("acct-1", "user-1"), milestone});
  auto result = WriteOne(*store_, record);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->inserted, 2);
  EXPECT_EQ(result->duplicates, 0);
  EXPECT_TRUE(result->first_delivery);
  EXPECT_THAT(result->outcomes, ElementsAre(EventOutcome::kInserted, EventOutcome::kInserted));

  auto db = sqlite::Database::Open(path_, {.read_only = true});
  ASSERT_TRUE(db.ok());
  auto stmt = (*db)->Prepare(
      "SELECT account_id, user_id, purpose, kind, milestone_name, milestone_value, "
      "attributes_json, install_id, batch_id, event_proto FROM events WHERE event_id = ?1");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, milestone.event_id());
  auto row = stmt->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(stmt->ColumnText(0), "acct-1");
  EXPECT_EQ(stmt->ColumnText(1), "user-1");
  EXPECT_EQ(stmt->ColumnInt(2), cairn::v1::PURPOSE_MILESTONES);
  EXPECT_EQ(stmt->ColumnText(3), "milestone");
  EXPECT_EQ(stmt->ColumnText(4), "invoice_sent");
  EXPECT_DOUBLE_EQ(stmt->ColumnDouble(5), 3.5);
  EXPECT_EQ(stmt->ColumnText(6), R"({"plan":"pro \"gold\""})");
  EXPECT_EQ(stmt->ColumnText(7), "install-1");
  EXPECT_EQ(stmt->ColumnText(8), record.batch_id);
  cairn::v1::Event parsed;
  ASSERT_TRUE(parsed.ParseFromString(std::string(stmt->ColumnBlob(9))));
  EXPECT_EQ(parsed.event_id(), milestone.event_id());
}

TEST_F(CollectorSqliteStoreTest, DuplicateWithinOneBatchIsStoredOnce) {
  cairn::v1::Event login = MakeLogin("acct-1", "user-1");
  auto result = WriteOne(*store_, Record({login, login, MakeLogout("acct-1", "user-1")}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->inserted, 2);
  EXPECT_EQ(result->duplicates, 1);
  EXPECT_THAT(result->outcomes, ElementsAre(EventOutcome::kInserted, EventOutcome::kDuplicate,
                                            EventOutcome::kInserted));
  EXPECT_EQ(QueryInt(path_, kCountEvents), 2);
}

TEST_F(CollectorSqliteStoreTest, DuplicateAcrossBatchesIsStoredOnce) {
  cairn::v1::Event login = MakeLogin("acct-1", "user-1");
  ASSERT_TRUE(WriteOne(*store_, Record({login})).ok());
  auto second = WriteOne(*store_, Record({login, MakeLogout("acct-1", "user-1")}));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->inserted, 1);
  EXPECT_EQ(second->duplicates, 1);
  EXPECT_EQ(QueryInt(path_, kCountEvents), 2);
}

TEST_F(CollectorSqliteStoreTest, SeveralBatchesInOneWriteShareATransaction) {
  cairn::v1::Event shared = MakeLogin("acct-1", "user-1");
  std::vector<BatchRecord> batches = {Record({shared}), Record({shared})};
  auto results = store_->Write(batches);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2u);
  EXPECT_EQ((*results)[0].inserted, 1);
  EXPECT_EQ((*results)[1].duplicates, 1);
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM batches"), 3);  // and the grants
}

TEST_F(CollectorSqliteStoreTest, DropCountersAreCountedOncePerBatchId) {
  BatchRecord record = Record({MakeLogin("acct-1", "user-1")});
  record.drops[cairn::v1::DROP_REASON_QUEUE_FULL] = 3;
  record.drops[cairn::v1::DROP_REASON_EXPIRED] = 2;
  auto first = WriteOne(*store_, record);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->first_delivery);
  auto retry = WriteOne(*store_, record);  // same batch_id: a retry
  ASSERT_TRUE(retry.ok());
  EXPECT_FALSE(retry->first_delivery);
  EXPECT_EQ(retry->duplicates, 1);

  BatchRecord next = Record({});
  next.drops[cairn::v1::DROP_REASON_QUEUE_FULL] = 4;
  ASSERT_TRUE(WriteOne(*store_, next).ok());

  EXPECT_EQ(QueryInt(path_, "SELECT count FROM client_drops WHERE reason = 1"), 7);
  EXPECT_EQ(QueryInt(path_, "SELECT count FROM client_drops WHERE reason = 4"), 2);
  EXPECT_EQ(QueryInt(path_, "SELECT times_received FROM batches WHERE batch_id = '" +
                                record.batch_id + "'"),
            2);
}

TEST_F(CollectorSqliteStoreTest, DropCountersSaturateInsteadOfOverflowing) {
  BatchRecord a = Record({});
  a.drops[cairn::v1::DROP_REASON_DISK_FULL] = UINT64_MAX;
  BatchRecord b = Record({});
  b.drops[cairn::v1::DROP_REASON_DISK_FULL] = 5;
  ASSERT_TRUE(WriteOne(*store_, a).ok());
  ASSERT_TRUE(WriteOne(*store_, b).ok());
  EXPECT_EQ(QueryInt(path_, "SELECT count FROM client_drops WHERE reason = 7"), INT64_MAX);
}

TEST_F(CollectorSqliteStoreTest, ReopenKeepsDataAndSchemaVersion) {
  ASSERT_TRUE(WriteOne(*store_, Record({MakeLogin("acct-1", "user-1")})).ok());
  store_.reset();
  for (int i = 0; i < 2; ++i) {
    auto reopened = SqliteStore::Open(path_);
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    auto summary = (*reopened)->Summarize();
    ASSERT_TRUE(summary.ok());
    EXPECT_EQ(summary->total_events, 3);  // the login and two grants
  }
  EXPECT_EQ(QueryInt(path_, "PRAGMA user_version"), SqliteStore::kSchemaVersion);
}

TEST_F(CollectorSqliteStoreTest, RefusesADatabaseFromANewerVersion) {
  store_.reset();
  {
    auto db = sqlite::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version=99").ok());
  }
  auto reopened = SqliteStore::Open(path_);
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CollectorSqliteStoreTest, ReadOnlyOpenReadsButNeverWritesOrCreates) {
  ASSERT_TRUE(WriteOne(*store_, Record({MakeLogin("acct-1", "user-1")})).ok());
  auto reader = SqliteStore::Open(path_, {.read_only = true});
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->Summarize()->total_events, 3);  // the login and two grants
  BatchRecord record = Record({});
  EXPECT_EQ((*reader)->Write({&record, 1}).status().code(),
            absl::StatusCode::kFailedPrecondition);

  auto missing = SqliteStore::Open(dir_.File("missing.db"), {.read_only = true});
  EXPECT_FALSE(missing.ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.File("missing.db")));
}

TEST_F(CollectorSqliteStoreTest, SummarizeCountsPerAccount) {
  OpenStore("summary.db", /*grant_user_1=*/false);
  absl::Time t0 = absl::FromUnixSeconds(1700000000);
  std::vector<cairn::v1::Event> events = {
      MakeLogin("acct-a", "u1", t0),
      MakeLogin("acct-a", "u2", t0 + absl::Minutes(1)),
      MakeLogin("acct-a", "u1", t0 + absl::Minutes(2)),
      MakeMilestone("acct-a", "u1", "quote_done", std::nullopt, t0 + absl::Minutes(3)),
      MakeMilestone("acct-a", "u2", "quote_done", std::nullopt, t0 + absl::Minutes(4)),
      MakeMilestone("acct-a", "u2", "invoice_sent", 1.0, t0 + absl::Minutes(5)),
      MakeLogin("acct-b", "u1", t0 + absl::Hours(1)),
      MakeLogout("acct-b", "u1", t0 + absl::Hours(2)),
  };
  // Five grants: analytics for (a,u1), (a,u2), (b,u1), milestones for (a,u1), (a,u2).
  BatchRecord record = Record(WithGrants(events));
  record.drops[cairn::v1::DROP_REASON_QUEUE_FULL] = 2;
  auto written = WriteOne(*store_, record);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->inserted, 13);

  auto summary = store_->Summarize();
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->total_events, 13);
  EXPECT_EQ(summary->events_by_kind.at("consent_change"), 5);
  EXPECT_EQ(summary->consent_records, 5);
  EXPECT_EQ(summary->accounts, 2);
  EXPECT_EQ(summary->users, 3);  // u1 and u2 of acct-a, u1 of acct-b
  EXPECT_EQ(summary->batches, 1);
  EXPECT_EQ(summary->events_by_kind.at("login"), 4);
  EXPECT_EQ(summary->events_by_kind.at("milestone"), 3);
  EXPECT_EQ(summary->events_by_kind.at("logout"), 1);
  ASSERT_EQ(summary->top_accounts.size(), 2u);
  const AccountSummary& b = summary->top_accounts[0];  // most recent first
  EXPECT_EQ(b.account_id, "acct-b");
  EXPECT_EQ(b.users, 1);
  EXPECT_EQ(b.logins, 1);
  EXPECT_EQ(b.milestones_reached, 0);
  EXPECT_EQ(b.last_activity, t0 + absl::Hours(2));
  const AccountSummary& a = summary->top_accounts[1];
  EXPECT_EQ(a.account_id, "acct-a");
  EXPECT_EQ(a.users, 2);
  EXPECT_EQ(a.logins, 3);
  EXPECT_EQ(a.milestones_reached, 2);
  EXPECT_EQ(a.last_activity, t0 + absl::Minutes(5));
  EXPECT_EQ(summary->client_drops.at(cairn::v1::DROP_REASON_QUEUE_FULL), 2);
}

TEST_F(CollectorSqliteStoreTest, SummarizeOfAnEmptyStore) {
  OpenStore("empty.db", /*grant_user_1=*/false);
  auto summary = store_->Summarize();
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->total_events, 0);
  EXPECT_TRUE(summary->top_accounts.empty());
  EXPECT_TRUE(summary->client_drops.empty());
  EXPECT_TRUE(summary->rejections.empty());
  EXPECT_EQ(summary->erased_users, 0);
}

}  // namespace
}  // namespace cairn::collector
