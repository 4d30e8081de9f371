// Process-level tests of the collector's operations features: the
// real cairn-collector binary on loopback. JSON batches, key revocation
// without restart, the rate limit, /readyz and /metrics, --flagfile and
// --help, 2,000 concurrent keep-alive connections, a compression bomb with
// bounded memory, and a saturated writer.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/codec.h"
#include "cairn/common/sqlite.h"
#include "child_process.h"
#include "collector_fixture.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "raw_http.h"
#include "temp_dir.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::CollectorFixture;
using ::cairn::testing::CollectorProcess;
using ::cairn::testing::CollectorProcessOptions;
using ::cairn::testing::GrantsFor;
using ::cairn::testing::HttpResult;
using ::cairn::testing::MakeBatch;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeLogout;
using ::cairn::testing::MakeMilestone;
using ::cairn::testing::PeakRssKib;
using ::cairn::testing::RunShell;
using ::cairn::testing::ShellResult;
using ::cairn::testing::StoredEventIds;
using ::testing::HasSubstr;

constexpr char kKey[] = "ops-write-key";

// Prometheus text -> series ("name{labels}") -> value. Checks every sample
// line has the "series value" shape.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> series;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    double value = 0;
    EXPECT_NE(space, std::string::npos) << line;
    if (space == std::string::npos) continue;
    std::string number = line.substr(space + 1);
    if (number == "+Inf") {
      value = 1e308;
    } else {
      EXPECT_TRUE(absl::SimpleAtod(number, &value)) << line;
    }
    series[line.substr(0, space)] = value;
  }
  return series;
}

std::string JsonOf(const google::protobuf::Message& message) {
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &json).ok());
  return json;
}

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class CollectorOpsTest : public CollectorFixture {
 protected:
  // Starts the collector; `key` empty means the flags name a key file.
  void Start(std::vector<std::string> flags, std::string key = kKey) {
    CollectorProcessOptions options;
    options.write_key = std::move(key);
    options.extra_flags = std::move(flags);
    StartCollectorWith(std::move(options));
  }

  HttpResult Post(const std::string& body, const std::string& type = "application/x-protobuf",
                  const std::string& encoding = "", const std::string& key = kKey) {
    return PostBatchBody(body, key, type, encoding);
  }

  HttpResult Get(const std::string& path) { return Request("GET", path); }

  std::map<std::string, double> Metrics() {
    HttpResult result = Get("/metrics");
    EXPECT_EQ(result.status, 200);
    EXPECT_THAT(result.headers["content-type"], HasSubstr("text/plain; version=0.0.4"));
    return ParseMetrics(result.body);
  }

  // Grants consent for the users these tests record for.
  void Grant(const std::string& key = kKey) {
    cairn::v1::Batch grants = MakeBatch(GrantsFor("acct", {"u"}));
    EXPECT_EQ(Post(grants.SerializeAsString(), "application/x-protobuf", "", key).status, 200);
  }
};

TEST_F(CollectorOpsTest, JsonBatchesAreStoredAndAnsweredInJson) {
  Start({});
  Grant();
  for (std::string encoding : {"", "gzip", "zstd"}) {
    SCOPED_TRACE(encoding);
    cairn::v1::Event bad = MakeMilestone("acct", "u", "has spaces");
    cairn::v1::Batch batch = MakeBatch({MakeLogin("acct", "u"), bad, MakeLogout("acct", "u")});
    std::string body = JsonOf(batch);
    if (!encoding.empty()) body = *Compress(*ParseCodec(encoding), body);
    HttpResult result = Post(body, "application/json; charset=utf-8", encoding);
    ASSERT_EQ(result.status, 200) << result.body;
    EXPECT_EQ(result.headers["content-type"], "application/json");
    cairn::v1::BatchResponse response;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.body, &response).ok())
        << result.body;
    EXPECT_EQ(response.accepted(), 2u);
    ASSERT_EQ(response.rejected_size(), 1);
    EXPECT_EQ(response.rejected(0).index(), 1u);
    EXPECT_EQ(response.rejected(0).reason(), cairn::v1::REJECT_REASON_INVALID_MILESTONE);
    // Counts are written even when zero, field names as in the .proto.
    EXPECT_THAT(result.body, HasSubstr("\"duplicates\":0"));
    std::map<std::string, int> stored = StoredEventIds(db_path_);
    EXPECT_EQ(stored[batch.events(0).event_id()], 1);
    EXPECT_EQ(stored.count(bad.event_id()), 0u);
    EXPECT_EQ(stored[batch.events(2).event_id()], 1);
  }
}

