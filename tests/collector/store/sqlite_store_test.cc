// Store behaviour both stores share (value-parameterized over SQLite and
// PostgreSQL), then what only the SQLite file store does.
#include "store/sqlite/sqlite_store.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/common/sqlite.h"
#include "collector_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/store_common.h"
#include "store/store_factory.h"
#include "temp_dir.h"
#include "test_batches.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::collector::testing::StoreKind;
using ::cairn::collector::testing::StoreSuite;
using ::cairn::testing::GrantsFor;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeLogout;
using ::cairn::testing::MakeMilestone;
using ::cairn::testing::TempDir;
using ::cairn::testing::WithGrants;
using ::testing::ElementsAre;

// Received now: these tests check the store against the real clock.
BatchRecord Record(std::vector<cairn::v1::Event> events) {
  return testing::MakeRecord(std::move(events), absl::Now());
}

absl::StatusOr<BatchWriteResult> WriteOne(Store& store, const BatchRecord& record) {
  absl::StatusOr<std::vector<BatchWriteResult>> results = store.Write({&record, 1});
  if (!results.ok()) return results.status();
  return results->front();
}

int64_t QueryInt(const std::string& path, const std::string& sql) {
  return cairn::testing::SqliteQueryInt(path, sql);
}

// Rows of the events table other than consent changes.
constexpr char kCountEvents[] = "SELECT count(*) FROM events WHERE kind != 'consent_change'";

// The shared suite: each test gets a fresh database of the parameter's kind.
class CollectorStoreTest : public StoreSuite {
 protected:
  // "user-1" has granted analytics and milestones (two consent events).
  void SetUp() override {
    if (!testing::StoreAvailable(GetParam())) GTEST_SKIP() << "PostgreSQL not installed";
    OpenStore(/*grant_user_1=*/true);
  }

  // A fresh database, with user 1's grants if `grant_user_1`.
  void OpenStore(bool grant_user_1) {
    NewDatabase();
    if (HasFatalFailure()) return;
    Open();
    if (grant_user_1 && !HasFatalFailure()) {
      ASSERT_TRUE(WriteOne(*store_, Record(GrantsFor("acct-1", {"user-1"}))).ok());
    }
  }
};

INSTANTIATE_TEST_SUITE_P(CollectorStores, CollectorStoreTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
                         testing::StoreKindName);

TEST_P(CollectorStoreTest, InsertsEventsWithTheirColumns) {
  cairn::v1::Event milestone = MakeMilestone("acct-1", "user-1", "invoice_sent", 3.5);
  (*milestone.mutable_attributes())["plan"] = "pro \"gold\"\ttab\\";
  BatchRecord record = Record({MakeLogin("acct-1", "user-1"), milestone});
  auto result = WriteOne(*store_, record);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->inserted, 2);
  EXPECT_EQ(result->duplicates, 0);
  EXPECT_TRUE(result->first_delivery);
  EXPECT_THAT(result->outcomes, ElementsAre(EventOutcome::kInserted, EventOutcome::kInserted));

  auto row = db_->QueryRow(
      "SELECT account_id, user_id, purpose, kind, milestone_name, milestone_value, "
      "attributes_json, install_id, batch_id FROM events WHERE event_id = ?1",
      milestone.event_id(), 9);
  ASSERT_EQ(row.size(), 9u);
  EXPECT_EQ(row[0], "acct-1");
  EXPECT_EQ(row[1], "user-1");
  EXPECT_EQ(row[2], std::to_string(cairn::v1::PURPOSE_MILESTONES));
  EXPECT_EQ(row[3], "milestone");
  EXPECT_EQ(row[4], "invoice_sent");
  EXPECT_EQ(row[5], "3.5");
  EXPECT_EQ(row[6], R"({"plan":"pro \"gold\"\ttab\\"})");
  EXPECT_EQ(row[7], "install-1");
  EXPECT_EQ(row[8], record.batch_id);
  auto exported = store_->ExportUser("user-1", 100);
  ASSERT_TRUE(exported.ok()) << exported.status();
  bool found = false;
  for (const StoredEvent& stored : exported->events) {
    if (stored.event.event_id() != milestone.event_id()) continue;
    found = true;
    EXPECT_EQ(stored.event.SerializeAsString(), milestone.SerializeAsString());
  }
  EXPECT_TRUE(found);
}

