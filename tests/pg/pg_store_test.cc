// What only the PostgreSQL store has to get right: several collectors (here,
// several PgStore instances) sharing one database at the same time, and its
// schema versioning. The behaviour both stores share is tested by the
// parameterized suites in tests/collector/store.

#include "store/postgres/pg_store.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "app/request_handler.h"
#include "auth/write_key_set.h"
#include "gtest/gtest.h"
#include "pg_cluster.h"
#include "store/postgres/pg_schema.h"
#include "store/store_probe.h"
#include "test_batches.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::PgCluster;

BatchRecord Record(std::vector<cairn::v1::Event> events) {
  return testing::MakeRecord(std::move(events), absl::Now());
}

class CollectorPgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgCluster::Available()) {
      std::fprintf(stderr,
                   "\n*** SKIPPED: PostgreSQL server binaries not installed; the "
                   "PostgreSQL store is NOT tested. Run scripts/setup.sh ***\n\n");
      GTEST_SKIP() << "PostgreSQL not installed";
    }
    auto cluster = PgCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }
  std::unique_ptr<PgStore> Open() {
    auto store = PgStore::Open(cluster_->connection_uri());
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  int64_t Count(const std::string& sql) { return cluster_->ScalarInt(sql).value_or(-1); }

  std::unique_ptr<PgCluster> cluster_;
};

TEST_F(CollectorPgStoreTest, CollectorsStartingTogetherMigrateOnceAndShareOneHashKey) {
  constexpr int kStores = 4;
  std::vector<std::unique_ptr<PgStore>> stores(kStores);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] { stores[static_cast<size_t>(i)] = Open(); });
  }
  for (auto& t : threads) t.join();
  for (auto& store : stores) {
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->UserHash("u1"), stores[0]->UserHash("u1"));
  }
  // Versions 1, 2 (which drops events_by_account_time) and 3 (engagement
  // tables), each once.
  EXPECT_EQ(Count("SELECT count(*) FROM schema_version"), kPgSchemaVersion);
  EXPECT_EQ(Count("SELECT max(version) FROM schema_version"), kPgSchemaVersion);
  EXPECT_EQ(Count("SELECT count(*) FROM pg_tables WHERE tablename = 'user_day'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM pg_indexes WHERE indexname = 'events_by_account_time'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM settings WHERE name = 'generated_hash_key'"), 1);
}

