// The dashboards in a real browser: Debian's headless Chromium loads the
// vendor view and customer views from a running cairn-collector seeded over
// HTTP, and the test reads the DOM after the scripts ran (--dump-dom) and
// saves screenshots under ${build}/test-output/browser/. No mock: every
// number on the page comes from the collector's JSON API. The forms (tasks,
// notes, filters, paging) are driven in one browser over the DevTools
// protocol (DevToolsBrowser): typed into and clicked with mouse events, each
// write then checked through the API.
//
// Skips (loudly) only when /usr/bin/chromium is not installed
// (scripts/setup.sh installs it).
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "auth/customer_link.h"
#include "cairn/common/json_value.h"
#include "child_process.h"
#include "collector_process.h"
#include "engagement_seed.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "json_fields.h"
#include "temp_dir.h"
#include "test_batches.h"

#ifndef CAIRN_BROWSER_TEST_OUTPUT
#define CAIRN_BROWSER_TEST_OUTPUT "test-output/browser"
#endif

namespace cairn::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kChromium[] = "/usr/bin/chromium";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// What every Chromium of these tests runs with: headless, no sandbox (a
// container), nothing fetched from the network but the collector.
const std::vector<std::string> kChromiumFlags = {
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
};

// One headless Chromium run with a profile of its own (removed after), its
// stdout into `stdout_path`. Extra arguments come before the URL.
absl::Status RunChromium(const std::string& url, const std::vector<std::string>& extra,
                         const std::string& stdout_path) {
  TempDir profile;
  std::vector<std::string> args = {kChromium};
  args.insert(args.end(), kChromiumFlags.begin(), kChromiumFlags.end());
  args.insert(args.end(), {
                              "--user-data-dir=" + profile.path(),
                              "--virtual-time-budget=10000",
                          });
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(url);
  int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) return absl::InternalError("cannot create " + stdout_path);
  std::string log_path = stdout_path + ".log";
  int err = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  SpawnOptions options;
  options.stdout_fd = out;
  options.stderr_fd = err;
  options.cwd = profile.path();
  absl::StatusOr<pid_t> pid = SpawnChild(args, options);
  ::close(out);
  if (err >= 0) ::close(err);
  if (!pid.ok()) return pid.status();
  // A bound on a hung browser, not a timing assertion.
  std::optional<int> status =
      WaitChildUntil(*pid, std::chrono::steady_clock::now() + std::chrono::seconds(90));
  if (!status) {
    StopChild(*pid, SIGTERM, std::chrono::seconds(5));
    return absl::DeadlineExceededError("chromium did not finish in 90 s; log: " +
                                       FileTail(log_path));
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return absl::InternalError(
        absl::StrCat("chromium failed (wait status ", *status, "); log: ", FileTail(log_path)));
  }
  return absl::OkStatus();
}

class DashboardBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kChromium, X_OK) != 0) {
      GTEST_SKIP() << "SKIPPED: " << kChromium
                   << " is not installed, so the dashboards are NOT tested in a browser. "
                      "Install Debian's chromium (scripts/setup.sh does).";
    }
    // Chromium writes caches and config under these: keep them in the temp dir.
    setenv("HOME", dir_.path().c_str(), 1);
    setenv("XDG_CONFIG_HOME", dir_.File("config").c_str(), 1);
    setenv("XDG_CACHE_HOME", dir_.File("cache").c_str(), 1);
    output_dir_ = CAIRN_BROWSER_TEST_OUTPUT;
    std::filesystem::create_directories(output_dir_);
    auto collector = StartSeedCollectorWithRoles(dir_);
    ASSERT_TRUE(collector.ok()) << collector.status();
    collector_ = *std::move(collector);
    absl::Status seeded = SeedAccounts(collector_->base_url());
    ASSERT_TRUE(seeded.ok()) << seeded;
  }
  void TearDown() override {
    if (collector_ != nullptr) {
      EXPECT_TRUE(collector_->Stop().ok());
    }
  }

  // The DOM of `path` after its scripts ran; `extra` Chromium flags (e.g. a
  // window size) before the URL.
  std::string Dom(const std::string& path, const std::string& name,
                  std::vector<std::string> extra = {}) {
    std::string file = dir_.File(name + ".html");
    extra.push_back("--dump-dom");
    absl::Status run = RunChromium(collector_->base_url() + path, extra, file);
    EXPECT_TRUE(run.ok()) << run;
    std::string dom = ReadFile(file);
    // Kept next to the screenshots for a person to look at.
    std::ofstream(output_dir_ + "/" + name + ".html") << dom;
    return dom;
  }

  // Saves a PNG of `path` (1280x900 unless `size` says otherwise) as
  // output_dir_/name.png and checks it is one.
  void Screenshot(const std::string& path, const std::string& name,
                  const std::string& size = "1280,900") {
    std::string png = output_dir_ + "/" + name + ".png";
    std::filesystem::remove(png);
    absl::Status run =
        RunChromium(collector_->base_url() + path,
                    {"--screenshot=" + png, "--window-size=" + size, "--hide-scrollbars"},
                    dir_.File(name + ".out"));
    ASSERT_TRUE(run.ok()) << run;
    std::string bytes = ReadFile(png);
    ASSERT_GT(bytes.size(), 1000u) << png;
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << png;
  }

  TempDir dir_;
  std::string output_dir_;
  std::unique_ptr<CollectorProcess> collector_;
};

TEST_F(DashboardBrowserTest, VendorViewListsTheRiskiestAccountFirst) {
  std::string dom = Dom(absl::StrCat("/dashboard/#token=", kSeedAdminToken), "vendor");
  ASSERT_THAT(dom, HasSubstr("data-state=\"ready\"")) << dom;
  // The accounts table: globex (dropping, poor) first, acme (thriving) after.
  size_t table = dom.find("id=\"accounts\"");
  ASSERT_NE(table, std::string::npos);
  size_t first_row = dom.find("data-account=\"", table);
  ASSERT_NE(first_row, std::string::npos) << dom;
  EXPECT_EQ(dom.substr(first_row, 21), "data-account=\"globex\"");
  EXPECT_NE(dom.find("data-account=\"initech\"", table), std::string::npos);
  size_t globex = dom.find("data-account=\"globex\"", table);
  size_t acme = dom.find("data-account=\"acme\"", table);
  ASSERT_NE(globex, std::string::npos) << dom;
  ASSERT_NE(acme, std::string::npos) << dom;
  EXPECT_LT(globex, acme) << "the riskiest account must come first";
  // Its row: band as text in a coloured badge, and a weekly-logins sparkline.
  std::string globex_row = dom.substr(globex, dom.find("</tr>", globex) - globex);
  EXPECT_THAT(globex_row, HasSubstr("class=\"badge band-poor\">poor</span>"));
  EXPECT_THAT(globex_row, HasSubstr("<svg class=\"sparkline"));
  EXPECT_THAT(globex_row, HasSubstr("<polyline points=\""));
  std::string acme_row = dom.substr(acme, dom.find("</tr>", acme) - acme);
  EXPECT_THAT(acme_row, Not(HasSubstr("band-poor")));
  // Open alerts: globex's drop, not acme.
  size_t alerts = dom.find("id=\"alerts\"");
  ASSERT_NE(alerts, std::string::npos);
  std::string alerts_table = dom.substr(alerts, dom.find("</table>", alerts) - alerts);
  EXPECT_THAT(alerts_table, HasSubstr("data-account=\"globex\""));
  EXPECT_THAT(alerts_table, Not(HasSubstr("data-account=\"acme\"")));
  EXPECT_THAT(globex_row, HasSubstr("class=\"badge severity-"));
  // Renewals within 90 days: acme and globex, the sooner (acme) first;
  // initech renews in 120 days.
  size_t renewals = dom.find("id=\"renewals\"");
  ASSERT_NE(renewals, std::string::npos);
  size_t acme_renewal = dom.find("data-account=\"acme\"", renewals);
  size_t globex_renewal = dom.find("data-account=\"globex\"", renewals);
  ASSERT_NE(acme_renewal, std::string::npos);
  ASSERT_NE(globex_renewal, std::string::npos);
  EXPECT_LT(acme_renewal, globex_renewal);
  std::string renewals_table = dom.substr(renewals, dom.find("</table>", renewals) - renewals);
  EXPECT_THAT(renewals_table, Not(HasSubstr("data-account=\"initech\"")));
  // The token is nowhere in the page.
  EXPECT_THAT(dom, Not(HasSubstr(kSeedAdminToken)));

  Screenshot(absl::StrCat("/dashboard/#token=", kSeedAdminToken), "vendor");
}

TEST_F(DashboardBrowserTest, VendorViewRefusesAWrongToken) {
  std::string dom = Dom("/dashboard/#token=not-the-admin-token", "vendor-wrong-token");
  EXPECT_THAT(dom, HasSubstr("data-state=\"error\""));
  EXPECT_THAT(dom, HasSubstr("Token refused"));
  EXPECT_THAT(dom, Not(HasSubstr("data-account=")));
}

TEST_F(DashboardBrowserTest, CustomerViewShowsItsOwnMilestonesOnly) {
  absl::StatusOr<std::string> token = CustomerLinkToken(collector_->base_url(), kThriving);
  ASSERT_TRUE(token.ok()) << token.status();
  std::string dom = Dom("/customer/#token=" + *token, "customer-acme");
  ASSERT_THAT(dom, HasSubstr("data-state=\"ready\"")) << dom;
  size_t timeline = dom.find("<ol class=\"timeline\"");
  ASSERT_NE(timeline, std::string::npos) << dom;
  std::string items = dom.substr(timeline, dom.find("</ol>", timeline) - timeline);
  // Every milestone acme reached, in the order reached (first_invoice 50
  // days ago, first_report 40 days ago, invoice_sent today).
  size_t previous = 0;
  for (const std::string& name : kThrivingMilestones) {
    size_t at = items.find("data-milestone=\"" + name + "\"");
    ASSERT_NE(at, std::string::npos) << name << " missing from " << items;
    EXPECT_GT(at, previous) << name;
    previous = at;
  }
  EXPECT_THAT(items, HasSubstr("First invoice"));
  // The goal with its progress bar: 4 of 10.
  EXPECT_THAT(dom, HasSubstr("Send 10 invoices"));
  EXPECT_THAT(dom, HasSubstr("role=\"progressbar\""));
  EXPECT_THAT(dom, HasSubstr("aria-valuenow=\"40\""));
  EXPECT_THAT(dom, HasSubstr("4 / 10"));
  // Nothing of globex.
  EXPECT_THAT(dom, Not(HasSubstr(kDroppingMilestone)));
  EXPECT_THAT(dom, Not(HasSubstr("Globex pipeline built")));
  EXPECT_THAT(dom, Not(HasSubstr("globex")));

  Screenshot("/customer/#token=" + *token, "customer-acme");
}

