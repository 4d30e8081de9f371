// End to end: the SDK records events and ships them over real HTTP (libcurl)
// to the real cairn-collector binary on loopback, which stores them in its
// SQLite file. Each test reads that file back.
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "cairn/common/sqlite.h"
#include "child_process.h"
#include "collector_process.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn {
namespace {

using consent::Decision;
using consent::Purpose;

constexpr char kKey[] = "e2e-write-key";

struct StoredEvent {
  std::string account_id, user_id, kind;
  int64_t sequence;
};

// event_id -> row, and how many rows in all (to see duplicates).
struct StoreContents {
  std::map<std::string, StoredEvent> by_id;
  int64_t rows = 0;
};

StoreContents ReadStore(const std::string& db_path) {
  StoreContents out;
  auto db = sqlite::Database::Open(db_path, {.read_only = true});
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return out;
  auto select = (*db)->Prepare(
      "SELECT event_id, account_id, user_id, kind, sequence FROM events "
      "WHERE kind <> 'consent_change'");
  EXPECT_TRUE(select.ok()) << select.status();
  while (select.ok() && *select->Step()) {
    ++out.rows;
    out.by_id[std::string(select->ColumnText(0))] =
        StoredEvent{std::string(select->ColumnText(1)), std::string(select->ColumnText(2)),
                    std::string(select->ColumnText(3)), select->ColumnInt(4)};
  }
  return out;
}

void Grant(Client& c, const std::string& account, const std::string& user, Purpose p) {
  ConsentRequest r;
  r.account_id = account;
  r.user_id = user;
  r.purpose = p;
  r.decision = Decision::kGranted;
  r.policy_version = "2026-11";
  ASSERT_TRUE(c.SetConsent(r).ok());
}

class SdkToCollector : public ::testing::Test {
 protected:
  void StartCollector() {
    testing::CollectorProcessOptions options;
    options.db_path = db_path_;
    options.write_key = kKey;
    auto process = testing::CollectorProcess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    collector_ = std::move(*process);
  }

  std::unique_ptr<Client> MakeClient(const std::string& url, const std::string& device) {
    Options o;
    o.collector_url = url;
    o.write_key = kKey;
    o.storage_dir = dir_.File(device);
    o.app = {"e2e", "1"};
    o.attribute_allowlist = {"plan"};
    o.min_backoff = absl::Milliseconds(20);
    o.max_backoff = absl::Milliseconds(200);
    auto client = Client::Create(o);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  testing::TempDir dir_;
  std::string db_path_ = dir_.File("collector.db");
  std::unique_ptr<testing::CollectorProcess> collector_;
};

TEST_F(SdkToCollector, EveryRecordedEventIsStoredExactlyOnce) {
  StartCollector();
  auto client = MakeClient(collector_->base_url(), "device-1");
  Grant(*client, "acme", "alice", Purpose::kUsageAnalytics);
  Grant(*client, "acme", "alice", Purpose::kMilestones);
  ASSERT_TRUE(client->RecordLogin("acme", "alice", "password").ok());
  for (int i = 0; i < 1200; ++i) {  // several batches of 500
    ASSERT_TRUE(client->RecordMilestone("invoice_sent", i, {{"plan", "pro"}}).ok());
  }
  ASSERT_TRUE(client->RecordLogout().ok());
  ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(60)).ok());
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.acknowledged, 1204u);  // with the two ConsentChange events
  EXPECT_EQ(stats.duplicates, 0u);
  EXPECT_EQ(stats.buffered_rows, 0u);
  ASSERT_TRUE(client->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  ASSERT_TRUE(collector_->Stop().ok());

  StoreContents store = ReadStore(db_path_);
  EXPECT_EQ(store.rows, 1202);
  ASSERT_EQ(store.by_id.size(), 1202u);
  std::map<std::string, int> kinds;
  std::set<int64_t> sequences;
  for (const auto& [id, e] : store.by_id) {
    EXPECT_EQ(e.account_id, "acme");
    EXPECT_EQ(e.user_id, "alice");
    ++kinds[e.kind];
    sequences.insert(e.sequence);
  }
  EXPECT_EQ(kinds, (std::map<std::string, int>{{"login", 1}, {"logout", 1}, {"milestone", 1200}}));
  EXPECT_EQ(sequences.size(), 1202u);
  EXPECT_EQ(*sequences.begin(), 1);
  EXPECT_EQ(*sequences.rbegin(), 1202);
}

