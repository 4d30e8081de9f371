// The dashboards' static files as the collector serves them: embedded files,
// types, security headers, 404/405, no path traversal, and the hook in the
// request handler.
#include "http/dashboard_assets.h"

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "app/request_handler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ops/log.h"
#include "store/sqlite/sqlite_store.h"
#include "temp_dir.h"

namespace cairn::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

HttpRequest Get(std::string target, std::string method = "GET") {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  return request;
}

std::string HeaderOf(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "<missing>";
}

void ExpectSecurityHeaders(const HttpResponse& response) {
  EXPECT_EQ(HeaderOf(response, "Content-Security-Policy"),
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'");
  EXPECT_EQ(HeaderOf(response, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(response, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-cache");
}

TEST(CollectorDashboardAssetsTest, EveryPageAndAssetIsEmbedded) {
  std::vector<std::string> names;
  for (const auto& [path, content] : EmbeddedWebFiles()) {
    names.emplace_back(path);
    EXPECT_FALSE(content.empty()) << path;
  }
  EXPECT_THAT(names, ::testing::IsSupersetOf({"dashboard/index.html", "dashboard/dashboard.js",
                                              "dashboard/account.js", "customer/index.html",
                                              "customer/customer.js", "assets/cairn.css",
                                              "assets/cairn.js"}));
}

TEST(CollectorDashboardAssetsTest, ServesPagesWithTypesAndSecurityHeaders) {
  struct Case {
    std::string target;
    std::string type;
    std::string marker;
  };
  for (const Case& c : std::vector<Case>{
           {"/dashboard/", "text/html; charset=utf-8", "Accounts, riskiest first"},
           {"/dashboard/index.html", "text/html; charset=utf-8", "<!doctype html>"},
           {"/dashboard/?utm=x", "text/html; charset=utf-8", "/dashboard/dashboard.js"},
           {"/dashboard/dashboard.js", "text/javascript; charset=utf-8", "/v1/accounts"},
           {"/dashboard/account.js", "text/javascript; charset=utf-8", "history-chart"},
           {"/customer/", "text/html; charset=utf-8", "/customer/customer.js"},
           {"/customer/customer.js", "text/javascript; charset=utf-8", "CustomerLink "},
           {"/assets/cairn.css", "text/css; charset=utf-8", "sparkline"},
           {"/assets/cairn.js", "text/javascript; charset=utf-8", "textContent"},
       }) {
    SCOPED_TRACE(c.target);
    HttpResponse response = ServeDashboard(Get(c.target));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, c.type);
    EXPECT_THAT(response.body, HasSubstr(c.marker));
    ExpectSecurityHeaders(response);
  }
}

TEST(CollectorDashboardAssetsTest, PagesLoadNothingFromOutside) {
  for (const auto& [path, content] : EmbeddedWebFiles()) {
    SCOPED_TRACE(std::string(path));
    std::string text(content);
    // The SVG namespace is a name, not a download.
    constexpr std::string_view kSvgNamespace = "http://www.w3.org/2000/svg";
    for (size_t at; (at = text.find(kSvgNamespace)) != std::string::npos;) {
      text.erase(at, kSvgNamespace.size());
    }
    EXPECT_THAT(text, Not(HasSubstr("http://")));
    EXPECT_THAT(text, Not(HasSubstr("https://")));
    EXPECT_THAT(text, Not(HasSubstr("innerHTML")));
    EXPECT_THAT(text, Not(HasSubstr("style=\"")));  // CSP: no inline style
    EXPECT_THAT(text, Not(HasSubstr("<script>")));  // CSP: no inline script
  }
}

// Server strings (task titles, notes, owners, ...) reach the page only as
// text nodes and attribute values (Cairn.el): no script hands a string to
// anything that parses HTML or code.
TEST(CollectorDashboardAssetsTest, ScriptsNeverParseDataAsHtmlOrCode) {
  for (const auto& [path, content] : EmbeddedWebFiles()) {
    SCOPED_TRACE(std::string(path));
    const std::string text(content);
    for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                             "DOMParser", "createContextualFragment", "srcdoc", "eval(",
                             "new Function", "javascript:", "setTimeout(\"", "setInterval("}) {
      EXPECT_THAT(text, Not(HasSubstr(sink))) << sink;
    }
  }
}

// The workflow, NPS and retention views call the endpoints they show, and
// their writes go through the one helper that sends the Authorization
// header (account.js never fetches by itself).
TEST(CollectorDashboardAssetsTest, WorkflowViewsUseTheirEndpoints) {
  std::map<std::string, std::string, std::less<>> files;
  for (const auto& [path, content] : EmbeddedWebFiles()) files.emplace(path, content);
  const std::string& dashboard = files["dashboard/dashboard.js"];
  for (const char* endpoint : {"/v1/tasks?", "/v1/feedback/summary?days=90", "/v1/retention?",
                               "/v1/backtest?", "/tasks`", "/notes`", "/outcomes`"}) {
    EXPECT_THAT(dashboard, HasSubstr(endpoint)) << endpoint;
  }
  EXPECT_THAT(dashboard, HasSubstr("Cairn.sendJson("));
  const std::string& account = files["dashboard/account.js"];
  EXPECT_THAT(account, Not(HasSubstr("fetch(")));
  EXPECT_THAT(account, HasSubstr("api.send(\"POST\", base"));
  EXPECT_THAT(account, HasSubstr("api.send(\"PATCH\""));
  EXPECT_THAT(files["assets/cairn.js"], HasSubstr("\"Authorization\": authorization"));
  for (const char* id : {"id=\"tasks-section\"", "id=\"nps-section\"", "id=\"retention-section\"",
                         "id=\"backtest-section\""}) {
    EXPECT_THAT(files["dashboard/index.html"], HasSubstr(id)) << id;
  }
}

TEST(CollectorDashboardAssetsTest, HeadHasNoBody) {
  HttpResponse response = ServeDashboard(Get("/dashboard/", "HEAD"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(response.body.empty());
  ExpectSecurityHeaders(response);
}

TEST(CollectorDashboardAssetsTest, OtherMethodsAre405) {
  for (std::string method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    HttpResponse response = ServeDashboard(Get("/dashboard/", method));
    EXPECT_EQ(response.status, 405) << method;
    EXPECT_EQ(HeaderOf(response, "Allow"), "GET, HEAD");
    EXPECT_TRUE(response.body.find("<html") == std::string::npos);
  }
}

TEST(CollectorDashboardAssetsTest, UnknownFilesAndTraversalAre404) {
  for (std::string target :
       {"/dashboard/missing.js", "/dashboard/../customer/index.html", "/dashboard/..",
        "/customer/..%2fdashboard/index.html", "/assets/%2e%2e/dashboard/index.html",
        "/dashboard//index.html", "/dashboard/.\\index.html", "/assets/", "/assets",
        "/dashboard/customer/customer.js", "/assets/../../etc/passwd", "/customer/index.html/"}) {
    SCOPED_TRACE(target);
    HttpResponse response = ServeDashboard(Get(target));
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.content_type, "text/plain");
    ExpectSecurityHeaders(response);
  }
}

TEST(CollectorDashboardAssetsTest, BareRootsRedirectToTheSlash) {
  HttpResponse response = ServeDashboard(Get("/customer"));
  EXPECT_EQ(response.status, 308);
  EXPECT_EQ(HeaderOf(response, "Location"), "/customer/");
  EXPECT_EQ(HeaderOf(ServeDashboard(Get("/dashboard?x=1")), "Location"), "/dashboard/");
}

TEST(CollectorDashboardAssetsTest, PathsAndTypes) {
  EXPECT_TRUE(IsDashboardPath("/dashboard"));
  EXPECT_TRUE(IsDashboardPath("/dashboard/x"));
  EXPECT_TRUE(IsDashboardPath("/customer/"));
  EXPECT_TRUE(IsDashboardPath("/assets/cairn.css"));
  EXPECT_FALSE(IsDashboardPath("/dashboards"));
  EXPECT_FALSE(IsDashboardPath("/customerx/"));
  EXPECT_FALSE(IsDashboardPath("/v1/customer/overview"));
  EXPECT_FALSE(IsDashboardPath("/"));
  EXPECT_EQ(WebContentType("a.svg"), "image/svg+xml");
  EXPECT_EQ(WebContentType("a.bin"), "application/octet-stream");
}

// The request handler answers dashboard paths from the header alone (no body
// is read), before the batch route and without a write key.
TEST(CollectorDashboardAssetsTest, RequestHandlerServesThemFromTheHeader) {
  SetLoggingEnabled(false);
  cairn::testing::TempDir dir;
  auto store = SqliteStore::Open(dir.File("c.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  auto keys = WriteKeySet::FromKeys({"dashboard-test-key"});
  ASSERT_TRUE(keys.ok());
  BatchWriter writer(store->get(), BatchWriterOptions{});
  RequestHandler handler(&*keys, &writer, SystemClock(), RequestHandlerOptions{});

  std::optional<HttpResponse> page = handler.CheckHead(Get("/dashboard/"));
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("Accounts, riskiest first"));
  ExpectSecurityHeaders(*page);

  std::optional<HttpResponse> post = handler.CheckHead(Get("/customer/", "POST"));
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->status, 405);
  std::optional<HttpResponse> traversal = handler.CheckHead(Get("/customer/../v1/batch"));
  ASSERT_TRUE(traversal.has_value());
  EXPECT_EQ(traversal->status, 404);
  // Elsewhere nothing changed.
  EXPECT_EQ(handler.CheckHead(Get("/dashboards"))->status, 404);
  writer.Stop();
  SetLoggingEnabled(true);
}

}  // namespace
}  // namespace cairn::collector