// A link for acme whose account part says globex: the signature no longer
// matches, the page shows the invalid-link message and no data at all.
TEST_F(DashboardBrowserTest, TamperedCustomerLinkCannotReachAnotherAccount) {
  absl::StatusOr<std::string> token = CustomerLinkToken(collector_->base_url(), kThriving);
  ASSERT_TRUE(token.ok()) << token.status();
  std::string tampered = SwapTokenAccount(*token, kDropping);
  ASSERT_NE(tampered, *token);

  // The data endpoint itself refuses it; an account parameter is no way round.
  absl::StatusOr<HttpResult> direct = HttpGet(collector_->base_url() + "/v1/customer/overview",
                                              {"Authorization: CustomerLink " + tampered});
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->status, 401);
  EXPECT_THAT(direct->body, Not(HasSubstr(kDroppingMilestone)));
  absl::StatusOr<HttpResult> with_param =
      HttpGet(collector_->base_url() + "/v1/customer/overview?account_id=globex",
              {"Authorization: CustomerLink " + *token});
  ASSERT_TRUE(with_param.ok());
  EXPECT_THAT(with_param->body, Not(HasSubstr(kDroppingMilestone)));
  EXPECT_THAT(with_param->body, Not(HasSubstr("\"globex\"")));

  std::string dom = Dom("/customer/#token=" + tampered, "customer-tampered");
  EXPECT_THAT(dom, HasSubstr("data-state=\"invalid\""));
  EXPECT_THAT(dom, HasSubstr("This link is not valid or has expired."));
  EXPECT_THAT(dom, Not(HasSubstr(kDroppingMilestone)));
  EXPECT_THAT(dom, Not(HasSubstr("first_invoice")));
  EXPECT_THAT(dom, Not(HasSubstr("data-milestone")));

  Screenshot("/customer/#token=" + tampered, "customer-tampered");
}

// A correctly signed link that expired an hour ago: the API answers 403 and
// the page shows the same message as for a forged link, nothing else.
TEST_F(DashboardBrowserTest, ExpiredCustomerLinkShowsOnlyTheInvalidMessage) {
  std::string expired =
      cairn::collector::SignCustomerLink(kSeedHashKey, kThriving, absl::Now() - absl::Hours(1));
  absl::StatusOr<HttpResult> direct = HttpGet(collector_->base_url() + "/v1/customer/overview",
                                              {"Authorization: CustomerLink " + expired});
  ASSERT_TRUE(direct.ok());
  ASSERT_EQ(direct->status, 403) << direct->body;  // signed right, only late

  std::string dom = Dom("/customer/#token=" + expired, "customer-expired");
  EXPECT_THAT(dom, HasSubstr("data-state=\"invalid\""));
  EXPECT_THAT(dom, HasSubstr("This link is not valid or has expired."));
  EXPECT_THAT(dom, Not(HasSubstr("data-milestone")));
  EXPECT_THAT(dom, Not(HasSubstr("Send 10 invoices")));
}

// ---- the account list's controls, the account page, CSV, the phone layout ----

// Context for the three seeded accounts; globex's plan carries markup, which
// must show as text.
void SetContext(const std::string& base_url) {
  for (const auto& [account, body] : std::vector<std::pair<std::string, std::string>>{
           {"acme", R"({"owner": "Bea", "plan": "starter", "arr": 1200, "segments": ["apac"]})"},
           {"globex",
            R"({"owner": "Ana", "plan": "<i>enterprise</i>", "arr": 24000, "segments": ["emea"]})"},
           {"initech", R"({"owner": "Ana", "plan": "starter", "arr": 6000})"}}) {
    absl::StatusOr<HttpResult> put = AdminCall(base_url, "PUT", "/v1/accounts/" + account, body);
    ASSERT_TRUE(put.ok()) << put.status();
    ASSERT_EQ(put->status, 200) << put->body;
  }
}

// The accounts table's markup (from its id to its end).
std::string AccountsTable(const std::string& dom) {
  size_t table = dom.find("id=\"accounts\"");
  if (table == std::string::npos) return "";
  return dom.substr(table, dom.find("</table>", table) - table);
}

// The value of attribute `name` of the element with id `id` in `dom`, with
// the serializer's &amp; undone.
std::string AttributeOf(const std::string& dom, const std::string& id, const std::string& name) {
  size_t element = dom.find("id=\"" + id + "\"");
  if (element == std::string::npos) return "";
  size_t tag = dom.rfind('<', element);
  size_t end_of_tag = dom.find('>', element);
  size_t at = dom.find(" " + name + "=\"", tag);
  if (at == std::string::npos || at > end_of_tag) return "";
  at += name.size() + 3;
  std::string value = dom.substr(at, dom.find('"', at) - at);
  for (size_t amp; (amp = value.find("&amp;")) != std::string::npos;) value.replace(amp, 5, "&");
  return value;
}

TEST_F(DashboardBrowserTest, AccountPageShowsFactorsHistoryAndContext) {
  SetContext(collector_->base_url());
  std::string path = absl::StrCat("/dashboard/#token=", kSeedAdminToken, "&q=glob&account=globex");
  std::string dom = Dom(path, "vendor-account-globex");
  ASSERT_THAT(dom, HasSubstr("data-state=\"ready\"")) << dom;
  EXPECT_THAT(dom, HasSubstr("Account globex"));
  // The four factors and the two optional ones, each with its own row.
  for (const char* factor :
       {"frequency", "trend", "breadth", "time_to_value", "dependence", "nps"}) {
    EXPECT_THAT(dom, HasSubstr(absl::StrCat("data-factor=\"", factor, "\""))) << factor;
  }
  // The optional factors are not weighed by the built-in model: shown, with
  // why, but not counted.
  EXPECT_THAT(dom, ContainsRegex("<td class=\"reason\">(the busiest user holds [0-9]+% of "
                                 "[0-9]+ logins|no logins in the last 28 days)"));
  EXPECT_THAT(dom, HasSubstr("<td class=\"reason\">not read: NPS has no weight in this health "
                             "model</td>"));
  EXPECT_THAT(dom, Not(HasSubstr("id=\"health-profile\"")));  // not a young account
  EXPECT_THAT(dom, HasSubstr("class=\"badge band-poor\">poor</span>"));
  // Each factor says why in a line of its own.
  EXPECT_THAT(dom, HasSubstr("<th scope=\"col\">Why</th>"));
  EXPECT_THAT(dom, ContainsRegex("<td class=\"reason\">logins on [0-9]+ of the last 14 days</td>"));
  EXPECT_THAT(dom, ContainsRegex("<td class=\"reason\">[0-9]+ (of [0-9]+ seats|users) active"));
  // The history chart from /history: an SVG with at least one day plotted.
  size_t chart = dom.find("id=\"history-chart\"");
  ASSERT_NE(chart, std::string::npos) << dom;
  std::string chart_svg = dom.substr(chart, dom.find("</svg>", chart) - chart);
  EXPECT_THAT(chart_svg, HasSubstr("<polyline class=\"score-line\" points=\""));
  EXPECT_THAT(chart_svg, HasSubstr("<circle class=\"day band-poor\""));
  // Its band guides are the health model's thresholds: the built-in ones.
  EXPECT_THAT(chart_svg, HasSubstr("data-guide=\"40\""));
  EXPECT_THAT(chart_svg, HasSubstr("data-guide=\"70\""));
  // Context, milestone, open alert, and the marked gap for per-user data.
  EXPECT_THAT(dom, HasSubstr("<dd>Ana</dd>"));
  EXPECT_THAT(dom, HasSubstr("<dd>24,000</dd>"));
  EXPECT_THAT(dom, HasSubstr("<dd>&lt;i&gt;enterprise&lt;/i&gt;</dd>"));
  EXPECT_THAT(dom, Not(HasSubstr("<i>enterprise")));
  EXPECT_THAT(dom, HasSubstr(absl::StrCat("data-milestone=\"", kDroppingMilestone, "\"")));
  EXPECT_THAT(dom, HasSubstr("id=\"account-alert\""));
  // The users (from /users): globex-user-1 logged in 3 days ago too, so it
  // has the most active days of the last 28 and is the marked champion; the
  // four share the logins, so no dependence warning.
  size_t users = dom.find("id=\"users\"");
  ASSERT_NE(users, std::string::npos) << dom;
  std::string users_table = dom.substr(users, dom.find("</table>", users) - users);
  for (int u = 1; u <= 4; ++u) {
    EXPECT_THAT(users_table, HasSubstr(absl::StrCat("data-user=\"globex-user-", u, "\"")));
  }
  EXPECT_THAT(users_table, HasSubstr("<tr data-user=\"globex-user-1\" class=\"champion\">"));
  EXPECT_THAT(users_table, HasSubstr("champion</span>"));
  EXPECT_THAT(users_table, HasSubstr("<th scope=\"col\">Last seen</th>"));
  EXPECT_THAT(dom, HasSubstr("id=\"users-champion\""));
  EXPECT_THAT(dom, Not(HasSubstr("id=\"users-dependence\"")));
  EXPECT_THAT(dom, Not(HasSubstr("users-gap")));
  // Nothing of acme; the list is hidden; "back" returns to the search.
  EXPECT_THAT(dom, Not(HasSubstr("first_invoice")));
  EXPECT_THAT(AccountsTable(dom), Not(HasSubstr("data-account=")));
  EXPECT_EQ(AttributeOf(dom, "account-back", "href"), "#q=glob");
  EXPECT_THAT(dom, Not(HasSubstr(kSeedAdminToken)));

  Screenshot(path, "vendor-account-globex");

  // With the vendor's own thresholds the guides move with them.
  absl::StatusOr<HttpResult> set = AdminCall(collector_->base_url(), "PUT", "/v1/health-model",
                                             R"({"good_at": 80, "watch_at": 55})");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->status, 200) << set->body;
  std::string moved = Dom(path, "vendor-account-globex-own-thresholds");
  size_t moved_chart = moved.find("id=\"history-chart\"");
  ASSERT_NE(moved_chart, std::string::npos) << moved;
  std::string moved_svg =
      moved.substr(moved_chart, moved.find("</svg>", moved_chart) - moved_chart);
  EXPECT_THAT(moved_svg, HasSubstr("data-guide=\"80\""));
  EXPECT_THAT(moved_svg, HasSubstr("data-guide=\"55\""));
  EXPECT_THAT(moved_svg, Not(HasSubstr("data-guide=\"70\"")));
  absl::StatusOr<HttpResult> reset =
      AdminCall(collector_->base_url(), "DELETE", "/v1/health-model");
  ASSERT_TRUE(reset.ok()) << reset.status();
  EXPECT_EQ(reset->status, 200) << reset->body;
}