TEST_F(CollectorOpsTest, MalformedJsonAndProtobufGet400AndTheServerKeepsServing) {
  Start({});
  Grant();
  struct Case {
    std::string body, type;
  };
  const std::vector<Case> cases = {
      {"{\"batch_id\": ", "application/json"},
      {"[1,2,3]", "application/json"},
      {"{\"events\": [{\"event_id\": 12}]}", "application/json"},
      {std::string(100000, '[') + std::string(100000, ']'), "application/json"},
      {"\xff\xfe not utf-8", "application/json"},
      {"\x0a\xff\xff\xff\xff\x0f", "application/x-protobuf"},
      {"definitely not protobuf", "application/x-protobuf"},
  };
  for (const Case& c : cases) {
    HttpResult result = Post(c.body, c.type);
    EXPECT_EQ(result.status, 400) << c.body.substr(0, 40);
    EXPECT_EQ(result.headers["content-type"], "text/plain");
    // The reason is one short line that does not echo the body.
    EXPECT_LT(result.body.size(), 100u);
    EXPECT_EQ(std::count(result.body.begin(), result.body.end(), '\n'), 1);
  }
  EXPECT_EQ(Get("/healthz").status, 200);
  cairn::v1::Batch batch = MakeBatch({MakeLogin("acct", "u")});
  EXPECT_EQ(Post(JsonOf(batch), "application/json").status, 200);
  EXPECT_EQ(StoredEventIds(db_path_)[batch.events(0).event_id()], 1);
}

TEST_F(CollectorOpsTest, AttributeLimitsRejectOnlyTheEventsOverThem) {
  Start({"--max-attributes=2", "--max-attribute-key-bytes=8", "--max-attribute-value-bytes=16"});
  Grant();
  cairn::v1::Event ok = MakeLogin("acct", "u");
  (*ok.mutable_attributes())["plan"] = "pro";
  cairn::v1::Event too_many = MakeLogin("acct", "u");
  for (const char* key : {"a", "b", "c"}) (*too_many.mutable_attributes())[key] = "x";
  cairn::v1::Event long_key = MakeLogin("acct", "u");
  (*long_key.mutable_attributes())["much_too_long"] = "x";
  cairn::v1::Event long_value = MakeLogin("acct", "u");
  (*long_value.mutable_attributes())["plan"] = std::string(17, 'v');
  HttpResult result = Post(MakeBatch({ok, too_many, long_key, long_value}).SerializeAsString());
  ASSERT_EQ(result.status, 200);
  cairn::v1::BatchResponse response;
  ASSERT_TRUE(response.ParseFromString(result.body));
  EXPECT_EQ(response.accepted(), 1u);
  ASSERT_EQ(response.rejected_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(response.rejected(i).index(), static_cast<uint32_t>(i + 1));
    EXPECT_EQ(response.rejected(i).reason(), cairn::v1::REJECT_REASON_INVALID_ATTRIBUTES);
  }
  EXPECT_EQ(StoredEventIds(db_path_).size(), 1u);
}

TEST_F(CollectorOpsTest, LimitsLooserThanTheContractAreRefusedAtStart) {
  CollectorProcessOptions options;
  options.db_path = db_path_;
  options.write_key = kKey;
  options.extra_flags = {"--max-attributes=33"};
  EXPECT_FALSE(CollectorProcess::Start(options).ok());
  options.extra_flags = {"--max-attribute-value-bytes=257"};
  EXPECT_FALSE(CollectorProcess::Start(options).ok());
}