TEST_F(CollectorPgStoreTest, RefusesANewerSchemaAndReadOnlyRefusesAnEmptyDatabase) {
  PgStoreOptions read_only;
  read_only.read_only = true;
  EXPECT_EQ(PgStore::Open(cluster_->connection_uri(), read_only).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_NE(Open(), nullptr);
  ASSERT_TRUE(cluster_->Query("INSERT INTO schema_version (version) VALUES (99)").ok());
  EXPECT_EQ(PgStore::Open(cluster_->connection_uri()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(CollectorPgStoreTest, UnreachableServerIsUnavailable) {
  std::string uri = cluster_->connection_uri();
  cluster_->Stop();
  EXPECT_EQ(PgStore::Open(uri).status().code(), absl::StatusCode::kUnavailable);
}

// /readyz asks the store: a server that goes away while no batch arrives
// turns the collector not ready.
TEST_F(CollectorPgStoreTest, ReadinessFollowsTheServerThroughTheStoreProbe) {
  std::unique_ptr<PgStore> store = Open();
  ASSERT_NE(store, nullptr);
  // A long interval: the test drives the probe with PingNow, no timing.
  StoreProbe probe(store.get(), absl::Hours(1));
  EXPECT_TRUE(probe.Reachable());
  EXPECT_EQ(probe.pings(), 1);

  auto keys = WriteKeySet::FromKeys({"readiness-test-write-key"});
  ASSERT_TRUE(keys.ok()) << keys.status();
  BatchWriter writer(store.get(), BatchWriterOptions{});
  RequestHandlerOptions options;
  options.store_probe = &probe;
  RequestHandler handler(&*keys, &writer, SystemClock(), options);
  auto readyz = [&] {
    HttpRequest request;
    request.method = "GET";
    request.target = "/readyz";
    HttpResponse out;
    handler.Handle(std::move(request), [&out](HttpResponse r) { out = std::move(r); });
    return out;
  };
  EXPECT_EQ(readyz().status, 200);

  cluster_->Stop();
  absl::Status down = probe.PingNow();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  EXPECT_FALSE(probe.Reachable());
  HttpResponse not_ready = readyz();
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.body, "not ready: the store is unreachable\n");
  writer.Stop();
}

TEST_F(CollectorPgStoreTest, TwoCollectorsWritingTheSameEventsAtOnceStoreEachOnce) {
  // The same 40 batches (a client retrying each on the other collector),
  // in opposite orders so their inserts contend for the same keys.
  constexpr int kBatches = 40;
  constexpr int kEventsPerBatch = 250;
  std::unique_ptr<PgStore> a = Open();
  std::unique_ptr<PgStore> b = Open();
  ASSERT_TRUE(a && b);
  {
    BatchRecord grant = Record({MakeGrant("acct", "u1", cairn::v1::PURPOSE_USAGE_ANALYTICS)});
    ASSERT_TRUE(a->Write({&grant, 1}).ok());
  }
  std::vector<BatchRecord> batches;
  for (int i = 0; i < kBatches; ++i) {
    std::vector<cairn::v1::Event> events;
    for (int e = 0; e < kEventsPerBatch; ++e) events.push_back(MakeLogin("acct", "u1"));
    batches.push_back(Record(std::move(events)));
  }
  std::atomic<int64_t> inserted{0}, duplicates{0}, first_deliveries{0};
  std::atomic<int> failures{0};
  auto run = [&](PgStore& store, bool reverse) {
    std::vector<BatchRecord> mine = batches;
    if (reverse) std::reverse(mine.begin(), mine.end());
    for (size_t i = 0; i < mine.size(); i += 4) {  // groups of 4, as group commit makes them
      std::span<const BatchRecord> group(mine.data() + i, std::min<size_t>(4, mine.size() - i));
      auto results = store.Write(group);
      if (!results.ok()) {
        ADD_FAILURE() << results.status();
        ++failures;
        continue;
      }
      for (const BatchWriteResult& r : *results) {
        inserted += r.inserted;
        duplicates += r.duplicates;
        first_deliveries += r.first_delivery ? 1 : 0;
      }
    }
  };
  std::thread ta([&] { run(*a, false); });
  std::thread tb([&] { run(*b, true); });
  ta.join();
  tb.join();
  ASSERT_EQ(failures.load(), 0);
  constexpr int64_t kEvents = kBatches * kEventsPerBatch;
  EXPECT_EQ(inserted.load(), kEvents);
  EXPECT_EQ(duplicates.load(), kEvents);
  EXPECT_EQ(first_deliveries.load(), kBatches);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'login'"), kEvents);
  EXPECT_EQ(Count("SELECT sum(times_received) FROM batches"), 2 * kBatches + 1);
}

TEST_F(CollectorPgStoreTest, NoEventOfAUserSurvivesAnErasureRacingOtherCollectorsWrites) {
  std::unique_ptr<PgStore> writer = Open();
  std::unique_ptr<PgStore> eraser = Open();
  ASSERT_TRUE(writer && eraser);
  BatchRecord grant = Record({MakeGrant("acct", "u1", cairn::v1::PURPOSE_USAGE_ANALYTICS),
                              MakeGrant("acct", "u2", cairn::v1::PURPOSE_USAGE_ANALYTICS)});
  ASSERT_TRUE(writer->Write({&grant, 1}).ok());
  std::atomic<bool> erased{false};
  std::atomic<int> writes_after_erasure{0};
  std::thread writes([&] {
    // Keeps writing until a few writes have gone in after the erasure.
    for (int i = 0; i < 2000 && writes_after_erasure.load() < 5; ++i) {
      const bool after = erased.load();
      BatchRecord batch = Record({MakeLogin("acct", "u1"), MakeLogin("acct", "u2")});
      auto results = writer->Write({&batch, 1});
      ASSERT_TRUE(results.ok()) << results.status();
      if (after) ++writes_after_erasure;
    }
  });
  // Let some writes in first (bounded wait for a point in the run).
  for (int i = 0; i < 3000 && Count("SELECT count(*) FROM events WHERE user_id = 'u1'") < 20; ++i) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  auto result = eraser->EraseUser("u1", absl::Now());
  ASSERT_TRUE(result.ok()) << result.status();
  erased = true;
  writes.join();
  EXPECT_GT(result->events_deleted, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE user_id = 'u1'"), 0);
  EXPECT_GT(Count("SELECT count(*) FROM events WHERE user_id = 'u2'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM erased_users"), 1);
}

}  // namespace
}  // namespace cairn::collector