TEST_F(DashboardBrowserTest, AccountPageWarnsOfSingleUserDependence) {
  // hooli: boss logs in 4 times a day on 6 days, intern once.
  const absl::Time now = absl::Now();
  std::vector<cairn::v1::Event> events;
  for (int d = 0; d < 6; ++d) {
    for (int i = 0; i < 4; ++i) {
      events.push_back(
          MakeLogin("hooli", "boss", now - absl::Hours(24 * d) - absl::Milliseconds(i)));
    }
  }
  events.push_back(MakeLogin("hooli", "intern", now - absl::Hours(2)));
  ASSERT_TRUE(PostEvents(collector_->base_url(), std::move(events)).ok());
  std::string path = absl::StrCat("/dashboard/#token=", kSeedAdminToken, "&account=hooli");
  std::string dom = Dom(path, "vendor-account-dependence");
  ASSERT_THAT(dom, HasSubstr("data-state=\"ready\"")) << dom;
  size_t warning = dom.find("id=\"users-dependence\"");
  ASSERT_NE(warning, std::string::npos) << dom;
  EXPECT_THAT(dom.substr(warning, dom.find("</p>", warning) - warning),
              HasSubstr("One user holds 96% of the last 28 days"));
  EXPECT_THAT(dom, HasSubstr("<tr data-user=\"boss\" class=\"champion\">"));
  EXPECT_LT(dom.find("data-user=\"boss\""), dom.find("data-user=\"intern\""));
  // Tall enough to show the Users section below the health, history, tasks,
  // notes, NPS and outcomes.
  Screenshot(path, "vendor-account-dependence", "1280,2800");
  // The warning wraps on a phone: nothing reaches past the viewport.
  std::string phone =
      Dom(path, "vendor-phone-account-dependence", {"--window-size=390,844", "--hide-scrollbars"});
  ASSERT_THAT(phone, HasSubstr("data-state=\"ready\"")) << phone;
  EXPECT_THAT(phone, HasSubstr("id=\"users-dependence\""));
  EXPECT_THAT(phone, HasSubstr("data-wide-elements=\"0\""));
}

TEST_F(DashboardBrowserTest, AccountListSearchesAndFiltersOnTheServer) {
  SetContext(collector_->base_url());
  std::string search =
      Dom(absl::StrCat("/dashboard/#token=", kSeedAdminToken, "&q=GLOB"), "vendor-search-glob");
  ASSERT_THAT(search, HasSubstr("data-state=\"ready\"")) << search;
  std::string table = AccountsTable(search);
  EXPECT_THAT(table, HasSubstr("data-account=\"globex\""));
  EXPECT_THAT(table, Not(HasSubstr("data-account=\"acme\"")));
  EXPECT_THAT(table, Not(HasSubstr("data-account=\"initech\"")));
  EXPECT_THAT(search, HasSubstr("1-1 of 1"));
  // The context columns, escaped.
  EXPECT_THAT(table, HasSubstr(">Ana</td>"));
  EXPECT_THAT(table, HasSubstr(">&lt;i&gt;enterprise&lt;/i&gt;</td>"));
  EXPECT_THAT(table, HasSubstr(">24,000</td>"));
  EXPECT_THAT(table, HasSubstr(">emea</td>"));

  std::string filtered =
      Dom(absl::StrCat("/dashboard/#token=", kSeedAdminToken, "&owner=Ana&plan=starter"),
          "vendor-filter-owner-plan");
  ASSERT_THAT(filtered, HasSubstr("data-state=\"ready\"")) << filtered;
  table = AccountsTable(filtered);
  EXPECT_THAT(table, HasSubstr("data-account=\"initech\""));
  EXPECT_THAT(table, Not(HasSubstr("data-account=\"acme\"")));
  EXPECT_THAT(table, Not(HasSubstr("data-account=\"globex\"")));

  // Sorted by id: acme, globex, initech, and the range counts all three.
  std::string sorted = Dom(absl::StrCat("/dashboard/#token=", kSeedAdminToken, "&sort=account_id"),
                           "vendor-sort-id");
  table = AccountsTable(sorted);
  size_t acme = table.find("data-account=\"acme\"");
  size_t globex = table.find("data-account=\"globex\"");
  size_t initech = table.find("data-account=\"initech\"");
  ASSERT_NE(acme, std::string::npos) << sorted;
  ASSERT_NE(initech, std::string::npos) << sorted;
  EXPECT_LT(acme, globex);
  EXPECT_LT(globex, initech);
  EXPECT_THAT(sorted, HasSubstr("1-3 of 3"));
  // From offset 2 (the API's page token) only initech is left.
  std::string paged =
      Dom(absl::StrCat("/dashboard/#token=", kSeedAdminToken, "&sort=account_id&from=2"),
          "vendor-page");
  EXPECT_THAT(paged, HasSubstr("3-3 of 3"));
  table = AccountsTable(paged);
  EXPECT_THAT(table, HasSubstr("data-account=\"initech\""));
  EXPECT_THAT(table, Not(HasSubstr("data-account=\"acme\"")));
  // Renewals show ARR; the forecast has months.
  size_t renewals = sorted.find("id=\"renewals\"");
  ASSERT_NE(renewals, std::string::npos);
  EXPECT_THAT(sorted.substr(renewals, sorted.find("</table>", renewals) - renewals),
              HasSubstr(">24,000</td>"));
  EXPECT_THAT(sorted, HasSubstr("data-month=\""));
}

// The button's fetch path is the list's own query with format=csv; fetched
// with the admin token (as the page does, in a header) it holds only the
// matching accounts.
TEST_F(DashboardBrowserTest, CsvExportFetchesTheListsQuery) {
  SetContext(collector_->base_url());
  std::string dom =
      Dom(absl::StrCat("/dashboard/#token=", kSeedAdminToken, "&q=glob"), "vendor-csv");
  ASSERT_THAT(dom, HasSubstr("data-state=\"ready\"")) << dom;
  std::string path = AttributeOf(dom, "accounts-csv", "data-csv-path");
  EXPECT_EQ(path, "/v1/accounts?q=glob&format=csv");
  EXPECT_THAT(path, Not(HasSubstr("token")));
  absl::StatusOr<HttpResult> csv = HttpGet(
      collector_->base_url() + path, {absl::StrCat("Authorization: Bearer ", kSeedAdminToken)});
  ASSERT_TRUE(csv.ok()) << csv.status();
  ASSERT_EQ(csv->status, 200) << csv->body;
  EXPECT_THAT(csv->body, HasSubstr("globex"));
  EXPECT_THAT(csv->body, Not(HasSubstr("acme")));
  EXPECT_THAT(csv->body, Not(HasSubstr("initech")));
  std::string renewals = AttributeOf(dom, "renewals-csv", "data-csv-path");
  EXPECT_THAT(renewals, HasSubstr("/v1/renewals/upcoming?q=glob&"));
  EXPECT_THAT(renewals, HasSubstr("format=csv"));
}

// ---- a browser driven over the DevTools protocol ----

// The JSON string literal starting at json[at] (its opening quote), decoded;
// nullopt if it does not parse.
std::optional<std::string> JsonUnquote(std::string_view json, size_t at) {
  if (at >= json.size() || json[at] != '"') return std::nullopt;
  std::string out;
  for (size_t i = at + 1; i < json.size(); ++i) {
    char c = json[i];
    if (c == '"') return out;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= json.size()) return std::nullopt;
    switch (json[i]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        if (i + 4 >= json.size()) return std::nullopt;
        uint32_t code = std::stoul(std::string(json.substr(i + 1, 4)), nullptr, 16);
        i += 4;
        if (code >= 0xD800 && code <= 0xDBFF && i + 6 < json.size() && json[i + 1] == '\\' &&
            json[i + 2] == 'u') {
          uint32_t low = std::stoul(std::string(json.substr(i + 3, 4)), nullptr, 16);
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        }
        // UTF-8.
        if (code < 0x80) {
          out += static_cast<char>(code);
        } else if (code < 0x800) {
          out += static_cast<char>(0xC0 | (code >> 6));
          out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
          out += static_cast<char>(0xE0 | (code >> 12));
          out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
          out += static_cast<char>(0xF0 | (code >> 18));
          out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
          out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (code & 0x3F));
        }
        break;
      }
      default:  // " \ /
        out += json[i];
    }
  }
  return std::nullopt;
}

