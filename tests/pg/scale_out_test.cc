// Scale-out: two stateless cairn-collector processes on
// one throwaway PostgreSQL, behind nginx as a round-robin load balancer.
// Several SDK clients send 100,000 events through nginx while one collector
// is stopped (SIGTERM) and started again on the same port; afterwards every
// event is in PostgreSQL exactly once.

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/client.h"
#include "cairn/v1/batch.pb.h"
#include "child_process.h"
#include "collector_process.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "nginx_proxy.h"
#include "pg_cluster.h"
#include "temp_dir.h"

namespace cairn::testing {
namespace {

using consent::Decision;
using consent::Purpose;

constexpr const char* kWriteKey = "scale-out-write-key";
constexpr int kClients = 4;
constexpr int kUsersPerClient = 5;
constexpr int kTotalEvents = 100000;
// Two consent grants per user, sent by the SDK as ConsentChange events.
constexpr int kGrantEvents = kClients * kUsersPerClient * 2;
// Per user: a login, milestones and a logout.
constexpr int kEventsPerUser = (kTotalEvents - kGrantEvents) / (kClients * kUsersPerClient);
constexpr int kMilestonesPerUser = kEventsPerUser - 2;
static_assert(kGrantEvents + kClients * kUsersPerClient * kEventsPerUser == kTotalEvents);

std::string UserId(int client, int user) { return absl::StrCat("c", client, "-u", user); }
std::string AccountId(int client) { return absl::StrCat("account-", client); }

// Records users [from, to) of every client: login, milestones, logout.
void RecordUsers(std::vector<std::unique_ptr<Client>>& clients, int from, int to) {
  for (int u = from; u < to; ++u) {
    for (int c = 0; c < kClients; ++c) {
      Client& client = *clients[static_cast<size_t>(c)];
      ASSERT_TRUE(client.RecordLogin(AccountId(c), UserId(c, u), "sso").ok());
      for (int m = 0; m < kMilestonesPerUser; ++m) {
        ASSERT_TRUE(client.RecordMilestone("quote_sent", m, {{"n", std::to_string(m)}}).ok());
      }
      ASSERT_TRUE(client.RecordLogout().ok());
    }
  }
}

// Waits (bounded) until PostgreSQL holds at least `rows` events: a point in
// the delivery to act at, not a timing assertion.
void WaitForRows(PgConnection& db, int64_t rows) {
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (db.ScalarInt("SELECT count(*) FROM events").value_or(0) < rows && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
}

TEST(PgScaleOutTest, HundredThousandEventsThroughNginxWhileACollectorRestartsAreStoredOnce) {
  if (!PgCluster::Available() || !NginxProxy::Available()) {
    std::fprintf(stderr,
                 "\n*** SKIPPED: PostgreSQL server or nginx not installed; the "
                 "scale-out test did NOT run. Run scripts/setup.sh ***\n\n");
    GTEST_SKIP() << "PostgreSQL or nginx not installed";
  }
  absl::StatusOr<std::unique_ptr<PgCluster>> cluster = PgCluster::Start();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string uri = (*cluster)->connection_uri();

  CollectorProcessOptions options;
  options.db_path = uri;
  options.write_key = kWriteKey;
  // The attribute the devices send is kept (the collector keeps none by default).
  options.extra_flags = {"--attribute-allowlist=n"};
  std::vector<std::unique_ptr<CollectorProcess>> collectors;
  std::vector<int> ports;
  for (int i = 0; i < 2; ++i) {  // started together: migrations race safely
    absl::StatusOr<std::unique_ptr<CollectorProcess>> collector = CollectorProcess::Start(options);
    ASSERT_TRUE(collector.ok()) << collector.status();
    ports.push_back((*collector)->port());
    collectors.push_back(*std::move(collector));
  }
  absl::StatusOr<std::unique_ptr<NginxProxy>> proxy = NginxProxy::Start({.upstream_ports = ports});
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  TempDir dir;
  std::vector<std::unique_ptr<Client>> clients;
  for (int c = 0; c < kClients; ++c) {
    Options o;
    o.collector_url = (*proxy)->base_url();
    o.write_key = kWriteKey;
    o.storage_dir = dir.File(absl::StrCat("device-", c));
    o.app = {"scale-out", "1"};
    o.min_backoff = absl::Milliseconds(20);
    o.max_backoff = absl::Milliseconds(200);
    o.upload_interval = absl::Milliseconds(50);
    o.attribute_allowlist = {"n"};
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(o);
    ASSERT_TRUE(client.ok()) << client.status();
    for (int u = 0; u < kUsersPerClient; ++u) {
      for (Purpose p : {Purpose::kUsageAnalytics, Purpose::kMilestones}) {
        ConsentRequest grant;
        grant.account_id = AccountId(c);
        grant.user_id = UserId(c, u);
        grant.purpose = p;
        grant.decision = Decision::kGranted;
        grant.policy_version = "2025-01";
        ASSERT_TRUE((*client)->SetConsent(grant).ok());
      }
    }
    clients.push_back(*std::move(client));
  }
  absl::StatusOr<std::unique_ptr<PgConnection>> db = PgConnection::Connect(uri);
  ASSERT_TRUE(db.ok()) << db.status();

  // First half; once a part of it is stored, stop collector 0 while the
  // clients are still sending, record the rest, and start collector 0
  // again on its port while that is being delivered.
  const int half = kUsersPerClient / 2;
  RecordUsers(clients, 0, half);
  WaitForRows(**db, kGrantEvents + 10000);
  const int64_t at_stop = (*db)->ScalarInt("SELECT count(*) FROM events").value_or(-1);
  ASSERT_TRUE(collectors[0]->Stop().ok());
  RecordUsers(clients, half, kUsersPerClient);
  WaitForRows(**db, kGrantEvents + 50000);
  options.port = ports[0];
  absl::StatusOr<std::unique_ptr<CollectorProcess>> restarted = CollectorProcess::Start(options);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  ASSERT_EQ((*restarted)->port(), ports[0]);
  collectors[0] = *std::move(restarted);
  // Where in the run the restart happened (informational: depends on speed).
  std::fprintf(
      stderr, "scale-out: collector 0 stopped at %lld stored events, restarted at %lld\n",
      static_cast<long long>(at_stop),
      static_cast<long long>((*db)->ScalarInt("SELECT count(*) FROM events").value_or(-1)));

  for (auto& client : clients) {
    ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(90)).ok());
  }
  uint64_t acknowledged = 0;
  for (auto& client : clients) {
    Stats stats = client->GetStats();
    EXPECT_EQ(stats.buffered_rows, 0u);
    EXPECT_TRUE(stats.dropped.empty());
    acknowledged += stats.acknowledged;
  }
  EXPECT_EQ(acknowledged, static_cast<uint64_t>(kTotalEvents));  // grants included
  // The restarted collector serves again.
  absl::StatusOr<HttpResult> health = HttpGet(collectors[0]->base_url() + "/healthz");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);

