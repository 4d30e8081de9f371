#include "app/request_handler.h"

#include <future>
#include <memory>
#include <string>

#include "cairn/common/codec.h"
#include "gtest/gtest.h"
#include "ops/log.h"
#include "store/sqlite/sqlite_store.h"
#include "temp_dir.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::MakeBatch;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeMilestone;

constexpr char kKey[] = "handler-test-key";

class CollectorRequestHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLoggingEnabled(false);  // error paths are exercised on purpose
    auto store = SqliteStore::Open(dir_.File("c.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    // User "u" has granted analytics and milestones (two consent events).
    BatchRecord grants;
    grants.batch_id = cairn::testing::NewUuidV7();
    grants.events = cairn::testing::GrantsFor("a", {"u"});
    ASSERT_TRUE(store_->Write({&grants, 1}).ok());
    auto keys = WriteKeySet::FromKeys({kKey});
    ASSERT_TRUE(keys.ok());
    keys_ = std::make_unique<WriteKeySet>(*std::move(keys));
    writer_ = std::make_unique<BatchWriter>(store_.get(), BatchWriterOptions{});
    RequestHandlerOptions options;
    options.max_body_bytes = 64 << 10;
    options.decode.max_events_per_batch = 10;
    handler_ = std::make_unique<RequestHandler>(keys_.get(), writer_.get(), SystemClock(), options);
  }
  void TearDown() override {
    writer_->Stop();
    SetLoggingEnabled(true);
  }

  static HttpRequest BatchRequest(std::string body, std::string encoding = "") {
    HttpRequest request;
    request.method = "POST";
    request.target = "/v1/batch";
    request.headers["authorization"] = std::string("Bearer ") + kKey;
    request.headers["content-type"] = "application/x-protobuf";
    if (!encoding.empty()) request.headers["content-encoding"] = encoding;
    request.content_length = body.size();
    request.body = std::move(body);
    return request;
  }

  HttpResponse Call(HttpRequest request) {
    // Shared: the writer thread may still be inside set_value when get()
    // returns here.
    auto response = std::make_shared<std::promise<HttpResponse>>();
    std::future<HttpResponse> ready = response->get_future();
    handler_->Handle(std::move(request),
                     [response](HttpResponse r) { response->set_value(std::move(r)); });
    return ready.get();
  }

  cairn::testing::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<WriteKeySet> keys_;
  std::unique_ptr<BatchWriter> writer_;
  std::unique_ptr<RequestHandler> handler_;
};

TEST_F(CollectorRequestHandlerTest, HealthzAndRouting) {
  HttpRequest health;
  health.method = "GET";
  health.target = "/healthz?probe=1";
  HttpResponse ok = Call(health);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "ok\n");

  health.method = "POST";
  HttpResponse wrong_method = Call(health);
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers.at(0), (std::pair<std::string, std::string>("Allow", "GET")));

  HttpRequest get_batch = BatchRequest("");
  get_batch.method = "GET";
  EXPECT_EQ(Call(get_batch).status, 405);

  HttpRequest unknown;
  unknown.method = "GET";
  unknown.target = "/v2/batch";
  HttpResponse not_found = Call(unknown);
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.content_type, "text/plain");
}

TEST_F(CollectorRequestHandlerTest, HeaderChecksComeBeforeTheBody) {
  HttpRequest head = BatchRequest("");
  head.body_complete = false;
  EXPECT_FALSE(handler_->CheckHead(head).has_value());

  HttpRequest no_key = head;
  no_key.headers.erase("authorization");
  EXPECT_EQ(handler_->CheckHead(no_key)->status, 401);
  HttpRequest wrong_key = head;
  wrong_key.headers["authorization"] = "Bearer not-the-key";
  EXPECT_EQ(handler_->CheckHead(wrong_key)->status, 401);

  HttpRequest xml = head;
  xml.headers["content-type"] = "application/xml";
  EXPECT_EQ(handler_->CheckHead(xml)->status, 415);
  HttpRequest json = head;
  json.headers["content-type"] = "application/json; charset=utf-8";
  EXPECT_FALSE(handler_->CheckHead(json).has_value());
  HttpRequest with_params = head;
  with_params.headers["content-type"] = "Application/X-Protobuf; proto=cairn.v1.Batch";
  EXPECT_FALSE(handler_->CheckHead(with_params).has_value());

  HttpRequest brotli = head;
  brotli.headers["content-encoding"] = "br";
  EXPECT_EQ(handler_->CheckHead(brotli)->status, 415);

  HttpRequest huge = head;
  huge.content_length = 1 << 20;
  EXPECT_EQ(handler_->CheckHead(huge)->status, 413);
}

TEST_F(CollectorRequestHandlerTest, StoresABatchAndReportsDuplicatesOnRetry) {
  cairn::v1::Batch batch = MakeBatch({MakeLogin("a", "u"), MakeMilestone("a", "u", "first")});
  for (std::string encoding : {"", "zstd"}) {
    std::string body = batch.SerializeAsString();
    if (encoding == "zstd") body = *Compress(Codec::kZstd, body);
    HttpResponse response = Call(BatchRequest(body, encoding));
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.content_type, "application/x-protobuf");
    cairn::v1::BatchResponse parsed;
    ASSERT_TRUE(parsed.ParseFromString(response.body));
    if (encoding.empty()) {
      EXPECT_EQ(parsed.accepted(), 2u);
      EXPECT_EQ(parsed.duplicates(), 0u);
    } else {  // the same batch again
      EXPECT_EQ(parsed.accepted(), 0u);
      EXPECT_EQ(parsed.duplicates(), 2u);
    }
  }
  EXPECT_EQ(store_->Summarize()->total_events, 4);  // and the two grants
}