// Headless Chromium controlled over --remote-debugging-pipe (the DevTools
// protocol as NUL-separated JSON on fds 3 and 4): the test types into the
// page's inputs (Input.insertText) and clicks its buttons with mouse events
// at their place on screen (Input.dispatchMouseEvent), as a person would,
// then reads the DOM. One browser, one tab at a time.
class DevToolsBrowser {
 public:
  static absl::StatusOr<std::unique_ptr<DevToolsBrowser>> Launch(const std::string& profile,
                                                                 const std::string& log_path) {
    int to_chrome[2], from_chrome[2];
    if (::pipe2(to_chrome, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
    if (::pipe2(from_chrome, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
    std::vector<std::string> args = {kChromium};
    args.insert(args.end(), kChromiumFlags.begin(), kChromiumFlags.end());
    args.insert(args.end(), {
                                "--remote-debugging-pipe",
                                "--window-size=1280,900",
                                "--user-data-dir=" + profile,
                                "about:blank",
                            });
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid = ::fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      // Out of the way of 3 and 4 first, then into them (dup2 clears CLOEXEC).
      int in = ::fcntl(to_chrome[0], F_DUPFD, 10);
      int out = ::fcntl(from_chrome[1], F_DUPFD, 10);
      ::dup2(null_in, 0);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      ::dup2(in, 3);
      ::dup2(out, 4);
      ::chdir(profile.c_str());
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(to_chrome[0]);
    ::close(from_chrome[1]);
    if (log >= 0) ::close(log);
    if (null_in >= 0) ::close(null_in);
    auto browser = std::unique_ptr<DevToolsBrowser>(
        new DevToolsBrowser(pid, to_chrome[1], from_chrome[0], log_path));
    absl::StatusOr<std::string> target =
        browser->Call("Target.createTarget", R"({"url":"about:blank"})", /*in_page=*/false);
    if (!target.ok()) return target.status();
    std::optional<std::string> target_id = StringField(*target, "targetId");
    if (!target_id) return absl::InternalError("no targetId in " + *target);
    absl::StatusOr<std::string> attached =
        browser->Call("Target.attachToTarget",
                      absl::StrCat(R"({"targetId":)", JsonQuote(*target_id), R"(,"flatten":true})"),
                      /*in_page=*/false);
    if (!attached.ok()) return attached.status();
    std::optional<std::string> session = StringField(*attached, "sessionId");
    if (!session) return absl::InternalError("no sessionId in " + *attached);
    browser->session_ = *session;
    return browser;
  }

  ~DevToolsBrowser() {
    (void)Call("Browser.close", "{}", /*in_page=*/false);
    ::close(to_chrome_);
    ::close(from_chrome_);
    if (!WaitChildUntil(pid_, std::chrono::steady_clock::now() + std::chrono::seconds(10))) {
      StopChild(pid_, SIGKILL, std::chrono::seconds(5));
    }
  }

  // Opens `url` (through about:blank, so a URL differing only in its
  // fragment loads afresh) and waits until the page's data-state is past
  // "loading". Returns that state.
  absl::StatusOr<std::string> Open(const std::string& url) {
    for (const std::string& to : {std::string("about:blank"), url}) {
      absl::StatusOr<std::string> navigated =
          Call("Page.navigate", absl::StrCat(R"({"url":)", JsonQuote(to), "}"));
      if (!navigated.ok()) return navigated.status();
    }
    return WaitFor(
        "document.body && document.body.dataset.state && document.body.dataset.state !== "
        "'loading' && location.href !== 'about:blank' ? document.body.dataset.state : ''");
  }

  // Evaluates `expression` in the page (awaiting a promise) and returns its
  // value as a string.
  absl::StatusOr<std::string> Eval(const std::string& expression) {
    absl::StatusOr<std::string> answer =
        Call("Runtime.evaluate", absl::StrCat(R"({"expression":)", JsonQuote(expression),
                                              R"(,"awaitPromise":true,"returnByValue":true})"));
    if (!answer.ok()) return answer.status();
    if (answer->find("\"exceptionDetails\"") != std::string::npos) {
      return absl::InternalError("the page threw: " + *answer);
    }
    size_t result = answer->find("\"result\":{\"result\":");
    if (result == std::string::npos) return absl::InternalError("no result in " + *answer);
    size_t value = answer->find("\"value\":", result);
    if (value == std::string::npos) return std::string();
    std::optional<std::string> text = JsonUnquote(*answer, value + 8);
    if (!text) return absl::InternalError("not a string: " + *answer);
    return *text;
  }

  // Waits (in the page, up to 20 s: a bound on a hang, not a timing
  // assertion) until `condition` is a non-empty string, and returns it;
  // "timeout" if it never is.
  absl::StatusOr<std::string> WaitFor(const std::string& condition) {
    const std::string poll = absl::StrCat(
        "new Promise((resolve) => { const t0 = Date.now(); (function poll() { let v = '';"
        " try { v = String((",
        condition,
        ") || ''); } catch (e) { v = ''; }"
        " if (v) resolve(v); else if (Date.now() - t0 > 20000) resolve('timeout');"
        " else setTimeout(poll, 20); })(); })");
    // A navigation under way can destroy the context the poll runs in: ask again.
    absl::StatusOr<std::string> value;
    for (int attempt = 0; attempt < 5; ++attempt) {
      value = Eval(poll);
      if (value.ok()) return value;
    }
    return value;
  }

  // Types `text` into the element `selector` names, as keyboard input.
  absl::Status Type(const std::string& selector, const std::string& text) {
    absl::StatusOr<std::string> focused =
        Eval(absl::StrCat("(() => { const e = document.querySelector(", JsonQuote(selector),
                          "); if (!e) return 'missing'; e.focus(); return document.activeElement"
                          " === e ? 'ok' : 'not focused'; })()"));
    if (!focused.ok()) return focused.status();
    if (*focused != "ok") return absl::NotFoundError(selector + ": " + *focused);
    return Call("Input.insertText", absl::StrCat(R"({"text":)", JsonQuote(text), "}")).status();
  }

  // A mouse click in the middle of the element `selector` names, scrolled
  // into view first; fails if another element covers that point.
  absl::Status Click(const std::string& selector) {
    absl::StatusOr<std::string> where =
        Eval(absl::StrCat("(() => { const e = document.querySelector(", JsonQuote(selector),
                          "); if (!e) return 'missing'; e.scrollIntoView({block: 'center'});"
                          " const r = e.getBoundingClientRect(); const x = r.left + r.width / 2,"
                          " y = r.top + r.height / 2; const hit = document.elementFromPoint(x, y);"
                          " if (!hit || !(hit === e || e.contains(hit))) return 'covered';"
                          " return Math.round(x) + ',' + Math.round(y); })()"));
    if (!where.ok()) return where.status();
    size_t comma = where->find(',');
    if (comma == std::string::npos) return absl::NotFoundError(selector + ": " + *where);
    const std::string x = where->substr(0, comma), y = where->substr(comma + 1);
    for (const char* type : {"mousePressed", "mouseReleased"}) {
      absl::Status s = Call("Input.dispatchMouseEvent",
                            absl::StrCat(R"({"type":")", type, R"(","x":)", x, R"(,"y":)", y,
                                         R"(,"button":"left","clickCount":1})"))
                           .status();
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Saves a PNG of the whole page (not only the window) as it is now.
  absl::Status Screenshot(const std::string& path) {
    absl::StatusOr<std::string> height =
        Eval("String(Math.ceil(document.documentElement.scrollHeight))");
    if (!height.ok()) return height.status();
    absl::StatusOr<std::string> shot =
        Call("Page.captureScreenshot",
             absl::StrCat(R"({"format":"png","captureBeyondViewport":true,"clip":{"x":0,"y":0,)",
                          R"("width":1280,"height":)", *height, R"(,"scale":1}})"));
    if (!shot.ok()) return shot.status();
    std::optional<std::string> data = StringField(*shot, "data");
    std::string png;
    if (!data || !absl::Base64Unescape(*data, &png) || png.rfind("\x89PNG", 0) != 0) {
      return absl::InternalError("no PNG in the answer");
    }
    std::ofstream(path, std::ios::binary) << png;
    return absl::OkStatus();
  }

  // The page's DOM as HTML.
  absl::StatusOr<std::string> Dom() { return Eval("document.documentElement.outerHTML"); }

  // Runs `script` in every document the tab opens from now on, before the
  // page's own scripts (DevTools is not bound by the page's CSP).
  absl::Status AddScriptOnLoad(const std::string& script) {
    if (absl::Status enabled = Call("Page.enable", "{}").status(); !enabled.ok()) return enabled;
    return Call("Page.addScriptToEvaluateOnNewDocument",
                absl::StrCat(R"({"source":)", JsonQuote(script), "}"))
        .status();
  }

 private:
  DevToolsBrowser(pid_t pid, int to_chrome, int from_chrome, std::string log_path)
      : pid_(pid),
        to_chrome_(to_chrome),
        from_chrome_(from_chrome),
        log_path_(std::move(log_path)) {}

  // The string value of the first "key" in `json`.
  static std::optional<std::string> StringField(const std::string& json, const std::string& key) {
    size_t at = json.find("\"" + key + "\":");
    if (at == std::string::npos) return std::nullopt;
    return JsonUnquote(json, at + key.size() + 3);
  }

  // Sends one command (to the page's session unless `in_page` is false) and
  // returns its answer, skipping the events in between. Each read waits at
  // most 60 s: a bound on a hung browser.
  absl::StatusOr<std::string> Call(const std::string& method, const std::string& params,
                                   bool in_page = true) {
    const int id = ++last_id_;
    std::string message =
        absl::StrCat(R"({"id":)", id, R"(,"method":)", JsonQuote(method), R"(,"params":)", params);
    if (in_page) absl::StrAppend(&message, R"(,"sessionId":)", JsonQuote(session_));
    message += '}';
    message += '\0';
    for (size_t sent = 0; sent < message.size();) {
      ssize_t n = ::write(to_chrome_, message.data() + sent, message.size() - sent);
      if (n <= 0)
        return absl::InternalError("chromium closed its pipe; log: " + FileTail(log_path_));
      sent += static_cast<size_t>(n);
    }
    const std::string prefix = absl::StrCat(R"({"id":)", id, ",");
    for (;;) {
      size_t end;
      while ((end = buffer_.find('\0')) == std::string::npos) {
        pollfd readable{from_chrome_, POLLIN, 0};
        if (::poll(&readable, 1, 60000) <= 0) {
          return absl::DeadlineExceededError(method +
                                             ": no answer in 60 s; log: " + FileTail(log_path_));
        }
        char chunk[65536];
        ssize_t n = ::read(from_chrome_, chunk, sizeof chunk);
        if (n <= 0) return absl::InternalError("chromium exited; log: " + FileTail(log_path_));
        buffer_.append(chunk, static_cast<size_t>(n));
      }
      std::string reply = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      if (reply.rfind(prefix, 0) != 0) continue;  // an event, or another answer
      if (reply.find("\"error\":{") != std::string::npos &&
          reply.find("\"result\":") == std::string::npos) {
        return absl::InternalError(method + " failed: " + reply);
      }
      return reply;
    }
  }

  pid_t pid_;
  int to_chrome_;
  int from_chrome_;
  std::string log_path_;
  std::string session_;
  std::string buffer_;
  int last_id_ = 0;
};

// ---- tasks, notes, NPS, retention and the backtest ----

std::string DateIn(int days) {
  return absl::FormatTime("%Y-%m-%d", absl::Now() + absl::Hours(24 * days), absl::UTCTimeZone());
}

// The text of `html` without its tags, entities undone, spaces collapsed.
std::string TextOf(std::string_view html) {
  std::string text;
  bool in_tag = false;
  for (char c : html) {
    if (c == '<') in_tag = true;
    if (!in_tag) text += c;
    if (c == '>') in_tag = false;
  }
  for (const auto& [entity, plain] :
       {std::pair{"&lt;", "<"}, std::pair{"&gt;", ">"}, std::pair{"&quot;", "\""},
        std::pair{"&nbsp;", " "}, std::pair{"&amp;", "&"}}) {
    for (size_t at; (at = text.find(entity)) != std::string::npos;)
      text.replace(at, strlen(entity), plain);
  }
  std::string out;
  for (char c : text) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The markup of the element whose start tag holds `marker`, up to `end_tag`.
std::string ElementAt(const std::string& dom, const std::string& marker,
                      const std::string& end_tag) {
  size_t at = dom.find(marker);
  if (at == std::string::npos) return "";
  size_t start = dom.rfind('<', at);
  return dom.substr(start, dom.find(end_tag, at) - start);
}

// The cells' text of the table row whose <tr> holds `marker` (after
// `from`, e.g. a table's id).
std::vector<std::string> RowCells(const std::string& dom, const std::string& from,
                                  const std::string& marker) {
  size_t table = dom.find(from);
  if (table == std::string::npos) return {};
  size_t row = dom.find(marker, table);
  if (row == std::string::npos) return {};
  std::string tr = dom.substr(row, dom.find("</tr>", row) - row);
  std::vector<std::string> cells;
  for (size_t at = tr.find("<t"); at != std::string::npos;) {
    size_t next = std::min(tr.find("<td", at + 1), tr.find("<th", at + 1));
    cells.push_back(
        TextOf(tr.substr(at, next == std::string::npos ? std::string::npos : next - at)));
    at = next;
  }
  return cells;
}

// As the page writes them: a ratio as a whole percent (n/a for null), an
// amount with thousands separators and no decimals.
std::string Percent(const std::string& raw) {
  if (raw == "null" || raw == "<missing>") return "n/a";
  return absl::StrCat(std::lround(std::stod(raw) * 100), "%");
}
std::string Money(const std::string& raw) {
  std::string digits = absl::StrCat(std::llround(std::stod(raw)));
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(at, ",");
  return digits;
}

// A count as the page shows it: proto JSON leaves out a zero.
std::string CountOf(std::string_view json, std::string_view key) {
  std::string raw = RawValue(json, key);
  return raw == "<missing>" ? "0" : raw;
}

// The `{...}` object of the JSON array item whose "key" is "value".
std::string ItemWith(const std::string& json, const std::string& key, const std::string& value) {
  size_t at = json.find(absl::StrCat("{\"", key, "\":\"", value, "\""));
  if (at == std::string::npos) return "";
  return json.substr(at, json.find('}', at) - at + 1);
}

// A task created through the API (admin token); its id, "" on failure.
std::string CreateTask(const std::string& base_url, const std::string& account,
                       const std::string& body) {
  absl::StatusOr<HttpResult> made =
      AdminCall(base_url, "POST", "/v1/accounts/" + account + "/tasks", body);
  EXPECT_TRUE(made.ok()) << made.status();
  if (!made.ok()) return "";
  EXPECT_EQ(made->status, 201) << made->body;
  std::vector<std::string> ids = StringValues(made->body, "task_id");
  return ids.empty() ? "" : ids.front();
}

// The JSON answer of an admin GET (empty, and a failure, unless 200).
std::string AdminGet(const std::string& base_url, const std::string& path) {
  absl::StatusOr<HttpResult> got = AdminCall(base_url, "GET", path);
  EXPECT_TRUE(got.ok()) << got.status();
  if (!got.ok()) return "";
  EXPECT_EQ(got->status, 200) << path << ": " << got->body;
  return got->body;
}

// The id of `account`'s open alert.
std::string OpenAlertId(const std::string& base_url, const std::string& account) {
  std::string detail = AdminGet(base_url, "/v1/accounts/" + account);
  std::vector<std::string> ids = StringValues(Section(detail, "open_alert"), "alert_id");
  EXPECT_FALSE(ids.empty()) << detail;
  return ids.empty() ? "" : ids.front();
}

// Survey answers (latest per user counts): globex NPS 10, 9, 7, 3 and CSAT
// 4, 5; acme NPS 10. Overall NPS (3 - 1) / 5 = +40, globex's (2 - 1) / 4 = +25.
void SeedFeedback(const std::string& base_url) {
  const absl::Time now = absl::Now();
  std::vector<cairn::v1::Event> events;
  int minute = 1;
  for (const auto& [user, score] : std::vector<std::pair<std::string, int>>{{"globex-user-1", 10},
                                                                            {"globex-user-2", 9},
                                                                            {"globex-user-3", 7},
                                                                            {"globex-user-4", 3}}) {
    events.push_back(MakeFeedback(kDropping, user, cairn::v1::FEEDBACK_KIND_NPS, score,
                                  now - absl::Minutes(minute++)));
  }
  events.push_back(MakeFeedback(kDropping, "globex-user-1", cairn::v1::FEEDBACK_KIND_CSAT, 4,
                                now - absl::Minutes(minute++)));
  events.push_back(MakeFeedback(kDropping, "globex-user-2", cairn::v1::FEEDBACK_KIND_CSAT, 5,
                                now - absl::Minutes(minute++)));
  events.push_back(MakeFeedback(kThriving, "acme-user-1", cairn::v1::FEEDBACK_KIND_NPS, 10,
                                now - absl::Minutes(minute++)));
  absl::Status posted = PostEvents(base_url, std::move(events));
  ASSERT_TRUE(posted.ok()) << posted;
}

// Today's renewals: acme renewed, globex churned, initech expanded. Health
// was evaluated today (SeedAccounts), so the backtest at 0 days knows bands.
void SeedOutcomes(const std::string& base_url) {
  const std::string today = DateIn(0);
  for (const auto& [account, rest] : std::vector<std::pair<std::string, std::string>>{
           {"acme", R"("outcome": "renewed", "arr_before": 1200)"},
           {"globex", R"("outcome": "churned", "arr_before": 24000)"},
           {"initech", R"("outcome": "expanded", "arr_before": 6000, "arr_after": 9000)"}}) {
    absl::StatusOr<HttpResult> put =
        AdminCall(base_url, "POST", "/v1/accounts/" + account + "/outcomes",
                  absl::StrCat(R"({"renewal_date": ")", today, R"(", )", rest, "}"));
    ASSERT_TRUE(put.ok()) << put.status();
    ASSERT_EQ(put->status, 201) << put->body;
  }
}

// The NPS facts the page shows for `scores` (a FeedbackScores object).
void ExpectNpsFacts(const std::string& dom, const std::string& id, std::string_view scores) {
  std::string box = ElementAt(dom, "id=\"" + id + "\"", "</dl>");
  ASSERT_FALSE(box.empty()) << dom;
  std::string_view inner = scores.substr(scores.find('{'));
  const std::string nps = RawValue(inner, "nps");
  ASSERT_NE(nps, "null") << "the seeded answers must give an NPS: " << scores;
  EXPECT_THAT(box, HasSubstr(absl::StrFormat("data-nps=\"%.1f\"", std::stod(nps))));
  for (const auto& [term, key] :
       {std::pair{"NPS responses", "nps_responses"}, std::pair{"Promoters (9-10)", "promoters"},
        std::pair{"Passives (7-8)", "passives"}, std::pair{"Detractors (0-6)", "detractors"},
        std::pair{"CSAT responses", "csat_responses"}}) {
    EXPECT_THAT(box,
                HasSubstr(absl::StrCat("<dt>", term, "</dt><dd>", CountOf(inner, key), "</dd>")))
        << term;
  }
  const std::string csat = RawValue(inner, "csat_mean");
  if (csat == "null") {
    EXPECT_THAT(box, HasSubstr("<dt>CSAT mean (1-5)</dt><dd>no answers</dd>"));
  } else {
    EXPECT_THAT(box, HasSubstr(absl::StrFormat("data-csat=\"%.2f\"", std::stod(csat))));
  }
}

// Tasks seeded through the API across accounts, survey answers and renewal
// outcomes: the account page and the main view show what the API answers.
TEST_F(DashboardBrowserTest, TasksNotesNpsRetentionAndBacktestShowTheApisFigures) {
  const std::string base = collector_->base_url();
  SetContext(base);
  const std::string alert_id = OpenAlertId(base, kDropping);
  const std::string overdue =
      CreateTask(base, kDropping,
                 absl::StrCat(R"({"title": "Call the champion", "owner": "maria", "due": ")",
                              DateIn(-1), R"("})"));
  const std::string from_alert =
      CreateTask(base, kDropping,
                 absl::StrCat(R"({"title": "Review the usage drop", "due": ")", DateIn(5),
                              R"(", "alert_id": ")", alert_id, R"("})"));
  const std::string done = CreateTask(
      base, kDropping,
      absl::StrCat(R"({"title": "Send <b>QBR</b> deck", "due": ")", DateIn(10), R"("})"));
  const std::string acme_task =
      CreateTask(base, kThriving,
                 absl::StrCat(R"({"title": "Plan the renewal call", "owner": "maria", "due": ")",
                              DateIn(2), R"("})"));
  absl::StatusOr<HttpResult> patched =
      AdminCall(base, "PATCH", "/v1/accounts/globex/tasks/" + done, R"({"status": "done"})");
  ASSERT_TRUE(patched.ok());
  ASSERT_EQ(patched->status, 200) << patched->body;
  for (const std::string text :
       {"Renewal risk: <script>x</script> champion left", "Kick-off held"}) {
    absl::StatusOr<HttpResult> note = AdminCall(base, "POST", "/v1/accounts/globex/notes",
                                                absl::StrCat(R"({"text": ")", text, R"("})"));
    ASSERT_TRUE(note.ok());
    ASSERT_EQ(note->status, 201) << note->body;
  }
  SeedFeedback(base);
  SeedOutcomes(base);

  // ---- the account page ----
  std::string account = Dom(absl::StrCat("/dashboard/#token=", kSeedAdminToken, "&account=globex"),
                            "vendor-account-workflow");
  ASSERT_THAT(account, HasSubstr("data-state=\"ready\"")) << account;
  // Tasks as the API lists them, open ones first (soonest due first), then done.
  std::string api_tasks = AdminGet(base, "/v1/accounts/globex/tasks");
  EXPECT_EQ(StringValues(api_tasks, "task_id").size(), 3u) << api_tasks;
  EXPECT_THAT(ItemWith(api_tasks, "task_id", done), HasSubstr(R"("status":"done")"));
  size_t at_overdue = account.find("<tr data-task=\"" + overdue + "\"");
  size_t at_alert = account.find("<tr data-task=\"" + from_alert + "\"");
  size_t at_done = account.find("<tr data-task=\"" + done + "\"");
  ASSERT_NE(at_overdue, std::string::npos) << account;
  ASSERT_NE(at_alert, std::string::npos) << account;
  ASSERT_NE(at_done, std::string::npos) << account;
  EXPECT_LT(at_overdue, at_alert);
  EXPECT_LT(at_alert, at_done);
  std::vector<std::string> overdue_row =
      RowCells(account, "id=\"tasks\"", "data-task=\"" + overdue);
  EXPECT_EQ(overdue_row,
            (std::vector<std::string>{"Call the champion", "maria", DateIn(-1) + " overdue", "open",
                                      overdue_row.size() > 4 ? overdue_row[4] : "", "Done"}));
  EXPECT_THAT(overdue_row.size() > 4 ? overdue_row[4] : "", HasSubstr(kSeedAdminName));
  std::vector<std::string> alert_row =
      RowCells(account, "id=\"tasks\"", "data-task=\"" + from_alert);
  ASSERT_GE(alert_row.size(), 4u);
  EXPECT_EQ(alert_row[0], "Review the usage drop from alert");
  EXPECT_EQ(alert_row[1], "nobody");
  EXPECT_EQ(alert_row[2], DateIn(5));
  std::string done_row = ElementAt(account, "data-task=\"" + done + "\"", "</tr>");
  EXPECT_THAT(done_row, HasSubstr("data-status=\"done\""));
  EXPECT_THAT(done_row, HasSubstr("Send &lt;b&gt;QBR&lt;/b&gt; deck"));
  EXPECT_THAT(done_row, Not(HasSubstr("task-done-button")));
  EXPECT_THAT(done_row, Not(HasSubstr("overdue")));
  EXPECT_THAT(account, HasSubstr("id=\"task-form\""));
  EXPECT_THAT(account, HasSubstr("id=\"task-from-alert\""));
  // Notes newest first, escaped, with the author.
  std::string notes = ElementAt(account, "id=\"notes\"", "</ul>");
  size_t kickoff = notes.find("Kick-off held");
  size_t risk = notes.find("Renewal risk: &lt;script&gt;x&lt;/script&gt; champion left");
  ASSERT_NE(kickoff, std::string::npos) << account;
  ASSERT_NE(risk, std::string::npos) << account;
  EXPECT_LT(kickoff, risk);
  EXPECT_THAT(notes, HasSubstr(absl::StrCat("<strong>", kSeedAdminName, "</strong>")));
  EXPECT_THAT(account, Not(HasSubstr("<script>x")));
  // NPS of the account: the detail's block, figure for figure.
  std::string detail = AdminGet(base, "/v1/accounts/globex");
  // The account's own NPS block, after the health factors (which have an
  // "nps" factor of their own).
  const size_t nps_block = detail.rfind("\"nps\":{\"");
  ASSERT_NE(nps_block, std::string::npos) << detail;
  ExpectNpsFacts(account, "account-nps", std::string_view(detail).substr(nps_block));
  EXPECT_THAT(account, HasSubstr("data-nps=\"25.0\""));  // (2 promoters - 1 detractor) / 4
  // Its renewal outcome.
  EXPECT_EQ(RowCells(account, "id=\"outcomes\"", "data-renewal=\"" + DateIn(0)).size(), 5u);
  EXPECT_THAT(ElementAt(account, "id=\"outcomes\"", "</table>"),
              HasSubstr("class=\"badge outcome-churned\">churned</span>"));

  // ---- the main view ----
  std::string main_view =
      Dom(absl::StrCat("/dashboard/#token=", kSeedAdminToken, "&bdays=0"), "vendor-workflow");
  ASSERT_THAT(main_view, HasSubstr("data-state=\"ready\"")) << main_view;
  // Open tasks of every account, soonest due first; the done one is not there.
  std::string all_tasks = ElementAt(main_view, "id=\"all-tasks\"", "</table>");
  std::string api_open = AdminGet(base, "/v1/tasks?status=open&limit=25");
  std::vector<std::string> api_order = StringValues(api_open, "task_id");
  EXPECT_EQ(api_order, (std::vector<std::string>{overdue, acme_task, from_alert}));
  size_t previous = 0;
  for (const std::string& id : api_order) {
    size_t at = all_tasks.find("data-task=\"" + id + "\"");
    ASSERT_NE(at, std::string::npos) << id << " missing from " << all_tasks;
    EXPECT_GT(at, previous) << id;
    previous = at;
  }
  EXPECT_THAT(all_tasks, Not(HasSubstr(done)));
  std::vector<std::string> first =
      RowCells(main_view, "id=\"all-tasks\"", "data-task=\"" + overdue);
  EXPECT_EQ(first, (std::vector<std::string>{DateIn(-1) + " overdue", "globex", "Call the champion",
                                             "maria", kSeedAdminName}));
  EXPECT_THAT(ElementAt(main_view, "data-task=\"" + acme_task + "\"", "</tr>"),
              HasSubstr("href=\"#bdays=0&amp;account=acme\""));
  EXPECT_THAT(main_view, HasSubstr("3 shown</span>"));
  EXPECT_THAT(ElementAt(main_view, "id=\"tasks-next\"", ">"), HasSubstr("disabled"));
  // NPS of every account.
  std::string summary = AdminGet(base, "/v1/feedback/summary?days=90");
  ExpectNpsFacts(main_view, "nps-overall", Section(summary, "overall"));
  EXPECT_THAT(main_view, HasSubstr("data-nps=\"40.0\""));
  // Retention: the total row and this month's, figure for figure.
  std::string retention = AdminGet(base, "/v1/retention?months=12");
  std::string total(Section(retention, "total"));
  std::vector<std::string> expected_total = {"All months"};
  for (const char* key : {"renewals", "renewed", "churned", "downgraded", "expanded"}) {
    expected_total.push_back(CountOf(total, key));
  }
  expected_total.push_back(Money(RawValue(total, "arr_before")));
  expected_total.push_back(Money(RawValue(total, "arr_after")));
  for (const char* key : {"gross_retention", "net_retention", "churn_rate"}) {
    expected_total.push_back(Percent(RawValue(total, key)));
  }
  EXPECT_EQ(RowCells(main_view, "id=\"retention\"", "data-month=\"all\""), expected_total);
  EXPECT_EQ(expected_total[1], "3");
  const std::string month = DateIn(0).substr(0, 7);
  std::vector<std::string> month_row =
      RowCells(main_view, "id=\"retention\"", "data-month=\"" + month + "\"");
  ASSERT_EQ(month_row.size(), 11u) << main_view;
  EXPECT_EQ(std::vector<std::string>(month_row.begin() + 1, month_row.end()),
            std::vector<std::string>(expected_total.begin() + 1, expected_total.end()));
  // The backtest at 0 days: each band's row and precision and recall.
  std::string backtest = AdminGet(base, "/v1/backtest?days_before=0&months=12");
  for (const char* band : {"poor", "watch", "good", "unknown"}) {
    SCOPED_TRACE(band);
    std::string item = ItemWith(backtest, "band", band);
    ASSERT_FALSE(item.empty()) << backtest;
    std::vector<std::string> row =
        RowCells(main_view, "id=\"backtest\"", absl::StrCat("data-band=\"", band, "\""));
    ASSERT_EQ(row.size(), 7u) << main_view;
    EXPECT_EQ(row[0], band);
    EXPECT_EQ(row[1], CountOf(item, "renewals"));
    EXPECT_EQ(row[2], CountOf(item, "renewed"));
    EXPECT_EQ(row[3], CountOf(item, "churned"));
    EXPECT_EQ(row[4], CountOf(item, "downgraded"));
    EXPECT_EQ(row[5], CountOf(item, "expanded"));
  }
  EXPECT_EQ(TextOf(ElementAt(main_view, "id=\"backtest-precision\"", "</dd>")),
            Percent(RawValue(backtest, "precision")));
  EXPECT_EQ(TextOf(ElementAt(main_view, "id=\"backtest-recall\"", "</dd>")),
            Percent(RawValue(backtest, "recall")));
  EXPECT_THAT(ElementAt(main_view, "id=\"backtest-days\"", "</span>"), HasSubstr(">0"));
  // globex was poor today and churned: a poor renewal lost.
  EXPECT_EQ(CountOf(ItemWith(backtest, "band", "poor"), "churned"), "1") << backtest;
  EXPECT_THAT(main_view, Not(HasSubstr(kSeedAdminToken)));
}

// The `{...}` object in `json` around the first "key":"value".
std::string ObjectWith(const std::string& json, const std::string& key, const std::string& value) {
  size_t at = json.find(absl::StrCat("\"", key, "\":\"", value, "\""));
  if (at == std::string::npos) return "";
  size_t start = json.rfind('{', at);
  return json.substr(start, json.find('}', at) - start + 1);
}

// The task and note forms and the Done button driven in a real browser:
// typed into and clicked (DevToolsBrowser), each write checked through the
// API; the same page with a read-only token has no write control at all
// (its role from GET /v1/whoami), a CSM's has them all. Then the all-tasks
// list's owner filter and its Next page.
TEST_F(DashboardBrowserTest, TaskAndNoteFormsWriteThroughTheApi) {
  const std::string base = collector_->base_url();
  const std::string seeded =
      CreateTask(base, kDropping, R"({"title": "Call the champion", "owner": "maria"})");
  const std::string alert_id = OpenAlertId(base, kDropping);
  TempDir profile;
  auto launched = DevToolsBrowser::Launch(profile.path(), dir_.File("devtools.log"));
  ASSERT_TRUE(launched.ok()) << launched.status();
  DevToolsBrowser& page = **launched;
  const std::string account_page =
      absl::StrCat(base, "/dashboard/#token=", kSeedAdminToken, "&account=globex");
  absl::StatusOr<std::string> state = page.Open(account_page);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(*state, "ready");
  absl::StatusOr<std::string> listed = page.WaitFor(
      absl::StrCat("document.querySelector('#tasks tr[data-task=\"", seeded, "\"]') ? 'yes' : ''"));
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(*listed, "yes");
  // The tasks' status line once it says `expected` or a failure.
  auto tasks_status = [](const std::string& expected) {
    return absl::StrCat("(t => t === '", expected,
                        "' || /^(Refused|Failed|Could not)/.test(t) ? t : '')"
                        "(document.getElementById('tasks-status').textContent)");
  };

  // A new task: typed, the date picked, the button clicked.
  ASSERT_TRUE(page.Type("#task-title", "Book the QBR").ok());
  ASSERT_TRUE(page.Type("#task-owner", "maria").ok());
  ASSERT_TRUE(
      page.Eval(absl::StrCat("document.getElementById('task-due').value = '", DateIn(3), "'"))
          .ok());
  ASSERT_TRUE(page.Click("#task-form button[type=submit]").ok());
  absl::StatusOr<std::string> added = page.WaitFor(tasks_status("Task added."));
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(*added, "Task added.");
  std::string tasks = AdminGet(base, "/v1/accounts/globex/tasks");
  std::string made = ObjectWith(tasks, "title", "Book the QBR");
  ASSERT_FALSE(made.empty()) << tasks;
  EXPECT_THAT(made, HasSubstr(R"("owner":"maria")"));
  EXPECT_THAT(made, HasSubstr(absl::StrCat(R"("due":")", DateIn(3), "\"")));
  EXPECT_THAT(made, HasSubstr(R"("status":"open")"));
  EXPECT_THAT(made, HasSubstr(absl::StrCat(R"("created_by":")", kSeedAdminName, "\"")));
  EXPECT_THAT(made, HasSubstr(R"("alert_id":null)"));
  const std::string made_id = StringValues(made, "task_id").front();
  // The list was fetched again: the new row is there, the form is empty.
  absl::StatusOr<std::string> row = page.Eval(absl::StrCat(
      "(r => r ? r.dataset.status + '|' + document.getElementById('task-title').value : 'none')"
      "(document.querySelector('#tasks tr[data-task=\"",
      made_id, "\"]'))"));
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(*row, "open|");

  // Done on the seeded task.
  ASSERT_TRUE(page.Click(absl::StrCat("button.task-done-button[data-task=\"", seeded, "\"]")).ok());
  absl::StatusOr<std::string> marked = page.WaitFor(tasks_status("Task marked done."));
  ASSERT_TRUE(marked.ok()) << marked.status();
  EXPECT_EQ(*marked, "Task marked done.");
  EXPECT_THAT(ObjectWith(AdminGet(base, "/v1/accounts/globex/tasks"), "task_id", seeded),
              HasSubstr(R"("status":"done")"));
  absl::StatusOr<std::string> done_row = page.Eval(absl::StrCat(
      "(r => r.dataset.status + '|' + (r.querySelector('button') ? 'button' : 'no button'))"
      "(document.querySelector('#tasks tr[data-task=\"",
      seeded, "\"]'))"));
  ASSERT_TRUE(done_row.ok()) << done_row.status();
  EXPECT_EQ(*done_row, "done|no button");

  // A task from the open alert: the button fills the form with it.
  ASSERT_TRUE(page.Click("#task-from-alert").ok());
  absl::StatusOr<std::string> prefilled = page.Eval(
      "document.getElementById('task-title').value + '|' + "
      "document.getElementById('task-alert').textContent");
  ASSERT_TRUE(prefilled.ok()) << prefilled.status();
  EXPECT_THAT(*prefilled, HasSubstr("usage alert|from the "));
  ASSERT_TRUE(page.Click("#task-form button[type=submit]").ok());
  added = page.WaitFor(tasks_status("Task added."));
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(*added, "Task added.");
  tasks = AdminGet(base, "/v1/accounts/globex/tasks");
  std::string from_alert = ObjectWith(tasks, "alert_id", alert_id);
  ASSERT_FALSE(from_alert.empty()) << tasks;
  const std::string from_alert_id = StringValues(from_alert, "task_id").front();
  absl::StatusOr<std::string> marker = page.Eval(absl::StrCat(
      "(r => r ? r.textContent : 'none')(document.querySelector('#tasks tr[data-task=\"",
      from_alert_id, "\"] .from-alert'))"));
  ASSERT_TRUE(marker.ok()) << marker.status();
  EXPECT_EQ(*marker, "from alert");

  // A note.
  ASSERT_TRUE(page.Type("#note-text", "Champion moved teams; <b>new</b> contact").ok());
  ASSERT_TRUE(page.Click("#note-form button[type=submit]").ok());
  absl::StatusOr<std::string> noted = page.WaitFor(
      "(s => s.textContent && s.textContent !== 'Saving…' ? s.textContent : '')"
      "(document.getElementById('notes-status'))");
  ASSERT_TRUE(noted.ok()) << noted.status();
  EXPECT_EQ(*noted, "Note added.");
  std::string notes = AdminGet(base, "/v1/accounts/globex/notes");
  EXPECT_THAT(notes, HasSubstr(absl::StrCat(R"("author":")", kSeedAdminName, "\"")));
  EXPECT_THAT(notes, HasSubstr("Champion moved teams"));
  absl::StatusOr<std::string> dom = page.Dom();
  ASSERT_TRUE(dom.ok()) << dom.status();
  EXPECT_THAT(*dom, HasSubstr("Champion moved teams; &lt;b&gt;new&lt;/b&gt; contact"));
  std::ofstream(output_dir_ + "/vendor-account-forms.html") << *dom;
  EXPECT_TRUE(page.Screenshot(output_dir_ + "/vendor-account-forms.png").ok());

  // A read-only token: the lists as before, but no form or button that
  // writes is in the DOM, and each part says why.
  const std::string write_controls =
      "['#task-form', '#task-title', '#task-from-alert', 'button.task-done-button', '#note-form',"
      " '#note-text', '#tasks-read-only', '#notes-read-only']"
      ".map(s => document.querySelectorAll(s).length).join(',')";
  state = page.Open(absl::StrCat(base, "/dashboard/#token=", kSeedReadToken, "&account=globex"));
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(*state, "ready");
  absl::StatusOr<std::string> controls = page.Eval(write_controls);
  ASSERT_TRUE(controls.ok()) << controls.status();
  EXPECT_EQ(*controls, "0,0,0,0,0,0,1,1");
  // ... and the task table has no Done column: the header's cells and every
  // row's (as "header/distinct row lengths").
  const std::string task_columns =
      "document.querySelectorAll('#tasks thead th').length + '/' + [...new Set("
      "[...document.querySelectorAll('#tasks tbody tr')].map(r => r.children.length))].join(',')";
  absl::StatusOr<std::string> columns = page.Eval(task_columns);
  ASSERT_TRUE(columns.ok()) << columns.status();
  EXPECT_EQ(*columns, "5/5");
  absl::StatusOr<std::string> read_dom = page.Dom();
  ASSERT_TRUE(read_dom.ok()) << read_dom.status();
  EXPECT_THAT(*read_dom, HasSubstr(absl::StrCat("<tr data-task=\"", made_id, "\"")));
  EXPECT_THAT(*read_dom, HasSubstr("id=\"account-alert\""));
  EXPECT_THAT(*read_dom, HasSubstr("Champion moved teams"));
  EXPECT_THAT(*read_dom, HasSubstr("Read-only token: tasks are shown, not added or marked done."));
  EXPECT_THAT(*read_dom, Not(HasSubstr("Add task")));
  EXPECT_THAT(*read_dom, Not(HasSubstr("Add note")));
  std::ofstream(output_dir_ + "/vendor-account-read-only.html") << *read_dom;
  EXPECT_TRUE(page.Screenshot(output_dir_ + "/vendor-account-read-only.png").ok());
  // A CSM's token: every control (one Done button per open task).
  state = page.Open(absl::StrCat(base, "/dashboard/#token=", kSeedCsmToken, "&account=globex"));
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(*state, "ready");
  controls = page.Eval(write_controls);
  ASSERT_TRUE(controls.ok()) << controls.status();
  EXPECT_EQ(*controls, "1,1,1,2,1,1,0,0");
  columns = page.Eval(task_columns);
  ASSERT_TRUE(columns.ok()) << columns.status();
  EXPECT_EQ(*columns, "6/6");

  // The main view: 25 more open tasks (initech, owner ana) make a second
  // page; the owner filter narrows to maria's. With survey answers and
  // outcomes too, for the screenshot of the whole view.
  for (int i = 0; i < 25; ++i) {
    CreateTask(base, kSteady,
               absl::StrCat(R"({"title": "Check in )", i, R"(", "owner": "ana", "due": ")",
                            DateIn(20 + i), R"("})"));
  }
  SeedFeedback(base);
  SeedOutcomes(base);
  state = page.Open(absl::StrCat(base, "/dashboard/#token=", kSeedAdminToken, "&bdays=0"));
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(*state, "ready");
  EXPECT_TRUE(page.Screenshot(output_dir_ + "/vendor-workflow.png").ok());
  const std::string shown_ids =
      "[...document.querySelectorAll('#all-tasks tbody tr')].map(r => r.dataset.task).join(',')";
  std::string first_page = AdminGet(base, "/v1/tasks?status=open&limit=25");
  absl::StatusOr<std::string> shown = page.Eval(shown_ids);
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(*shown, absl::StrJoin(StringValues(first_page, "task_id"), ","));
  std::string token = RawValue(first_page, "next_page_token");
  ASSERT_NE(token, "\"\"") << first_page;
  std::string second_page = AdminGet(base, "/v1/tasks?status=open&limit=25&page_token=" +
                                               UrlEncode(token.substr(1, token.size() - 2)));
  const std::string second_ids = absl::StrJoin(StringValues(second_page, "task_id"), ",");
  ASSERT_FALSE(second_ids.empty()) << second_page;
  // Waits for the list to show `ids`; what it shows if it never does.
  auto list_shows = [&](const std::string& ids) {
    return page.WaitFor(absl::StrCat("document.body.dataset.state === 'ready' && (", shown_ids,
                                     ") === '", ids, "' ? 'shown' : ''"));
  };
  ASSERT_TRUE(page.Click("#tasks-next").ok());
  shown = list_shows(second_ids);
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(*shown, "shown") << page.Eval(shown_ids).value_or("?");
  EXPECT_THAT(page.Eval("location.hash").value_or(""), HasSubstr("tfrom="));

