// Process tests of the collector's defences, against the real
// cairn-collector binary on loopback: batches that are small on the wire
// but would inflate into millions of parsed elements are refused (413) in
// bounded memory and time while other requests are served; a request whose
// body length is ambiguous (Transfer-Encoding other than a final "chunked",
// or with Content-Length) is refused and its connection closed, so a request
// hidden in its body is never answered.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/common/codec.h"
#include "collector_fixture.h"
#include "decode_bombs.h"
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
using ::cairn::testing::NewUuidV7;
using ::cairn::testing::PeakRssKib;
using ::cairn::testing::RawExchange;
using ::cairn::testing::RawReply;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kKey[] = "faults-write-key";
// Sanitizer builds: wider bounds (see kSanitizerMemoryFactor).
constexpr long kSanitizerFactor = cairn::testing::kSanitizerMemoryFactor;
// What one refused bomb may add to the collector's peak memory: far below
// the 0.9 GB the largest of them inflates to once parsed.
constexpr long kPerRequestBoundKib = 64 * 1024 * kSanitizerFactor;

// How many HTTP responses `bytes` holds: status lines "HTTP/1.x NNN " (a
// body may mention "HTTP/1.0" in a sentence, and a binary body may end
// without a line break before the next status line).
int ResponseCount(const std::string& bytes) {
  int count = 0;
  for (size_t at = bytes.find("HTTP/1."); at != std::string::npos;
       at = bytes.find("HTTP/1.", at + 1)) {
    if (at + 13 > bytes.size() || bytes[at + 8] != ' ' || bytes[at + 12] != ' ') continue;
    if (std::isdigit(static_cast<unsigned char>(bytes[at + 9])) &&
        std::isdigit(static_cast<unsigned char>(bytes[at + 10])) &&
        std::isdigit(static_cast<unsigned char>(bytes[at + 11]))) {
      ++count;
    }
  }
  return count;
}

class CollectorFaultsTest : public CollectorFixture {
 protected:
  void SetUp() override {
    CollectorProcessOptions options;
    options.write_key = kKey;
    StartCollectorWith(std::move(options));
    if (HasFatalFailure()) return;
    EXPECT_EQ(Post(MakeBatch(GrantsFor("acct", {"u"})).SerializeAsString()).status, 200);
  }

  HttpResult Post(const std::string& body, const std::string& type = "application/x-protobuf",
                  const std::string& encoding = "") {
    return PostBatchBody(body, kKey, type, encoding);
  }

  // Posts a batch with one login and expects it stored.
  void ExpectNormalBatchAccepted() {
    EXPECT_EQ(Post(MakeBatch({MakeLogin("acct", "u")}).SerializeAsString()).status, 200);
  }

  // A request head for `method` `path` with `framing` header lines, then
  // `body`: the server must answer the head once and never `body`.
  std::string Request(const std::string& method, const std::string& path,
                      const std::string& framing, const std::string& body) {
    return absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: c\r\n", "Authorization: Bearer ",
                        kKey, "\r\nContent-Type: application/x-protobuf\r\n", framing, "\r\n",
                        body);
  }
};

// 2,000,000 empty events in a few hundred bytes of zstd: under the body and
// the decompressed-size limits, 0.9 GB once parsed. Refused with 413 before
// parsing, in bounded memory and time; four at once leave the collector
// serving a normal batch.
TEST_F(CollectorFaultsTest, EventCountBombIs413InBoundedMemoryWhileOthersAreServed) {
  const std::string bomb =
      *Compress(Codec::kZstd, cairn::testing::EmptyEventsBatch(NewUuidV7(), 2'000'000));
  ASSERT_LT(bomb.size(), 1024u);
  const std::string json_bomb =
      *Compress(Codec::kZstd, cairn::testing::EmptyEventsJson(NewUuidV7(), 2'000'000));
  ASSERT_LT(json_bomb.size(), 1024u);
  const long baseline = PeakRssKib(collector_->pid());
  ASSERT_GT(baseline, 0);

  // One at a time first: the bound must hold before four are sent at once.
  auto start = std::chrono::steady_clock::now();
  HttpResult refused = Post(bomb, "application/x-protobuf", "zstd");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(refused.status, 413);
  EXPECT_EQ(refused.body, "batch has more than 5000 events\n");
  // Generous: the point is "not the tens of seconds a full parse takes".
  EXPECT_LT(took, std::chrono::seconds(15 * kSanitizerFactor));
  ASSERT_LT(PeakRssKib(collector_->pid()) - baseline, kPerRequestBoundKib);
  HttpResult json_refused = Post(json_bomb, "application/json", "zstd");
  EXPECT_EQ(json_refused.status, 413);
  EXPECT_THAT(json_refused.body, HasSubstr("more than 5000 events"));
  ASSERT_LT(PeakRssKib(collector_->pid()) - baseline, kPerRequestBoundKib);

  std::vector<std::future<long>> bombs;
  for (int i = 0; i < 4; ++i) {
    bombs.push_back(std::async(std::launch::async, [&, i] {
      return i % 2 == 0 ? Post(bomb, "application/x-protobuf", "zstd").status
                        : Post(json_bomb, "application/json", "zstd").status;
    }));
  }
  ExpectNormalBatchAccepted();
  for (std::future<long>& status : bombs) EXPECT_EQ(status.get(), 413);
  ExpectNormalBatchAccepted();
  const long peak = PeakRssKib(collector_->pid());
  EXPECT_LT(peak - baseline, 4 * kPerRequestBoundKib)
      << "baseline " << baseline << " KiB, peak " << peak << " KiB";
}