TEST_F(SdkToCollector, EventsWithoutConsentNeverReachTheStore) {
  StartCollector();
  auto client = MakeClient(collector_->base_url(), "device-1");
  Grant(*client, "globex", "bob", Purpose::kUsageAnalytics);
  ConsentRequest deny;
  deny.account_id = "globex";
  deny.user_id = "bob";
  deny.purpose = Purpose::kMilestones;
  deny.decision = Decision::kDenied;
  deny.policy_version = "2026-11";
  ASSERT_TRUE(client->SetConsent(deny).ok());
  ASSERT_TRUE(client->RecordLogin("globex", "bob").ok());
  EXPECT_EQ(client->RecordMilestone("invoice_sent").code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(client->RecordLogout().ok());
  ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(30)).ok());
  ASSERT_TRUE(collector_->Stop().ok());
  StoreContents store = ReadStore(db_path_);
  EXPECT_EQ(store.rows, 2);
  for (const auto& [id, e] : store.by_id) EXPECT_NE(e.kind, "milestone");
}

TEST_F(SdkToCollector, EventsRecordedWhileTheCollectorIsDownArriveOnceAfterARestart) {
  // The SDK's first run: nothing listens at the address yet.
  StartCollector();
  std::string url = collector_->base_url();
  ASSERT_TRUE(collector_->Stop().ok());
  {
    auto client = MakeClient(url, "device-1");
    Grant(*client, "initech", "carol", Purpose::kUsageAnalytics);
    Grant(*client, "initech", "carol", Purpose::kMilestones);
    ASSERT_TRUE(client->RecordLogin("initech", "carol").ok());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->RecordMilestone("report_built").ok());
    EXPECT_EQ(client->Flush(absl::Now() + absl::Seconds(10)).code(),
              absl::StatusCode::kUnavailable);
    EXPECT_EQ(client->GetStats().buffered_rows, 21u);
    EXPECT_FALSE(client->Shutdown(absl::Now() + absl::Seconds(2)).ok());
  }
  // The collector comes back (on a new port), the app starts again.
  StartCollector();
  auto client = MakeClient(collector_->base_url(), "device-1");
  ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(30)).ok());
  ASSERT_TRUE(client->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  ASSERT_TRUE(collector_->Stop().ok());
  StoreContents store = ReadStore(db_path_);
  EXPECT_EQ(store.rows, 21);
  EXPECT_EQ(store.by_id.size(), 21u);
}