  // maria's open tasks: the one typed above (the seeded one is done).
  EXPECT_EQ(StringValues(AdminGet(base, "/v1/tasks?status=open&owner=maria"), "task_id"),
            std::vector<std::string>{made_id});
  ASSERT_TRUE(page.Type("#t-owner", "maria").ok());
  ASSERT_TRUE(page.Click("#tasks-filter button[type=submit]").ok());
  shown = list_shows(made_id);
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(*shown, "shown") << page.Eval(shown_ids).value_or("?");
  EXPECT_THAT(page.Eval("location.hash").value_or(""), HasSubstr("towner=maria"));
}

// A read-only token whose GET /v1/whoami fails (the browser's fetch of it
// answers 500): the page cannot tell the role, so it keeps every write
// control and still renders; the server's 403 stays the guard.
TEST_F(DashboardBrowserTest, WriteControlsStayWhenWhoAmIFails) {
  const std::string base = collector_->base_url();
  CreateTask(base, kDropping, R"({"title": "Call the champion", "owner": "maria"})");
  TempDir profile;
  auto launched = DevToolsBrowser::Launch(profile.path(), dir_.File("devtools.log"));
  ASSERT_TRUE(launched.ok()) << launched.status();
  DevToolsBrowser& page = **launched;
  ASSERT_TRUE(page.AddScriptOnLoad("const realFetch = window.fetch; window.fetch = (path, init) =>"
                                   " String(path).startsWith('/v1/whoami')"
                                   " ? Promise.resolve(new Response('whoami broke', {status: 500}))"
                                   " : realFetch(path, init);")
                  .ok());
  absl::StatusOr<std::string> state =
      page.Open(absl::StrCat(base, "/dashboard/#token=", kSeedReadToken, "&account=globex"));
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(*state, "ready");
  absl::StatusOr<std::string> controls = page.Eval(
      "['#task-form', '#task-from-alert', 'button.task-done-button', '#note-form',"
      " '#tasks-read-only'].map(s => document.querySelectorAll(s).length).join(',')");
  ASSERT_TRUE(controls.ok()) << controls.status();
  EXPECT_EQ(*controls, "1,1,1,1,0");
}