  PgConnection& pg = **db;
  EXPECT_EQ(pg.ScalarInt("SELECT count(*) FROM events").value_or(-1), kTotalEvents);
  EXPECT_EQ(pg.ScalarInt("SELECT count(*) FROM consent_records").value_or(-1), kGrantEvents);
  EXPECT_EQ(pg.ScalarInt("SELECT count(DISTINCT event_id) FROM events").value_or(-1), kTotalEvents);
  // Per user: one login, one logout, every milestone once (their "n"
  // attribute 0..N-1 each exactly once).
  EXPECT_EQ(pg.ScalarInt("SELECT count(*) FROM (SELECT user_id FROM events GROUP BY user_id "
                         "HAVING count(*) FILTER (WHERE kind = 'login') = 1 "
                         "AND count(*) FILTER (WHERE kind = 'logout') = 1 "
                         "AND count(*) FILTER (WHERE kind = 'milestone') = " +
                         std::to_string(kMilestonesPerUser) +
                         " AND count(DISTINCT attributes_json) FILTER (WHERE kind = 'milestone') "
                         "= " +
                         std::to_string(kMilestonesPerUser) + ") u")
                .value_or(-1),
            kClients * kUsersPerClient);
  // Per device: sequences 1..N, each once.
  EXPECT_EQ(pg.ScalarInt("SELECT count(*) FROM (SELECT install_id FROM events "
                         "WHERE kind != 'consent_change' GROUP BY install_id "
                         "HAVING count(DISTINCT sequence) = count(*) AND min(sequence) = 1 "
                         "AND max(sequence) = count(*)) d")
                .value_or(-1),
            kClients);
  EXPECT_EQ(pg.ScalarInt("SELECT count(*) FROM rejections").value_or(-1), 0);

  // `cairn-collector summary` reads the same database.
  std::string command = CollectorBinaryPath() + " summary --db=" + uri + " 2>&1";
  absl::StatusOr<ShellResult> run = RunShell(command);
  ASSERT_TRUE(run.ok()) << run.status();
  const std::string& summary = run->output;
  EXPECT_EQ(run->wait_status, 0) << summary;
  EXPECT_NE(summary.find(absl::StrCat("events:   ", kTotalEvents)), std::string::npos) << summary;

  for (auto& client : clients) ASSERT_TRUE(client->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  proxy->reset();
  for (auto& collector : collectors) EXPECT_TRUE(collector->Stop().ok());
}

}  // namespace
}  // namespace cairn::testing
