// Process-level tests: the real cairn-collector binary on loopback, driven
// over HTTP, with its SQLite file read back directly.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/common/codec.h"
#include "cairn/common/sqlite.h"
#include "child_process.h"
#include "collector_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "raw_http.h"
#include "temp_dir.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::CollectorFixture;
using ::cairn::testing::CollectorProcessOptions;
using ::cairn::testing::GrantsFor;
using ::cairn::testing::HttpResult;
using ::cairn::testing::MakeBatch;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeLogout;
using ::cairn::testing::MakeMilestone;
using ::cairn::testing::RawExchange;
using ::cairn::testing::RunShell;
using ::cairn::testing::ShellResult;
using ::cairn::testing::StoredEventIds;
using ::cairn::testing::TempDir;
using ::testing::HasSubstr;

constexpr char kKey[] = "test-write-key";

class CollectorServerTest : public CollectorFixture {
 protected:
  // The users these tests record for have granted analytics and milestones
  // (the collector enforces consent).
  void SetUp() override {
    StartCollector();
    if (collector_ != nullptr) {
      EXPECT_EQ(PostOk(MakeBatch(GrantsFor("acct-1", {"user-1", "u"}))).accepted(), 4u);
    }
  }

  void StartCollector(std::vector<std::string> extra_flags = {}, std::string key = kKey) {
    CollectorProcessOptions options;
    options.write_key = std::move(key);
    options.extra_flags = std::move(extra_flags);
    StartCollectorWith(std::move(options));
  }

  void RestartCollector(std::vector<std::string> extra_flags = {}, std::string key = kKey) {
    StartCollector(std::move(extra_flags), std::move(key));
  }

  HttpResult Post(const std::string& body, const std::string& encoding = "",
                  const std::string& key = kKey) {
    return PostBatchBody(body, key, "application/x-protobuf", encoding);
  }

  cairn::v1::BatchResponse PostOk(const cairn::v1::Batch& batch, const std::string& encoding = "") {
    std::string body = batch.SerializeAsString();
    if (encoding == "zstd") body = *Compress(Codec::kZstd, body);
    if (encoding == "gzip") body = *Compress(Codec::kGzip, body);
    HttpResult result = Post(body, encoding);
    EXPECT_EQ(result.status, 200) << result.body;
    EXPECT_EQ(result.headers["content-type"], "application/x-protobuf");
    cairn::v1::BatchResponse response;
    EXPECT_TRUE(response.ParseFromString(result.body));
    return response;
  }

  void ExpectHealthy() {
    auto health = cairn::testing::HttpGet(collector_->base_url() + "/healthz");
    ASSERT_TRUE(health.ok()) << health.status();
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(health->body, "ok\n");
  }
};

cairn::v1::Batch ThreeEventBatch() {
  return MakeBatch({MakeLogin("acct-1", "user-1"), MakeMilestone("acct-1", "user-1", "quote_done"),
                    MakeLogout("acct-1", "user-1")});
}

TEST_F(CollectorServerTest, HealthzAnswersOk) { ExpectHealthy(); }

TEST_F(CollectorServerTest, UnknownPathIs404AndWrongMethodIs405) {
  auto missing = cairn::testing::HttpGet(collector_->base_url() + "/v1/nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->headers["content-type"], "text/plain");

  auto get_batch = cairn::testing::HttpGet(collector_->base_url() + "/v1/batch");
  ASSERT_TRUE(get_batch.ok());
  EXPECT_EQ(get_batch->status, 405);
  EXPECT_EQ(get_batch->headers["allow"], "POST");
}

TEST_F(CollectorServerTest, StoresABatchInEveryEncoding) {
  for (std::string encoding : {"", "identity", "zstd", "gzip"}) {
    SCOPED_TRACE(encoding);
    cairn::v1::Batch batch = ThreeEventBatch();
    cairn::v1::BatchResponse response = PostOk(batch, encoding);
    EXPECT_EQ(response.accepted(), 3u);
    EXPECT_EQ(response.duplicates(), 0u);
    EXPECT_EQ(response.rejected_size(), 0);
    std::map<std::string, int> stored = StoredEventIds(db_path_);
    for (const cairn::v1::Event& event : batch.events()) {
      EXPECT_EQ(stored[event.event_id()], 1) << event.event_id();
    }
  }
  EXPECT_EQ(StoredEventIds(db_path_).size(), 12u);
}

TEST_F(CollectorServerTest, SameBatchTwiceIsStoredOnceAndReportedAsDuplicates) {
  cairn::v1::Batch batch = ThreeEventBatch();
  EXPECT_EQ(PostOk(batch).accepted(), 3u);
  cairn::v1::BatchResponse second = PostOk(batch, "zstd");
  EXPECT_EQ(second.accepted(), 0u);
  EXPECT_EQ(second.duplicates(), 3u);
  std::map<std::string, int> stored = StoredEventIds(db_path_);
  EXPECT_EQ(stored.size(), 3u);
  for (const auto& [id, count] : stored) EXPECT_EQ(count, 1) << id;
}

TEST_F(CollectorServerTest, WrongKeyIs401AndTheServerKeepsServing) {
  HttpResult wrong = Post(ThreeEventBatch().SerializeAsString(), "", "wrong-key-123");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.headers["content-type"], "text/plain");
  auto no_key = cairn::testing::HttpPost(collector_->base_url() + "/v1/batch", "x",
                                         {"Content-Type: application/x-protobuf"});
  ASSERT_TRUE(no_key.ok());
  EXPECT_EQ(no_key->status, 401);
  EXPECT_TRUE(StoredEventIds(db_path_).empty());
  EXPECT_EQ(PostOk(ThreeEventBatch()).accepted(), 3u);
}