TEST_F(CollectorRequestHandlerTest, RejectsBadBodies) {
  HttpResponse garbage = Call(BatchRequest("garbage"));
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(garbage.body, "body is not a cairn.v1.Batch\n");

  EXPECT_EQ(Call(BatchRequest("not zstd at all", "zstd")).status, 400);
  EXPECT_EQ(Call(BatchRequest(std::string(100 << 10, 'x'))).status, 413);

  std::vector<cairn::v1::Event> events;
  for (int i = 0; i < 11; ++i) events.push_back(MakeLogin("a", "u"));
  EXPECT_EQ(Call(BatchRequest(MakeBatch(events).SerializeAsString())).status, 413);

  std::string bomb = *Compress(Codec::kGzip, std::string(20 << 20, '\0'));
  ASSERT_LT(bomb.size(), 64u << 10);
  EXPECT_EQ(Call(BatchRequest(bomb, "gzip")).status, 413);
  EXPECT_EQ(store_->Summarize()->total_events, 2);  // the grants only
}

TEST_F(CollectorRequestHandlerTest, BusyWriterAnswers503WithRetryAfter) {
  writer_->Stop();  // a stopped writer refuses like a full one
  HttpResponse response = Call(BatchRequest(MakeBatch({MakeLogin("a", "u")}).SerializeAsString()));
  EXPECT_EQ(response.status, 503);
  bool has_retry_after = false;
  for (const auto& [name, value] : response.headers) {
    if (name == "Retry-After" && value == "1") has_retry_after = true;
  }
  EXPECT_TRUE(has_retry_after);
}

TEST_F(CollectorRequestHandlerTest, MergesValidationAndConsentRejectionsByBatchIndex) {
  // 0 ok, 1 invalid (no account), 2 no consent (milestones never granted
  // for "v"), 3 ok, 4 no consent.
  cairn::v1::Batch batch =
      MakeBatch({MakeLogin("a", "u"), MakeLogin("", "u"), MakeMilestone("a", "v", "m"),
                 MakeMilestone("a", "u", "m"), MakeLogin("a", "v")});
  for (int attempt = 0; attempt < 2; ++attempt) {
    HttpResponse response = Call(BatchRequest(batch.SerializeAsString()));
    ASSERT_EQ(response.status, 200) << response.body;
    cairn::v1::BatchResponse parsed;
    ASSERT_TRUE(parsed.ParseFromString(response.body));
    EXPECT_EQ(parsed.accepted() + parsed.duplicates(), 2u);
    ASSERT_EQ(parsed.rejected_size(), 3);
    EXPECT_EQ(parsed.rejected(0).index(), 1u);
    EXPECT_EQ(parsed.rejected(0).reason(), cairn::v1::REJECT_REASON_INVALID_ACCOUNT_ID);
    EXPECT_EQ(parsed.rejected(1).index(), 2u);
    EXPECT_EQ(parsed.rejected(1).reason(), cairn::v1::REJECT_REASON_NOT_STORED);
    EXPECT_EQ(parsed.rejected(2).index(), 4u);
    EXPECT_EQ(parsed.rejected(2).reason(), cairn::v1::REJECT_REASON_NOT_STORED);
  }
  // Counted once per batch_id, like the durable counts.
  EXPECT_EQ(handler_->rejections().Get(cairn::v1::REJECT_REASON_NO_CONSENT), 2u);
  EXPECT_EQ(handler_->rejections().Get(cairn::v1::REJECT_REASON_INVALID_ACCOUNT_ID), 1u);
  EXPECT_EQ(store_->Summarize()->rejections.at(cairn::v1::REJECT_REASON_NO_CONSENT), 2);
  EXPECT_EQ(store_->Summarize()->rejections.at(cairn::v1::REJECT_REASON_INVALID_ACCOUNT_ID), 1);
}

TEST_F(CollectorRequestHandlerTest, AdminPathsAreNotFoundWithoutAnAdminApi) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/v1/users/u/export";
  request.headers["authorization"] = std::string("Bearer ") + kKey;
  EXPECT_EQ(Call(request).status, 404);
}

TEST(CollectorHttpTypesTest, QueryParametersAndPercentDecoding) {
  HttpRequest request;
  request.target = "/x?account_id=a%2Fb%20c&after=&limit=5&plus=a+b&bad=%zz&cut=%4";
  EXPECT_EQ(request.QueryParam("account_id"), "a/b c");
  EXPECT_EQ(request.QueryParam("after"), "");
  EXPECT_EQ(request.QueryParam("limit"), "5");
  EXPECT_EQ(request.QueryParam("plus"), "a+b");
  EXPECT_EQ(request.QueryParam("missing"), std::nullopt);
  EXPECT_EQ(request.QueryParam("bad"), std::nullopt);
  EXPECT_EQ(request.QueryParam("cut"), std::nullopt);
  EXPECT_EQ(request.Path(), "/x");
  EXPECT_EQ(PercentDecode("%41%6a"), "Aj");
}

TEST(CollectorAdminApiTest, AdminPaths) {
  EXPECT_TRUE(AdminApi::IsAdminPath("/v1/users/u/export"));
  EXPECT_TRUE(AdminApi::IsAdminPath("/v1/users/u"));
  EXPECT_TRUE(AdminApi::IsAdminPath("/v1/renewal-notifications/recipients"));
  EXPECT_TRUE(AdminApi::IsAdminPath("/v1/admin/purge"));
  EXPECT_FALSE(AdminApi::IsAdminPath("/v1/batch"));
  EXPECT_FALSE(AdminApi::IsAdminPath("/healthz"));
}

}  // namespace
}  // namespace cairn::collector