TEST_F(CollectorOpsTest, RevokedKeyGets401AfterSighupWithoutRestart) {
  std::string key_file = dir_.File("keys");
  std::ofstream(key_file) << "# apps\nkeep-key-0001\nrevoke-key-002\n";
  Start({"--write-key-file=" + key_file}, "");
  pid_t pid = collector_->pid();
  Grant("revoke-key-002");
  std::string batch = MakeBatch({MakeLogin("acct", "u")}).SerializeAsString();
  EXPECT_EQ(Post(batch, "application/x-protobuf", "", "revoke-key-002").status, 200);

  // Waits until the collector has handled the SIGHUP: its reload counters
  // move (success or failure, by `ok`).
  auto reload_and_wait = [&](bool ok) {
    std::string series =
        ok ? "cairn_key_reloads_total{result=\"ok\"}" : "cairn_key_reloads_total{result=\"error\"}";
    double before = Metrics()[series];
    ASSERT_EQ(kill(pid, SIGHUP), 0);
    for (int i = 0; i < 2000 && Metrics()[series] == before; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling only
    }
    ASSERT_EQ(Metrics()[series], before + 1);
  };

  // A malformed file (a key too short) keeps the old keys.
  std::ofstream(key_file, std::ios::trunc) << "keep-key-0001\nshort\n";
  reload_and_wait(false);
  EXPECT_EQ(Post(batch, "application/x-protobuf", "", "revoke-key-002").status, 200);

  std::ofstream(key_file, std::ios::trunc) << "keep-key-0001\nnew-key-00003\n";
  reload_and_wait(true);
  HttpResult revoked = Post(batch, "application/x-protobuf", "", "revoke-key-002");
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(revoked.headers["www-authenticate"], "Bearer");
  EXPECT_EQ(Post(batch, "application/x-protobuf", "", "keep-key-0001").status, 200);
  EXPECT_EQ(Post(batch, "application/x-protobuf", "", "new-key-00003").status, 200);
  EXPECT_EQ(collector_->pid(), pid);
}

TEST_F(CollectorOpsTest, RevokedAdminTokenGets401AfterSighup) {
  std::string token_file = dir_.File("admin");
  std::ofstream(token_file) << "old-admin-token-1\n";
  Start({"--admin-token-file=" + token_file});
  auto purge = [&](const std::string& token) {
    auto result = cairn::testing::HttpPost(collector_->base_url() + "/v1/admin/purge", "",
                                           {"Authorization: Bearer " + token});
    EXPECT_TRUE(result.ok());
    return result.ok() ? result->status : 0;
  };
  EXPECT_EQ(purge("old-admin-token-1"), 200);
  std::ofstream(token_file, std::ios::trunc) << "new-admin-token-2\n";
  double before = Metrics()["cairn_key_reloads_total{result=\"ok\"}"];
  ASSERT_EQ(kill(collector_->pid(), SIGHUP), 0);
  for (int i = 0; i < 2000 && Metrics()["cairn_key_reloads_total{result=\"ok\"}"] == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling only
  }
  EXPECT_EQ(purge("old-admin-token-1"), 401);
  EXPECT_EQ(purge("new-admin-token-2"), 200);
}

TEST_F(CollectorOpsTest, RateLimitGives429WithRetryAfter) {
  // Two requests at once, then one every 1000 s: the third is refused.
  Start({"--rate-limit-rps=0.001", "--rate-limit-burst=2"});
  std::string batch = MakeBatch(GrantsFor("acct", {"u"})).SerializeAsString();
  EXPECT_EQ(Post(batch).status, 200);
  EXPECT_EQ(Post(batch).status, 200);
  HttpResult limited = Post(batch);
  EXPECT_EQ(limited.status, 429);
  int retry_after = 0;
  ASSERT_TRUE(absl::SimpleAtoi(limited.headers["retry-after"], &retry_after))
      << limited.headers["retry-after"];
  EXPECT_GT(retry_after, 900);
  EXPECT_LE(retry_after, 1000);
  // Other routes are not limited; the refusal is counted.
  EXPECT_EQ(Get("/healthz").status, 200);
  std::map<std::string, double> metrics = Metrics();
  EXPECT_EQ(metrics["cairn_rate_limited_total"], 1);
  EXPECT_EQ(metrics["cairn_http_requests_total{route=\"batch\",code=\"429\"}"], 1);
}