TEST_P(CollectorStoreTest, KeepsDeviceTimeAndSkewCorrectedTime) {
  // The device clock runs 1 h fast: it sent the batch at device time
  // T+1h, the collector received it at T; the event happened 10 min before
  // sending by the device clock.
  const absl::Time t = absl::FromUnixSeconds(1750000000);
  cairn::v1::Event login = MakeLogin("acct-1", "user-1", t + absl::Minutes(50));
  BatchRecord skewed = Record({login});
  skewed.sent_at = t + absl::Hours(1);
  skewed.received_at = t;
  // No sent_at: the corrected time is the device time.
  cairn::v1::Event unsent = MakeLogin("acct-1", "user-1", t - absl::Hours(3));
  BatchRecord without = Record({unsent});
  without.sent_at = absl::InfinitePast();
  without.received_at = t;
  // A device clock that went back between recording and sending: never
  // later than the collector received it.
  cairn::v1::Event future = MakeLogin("acct-1", "user-1", t + absl::Minutes(5));
  BatchRecord backwards = Record({future});
  backwards.sent_at = t;
  backwards.received_at = t;
  for (const BatchRecord* record : {&skewed, &without, &backwards}) {
    ASSERT_TRUE(WriteOne(*store_, *record).ok());
  }
  auto times = [&](const cairn::v1::Event& e) {
    auto row = db_->QueryRow(
        "SELECT occurred_at_ms, corrected_at_ms, received_at_ms FROM events WHERE event_id = ?1",
        e.event_id(), 3);
    std::vector<std::string> out;
    for (const auto& v : row) out.push_back(v.value_or("NULL"));
    return out;
  };
  auto ms = [](absl::Time x) { return std::to_string(absl::ToUnixMillis(x)); };
  EXPECT_THAT(times(login),
              ElementsAre(ms(t + absl::Minutes(50)), ms(t - absl::Minutes(10)), ms(t)));
  EXPECT_THAT(times(unsent), ElementsAre(ms(t - absl::Hours(3)), ms(t - absl::Hours(3)), ms(t)));
  EXPECT_THAT(times(future), ElementsAre(ms(t + absl::Minutes(5)), ms(t), ms(t)));

  auto exported = store_->ExportUser("user-1", 100);
  ASSERT_TRUE(exported.ok());
  for (const StoredEvent& stored : exported->events) {
    if (stored.event.event_id() == login.event_id()) {
      EXPECT_EQ(stored.corrected_occurred_at, t - absl::Minutes(10));
      EXPECT_EQ(stored.received_at, t);
    }
  }
}

TEST_P(CollectorStoreTest, DuplicateWithinOneBatchIsStoredOnce) {
  cairn::v1::Event login = MakeLogin("acct-1", "user-1");
  auto result = WriteOne(*store_, Record({login, login, MakeLogout("acct-1", "user-1")}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->inserted, 2);
  EXPECT_EQ(result->duplicates, 1);
  EXPECT_THAT(result->outcomes, ElementsAre(EventOutcome::kInserted, EventOutcome::kDuplicate,
                                            EventOutcome::kInserted));
  EXPECT_EQ(QueryInt(kCountEvents), 2);
}

TEST_P(CollectorStoreTest, DuplicateAcrossBatchesIsStoredOnce) {
  cairn::v1::Event login = MakeLogin("acct-1", "user-1");
  ASSERT_TRUE(WriteOne(*store_, Record({login})).ok());
  auto second = WriteOne(*store_, Record({login, MakeLogout("acct-1", "user-1")}));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->inserted, 1);
  EXPECT_EQ(second->duplicates, 1);
  EXPECT_EQ(QueryInt(kCountEvents), 2);
}

TEST_P(CollectorStoreTest, SeveralBatchesInOneWriteShareATransaction) {
  cairn::v1::Event shared = MakeLogin("acct-1", "user-1");
  std::vector<BatchRecord> batches = {Record({shared}), Record({shared})};
  auto results = store_->Write(batches);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2u);
  EXPECT_EQ((*results)[0].inserted, 1);
  EXPECT_EQ((*results)[1].duplicates, 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches"), 3);  // and the grants
}

TEST_P(CollectorStoreTest, DropCountersAreCountedOncePerBatchId) {
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

  EXPECT_EQ(QueryInt("SELECT count FROM client_drops WHERE reason = 1"), 7);
  EXPECT_EQ(QueryInt("SELECT count FROM client_drops WHERE reason = 4"), 2);
  EXPECT_EQ(QueryInt("SELECT times_received FROM batches WHERE batch_id = ?1", record.batch_id), 2);
}