TEST_F(SdkToCollector, AWrongWriteKeyIsRefusedAndNothingIsStored) {
  StartCollector();
  Options o;
  o.collector_url = collector_->base_url();
  o.write_key = "not-the-key";
  o.storage_dir = dir_.File("device-x");
  auto client = Client::Create(o);
  ASSERT_TRUE(client.ok());
  Grant(**client, "acme", "dave", Purpose::kUsageAnalytics);
  ASSERT_TRUE((*client)->RecordLogin("acme", "dave").ok());
  EXPECT_EQ((*client)->Flush(absl::Now() + absl::Seconds(30)).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ((*client)->GetStats().buffered_rows, 1u);
  (*client)->Shutdown(absl::Now() + absl::Seconds(2)).IgnoreError();
  ASSERT_TRUE(collector_->Stop().ok());
  EXPECT_EQ(ReadStore(db_path_).rows, 0);
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

// Restarts a collector on the same port and database, as an operator would.
class CollectorRestarts : public SdkToCollector {};

TEST_F(CollectorRestarts, KilledMidUploadAndRestartedEveryEventIsStoredOnce) {
  StartCollector();
  const int port = collector_->port();
  Options o;
  o.collector_url = collector_->base_url();
  o.write_key = kKey;
  o.storage_dir = dir_.File("device");
  o.max_batch_events = 200;
  o.min_backoff = absl::Milliseconds(20);
  o.max_backoff = absl::Milliseconds(100);
  auto client = Client::Create(o);
  ASSERT_TRUE(client.ok());
  Grant(**client, "acme", "erin", Purpose::kUsageAnalytics);
  Grant(**client, "acme", "erin", Purpose::kMilestones);
  ASSERT_TRUE((*client)->RecordLogin("acme", "erin").ok());
  constexpr int kEvents = 20000;
  for (int i = 1; i < kEvents; ++i) ASSERT_TRUE((*client)->RecordMilestone("m", i).ok());
  // Kill the collector with SIGKILL once some batches are acknowledged.
  while ((*client)->GetStats().batches_acknowledged < 3) absl::SleepFor(absl::Milliseconds(1));
  collector_->Kill();
  testing::CollectorProcessOptions again;
  again.db_path = db_path_;
  again.write_key = kKey;
  again.extra_flags = {"--listen=127.0.0.1:" + std::to_string(port)};
  auto restarted = testing::CollectorProcess::Start(again);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  collector_ = std::move(*restarted);
  ASSERT_EQ(collector_->port(), port);
  absl::Status flushed;
  for (int i = 0; i < 100; ++i) {
    flushed = (*client)->Flush(absl::Now() + absl::Seconds(30));
    if (flushed.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(flushed.ok()) << flushed;
  ASSERT_TRUE((*client)->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  ASSERT_TRUE(collector_->Stop().ok());
  StoreContents store = ReadStore(db_path_);
  EXPECT_EQ(store.rows, kEvents);
  EXPECT_EQ(store.by_id.size(), static_cast<size_t>(kEvents));
}

// A TCP server that accepts, reads, and never answers.
class StalledServer {
 public:
  StalledServer() {
    fd_ = testing::ListenOnLoopback(8, &port_);
    thread_ = std::thread([this] {
      int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      char buf[4096];
      while (read(conn, buf, sizeof(buf)) > 0) {
      }  // swallow the request; the answer never comes
      close(conn);
    });
  }
  ~StalledServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
  std::thread thread_;
};

TEST(StalledCollector, ShutdownReturnsByItsDeadlineAndKeepsTheEvents) {
  testing::TempDir dir;
  {
    StalledServer server;
    Options o;
    o.collector_url = "http://127.0.0.1:" + std::to_string(server.port());
    o.write_key = kKey;
    o.storage_dir = dir.File("device");
    o.request_timeout = absl::Minutes(5);  // only Shutdown's deadline can end the wait
    auto client = Client::Create(o);
    ASSERT_TRUE(client.ok());
    Grant(**client, "acme", "u", Purpose::kUsageAnalytics);
    ASSERT_TRUE((*client)->RecordLogin("acme", "u").ok());
    const absl::Time start = absl::Now();
    absl::Status s = (*client)->Shutdown(start + absl::Seconds(1));
    const absl::Duration took = absl::Now() - start;
    EXPECT_FALSE(s.ok());
    // Generous slack for a loaded machine; without the abort this takes 5 min.
    EXPECT_LT(took, absl::Seconds(6)) << took;
    EXPECT_EQ((*client)->GetStats().buffered_rows, 1u);
  }
  auto db = sqlite::Database::Open(dir.File("device") + "/cairn-buffer.db");
  ASSERT_TRUE(db.ok());
  auto count = (*db)->Prepare("SELECT count(*) FROM events");
  ASSERT_TRUE(count.ok() && *count->Step());
  EXPECT_EQ(count->ColumnInt(0), 1);  // kept for the next start
}

}  // namespace
}  // namespace cairn