TEST_F(CollectorOpsTest, MetricsCountEventsRejectionsAndRequests) {
  Start({});
  Grant();  // 2 consent events accepted
  cairn::v1::Batch batch =
      MakeBatch({MakeLogin("acct", "u"), MakeLogin("acct", ""), MakeLogin("stranger", "x")});
  EXPECT_EQ(Post(batch.SerializeAsString()).status, 200);
  EXPECT_EQ(Post(batch.SerializeAsString()).status, 200);  // retry: duplicates
  EXPECT_EQ(Post("garbage").status, 400);
  EXPECT_EQ(Get("/readyz").status, 200);
  EXPECT_EQ(Get("/readyz").body, "ready\n");

  std::map<std::string, double> m = Metrics();
  EXPECT_EQ(m["cairn_events_accepted_total"], 3);
  EXPECT_EQ(m["cairn_events_duplicate_total"], 1);
  // Counted once per batch_id, not again for the retry.
  EXPECT_EQ(m["cairn_events_rejected_total{reason=\"invalid_user_id\"}"], 1);
  EXPECT_EQ(m["cairn_events_rejected_total{reason=\"no_consent\"}"], 1);
  EXPECT_EQ(m["cairn_http_requests_total{route=\"batch\",code=\"200\"}"], 3);
  EXPECT_EQ(m["cairn_http_requests_total{route=\"batch\",code=\"400\"}"], 1);
  EXPECT_EQ(m["cairn_http_requests_total{route=\"readyz\",code=\"200\"}"], 2);
  EXPECT_EQ(m["cairn_http_request_duration_seconds_count{route=\"batch\"}"], 4);
  EXPECT_EQ(m["cairn_http_request_duration_seconds_bucket{route=\"batch\",le=\"+Inf\"}"], 4);
  EXPECT_LE(m["cairn_http_request_duration_seconds_bucket{route=\"batch\",le=\"0.0005\"}"], 4);
  EXPECT_EQ(m["cairn_writer_queue_depth"], 0);
  EXPECT_EQ(m["cairn_writer_queue_capacity"], 1024);
  // Three store writes (grants, batch, retry), each timed.
  EXPECT_EQ(m["cairn_batch_commit_seconds_count"], 3);
  EXPECT_GT(m["cairn_batch_commit_seconds_sum"], 0);
  EXPECT_EQ(m["cairn_store_write_failures_total"], 0);
}

TEST_F(CollectorOpsTest, DuplicateAcrossRestartIsCountedAsDuplicate) {
  Start({});
  Grant();
  cairn::v1::Batch batch = MakeBatch({MakeLogin("acct", "u"), MakeLogout("acct", "u")});
  EXPECT_EQ(Post(batch.SerializeAsString()).status, 200);
  ASSERT_TRUE(collector_->Stop().ok());
  collector_.reset();
  Start({});
  HttpResult again = Post(JsonOf(batch), "application/json");
  ASSERT_EQ(again.status, 200);
  cairn::v1::BatchResponse response;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(again.body, &response).ok());
  EXPECT_EQ(response.accepted(), 0u);
  EXPECT_EQ(response.duplicates(), 2u);
  EXPECT_EQ(Metrics()["cairn_events_duplicate_total"], 2);
}

TEST_F(CollectorOpsTest, FlagFileConfiguresTheCollector) {
  std::string key_file = dir_.File("keys");
  std::ofstream(key_file) << "flagfile-key-1\n";
  std::string flag_file = dir_.File("collector.flags");
  std::ofstream(flag_file) << "# collector configuration\n"
                           << "--write-key-file=" << key_file << "\n"
                           << "  --max_events_per_batch=2\n"  // either spelling
                           << "\n--rate-limit-rps=100\n";
  Start({"--flagfile=" + flag_file}, "");
  Grant("flagfile-key-1");
  std::string three =
      MakeBatch({MakeLogin("acct", "u"), MakeLogin("acct", "u"), MakeLogin("acct", "u")})
          .SerializeAsString();
  EXPECT_EQ(Post(three, "application/x-protobuf", "", "flagfile-key-1").status, 413);
  EXPECT_EQ(Post(three, "application/x-protobuf", "", kKey).status, 401);
}

TEST_F(CollectorOpsTest, BadFlagFileIsAUsageError) {
  std::string flag_file = dir_.File("bad.flags");
  std::ofstream(flag_file) << "write-key-file=/nowhere\n";  // no leading --
  const std::pair<std::string, std::string> cases[] = {
      {"--flagfile=" + flag_file, "line 1 is not a --flag"},
      {"--flagfile=" + dir_.File("none"), "cannot read flag file"}};
  for (const auto& [flag, message] : cases) {
    // Otherwise complete (key, port): only the flag file can make it exit 2,
    // and `timeout` bounds the test if it starts serving instead.
    std::string command =
        absl::StrCat("timeout 20 '", cairn::testing::CollectorBinaryPath(), "' --db='", db_path_,
                     "' --write-key=", kKey, " --listen=127.0.0.1:0 ", flag, " 2>&1");
    absl::StatusOr<ShellResult> run = RunShell(command);
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->exit_code(), 2) << flag << ": " << run->output;
    EXPECT_THAT(run->output, HasSubstr(message)) << flag;
  }
}