TEST_F(CollectorServerTest, GarbageBodyIs400AndTheServerKeepsServing) {
  HttpResult garbage = Post("this is not a protobuf batch");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(garbage.body, "body is not a cairn.v1.Batch\n");
  EXPECT_EQ(Post("\x28\xb5\x2f\xfd garbage", "zstd").status, 400);
  EXPECT_EQ(Post("not gzip", "gzip").status, 400);
  cairn::v1::Batch bad_id = ThreeEventBatch();
  bad_id.set_batch_id("not-a-uuid");
  EXPECT_EQ(Post(bad_id.SerializeAsString()).status, 400);
  EXPECT_EQ(PostOk(ThreeEventBatch()).accepted(), 3u);
}

TEST_F(CollectorServerTest, WrongContentTypeOrEncodingIs415) {
  std::string body = ThreeEventBatch().SerializeAsString();
  auto json = cairn::testing::HttpPost(
      collector_->base_url() + "/v1/batch", body,
      {"Content-Type: text/plain", absl::StrCat("Authorization: Bearer ", kKey)});
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->status, 415);
  EXPECT_EQ(Post(body, "br").status, 415);
  ExpectHealthy();
}

TEST_F(CollectorServerTest, InvalidEventsAreReportedAndValidOnesStored) {
  cairn::v1::Event no_account = MakeLogin("", "user-1");
  cairn::v1::Event bad_milestone = MakeMilestone("acct-1", "user-1", "has spaces");
  cairn::v1::Event future = MakeLogin("acct-1", "user-1", absl::Now() + absl::Hours(48));
  cairn::v1::Batch batch =
      MakeBatch({MakeLogin("acct-1", "user-1"), no_account,
                 MakeMilestone("acct-1", "user-1", "ok_name"), bad_milestone, future});
  cairn::v1::BatchResponse response = PostOk(batch);
  EXPECT_EQ(response.accepted(), 2u);
  EXPECT_EQ(response.duplicates(), 0u);
  ASSERT_EQ(response.rejected_size(), 3);
  EXPECT_EQ(response.rejected(0).index(), 1u);
  EXPECT_EQ(response.rejected(0).reason(), cairn::v1::REJECT_REASON_INVALID_ACCOUNT_ID);
  EXPECT_EQ(response.rejected(1).index(), 3u);
  EXPECT_EQ(response.rejected(1).reason(), cairn::v1::REJECT_REASON_INVALID_MILESTONE);
  EXPECT_EQ(response.rejected(2).index(), 4u);
  EXPECT_EQ(response.rejected(2).reason(), cairn::v1::REJECT_REASON_INVALID_TIMESTAMP);
  std::map<std::string, int> stored = StoredEventIds(db_path_);
  EXPECT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored.count(batch.events(0).event_id()), 1u);
  EXPECT_EQ(stored.count(batch.events(2).event_id()), 1u);
}

TEST_F(CollectorServerTest, OversizeBodyIs413) {
  RestartCollector({"--max-body-bytes=65536"});
  HttpResult big = Post(std::string(200 << 10, 'x'));
  EXPECT_EQ(big.status, 413);
  // Declared length over the limit: refused from the header alone.
  std::string response =
      RawExchange(
          collector_->port(),
          absl::StrCat(
              "POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
              "Authorization: Bearer ",
              kKey, "\r\nContent-Length: 999999999\r\n\r\n"))
          .bytes;
  EXPECT_THAT(response, HasSubstr("HTTP/1.1 413"));
  EXPECT_EQ(PostOk(ThreeEventBatch()).accepted(), 3u);
}

