// Smoke tests of the fixtures the PostgreSQL and scale-out tests build on:
// a throwaway PostgreSQL cluster (PgCluster) and nginx as a round-robin load
// balancer in front of real cairn-collector processes (NginxProxy).

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cairn/common/proto_time.h"
#include "cairn/common/sqlite.h"
#include "cairn/v1/batch.pb.h"
#include "child_process.h"
#include "collector_process.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "nginx_proxy.h"
#include "pg_cluster.h"
#include "temp_dir.h"
#include "test_batches.h"

namespace cairn::testing {
namespace {

constexpr const char* kWriteKey = "test-write-key";

#define SKIP_WITHOUT_POSTGRES()                                                \
  if (!PgCluster::Available()) {                                               \
    std::fprintf(stderr,                                                       \
                 "\n*** SKIPPED: PostgreSQL server binaries not installed "    \
                 "(/usr/lib/postgresql/*/bin); run scripts/setup.sh ***\n\n"); \
    GTEST_SKIP() << "PostgreSQL not installed";                                \
  }

#define SKIP_WITHOUT_NGINX()                                                           \
  if (!NginxProxy::Available()) {                                                      \
    std::fprintf(stderr,                                                               \
                 "\n*** SKIPPED: /usr/sbin/nginx not installed; run scripts/setup.sh " \
                 "***\n\n");                                                           \
    GTEST_SKIP() << "nginx not installed";                                             \
  }

// ---- PgCluster --------------------------------------------------------------

TEST(PgClusterTest, InsertOnConflictDoNothingStoresEachKeyOnce) {
  SKIP_WITHOUT_POSTGRES();
  absl::StatusOr<std::unique_ptr<PgCluster>> cluster = PgCluster::Start();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  PgCluster& pg = **cluster;

  ASSERT_TRUE(pg.Query("CREATE TABLE events (event_id text PRIMARY KEY, n integer NOT NULL)").ok());
  const std::string insert =
      "INSERT INTO events (event_id, n) VALUES ('a', 1), ('b', 2), ('c', 3) "
      "ON CONFLICT (event_id) DO NOTHING";
  ASSERT_TRUE(pg.Query(insert).ok());
  ASSERT_TRUE(pg.Query(insert).ok());  // all three are duplicates now
  EXPECT_EQ(pg.ScalarInt("SELECT count(*) FROM events").value_or(-1), 3);
  EXPECT_EQ(pg.ScalarInt("SELECT sum(n) FROM events").value_or(-1), 6);
}

TEST(PgClusterTest, ListensOnLoopbackOnlyAndStopsOnDestruction) {
  SKIP_WITHOUT_POSTGRES();
  absl::StatusOr<std::unique_ptr<PgCluster>> cluster = PgCluster::Start();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  std::string uri = (*cluster)->connection_uri();
  EXPECT_EQ(uri, "postgresql://cairn@127.0.0.1:" + std::to_string((*cluster)->port()) + "/cairn");

  absl::StatusOr<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(uri);
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ((*conn)->ScalarText("SHOW listen_addresses").value_or(""), "127.0.0.1");
  EXPECT_EQ((*conn)->ScalarText("SELECT current_database()").value_or(""), "cairn");
  EXPECT_FALSE((*conn)->ScalarInt("SELECT 'x'").ok());  // not an integer
  EXPECT_FALSE((*conn)->Exec("SELECT * FROM no_such_table").ok());
  conn->reset();

  cluster->reset();  // immediate shutdown, directory removed
  EXPECT_FALSE(PgConnection::Connect(uri).ok());
}

// ---- NginxProxy in front of collectors ---------------------------------------

// A batch of ConsentChange events (grants of usage analytics): valid with or
// without consent enforcement, since consent records need no prior grant.
cairn::v1::Batch ConsentBatch(int events, const std::string& user) {
  std::vector<cairn::v1::Event> list;
  for (int i = 0; i < events; ++i) {
    cairn::v1::Event event;
    event.set_event_id(NewUuidV7());
    event.set_account_id("acme");
    event.set_user_id(user);
    ToProto(absl::Now() - absl::Minutes(1), event.mutable_occurred_at());
    event.set_sequence(static_cast<uint64_t>(i + 1));
    event.set_purpose(cairn::v1::PURPOSE_CONSENT_RECORD);
    cairn::v1::ConsentChange* change = event.mutable_consent_change();
    change->set_purpose(cairn::v1::PURPOSE_USAGE_ANALYTICS);
    change->set_decision(cairn::v1::CONSENT_DECISION_GRANTED);
    change->set_policy_version("1");
    list.push_back(std::move(event));
  }
  return MakeBatch(std::move(list));
}

std::vector<std::string> BatchHeaders(const std::string& key = kWriteKey) {
  return {"Content-Type: application/x-protobuf", "Authorization: Bearer " + key};
}

int64_t CountEvents(const std::string& db_path) {
  sqlite::OpenOptions options;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<sqlite::Database>> db = sqlite::Database::Open(db_path, options);
  if (!db.ok()) return -1;
  absl::StatusOr<sqlite::Statement> count = (*db)->Prepare("SELECT count(*) FROM events");
  if (!count.ok() || !count->Step().value_or(false)) return -1;
  return count->ColumnInt(0);
}

TEST(NginxProxyTest, RoundRobinsBatchesOverTwoCollectors) {
  SKIP_WITHOUT_NGINX();
  TempDir dir;
  std::vector<std::unique_ptr<CollectorProcess>> collectors;
  std::vector<int> ports;
  for (const char* name : {"a.db", "b.db"}) {
    CollectorProcessOptions options;
    options.db_path = dir.File(name);
    absl::StatusOr<std::unique_ptr<CollectorProcess>> collector = CollectorProcess::Start(options);
    ASSERT_TRUE(collector.ok()) << collector.status();
    ports.push_back((*collector)->port());
    collectors.push_back(std::move(*collector));
  }
  absl::StatusOr<std::unique_ptr<NginxProxy>> proxy = NginxProxy::Start({.upstream_ports = ports});
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  constexpr int kBatches = 10;
  constexpr int kEventsPerBatch = 5;
  for (int i = 0; i < kBatches; ++i) {
    std::string body =
        ConsentBatch(kEventsPerBatch, "user-" + std::to_string(i)).SerializeAsString();
    absl::StatusOr<HttpResult> result =
        HttpPost((*proxy)->base_url() + "/v1/batch", body, BatchHeaders());
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->status, 200) << result->body;
    cairn::v1::BatchResponse response;
    ASSERT_TRUE(response.ParseFromString(result->body));
    EXPECT_EQ(response.accepted(), static_cast<uint32_t>(kEventsPerBatch));
  }
  // An HTTP error answer is passed through, not retried elsewhere.
  absl::StatusOr<HttpResult> unauthorized =
      HttpPost((*proxy)->base_url() + "/v1/batch", ConsentBatch(1, "x").SerializeAsString(),
               BatchHeaders("wrong-write-key"));
  ASSERT_TRUE(unauthorized.ok()) << unauthorized.status();
  EXPECT_EQ(unauthorized->status, 401);