TEST_F(CollectorOpsTest, HelpListsEveryFlag) {
  std::string command = absl::StrCat("'", cairn::testing::CollectorBinaryPath(), "' --help 2>&1");
  absl::StatusOr<ShellResult> run = RunShell(command);
  ASSERT_TRUE(run.ok()) << run.status();
  const std::string& output = run->output;
  for (const char* flag : {"listen",
                           "db",
                           "write_key",
                           "write_key_file",
                           "io_threads",
                           "max_body_bytes",
                           "max_decompressed_bytes",
                           "max_events_per_batch",
                           "admin_token",
                           "admin_token_file",
                           "hash_key_file",
                           "retention_days",
                           "purge_interval_minutes",
                           "store_client_ip",
                           "store_user_agent",
                           "writer_queue",
                           "max_attributes",
                           "max_attribute_key_bytes",
                           "max_attribute_value_bytes",
                           "rate_limit_rps",
                           "rate_limit_burst",
                           "key_file_poll_seconds",
                           "max_connections"}) {
    EXPECT_THAT(output, HasSubstr(absl::StrCat("--", flag, " ("))) << flag;
  }
  EXPECT_THAT(output, HasSubstr("--flagfile"));
}

// 2,000 keep-alive connections open at once, each answered, twice, by a
// collector running a handful of threads.
TEST_F(CollectorOpsTest, ServesTwoThousandConcurrentKeepAliveConnections) {
  constexpr int kConnections = 2000;
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < kConnections + 100) {
    GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << limit.rlim_max << " is too low";
  }
  Start({});
  std::vector<int> fds;
  for (int i = 0; i < kConnections; ++i) {
    int fd = ConnectLoopback(collector_->port());
    ASSERT_GE(fd, 0) << "connection " << i;
    fds.push_back(fd);
  }
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    for (int fd : fds) {
      ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(request.size()));
    }
    // Read until every connection has its whole answer (status line through
    // the "ok\n" body); all stay open.
    std::vector<std::string> answers(fds.size());
    std::vector<bool> done(fds.size(), false);
    size_t remaining = fds.size();
    while (remaining > 0) {
      std::vector<pollfd> pending;
      std::vector<size_t> index;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (!done[i]) {
          pending.push_back({fds[i], POLLIN, 0});
          index.push_back(i);
        }
      }
      int ready = poll(pending.data(), pending.size(), 30000);
      ASSERT_GT(ready, 0) << remaining << " connections unanswered";
      for (size_t k = 0; k < pending.size(); ++k) {
        if (pending[k].revents == 0) continue;
        size_t i = index[k];
        char buffer[512];
        ssize_t got = recv(fds[i], buffer, sizeof(buffer), 0);
        ASSERT_GT(got, 0) << "connection " << i << " closed";
        answers[i].append(buffer, static_cast<size_t>(got));
        if (answers[i].size() >= 4 && answers[i].find("\r\n\r\nok\n") != std::string::npos) {
          done[i] = true;
          --remaining;
        }
      }
    }
    for (const std::string& answer : answers) {
      EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
    }
  }
  // No thread per connection: the collector runs a few threads for 2,000.
  size_t threads = std::distance(
      std::filesystem::directory_iterator(absl::StrCat("/proc/", collector_->pid(), "/task")),
      std::filesystem::directory_iterator());
  EXPECT_LT(threads, 16u);
  EXPECT_EQ(Metrics()["cairn_http_requests_total{route=\"healthz\",code=\"200\"}"],
            2 * kConnections);
  for (int fd : fds) close(fd);
}

// Bombs and oversize bodies get 413 and the collector's peak memory stays
// far below what the bomb would inflate to.
TEST_F(CollectorOpsTest, CompressionBombsAreRefusedWithBoundedMemory) {
  Start({"--max-decompressed-bytes=1048576", "--max-body-bytes=1048576"});
  Grant();
  long baseline = PeakRssKib(collector_->pid());
  ASSERT_GT(baseline, 0);
  const std::string zeros(256 << 20, '\0');  // 256 MiB inflated
  std::string json_bomb = "{\"batch_id\":\"" + std::string(64 << 20, 'a') + "\"}";
  for (Codec codec : {Codec::kGzip, Codec::kZstd}) {
    SCOPED_TRACE(CodecName(codec));
    std::string bomb = *Compress(codec, zeros);
    ASSERT_LT(bomb.size(), 1u << 20);  // passes the body-size limit
    HttpResult result = Post(bomb, "application/x-protobuf", std::string(CodecName(codec)));
    EXPECT_EQ(result.status, 413);
    EXPECT_EQ(result.body, "decompressed body is over the size limit\n");
    std::string compressed_json = *Compress(codec, json_bomb);
    ASSERT_LT(compressed_json.size(), 1u << 20);
    EXPECT_EQ(Post(compressed_json, "application/json", std::string(CodecName(codec))).status, 413);
  }
  // A plain body over --max-body-bytes.
  EXPECT_EQ(Post(std::string(2 << 20, 'x')).status, 413);
  long peak = PeakRssKib(collector_->pid());
  // 4 bombs of 256 MiB and 64 MiB: peak growth stays within a few times the
  // 1 MiB bound (buffers of the body and of decompression), not hundreds.
  EXPECT_LT(peak - baseline, 32 * 1024 * cairn::testing::kSanitizerMemoryFactor)
      << "baseline " << baseline << " KiB, peak " << peak;
  cairn::v1::Batch batch = MakeBatch({MakeLogin("acct", "u")});
  EXPECT_EQ(Post(batch.SerializeAsString()).status, 200);
}