TEST_F(CollectorServerTest, TooManyEventsIs413) {
  RestartCollector({"--max-events-per-batch=2"});
  EXPECT_EQ(Post(ThreeEventBatch().SerializeAsString()).status, 413);
  EXPECT_TRUE(StoredEventIds(db_path_).empty());
}

TEST_F(CollectorServerTest, CompressionBombIs413) {
  RestartCollector({"--max-decompressed-bytes=1048576"});
  std::string zeros(8 << 20, '\0');
  for (Codec codec : {Codec::kZstd, Codec::kGzip}) {
    std::string bomb = *Compress(codec, zeros);
    ASSERT_LT(bomb.size(), 64u << 10);  // small on the wire
    EXPECT_EQ(Post(bomb, std::string(CodecName(codec))).status, 413);
  }
  ExpectHealthy();
}

TEST_F(CollectorServerTest, HostileConnectionsDoNotWedgeTheServer) {
  // Not HTTP at all.
  EXPECT_THAT(RawExchange(collector_->port(), "GARBAGE\r\n\r\n").bytes, HasSubstr("HTTP/1.1 400"));
  // Header over the limit.
  EXPECT_THAT(RawExchange(collector_->port(), absl::StrCat("GET /healthz HTTP/1.1\r\nX-Big: ",
                                                           std::string(64 << 10, 'a'), "\r\n\r\n"))
                  .bytes,
              HasSubstr("HTTP/1.1 431"));
  // Half a header, then the client goes away.
  EXPECT_EQ(RawExchange(collector_->port(), "POST /v1/batch HTTP/1.1\r\nContent-Le", true).bytes,
            "");
  // A body shorter than announced, then the client goes away.
  RawExchange(collector_->port(),
              absl::StrCat("POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: "
                           "application/x-protobuf\r\nAuthorization: Bearer ",
                           kKey, "\r\nContent-Length: 1000\r\n\r\nshort"),
              true);
  // Idle connections that never send a byte do not block anyone else.
  std::vector<int> idle;
  for (int i = 0; i < 20; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(collector_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    idle.push_back(fd);
  }
  ExpectHealthy();
  EXPECT_EQ(PostOk(ThreeEventBatch()).accepted(), 3u);
  for (int fd : idle) close(fd);
  // Two requests on one keep-alive connection.
  std::string two =
      RawExchange(collector_->port(),
                  "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
                  "Connection: close\r\n\r\n")
          .bytes;
  int answers = 0;
  for (size_t at = two.find("HTTP/1.1 200"); at != std::string::npos;
       at = two.find("HTTP/1.1 200", at + 1)) {
    ++answers;
  }
  EXPECT_EQ(answers, 2);
}

TEST_F(CollectorServerTest, SigtermExitsZeroAndKeepsAcknowledgedEvents) {
  cairn::v1::Batch batch = ThreeEventBatch();
  EXPECT_EQ(PostOk(batch).accepted(), 3u);
  ASSERT_TRUE(collector_->Stop().ok());
  collector_.reset();
  std::map<std::string, int> stored = StoredEventIds(db_path_);
  EXPECT_EQ(stored.size(), 3u);
  for (const cairn::v1::Event& event : batch.events()) EXPECT_EQ(stored[event.event_id()], 1);
}

TEST_F(CollectorServerTest, RestartOnTheSameDatabaseCountsDuplicates) {
  cairn::v1::Batch batch = ThreeEventBatch();
  EXPECT_EQ(PostOk(batch).accepted(), 3u);
  RestartCollector();
  cairn::v1::BatchResponse again = PostOk(batch);
  EXPECT_EQ(again.accepted(), 0u);
  EXPECT_EQ(again.duplicates(), 3u);
}

TEST_F(CollectorServerTest, AcknowledgedEventsSurviveAKill) {
  cairn::v1::Batch batch = ThreeEventBatch();
  EXPECT_EQ(PostOk(batch).accepted(), 3u);
  collector_->Kill();
  collector_.reset();
  EXPECT_EQ(StoredEventIds(db_path_).size(), 3u);
  StartCollector();
  EXPECT_EQ(PostOk(batch).duplicates(), 3u);
}

TEST_F(CollectorServerTest, ReadsWriteKeysFromAFile) {
  std::string key_file = dir_.File("keys.txt");
  std::ofstream(key_file) << "# keys\nfile-key-0001\nfile-key-0002\n";
  RestartCollector({absl::StrCat("--write-key-file=", key_file)}, "");
  EXPECT_EQ(Post(ThreeEventBatch().SerializeAsString(), "", "file-key-0002").status, 200);
  EXPECT_EQ(Post(ThreeEventBatch().SerializeAsString(), "", kKey).status, 401);
}

TEST_F(CollectorServerTest, SummarySubcommandPrintsTheStore) {
  cairn::v1::Batch batch = ThreeEventBatch();
  cairn::v1::DropCount* drop = batch.add_dropped();
  drop->set_reason(cairn::v1::DROP_REASON_QUEUE_FULL);
  drop->set_count(4);
  EXPECT_EQ(PostOk(batch).accepted(), 3u);
  ASSERT_TRUE(collector_->Stop().ok());
  collector_.reset();

  std::string command =
      absl::StrCat("'", cairn::testing::CollectorBinaryPath(), "' summary --db='", db_path_, "'");
  absl::StatusOr<ShellResult> run = RunShell(command);
  ASSERT_TRUE(run.ok()) << run.status();
  const std::string& output = run->output;
  EXPECT_EQ(run->exit_code(), 0) << output;
  EXPECT_THAT(output, HasSubstr("events:   7 (consent_change 4, login 1, logout 1, milestone 1)"));
  EXPECT_THAT(output, HasSubstr("acct-1"));
  EXPECT_THAT(output, HasSubstr("events dropped on devices: 4"));
}

TEST_F(CollectorServerTest, ConcurrentClientsGetEveryEventStoredOnce) {
  constexpr int kClients = 8;
  constexpr int kBatchesPerClient = 15;
  cairn::testing::HttpGet(collector_->base_url() + "/healthz").IgnoreError();  // curl init
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int b = 0; b < kBatchesPerClient; ++b) {
        std::string account = absl::StrCat("acct-", c);
        cairn::v1::Batch batch = MakeBatch({MakeLogin(account, "u"), MakeLogout(account, "u")});
        auto result = cairn::testing::HttpPost(
            collector_->base_url() + "/v1/batch", batch.SerializeAsString(),
            {"Content-Type: application/x-protobuf", absl::StrCat("Authorization: Bearer ", kKey)});
        cairn::v1::BatchResponse response;
        if (!result.ok() || result->status != 200 || !response.ParseFromString(result->body) ||
            response.accepted() != 2) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(failures.load(), 0);
  std::map<std::string, int> stored = StoredEventIds(db_path_);
  EXPECT_EQ(stored.size(), static_cast<size_t>(kClients * kBatchesPerClient * 2));
}

// Clients keep posting while the collector gets SIGTERM: it must exit 0, and
// every event it acknowledged must be in the database.
TEST_F(CollectorServerTest, StopUnderLoadKeepsEveryAcknowledgedEvent) {
  constexpr int kClients = 4;
  constexpr int kAcksBeforeStop = 20;
  cairn::testing::HttpGet(collector_->base_url() + "/healthz").IgnoreError();  // curl init
  std::mutex mu;
  std::condition_variable acked;
  std::vector<std::string> acknowledged;  // event ids, guarded by mu
  int acks = 0;                           // guarded by mu
  int running = kClients;                 // guarded by mu
  std::atomic<bool> stop{false};
  std::string url = collector_->base_url() + "/v1/batch";
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      while (!stop.load()) {
        cairn::v1::Batch batch = MakeBatch({MakeLogin("acct", "u"), MakeLogout("acct", "u")});
        auto result = cairn::testing::HttpPost(
            url, batch.SerializeAsString(),
            {"Content-Type: application/x-protobuf", absl::StrCat("Authorization: Bearer ", kKey)});
        // After the stop, connections are refused or closed: that is fine,
        // those batches were never acknowledged.
        if (!result.ok() || result->status != 200) break;
        {
          std::lock_guard lock(mu);
          for (const cairn::v1::Event& event : batch.events()) {
            acknowledged.push_back(event.event_id());
          }
          ++acks;
        }
        acked.notify_all();
      }
      {
        std::lock_guard lock(mu);
        --running;
      }
      acked.notify_all();
    });
  }
  bool enough_acks = false;
  {
    std::unique_lock lock(mu);
    // A client that fails early ends the wait too.
    acked.wait(lock, [&] { return acks >= kAcksBeforeStop || running == 0; });
    enough_acks = acks >= kAcksBeforeStop;
  }
  EXPECT_TRUE(enough_acks) << "clients failed before the stop";
  absl::Status stopped = collector_->Stop();
  collector_.reset();
  stop.store(true);
  for (std::thread& client : clients) client.join();
  EXPECT_TRUE(stopped.ok()) << stopped;
  std::map<std::string, int> stored = StoredEventIds(db_path_);
  std::lock_guard lock(mu);
  EXPECT_GE(acknowledged.size(), static_cast<size_t>(2 * kAcksBeforeStop));
  for (const std::string& id : acknowledged) EXPECT_EQ(stored[id], 1) << id;
}

}  // namespace
}  // namespace cairn::collector