// One section's call fails while the others answer: a page token the
// tasks API refuses (400, as a stale bookmark would carry) shows "Could not
// load" with the collector's reason in the open-tasks section only, and
// every other section shows the API's data.
TEST_F(DashboardBrowserTest, OneFailingSectionLeavesTheOthersShowingTheirData) {
  const std::string base = collector_->base_url();
  CreateTask(base, kDropping, R"({"title": "Call the champion", "owner": "maria"})");
  SeedFeedback(base);
  SeedOutcomes(base);
  constexpr char kBadPage[] = "not-a-page-token";
  absl::StatusOr<HttpResult> direct =
      AdminCall(base, "GET", absl::StrCat("/v1/tasks?status=open&limit=25&page_token=", kBadPage));
  ASSERT_TRUE(direct.ok()) << direct.status();
  ASSERT_EQ(direct->status, 400) << direct->body;
  const std::string reason(absl::StripTrailingAsciiWhitespace(direct->body));

  const std::string path = absl::StrCat("/dashboard/#token=", kSeedAdminToken, "&tfrom=", kBadPage);
  std::string dom = Dom(path, "vendor-one-section-failed");
  ASSERT_THAT(dom, HasSubstr("data-state=\"ready\"")) << dom;
  // The failing section: its reason shown, no rows and no "No open tasks."
  std::string error = ElementAt(dom, "id=\"all-tasks-error\"", "</p>");
  EXPECT_THAT(error.substr(0, error.find('>')), Not(HasSubstr("hidden"))) << error;
  EXPECT_EQ(TextOf(error), absl::StrCat("Could not load: the collector answered 400: ", reason));
  EXPECT_THAT(ElementAt(dom, "id=\"all-tasks\"", ">"), HasSubstr("hidden"));
  EXPECT_THAT(ElementAt(dom, "id=\"all-tasks-empty\"", ">"), HasSubstr("hidden"));
  EXPECT_THAT(ElementAt(dom, "id=\"all-tasks\"", "</table>"), Not(HasSubstr("data-task=")));
  // Only there.
  size_t failures = 0;
  for (size_t at = dom.find("Could not load"); at != std::string::npos;
       at = dom.find("Could not load", at + 1)) {
    ++failures;
  }
  EXPECT_EQ(failures, 1u) << dom;
  for (const char* id : {"nps-error", "retention-error", "backtest-error"}) {
    EXPECT_THAT(ElementAt(dom, absl::StrCat("id=\"", id, "\""), ">"), HasSubstr("hidden")) << id;
  }
  // The other sections hold the API's data.
  EXPECT_THAT(ElementAt(dom, "id=\"accounts\"", "</table>"), HasSubstr("data-account=\"globex\""));
  EXPECT_THAT(ElementAt(dom, "id=\"alerts\"", "</table>"), HasSubstr("data-account=\"globex\""));
  EXPECT_THAT(ElementAt(dom, "id=\"renewals\"", "</table>"), HasSubstr("data-account=\"acme\""));
  EXPECT_THAT(dom, HasSubstr("data-nps=\"40.0\""));
  EXPECT_EQ(RowCells(dom, "id=\"retention\"", "data-month=\"all\"").size(), 11u) << dom;
  EXPECT_EQ(RowCells(dom, "id=\"backtest\"", "data-band=\"poor\"").size(), 7u) << dom;
  Screenshot(path, "vendor-one-section-failed", "1280,2400");
}