// The same for elements other than events: unknown fields, and attributes of
// one event, each millions of them in a small body.
TEST_F(CollectorFaultsTest, FieldBombsAre413InBoundedMemory) {
  const long baseline = PeakRssKib(collector_->pid());
  ASSERT_GT(baseline, 0);
  const std::string id = NewUuidV7();
  for (const std::string& plain : {cairn::testing::UnknownFieldsBatch(id, 4'000'000),
                                   cairn::testing::ManyAttributesBatch(id, 1'000'000)}) {
    std::string bomb = *Compress(Codec::kZstd, plain);
    ASSERT_LT(bomb.size(), 4u << 20);  // under --max-body-bytes
    HttpResult refused = Post(bomb, "application/x-protobuf", "zstd");
    EXPECT_EQ(refused.status, 413);
    EXPECT_EQ(refused.body, "batch has more fields than its events may carry\n");
    ASSERT_LT(PeakRssKib(collector_->pid()) - baseline, kPerRequestBoundKib);
  }
  ExpectNormalBatchAccepted();
}

// RFC 9112 6.1 and 6.3: only a final "chunked" frames a request body. The
// hidden GET /metrics in each body must not be answered.
TEST_F(CollectorFaultsTest, AmbiguousFramingIsRefusedAndTheHiddenRequestNeverAnswered) {
  const std::string hidden = "GET /metrics HTTP/1.1\r\nHost: c\r\n\r\n";
  struct Case {
    std::string method;
    std::string path;
    std::string framing;
    std::string status;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/batch", "Transfer-Encoding: gzip\r\n", "400"},
      {"POST", "/v1/batch", "Transfer-Encoding: identity\r\n", "400"},
      {"POST", "/v1/batch", "Transfer-Encoding: chunked, identity\r\n", "400"},
      {"POST", "/v1/batch", "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", "400"},
      {"GET", "/healthz", "Transfer-Encoding: gzip\r\n", "400"},
      {"POST", "/v1/batch",
       absl::StrCat("Transfer-Encoding: gzip\r\nContent-Length: ", hidden.size(), "\r\n"), "400"},
      {"POST", "/v1/batch",
       absl::StrCat("Content-Length: ", hidden.size(), "\r\nTransfer-Encoding: chunked\r\n"),
       "400"},
      {"POST", "/v1/batch", "Transfer-Encoding: gzip, chunked\r\n", "501"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.framing);
    RawReply reply = RawExchange(collector_->port(), Request(c.method, c.path, c.framing, hidden),
                                 false, std::chrono::seconds(5));
    EXPECT_THAT(reply.bytes, StartsWith("HTTP/1.1 " + c.status));
    EXPECT_EQ(ResponseCount(reply.bytes), 1) << reply.bytes;
    EXPECT_THAT(reply.bytes, ::testing::Not(HasSubstr("cairn_http_requests_total")));
    EXPECT_TRUE(reply.closed) << "the connection stayed open";
  }
  // HTTP/1.0 has no chunked coding: any Transfer-Encoding is faulty framing.
  RawReply old =
      RawExchange(collector_->port(),
                  "GET /healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden);
  EXPECT_THAT(old.bytes, StartsWith("HTTP/1.0 400"));
  EXPECT_EQ(ResponseCount(old.bytes), 1) << old.bytes;

  // A chunked batch is still read and stored, and the connection reused.
  std::string batch = MakeBatch({MakeLogin("acct", "u")}).SerializeAsString();
  std::string chunked =
      absl::StrCat(Request("POST", "/v1/batch", "Transfer-Encoding: chunked\r\n",
                           absl::StrCat(absl::Hex(batch.size()), "\r\n", batch, "\r\n0\r\n\r\n")),
                   "GET /healthz HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n");
  RawReply served = RawExchange(collector_->port(), chunked);
  EXPECT_THAT(served.bytes, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(ResponseCount(served.bytes), 2) << served.bytes;
  // Nothing hidden reached the metrics route (this request counts after
  // its answer).
  auto metrics = cairn::testing::HttpGet(collector_->base_url() + "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(metrics->body,
              HasSubstr("cairn_http_requests_total{route=\"metrics\",code=\"200\"} 0\n"));
}

}  // namespace
}  // namespace cairn::collector