// With the database locked by another process the writer cannot commit: its
// queue fills, the collector answers 503 with Retry-After and says it is not
// ready; every batch it acknowledged (200) is stored, none it refused is.
TEST_F(CollectorOpsTest, SaturatedWriterAnswers503AndLosesNothingAcknowledged) {
  Start({"--writer-queue=1"});
  Grant();
  auto lock_db = sqlite::Database::Open(db_path_);
  ASSERT_TRUE(lock_db.ok()) << lock_db.status();
  ASSERT_TRUE((*lock_db)->Exec("BEGIN IMMEDIATE").ok());

  constexpr int kClients = 3;
  std::vector<cairn::v1::Batch> batches;
  for (int i = 0; i < kClients; ++i) {
    batches.push_back(MakeBatch({MakeLogin("acct", "u"), MakeLogout("acct", "u")}));
  }
  std::vector<absl::StatusOr<HttpResult>> results(kClients, absl::UnknownError("not sent"));
  std::vector<std::thread> clients;
  cairn::testing::HttpGet(collector_->base_url() + "/healthz").IgnoreError();  // curl init
  auto send = [&](int i) {
    clients.emplace_back([&, i] {
      results[i] = cairn::testing::HttpPost(
          collector_->base_url() + "/v1/batch", batches[i].SerializeAsString(),
          {"Content-Type: application/x-protobuf", absl::StrCat("Authorization: Bearer ", kKey)});
    });
  };
  // Polls /metrics until `series` reaches `value` (the writer reached the
  // state the test needs); polling only, no timing assumption.
  auto await_metric = [&](const std::string& series, double value) {
    for (int i = 0; i < 4000 && Metrics()[series] != value; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(Metrics()[series], value) << series;
  };
  send(0);  // taken by the writer, which then waits for the lock
  await_metric("cairn_writer_busy", 1);
  send(1);  // fills the queue (capacity 1)
  await_metric("cairn_writer_queue_depth", 1);
  HttpResult ready = Get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_THAT(ready.body, HasSubstr("not ready"));
  send(2);  // refused at once
  clients.back().join();
  clients.pop_back();
  ASSERT_TRUE(results[2].ok());
  EXPECT_EQ(results[2]->status, 503);
  ASSERT_TRUE((*lock_db)->Exec("COMMIT").ok());
  for (std::thread& client : clients) client.join();

  std::map<std::string, int> stored = StoredEventIds(db_path_);
  int acknowledged = 0;
  for (int i = 0; i < kClients; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(results[i].ok()) << results[i].status();
    // The first two were queued: 200 once the lock is gone, or 503 if the
    // store gave up waiting for it (busy timeout); never lost after a 200.
    ASSERT_TRUE(results[i]->status == 200 || results[i]->status == 503) << results[i]->status;
    if (results[i]->status == 200) {
      ++acknowledged;
      for (const cairn::v1::Event& event : batches[i].events()) {
        EXPECT_EQ(stored[event.event_id()], 1);
      }
    } else {
      EXPECT_EQ(results[i]->headers["retry-after"], "1");
      for (const cairn::v1::Event& event : batches[i].events()) {
        EXPECT_EQ(stored.count(event.event_id()), 0u);
      }
    }
  }
  EXPECT_EQ(Get("/readyz").status, 200);
  std::map<std::string, double> m = Metrics();
  EXPECT_EQ(m["cairn_http_requests_total{route=\"batch\",code=\"503\"}"], kClients - acknowledged);
}

}  // namespace
}  // namespace cairn::collector