// At phone width (asked for 390 px) no element outside a scroll box reaches past the viewport,
// on the list and on an account page, with every section filled (a long
// task title and an unbroken note among them).
TEST_F(DashboardBrowserTest, PhoneLayoutFitsANarrowScreen) {
  const std::string base = collector_->base_url();
  SetContext(base);
  CreateTask(base, kDropping,
             absl::StrCat(R"({"title": "Prepare the renewal pack with the usage numbers of the )",
                          R"(last four quarters", "owner": "maria", "due": ")", DateIn(-2),
                          R"(", "alert_id": ")", OpenAlertId(base, kDropping), R"("})"));
  absl::StatusOr<HttpResult> note =
      AdminCall(base, "POST", "/v1/accounts/globex/notes",
                absl::StrCat(R"({"text": ")", std::string(120, 'x'), R"("})"));
  ASSERT_TRUE(note.ok());
  ASSERT_EQ(note->status, 201) << note->body;
  SeedFeedback(base);
  SeedOutcomes(base);
  for (const std::string& view : {std::string(""), std::string("&account=globex")}) {
    SCOPED_TRACE(view);
    std::string path = absl::StrCat("/dashboard/#token=", kSeedAdminToken, view);
    std::string name = view.empty() ? "vendor-phone" : "vendor-phone-account";
    std::string dom = Dom(path, name, {"--window-size=390,844", "--hide-scrollbars"});
    ASSERT_THAT(dom, HasSubstr("data-state=\"ready\"")) << dom;
    // Headless Chromium keeps its window at least 500 px wide, whatever
    // --window-size says; the page's phone rules apply below 600 px.
    size_t width_at = dom.find("data-viewport-width=\"");
    ASSERT_NE(width_at, std::string::npos) << dom;
    int width = std::atoi(dom.c_str() + width_at + 21);
    EXPECT_LE(width, 500);
    EXPECT_GT(width, 0);
    for (const char* id :
         view.empty()
             ? std::vector<const char*>{"all-tasks", "nps-overall", "retention", "backtest"}
             : std::vector<const char*>{"tasks", "task-form", "notes", "account-nps", "outcomes"}) {
      EXPECT_THAT(dom, HasSubstr(absl::StrCat("id=\"", id, "\""))) << id;
    }
    EXPECT_THAT(dom, HasSubstr("data-task=\""));
    EXPECT_THAT(dom, HasSubstr("data-wide-elements=\"0\""))
        << dom.substr(dom.find("<body"), dom.find('>', dom.find("<body")) - dom.find("<body"));
    Screenshot(path, name, "390,844");
  }
}

}  // namespace
}  // namespace cairn::testing
