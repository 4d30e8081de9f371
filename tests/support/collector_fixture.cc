#include "collector_fixture.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "test_batches.h"

namespace cairn::testing {

void CollectorFixture::TearDown() {
  if (collector_ != nullptr) {
    EXPECT_TRUE(collector_->Stop().ok()) << "collector did not exit cleanly";
  }
}

void CollectorFixture::StartCollectorWith(CollectorProcessOptions options) {
  if (collector_ != nullptr) {
    ASSERT_TRUE(collector_->Stop().ok());
  }
  collector_.reset();
  if (options.db_path.empty()) options.db_path = db_path_;
  auto process = CollectorProcess::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  collector_ = *std::move(process);
}

void CollectorFixture::StartWithAdminToken(std::string write_key, std::string admin_token,
                                           std::vector<std::string> extra_flags) {
  admin_token_ = admin_token;
  CollectorProcessOptions options;
  options.write_key = std::move(write_key);
  options.admin_token = std::move(admin_token);
  options.extra_flags = {"--alert-interval-minutes=0"};
  for (std::string& flag : extra_flags) options.extra_flags.push_back(std::move(flag));
  StartCollectorWith(std::move(options));
}

HttpResult CollectorFixture::Call(const std::string& method, const std::string& path,
                                  const std::string& body) {
  return Request(method, path, body, {"Authorization: Bearer " + admin_token_});
}

HttpResult CollectorFixture::Request(const std::string& method, const std::string& path,
                                     const std::string& body,
                                     const std::vector<std::string>& headers) {
  auto result = HttpCall(method, collector_->base_url() + path, body, headers);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : HttpResult{};
}

HttpResult CollectorFixture::PostBatchBody(const std::string& body, const std::string& key,
                                           const std::string& type, const std::string& encoding,
                                           std::vector<std::string> headers) {
  headers.push_back("Content-Type: " + type);
  headers.push_back(absl::StrCat("Authorization: Bearer ", key));
  if (!encoding.empty()) headers.push_back("Content-Encoding: " + encoding);
  return Request("POST", "/v1/batch", body, headers);
}

cairn::v1::BatchResponse CollectorFixture::PostEvents(std::vector<cairn::v1::Event> events,
                                                      const std::string& key) {
  HttpResult result = PostBatchBody(MakeBatch(std::move(events)).SerializeAsString(), key);
  EXPECT_EQ(result.status, 200) << result.body;
  cairn::v1::BatchResponse response;
  EXPECT_TRUE(response.ParseFromString(result.body)) << result.body;
  return response;
}

}  // namespace cairn::testing