TEST_P(CollectorStoreTest, DropCountersSaturateInsteadOfOverflowing) {
  BatchRecord a = Record({});
  a.drops[cairn::v1::DROP_REASON_DISK_FULL] = UINT64_MAX;
  BatchRecord b = Record({});
  b.drops[cairn::v1::DROP_REASON_DISK_FULL] = 5;
  ASSERT_TRUE(WriteOne(*store_, a).ok());
  ASSERT_TRUE(WriteOne(*store_, b).ok());
  EXPECT_EQ(QueryInt("SELECT count FROM client_drops WHERE reason = 7"), INT64_MAX);
}

TEST_P(CollectorStoreTest, SummarizeCountsPerAccount) {
  OpenStore(/*grant_user_1=*/false);
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

TEST_P(CollectorStoreTest, SummarizeOfAnEmptyStore) {
  OpenStore(/*grant_user_1=*/false);
  auto summary = store_->Summarize();
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->total_events, 0);
  EXPECT_TRUE(summary->top_accounts.empty());
  EXPECT_TRUE(summary->client_drops.empty());
  EXPECT_TRUE(summary->rejections.empty());
  EXPECT_EQ(summary->erased_users, 0);
}

TEST_P(CollectorStoreTest, ReopenKeepsData) {
  ASSERT_TRUE(WriteOne(*store_, Record({MakeLogin("acct-1", "user-1")})).ok());
  store_.reset();
  for (int i = 0; i < 2; ++i) {
    auto reopened = db_->Open();
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    auto summary = (*reopened)->Summarize();
    ASSERT_TRUE(summary.ok());
    EXPECT_EQ(summary->total_events, 3);  // the login and two grants
  }
}

TEST_P(CollectorStoreTest, ReadOnlyOpenReadsButNeverWrites) {
  ASSERT_TRUE(WriteOne(*store_, Record({MakeLogin("acct-1", "user-1")})).ok());
  auto reader = db_->Open("", /*read_only=*/true);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->Summarize()->total_events, 3);  // the login and two grants
  BatchRecord record = Record({});
  EXPECT_EQ((*reader)->Write({&record, 1}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*reader)->EraseUser("user-1", absl::Now()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// ---- SQLite only: the file, its pragmas and its migrations ------------------

class CollectorSqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(WriteOne(*store_, Record(GrantsFor("acct-1", {"user-1"}))).ok());
  }

  TempDir dir_;
  std::string path_ = dir_.File("collector.db");
  std::unique_ptr<SqliteStore> store_;
};

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
  EXPECT_EQ((*reader)->Write({&record, 1}).status().code(), absl::StatusCode::kFailedPrecondition);

  auto missing = SqliteStore::Open(dir_.File("missing.db"), {.read_only = true});
  EXPECT_FALSE(missing.ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.File("missing.db")));
}

TEST_F(CollectorSqliteStoreTest, MigrationToV3BackfillsTheCorrectedTime) {
  store_.reset();
  std::filesystem::remove(path_);
  {
    // A version 2 database, made by the shipped steps, with two events as
    // an older collector stored them: one of a batch whose device clock ran
    // fast, one of a batch without sent_at.
    auto db = sqlite::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    for (int step = 0; step < 2; ++step) {
      ASSERT_TRUE((*db)->Exec(SqliteStore::MigrationSteps()[step]).ok());
    }
    ASSERT_TRUE((*db)
                    ->Exec(R"sql(
INSERT INTO batches (batch_id, install_id, sent_at_ms, received_at_ms, last_received_at_ms,
  times_received, event_count, accepted, duplicates, rejected)
  VALUES ('b1', 'i', 5000000, 1000000, 1000000, 1, 1, 1, 0, 0),
         ('b2', 'i', NULL, 1000000, 1000000, 1, 1, 1, 0, 0);
INSERT INTO events (event_id, account_id, user_id, purpose, kind, occurred_at_ms,
  received_at_ms, sequence, session_id, install_id, batch_id, attributes_json, event_proto)
  VALUES ('e1', 'a', 'u', 1, 'login', 4400000, 1000000, 1, 's', 'i', 'b1', '{}', x''),
         ('e2', 'a', 'u', 1, 'login', 700000, 1000000, 2, 's', 'i', 'b2', '{}', x'');
PRAGMA user_version = 2;
)sql")
                    .ok());
  }
  auto migrated = SqliteStore::Open(path_);
  ASSERT_TRUE(migrated.ok()) << migrated.status();
  EXPECT_EQ(QueryInt(path_, "PRAGMA user_version"), SqliteStore::kSchemaVersion);
  // 1,000,000 - (5,000,000 - 4,400,000) = 400,000; without sent_at: the device time.
  EXPECT_EQ(QueryInt(path_, "SELECT corrected_at_ms FROM events WHERE event_id = 'e1'"), 400000);
  EXPECT_EQ(QueryInt(path_, "SELECT corrected_at_ms FROM events WHERE event_id = 'e2'"), 700000);
  // Events stored before had their batch too: none is left without a value.
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM events WHERE corrected_at_ms IS NULL"), 0);
  // Version 4 drops the per-account time index.
  EXPECT_EQ(QueryInt(path_,
                     "SELECT count(*) FROM sqlite_schema WHERE name = "
                     "'events_by_account_time'"),
            0);
  EXPECT_EQ(QueryInt(path_,
                     "SELECT count(*) FROM sqlite_schema WHERE name = "
                     "'events_by_user_account'"),
            1);
}