  proxy->reset();
  for (auto& collector : collectors) ASSERT_TRUE(collector->Stop().ok());
  int64_t a = CountEvents(dir.File("a.db"));
  int64_t b = CountEvents(dir.File("b.db"));
  EXPECT_GT(a, 0);
  EXPECT_GT(b, 0);
  EXPECT_EQ(a + b, kBatches * kEventsPerBatch);
}

// A port nothing listens on (just released by the kernel).
int ClosedLoopbackPort() { return FreeLoopbackPort().value_or(0); }

TEST(NginxProxyTest, PassesAPostToTheNextCollectorWhenOneIsDown) {
  SKIP_WITHOUT_NGINX();
  TempDir dir;
  CollectorProcessOptions options;
  options.db_path = dir.File("events.db");
  absl::StatusOr<std::unique_ptr<CollectorProcess>> collector = CollectorProcess::Start(options);
  ASSERT_TRUE(collector.ok()) << collector.status();
  absl::StatusOr<std::unique_ptr<NginxProxy>> proxy =
      NginxProxy::Start({.upstream_ports = {ClosedLoopbackPort(), (*collector)->port()}});
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<HttpResult> result =
        HttpPost((*proxy)->base_url() + "/v1/batch", ConsentBatch(3, "u").SerializeAsString(),
                 BatchHeaders());
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->status, 200) << result->body;
  }
  ASSERT_TRUE((*collector)->Stop().ok());
  EXPECT_EQ(CountEvents(options.db_path), 12);
}

// An upstream that answers every request with 503 + Retry-After, counting
// them: stands in for a collector whose writer queue is full.
class Busy503Server {
 public:
  Busy503Server() {
    listen_fd_ = ListenOnLoopback(16, &port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Busy503Server() {
    shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    close(listen_fd_);
  }
  int port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  void Serve() {
    while (true) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      HandleConnection(fd);
      close(fd);
    }
  }
  // Reads requests (header, then Content-Length bytes) and answers each.
  void HandleConnection(int fd) {
    std::string data;
    char buffer[4096];
    while (true) {
      size_t end = data.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        size_t at = data.find("\r\nContent-Length: ");
        if (at == std::string::npos) at = data.find("\r\ncontent-length: ");
        if (at != std::string::npos && at < end) length = std::stoul(data.substr(at + 18));
        if (data.size() >= end + 4 + length) {
          data.erase(0, end + 4 + length);
          requests_.fetch_add(1);
          static constexpr char kAnswer[] =
              "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
              "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nbusy\n";
          if (write(fd, kAnswer, sizeof(kAnswer) - 1) < 0) return;
          continue;
        }
      }
      ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n <= 0) return;
      data.append(buffer, static_cast<size_t>(n));
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

TEST(NginxProxyTest, PassesA503ToTheClientWithoutTryingAnotherUpstream) {
  SKIP_WITHOUT_NGINX();
  Busy503Server first;
  Busy503Server second;
  absl::StatusOr<std::unique_ptr<NginxProxy>> proxy =
      NginxProxy::Start({.upstream_ports = {first.port(), second.port()}});
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  absl::StatusOr<HttpResult> result = HttpPost(
      (*proxy)->base_url() + "/v1/batch", ConsentBatch(2, "u").SerializeAsString(), BatchHeaders());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->status, 503);
  EXPECT_EQ(result->headers["retry-after"], "1");
  proxy->reset();  // the upstream saw the request before nginx answered us
  EXPECT_EQ(first.requests() + second.requests(), 1);
}

}  // namespace
}  // namespace cairn::testing
