// cairn::HttpClient against a real HTTP server on loopback (the test
// support's WebhookSink): methods, headers, bodies, bounds and failures.

#include "cairn/common/http_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "webhook_sink.h"

namespace cairn {
namespace {

using ::cairn::testing::WebhookSink;

std::unique_ptr<WebhookSink> StartSink() {
  absl::StatusOr<std::unique_ptr<WebhookSink>> sink = WebhookSink::Start();
  EXPECT_TRUE(sink.ok()) << sink.status();
  return sink.ok() ? *std::move(sink) : nullptr;
}

HttpClientRequest Request(const std::string& method, const std::string& url) {
  HttpClientRequest request;
  request.method = method;
  request.url = url;
  request.use_environment_proxy = false;
  request.total_timeout = absl::Seconds(20);
  return request;
}

// A port nothing listens on: bound, then closed.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t size = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(HttpClientTest, SendsEachMethodWithItsHeadersAndBody) {
  std::unique_ptr<WebhookSink> sink = StartSink();
  ASSERT_NE(sink, nullptr);
  sink->QueueStatuses({201, 200, 204, 404});
  sink->SetAnswerBody("answer");
  HttpClient client;
  const std::string base = absl::StrCat("http://127.0.0.1:", sink->port());
  HttpClientRequest post = Request("POST", base + "/a");
  post.headers = {"Content-Type: application/json", "X-Extra: 1"};
  post.body = R"({"k":1})";
  absl::StatusOr<HttpClientResponse> posted = client.Send(post);
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_EQ(posted->status, 201);
  EXPECT_EQ(posted->body, "answer");
  EXPECT_EQ(posted->headers["x-sink"], "yes");

  HttpClientRequest put = Request("PUT", base + "/b");
  put.body = "put-body";
  ASSERT_TRUE(client.Send(put).ok());
  ASSERT_TRUE(client.Send(Request("DELETE", base + "/c")).ok());
  absl::StatusOr<HttpClientResponse> got = client.Send(Request("GET", base + "/d?q=1"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, 404);  // any status is a response

  ASSERT_TRUE(sink->WaitForRequests(4));
  std::vector<WebhookSink::Request> seen = sink->requests();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/a");
  EXPECT_EQ(seen[0].body, R"({"k":1})");
  EXPECT_EQ(seen[0].headers["content-type"], "application/json");
  EXPECT_EQ(seen[0].headers["x-extra"], "1");
  EXPECT_EQ(seen[0].headers.count("expect"), 0u);  // no 100-continue round trip
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(seen[1].body, "put-body");
  EXPECT_EQ(seen[2].method, "DELETE");
  EXPECT_EQ(seen[2].body, "");
  EXPECT_EQ(seen[3].method, "GET");
  EXPECT_EQ(seen[3].target, "/d?q=1");
}

TEST(HttpClientTest, AnAnswerOverTheBoundFailsTheRequest) {
  std::unique_ptr<WebhookSink> sink = StartSink();
  ASSERT_NE(sink, nullptr);
  sink->SetAnswerBody(std::string(4096, 'x'));
  HttpClientRequest request = Request("GET", sink->url());
  request.max_response_bytes = 1024;
  absl::StatusOr<HttpClientResponse> response = SendHttpRequest(request);
  EXPECT_TRUE(absl::IsUnavailable(response.status())) << response.status();
  request.max_response_bytes = 4096;
  response = SendHttpRequest(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body.size(), 4096u);
}

TEST(HttpClientTest, FailuresAreStatusesNotResponses) {
  HttpClient client;
  EXPECT_TRUE(absl::IsUnavailable(
      client.Send(Request("GET", absl::StrCat("http://127.0.0.1:", ClosedPort(), "/"))).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(client.Send(Request("GET", "ftp://127.0.0.1/x")).status()));
  client.Abort();
  std::unique_ptr<WebhookSink> sink = StartSink();
  ASSERT_NE(sink, nullptr);
  EXPECT_TRUE(absl::IsCancelled(client.Send(Request("GET", sink->url())).status()));
  EXPECT_TRUE(sink->requests().empty());  // an aborted client sends nothing
}

TEST(HttpClientTest, UrlEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(UrlEncode("a-Z_0.9~"), "a-Z_0.9~");
  EXPECT_EQ(UrlEncode("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
}

}  // namespace
}  // namespace cairn
