// The dashboards in a real browser: Debian's headless Chromium loads the
// vendor view and customer views from a running cairn-collector seeded over
// HTTP, and the test reads the DOM after the scripts ran (--dump-dom) and
// saves screenshots under ${build}/test-output/browser/. No mock: every
// number on the page comes from the collector's JSON API.
//
// Skips (loudly) only when /usr/bin/chromium is not installed
// (scripts/setup.sh installs it).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/customer_link.h"
#include "child_process.h"
#include "collector_process.h"
#include "engagement_seed.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_client.h"
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

// One headless Chromium run with a profile of its own (removed after), its
// stdout into `stdout_path`. Extra arguments come before the URL.
absl::Status RunChromium(const std::string& url, const std::vector<std::string>& extra,
                         const std::string& stdout_path) {
  TempDir profile;
  std::vector<std::string> args = {
      kChromium,
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
      "--user-data-dir=" + profile.path(),
      "--virtual-time-budget=10000",
  };
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
    auto collector = StartSeedCollector(dir_);
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
  // The four factors, each with its own row.
  for (const char* factor : {"frequency", "trend", "breadth", "time_to_value"}) {
    EXPECT_THAT(dom, HasSubstr(absl::StrCat("data-factor=\"", factor, "\""))) << factor;
  }
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
  // Tall enough to show the Users section below the health and history.
  Screenshot(path, "vendor-account-dependence", "1280,2000");
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

// At phone width (asked for 390 px) no element outside a scroll box reaches past the viewport,
// on the list and on an account page.
TEST_F(DashboardBrowserTest, PhoneLayoutFitsANarrowScreen) {
  SetContext(collector_->base_url());
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
    EXPECT_THAT(dom, HasSubstr("data-wide-elements=\"0\""))
        << dom.substr(dom.find("<body"), dom.find('>', dom.find("<body")) - dom.find("<body"));
    Screenshot(path, name, "390,844");
  }
}

}  // namespace
}  // namespace cairn::testing