// The writer remembers tombstones and consent decisions across writes, but
// never past a change another connection made (a second collector process
// on the same file): its erasure and its withdrawal hold at once.
TEST_F(CollectorSqliteStoreTest, KnownConsentNeverOutlivesAnotherWritersChange) {
  ASSERT_TRUE(WriteOne(*store_, Record(GrantsFor("acct-1", {"user-2"}))).ok());
  auto first =
      WriteOne(*store_, Record({MakeLogin("acct-1", "user-1"), MakeLogin("acct-1", "user-2")}));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->inserted, 2);

  auto other = SqliteStore::Open(path_);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->EraseUser("user-1", absl::Now()).ok());
  auto withdrawal =
      WriteOne(**other, Record({cairn::testing::MakeConsentChange(
                            "acct-1", "user-2", cairn::v1::PURPOSE_USAGE_ANALYTICS,
                            cairn::v1::CONSENT_DECISION_DENIED, absl::Now() - absl::Seconds(1))}));
  ASSERT_TRUE(withdrawal.ok()) << withdrawal.status();
  EXPECT_EQ(withdrawal->inserted, 1);

  auto after =
      WriteOne(*store_, Record({MakeLogin("acct-1", "user-1"), MakeLogin("acct-1", "user-2")}));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->inserted, 0);
  EXPECT_THAT(after->outcomes, ElementsAre(EventOutcome::kRejected, EventOutcome::kRejected));
}

// A version 5 file (the events table of columns plus a whole-event blob,
// keyed by text id) moves to the lean clustered table: every event reads
// back exactly, the `events` view shows the old columns and text forms, a
// retry of a moved event is a duplicate, and erasure still finds it.
TEST_F(CollectorSqliteStoreTest, MigrationFromV5MovesEveryEventToTheLeanTable) {
  store_.reset();
  std::filesystem::remove(path_);
  cairn::v1::Event milestone = MakeMilestone("acct-1", "user-1", "invoice_sent", 2.5);
  (*milestone.mutable_attributes())["plan"] = "pro";
  const cairn::v1::Event login = MakeLogin("acct-1", "user-1");
  const std::vector<cairn::v1::Event> old_events = {login, milestone};
  {
    auto db = sqlite::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    for (int step = 0; step < 5; ++step) {
      ASSERT_TRUE((*db)->Exec(SqliteStore::MigrationSteps()[step]).ok());
    }
    auto insert = (*db)->Prepare(
        "INSERT INTO events (event_id, account_id, user_id, purpose, kind, occurred_at_ms, "
        "received_at_ms, sequence, session_id, install_id, batch_id, milestone_name, "
        "milestone_value, attributes_json, event_proto, corrected_at_ms) "
        "VALUES (?1, 'acct-1', 'user-1', ?2, ?3, ?4, ?4, ?5, ?6, 'install-1', 'b1', ?7, ?8, ?9, "
        "?10, ?4)");
    ASSERT_TRUE(insert.ok());
    for (const cairn::v1::Event& event : old_events) {
      const std::string proto = event.SerializeAsString();
      const std::string attributes = AttributesJson(event);
      insert->Bind(1, event.event_id())
          .Bind(2, static_cast<int64_t>(event.purpose()))
          .Bind(3, EventKind(event))
          .Bind(4, absl::ToUnixMillis(absl::FromUnixSeconds(event.occurred_at().seconds())))
          .Bind(5, static_cast<int64_t>(event.sequence()))
          .Bind(6, event.session_id());
      if (event.has_milestone()) {
        insert->Bind(7, event.milestone().name()).Bind(8, event.milestone().value());
      } else {
        insert->BindNull(7).BindNull(8);
      }
      insert->Bind(9, attributes).BindBlob(10, proto);
      ASSERT_TRUE(insert->Run().ok());
    }
    // An id from before ids had to be UUIDs, 16 characters long: it stays
    // text and prints back as it was, as do its session and install ids.
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO events (event_id, account_id, user_id, purpose, kind, "
                           "occurred_at_ms, received_at_ms, sequence, session_id, install_id, "
                           "batch_id, attributes_json, event_proto, corrected_at_ms) VALUES "
                           "('abcdefghijklmnop', 'acct-1', 'legacy', 1, 'login', 1, 1, 1, "
                           "'0123456789abcdef', 'ABCDEF0123456789ABCDEF0123456789', 'b0', "
                           "'{}', x'', 1); PRAGMA user_version = 5")
                    .ok());
  }
  auto migrated = SqliteStore::Open(path_);
  ASSERT_TRUE(migrated.ok()) << migrated.status();
  EXPECT_EQ(QueryInt(path_, "PRAGMA user_version"), SqliteStore::kSchemaVersion);
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM event_rows WHERE typeof(id) = 'blob'"), 2);
  EXPECT_EQ(QueryInt(path_,
                     "SELECT count(*) FROM events WHERE event_id = 'abcdefghijklmnop' "
                     "AND session_id = '0123456789abcdef' AND batch_id = 'b0' AND "
                     "install_id = 'ABCDEF0123456789ABCDEF0123456789'"),
            1);
  EXPECT_EQ(QueryInt(path_, absl::StrCat("SELECT count(*) FROM events WHERE session_id = '",
                                         login.session_id(), "' AND install_id = 'install-1'")),
            2);
  EXPECT_EQ(QueryInt(path_, absl::StrCat("SELECT count(*) FROM events WHERE event_id = '",
                                         milestone.event_id(),
                                         "' AND kind = 'milestone' AND milestone_value = 2.5 "
                                         "AND attributes_json = '{\"plan\":\"pro\"}'")),
            1);
  EXPECT_EQ(QueryInt(path_,
                     "SELECT count(*) FROM sqlite_schema WHERE name = 'events' AND "
                     "type = 'view'"),
            1);

  auto exported = (*migrated)->ExportUser("user-1", 10);
  ASSERT_TRUE(exported.ok()) << exported.status();
  ASSERT_EQ(exported->events.size(), 2u);
  for (const StoredEvent& stored : exported->events) {
    const cairn::v1::Event& expected =
        stored.event.event_id() == login.event_id() ? login : milestone;
    EXPECT_EQ(stored.event.SerializeAsString(), expected.SerializeAsString());
  }

  ASSERT_TRUE(WriteOne(**migrated, Record(GrantsFor("acct-1", {"user-1"}))).ok());
  auto retry = WriteOne(**migrated, Record({milestone}));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->duplicates, 1);
  EXPECT_EQ(retry->inserted, 0);

  auto erased = (*migrated)->EraseUser("user-1", absl::Now());
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM events WHERE user_id = 'user-1'"), 0);
}

// A database whose version was set back below 8 after the move (as tools
// do to re-run the older steps) opens: the move is not run twice.
TEST_F(CollectorSqliteStoreTest, ReRunningTheOlderStepsKeepsTheLeanTable) {
  ASSERT_TRUE(WriteOne(*store_, Record({MakeLogin("acct-1", "user-1")})).ok());
  store_.reset();
  {
    auto db = sqlite::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 7").ok());
  }
  auto reopened = SqliteStore::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM events WHERE kind = 'login'"), 1);
  EXPECT_EQ(QueryInt(path_, "PRAGMA user_version"), SqliteStore::kSchemaVersion);
}

}  // namespace
}  // namespace cairn::collector
