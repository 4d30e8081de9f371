// The customer-success snapshot tables of both stores (value-parameterized:
// SQLite and PostgreSQL, a fresh database per test): paging, sorting,
// filtering and grouping in SQL, hostile filter text, the daily history and
// its purge, the account context, and HealthSnapshots computing them from
// the aggregates, erasure included.
#include "store/account_snapshots.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/common/clock.h"
#include "cairn/engagement/day.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/account_users.h"
#include "store/engagement_store.h"
#include "store/renewal_outcomes.h"
#include "success/health_snapshots.h"
#include "test_batches.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::collector::testing::MakeRecord;
using ::cairn::collector::testing::StoreKind;
using ::cairn::collector::testing::StoreSuite;
using ::cairn::engagement::DayOf;
using ::cairn::testing::MakeConsentChange;
using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr absl::Time kT0 = testing::kStoreTestNow;
constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;

class CollectorAccountSnapshotsTest : public StoreSuite {
 protected:
  void SetUp() override {
    StoreSuite::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    tables_ = std::make_unique<AccountSnapshots>(store_.get());
    engagement_ = std::make_unique<EngagementStore>(store_.get());
  }

  static AccountSnapshot Snapshot(const std::string& id, int band, int score, absl::Time at = kT0) {
    AccountSnapshot s;
    s.account_id = id;
    s.evaluated_at = at;
    s.day = DayOf(at);
    s.band_rank = band;
    s.score = score;
    s.active_users = score / 10;
    s.logins_week = score;
    s.view = absl::StrCat("view-of-", id);
    s.frequency = 0.5;
    return s;
  }

  void PutSettings(const std::string& id, std::optional<std::string> owner,
                   std::optional<int64_t> arr_cents, std::vector<std::string> segments,
                   std::optional<engagement::DayIndex> renewal = std::nullopt) {
    AccountSettings s;
    s.account_id = id;
    s.owner = std::move(owner);
    s.plan = "pro";
    s.arr_cents = arr_cents;
    s.segments = std::move(segments);
    s.renewal_date = renewal;
    ASSERT_TRUE(engagement_->PutAccountSettings(s, kT0).ok());
  }

  std::vector<std::string> Ids(const AccountFilter& filter, AccountSort sort = AccountSort::kRisk,
                               size_t offset = 0, size_t limit = 100) {
    absl::StatusOr<SnapshotPage> page = tables_->List(filter, sort, offset, limit);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const SnapshotListRow& row : page->rows) out.push_back(row.snapshot.account_id);
    }
    return out;
  }

  std::unique_ptr<AccountSnapshots> tables_;
  std::unique_ptr<EngagementStore> engagement_;
};

INSTANTIATE_TEST_SUITE_P(CollectorStores, CollectorAccountSnapshotsTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
                         testing::StoreKindName);

TEST_P(CollectorAccountSnapshotsTest, PagesSortAndFilterInSql) {
  std::vector<AccountSnapshot> rows = {Snapshot("a-good", 2, 90), Snapshot("b-poor", 0, 20),
                                       Snapshot("c-watch", 1, 55), Snapshot("d-poor", 0, 10),
                                       Snapshot("e-good", 2, 75)};
  rows[1].alert_severity = "drop";
  ASSERT_TRUE(tables_->Put(rows).ok());
  PutSettings("a-good", "ana", 1200000, {"emea", "strategic"}, DayOf(kT0) + 10);
  PutSettings("b-poor", "bo", 500000, {"emea"}, DayOf(kT0) + 40);
  PutSettings("c-watch", "ana", std::nullopt, {}, DayOf(kT0) + 5);

  // Riskiest first: band, then score, then id.
  EXPECT_THAT(Ids({}), ElementsAre("d-poor", "b-poor", "c-watch", "e-good", "a-good"));
  EXPECT_THAT(Ids({}, AccountSort::kScoreDesc),
              ElementsAre("a-good", "e-good", "c-watch", "b-poor", "d-poor"));
  // Without an ARR (or settings) last.
  EXPECT_THAT(Ids({}, AccountSort::kArrDesc),
              ElementsAre("a-good", "b-poor", "c-watch", "d-poor", "e-good"));
  EXPECT_THAT(Ids({}, AccountSort::kRenewal),
              ElementsAre("c-watch", "a-good", "b-poor", "d-poor", "e-good"));

  EXPECT_THAT(Ids({.band_rank = 0}), ElementsAre("d-poor", "b-poor"));
  EXPECT_THAT(Ids({.owner = "ana"}), ElementsAre("c-watch", "a-good"));
  EXPECT_THAT(Ids({.segment = "emea"}), ElementsAre("b-poor", "a-good"));
  EXPECT_THAT(Ids({.segment = "strategic"}), ElementsAre("a-good"));
  EXPECT_THAT(Ids({.search = "POOR"}), ElementsAre("d-poor", "b-poor"));
  EXPECT_THAT(Ids({.search = "an"}), ElementsAre("c-watch", "a-good"));  // the owner
  EXPECT_THAT(Ids({.open_alert_only = true}), ElementsAre("b-poor"));
  EXPECT_THAT(Ids({.renewal_from = DayOf(kT0), .renewal_to = DayOf(kT0) + 30}),
              ElementsAre("c-watch", "a-good"));

  // Pages of two: the total counts every match.
  absl::StatusOr<SnapshotPage> page = tables_->List({}, AccountSort::kRisk, 2, 2);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->total, 5);
  ASSERT_EQ(page->rows.size(), 2u);
  EXPECT_EQ(page->rows[0].snapshot.account_id, "c-watch");
  EXPECT_EQ(page->rows[0].snapshot.view, "view-of-c-watch");  // read by key after the sort
  EXPECT_EQ(page->rows[1].snapshot.view, "view-of-e-good");
  absl::StatusOr<SnapshotPage> narrow = tables_->List({}, AccountSort::kRisk, 0, 5, false);
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  EXPECT_EQ(narrow->rows[0].snapshot.view, "");
  ASSERT_TRUE(page->rows[0].settings.has_value());
  EXPECT_EQ(page->rows[0].settings->owner, "ana");
  EXPECT_EQ(page->evaluated_at, kT0);
  EXPECT_THAT(Ids({}, AccountSort::kRisk, 4, 2), ElementsAre("a-good"));
  EXPECT_THAT(Ids({}, AccountSort::kRisk, 10, 2), IsEmpty());
}

TEST_P(CollectorAccountSnapshotsTest, RenewalTotalsSumPerDayAndBand) {
  ASSERT_TRUE(tables_
                  ->Put(std::vector<AccountSnapshot>{Snapshot("a", 0, 10), Snapshot("b", 0, 20),
                                                     Snapshot("c", 2, 90), Snapshot("d", 1, 50)})
                  .ok());
  PutSettings("a", "ana", 100, {}, DayOf(kT0) + 3);
  PutSettings("b", "bo", 200, {}, DayOf(kT0) + 3);
  PutSettings("c", "ana", std::nullopt, {}, DayOf(kT0) + 3);
  PutSettings("d", "ana", 400, {}, DayOf(kT0) + 400);  // outside the window
  absl::StatusOr<std::vector<RenewalTotal>> totals =
      tables_->RenewalTotals({.renewal_from = DayOf(kT0), .renewal_to = DayOf(kT0) + 30});
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 2u);
  EXPECT_EQ((*totals)[0].day, DayOf(kT0) + 3);
  EXPECT_EQ((*totals)[0].band_rank, 0);
  EXPECT_EQ((*totals)[0].accounts, 2);
  EXPECT_EQ((*totals)[0].arr_cents, 300);
  EXPECT_EQ((*totals)[1].band_rank, 2);
  EXPECT_EQ((*totals)[1].arr_cents, 0);
  totals = tables_->RenewalTotals({.owner = "bo"});
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].arr_cents, 200);
}

TEST_P(CollectorAccountSnapshotsTest, OutcomesCarryTheHealthBeforeTheRenewal) {
  const engagement::DayIndex renewal = DayOf(kT0);
  // Health history 40 and 20 days before; none near 90 days before.
  ASSERT_TRUE(
      tables_
          ->Put(std::vector<AccountSnapshot>{Snapshot("acme", 2, 80, kT0 - absl::Hours(24 * 40))})
          .ok());
  ASSERT_TRUE(
      tables_
          ->Put(std::vector<AccountSnapshot>{Snapshot("acme", 0, 25, kT0 - absl::Hours(24 * 20))})
          .ok());
  RenewalOutcomes outcomes(store_.get());
  RenewalOutcome o{.account_id = "acme",
                   .renewal_day = renewal,
                   .outcome = Outcome::kChurned,
                   .arr_before_cents = 5000,
                   .arr_after_cents = 0,
                   .recorded_at = kT0};
  ASSERT_TRUE(outcomes.Put(o, kT0).ok());
  o.account_id = "globex";
  o.outcome = Outcome::kExpanded;
  o.arr_after_cents = 9000;
  ASSERT_TRUE(outcomes.Put(o, kT0).ok());
  // Recording again replaces.
  o.arr_after_cents = 7000;
  ASSERT_TRUE(outcomes.Put(o, kT0).ok());

  absl::StatusOr<std::vector<RenewalOutcome>> all = outcomes.List(renewal - 1, renewal);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].account_id, "globex");
  EXPECT_EQ((*all)[1].arr_after_cents, 7000);
  EXPECT_FALSE((*all)[0].band_rank_before.has_value());

  auto before = [&](int days) {
    absl::StatusOr<std::vector<RenewalOutcome>> one =
        outcomes.List(renewal, renewal, std::string("acme"), days);
    EXPECT_TRUE(one.ok()) << one.status();
    return one.ok() && !one->empty() ? one->front() : RenewalOutcome{};
  };
  EXPECT_EQ(before(20).band_rank_before, 0);  // the row of that day
  EXPECT_EQ(before(38).band_rank_before, 2);  // the last row at most 7 days before it
  EXPECT_EQ(before(38).score_before, 80);
  EXPECT_FALSE(before(21).band_rank_before.has_value());  // never a row after it
  EXPECT_FALSE(before(90).band_rank_before.has_value());  // nothing within 7 days
  EXPECT_EQ(before(20).outcome, Outcome::kChurned);
  EXPECT_THAT(*outcomes.List(renewal + 1, renewal + 9), IsEmpty());
}

TEST_P(CollectorAccountSnapshotsTest, FilterTextIsBoundNeverSpliced) {
  ASSERT_TRUE(tables_
                  ->Put(std::vector<AccountSnapshot>{Snapshot("a%b", 1, 50), Snapshot("axb", 1, 50),
                                                     Snapshot("a_c", 1, 50)})
                  .ok());
  // LIKE's wildcards in the search are literal characters.
  EXPECT_THAT(Ids({.search = "a%b"}), ElementsAre("a%b"));
  EXPECT_THAT(Ids({.search = "%"}), ElementsAre("a%b"));
  EXPECT_THAT(Ids({.search = "a_"}), ElementsAre("a_c"));
  EXPECT_THAT(Ids({.search = "\\"}), IsEmpty());
  for (std::string hostile :
       {"x' OR '1'='1", "'; DROP TABLE account_snapshot; --", "\") OR 1=1 --"}) {
    EXPECT_THAT(Ids({.owner = hostile}), IsEmpty());
    EXPECT_THAT(Ids({.search = hostile}), IsEmpty());
    EXPECT_THAT(Ids({.segment = hostile}), IsEmpty());
  }
  EXPECT_THAT(Ids({}, AccountSort::kAccountId), ElementsAre("a%b", "a_c", "axb"));
}

TEST_P(CollectorAccountSnapshotsTest, GroupsSumArrAndBands) {
  ASSERT_TRUE(tables_
                  ->Put(std::vector<AccountSnapshot>{Snapshot("a", 2, 90), Snapshot("b", 0, 20),
                                                     Snapshot("c", 1, 50), Snapshot("d", 0, 10)})
                  .ok());
  PutSettings("a", "ana", 100000, {"emea", "smb"});
  PutSettings("b", "ana", 50000, {"emea"});
  PutSettings("c", "bo", 30000, {});
  absl::StatusOr<std::vector<AccountGroup>> owners = tables_->Group({}, AccountGrouping::kOwner);
  ASSERT_TRUE(owners.ok()) << owners.status();
  ASSERT_EQ(owners->size(), 3u);  // "", "ana", "bo"
  EXPECT_EQ((*owners)[0].key, "");
  EXPECT_EQ((*owners)[0].accounts, 1);
  EXPECT_EQ((*owners)[1].key, "ana");
  EXPECT_EQ((*owners)[1].accounts, 2);
  EXPECT_EQ((*owners)[1].poor, 1);
  EXPECT_EQ((*owners)[1].good, 1);
  EXPECT_EQ((*owners)[1].arr_cents, 150000);
  EXPECT_EQ((*owners)[1].arr_at_risk_cents, 50000);
  EXPECT_DOUBLE_EQ((*owners)[1].mean_score, 55.0);
  EXPECT_EQ((*owners)[2].arr_at_risk_cents, 30000);  // watch is at risk too

  absl::StatusOr<std::vector<AccountGroup>> segments =
      tables_->Group({}, AccountGrouping::kSegment);
  ASSERT_TRUE(segments.ok()) << segments.status();
  ASSERT_EQ(segments->size(), 3u);        // "", "emea", "smb"
  EXPECT_EQ((*segments)[0].accounts, 2);  // c and d carry none
  EXPECT_EQ((*segments)[1].key, "emea");
  EXPECT_EQ((*segments)[1].accounts, 2);
  EXPECT_EQ((*segments)[2].accounts, 1);

  absl::StatusOr<std::vector<AccountGroup>> bands =
      tables_->Group({.owner = "ana"}, AccountGrouping::kBand);
  ASSERT_TRUE(bands.ok()) << bands.status();
  ASSERT_EQ(bands->size(), 2u);
  EXPECT_EQ((*bands)[0].key, "0");
  EXPECT_EQ((*bands)[1].key, "2");
}

TEST_P(CollectorAccountSnapshotsTest, HistoryKeepsOneRowPerDayAndPurgesOldDays) {
  for (int d = 0; d < 5; ++d) {
    const absl::Time at = kT0 - absl::Hours(24 * (4 - d));
    ASSERT_TRUE(tables_->Put(std::vector<AccountSnapshot>{Snapshot("acme", 1, 40 + d, at)}).ok());
  }
  // A second evaluation the same day replaces that day's row.
  ASSERT_TRUE(
      tables_->Put(std::vector<AccountSnapshot>{Snapshot("acme", 2, 77, kT0 + absl::Minutes(5))})
          .ok());
  absl::StatusOr<std::vector<AccountSnapshot>> history = tables_->History("acme", DayOf(kT0) - 10);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 5u);
  EXPECT_EQ(history->front().score, 40);
  EXPECT_EQ(history->back().score, 77);
  EXPECT_EQ(history->back().band_rank, 2);
  ASSERT_TRUE(history->back().frequency.has_value());
  EXPECT_DOUBLE_EQ(*history->back().frequency, 0.5);
  EXPECT_FALSE(history->back().trend.has_value());

  absl::StatusOr<int64_t> purged = tables_->PurgeHistoryBefore(DayOf(kT0) - 1);
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 3);
  history = tables_->History("acme", 0);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 2u);

  absl::StatusOr<int64_t> dropped = tables_->DropAccountsNotIn(std::vector<std::string>{});
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 1);
  history = tables_->History("acme", 0);
  ASSERT_TRUE(history.ok());
  EXPECT_THAT(*history, IsEmpty());
  absl::StatusOr<std::optional<AccountSnapshot>> gone = tables_->Get("acme");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_P(CollectorAccountSnapshotsTest, ContextRoundTripsWithTheSettings) {
  PutSettings("acme", "Zoë Ops", 123456789, {"emea", "pilot"}, DayOf(kT0) + 3);
  absl::StatusOr<std::optional<AccountSettings>> read = engagement_->GetAccountSettings("acme");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->owner, "Zoë Ops");
  EXPECT_EQ((*read)->plan, "pro");
  EXPECT_EQ((*read)->arr_cents, 123456789);
  EXPECT_THAT((*read)->segments, ElementsAre("emea", "pilot"));
  // Replacing the tags replaces their rows.
  PutSettings("acme", std::nullopt, std::nullopt, {"apac"});
  ASSERT_TRUE(tables_->Put(std::vector<AccountSnapshot>{Snapshot("acme", 1, 50)}).ok());
  EXPECT_THAT(Ids({.segment = "emea"}), IsEmpty());
  EXPECT_THAT(Ids({.segment = "apac"}), ElementsAre("acme"));
  read = engagement_->GetAccountSettings("acme");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_FALSE((*read)->owner.has_value());
  EXPECT_FALSE((*read)->arr_cents.has_value());
}

TEST_P(CollectorAccountSnapshotsTest, RefreshComputesEveryAccountAndErasureLeavesNoTrace) {
  Write({MakeGrant("acme", "alice-u1", kAnalytics), MakeGrant("acme", "bob-u2", kAnalytics),
         MakeGrant("solo", "carol-u3", kAnalytics)});
  std::vector<cairn::v1::Event> logins;
  for (int d = 0; d < 10; ++d) {
    logins.push_back(MakeLogin("acme", "alice-u1", kT0 - absl::Hours(24 * d)));
    logins.push_back(MakeLogin("acme", "bob-u2", kT0 - absl::Hours(24 * d)));
  }
  logins.push_back(MakeLogin("solo", "carol-u3", kT0));
  Write(MakeRecord(std::move(logins)));

  HealthSnapshots snapshots(store_.get());
  absl::StatusOr<int64_t> refreshed = snapshots.RefreshAll(kT0);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ(*refreshed, 2);
  absl::StatusOr<std::optional<AccountSnapshot>> acme = tables_->Get("acme");
  ASSERT_TRUE(acme.ok() && acme->has_value());
  EXPECT_EQ((*acme)->active_users, 2);
  EXPECT_EQ((*acme)->logins_week, 14);
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape((*acme)->view, &bytes));
  admin::v1::Account view;
  ASSERT_TRUE(view.ParseFromString(bytes));
  EXPECT_EQ(view.account_id(), "acme");
  EXPECT_EQ(view.breadth().active_users_14(), 2);
  EXPECT_THAT(bytes, Not(HasSubstr("alice")));
  // The dependence factor counts both users (alice and bob share evenly).
  EXPECT_TRUE(view.health().factors().dependence().applicable());
  EXPECT_EQ(view.health().factors().dependence().reason(),
            "the busiest user holds 50% of 20 logins in the last 28 days (2 users)");

  // Erasure: the accounts are found first, refreshed after.
  absl::StatusOr<std::vector<std::string>> accounts = engagement_->AccountsOfUser("alice-u1");
  ASSERT_TRUE(accounts.ok()) << accounts.status();
  EXPECT_THAT(*accounts, ElementsAre("acme"));
  ASSERT_TRUE(store_->EraseUser("alice-u1", kT0).ok());
  ASSERT_TRUE(snapshots.RefreshAccounts(*accounts, kT0).ok());
  acme = tables_->Get("acme");
  ASSERT_TRUE(acme.ok() && acme->has_value());
  EXPECT_EQ((*acme)->active_users, 1);
  EXPECT_EQ((*acme)->logins_week, 7);
  // Nor does its dependence factor count the erased user any more.
  ASSERT_TRUE(absl::Base64Unescape((*acme)->view, &bytes));
  ASSERT_TRUE(view.ParseFromString(bytes));
  EXPECT_FALSE(view.health().factors().dependence().applicable());
  EXPECT_EQ(view.health().factors().dependence().reason(),
            "one known user: nobody else to depend on");
  // The per-user view of the account no longer names the erased user.
  AccountUsersQuery window;
  window.to = engagement::DayOf(kT0);
  window.from = window.to - 89;
  window.recent_from = window.to - 27;
  absl::StatusOr<AccountUsersPage> users = AccountUsers(store_.get()).Read("acme", window);
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->users.size(), 1u);
  EXPECT_EQ(users->users[0].user_id, "bob-u2");
  EXPECT_EQ(users->known_users, 1);
  ASSERT_TRUE(users->champion.has_value());
  EXPECT_EQ(users->champion->user_id, "bob-u2");

  // A withdrawal of usage analytics removes the user's rows at ingest; the
  // next evaluation stops counting them: acme, left without data, leaves
  // the snapshot and history tables.
  Write({MakeConsentChange("acme", "bob-u2", kAnalytics, cairn::v1::CONSENT_DECISION_DENIED,
                           kT0 + absl::Minutes(1))});
  ASSERT_TRUE(snapshots.RefreshAll(kT0 + absl::Minutes(2)).ok());
  acme = tables_->Get("acme");
  ASSERT_TRUE(acme.ok());
  EXPECT_FALSE(acme->has_value());
  absl::StatusOr<std::vector<AccountSnapshot>> acme_history = tables_->History("acme", 0);
  ASSERT_TRUE(acme_history.ok());
  EXPECT_THAT(*acme_history, IsEmpty());
  users = AccountUsers(store_.get()).Read("acme", window);
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_THAT(users->users, IsEmpty());
  EXPECT_EQ(users->known_users, 0);
  EXPECT_FALSE(users->champion.has_value());

  // An account whose only user is erased leaves every snapshot table.
  accounts = engagement_->AccountsOfUser("carol-u3");
  ASSERT_TRUE(accounts.ok());
  ASSERT_TRUE(store_->EraseUser("carol-u3", kT0).ok());
  ASSERT_TRUE(snapshots.RefreshAccounts(*accounts, kT0).ok());
  absl::StatusOr<std::optional<AccountSnapshot>> solo = tables_->Get("solo");
  ASSERT_TRUE(solo.ok());
  EXPECT_FALSE(solo->has_value());
  absl::StatusOr<std::vector<AccountSnapshot>> history = tables_->History("solo", 0);
  ASSERT_TRUE(history.ok());
  EXPECT_THAT(*history, IsEmpty());
  EXPECT_THAT(Ids({}), IsEmpty());
}

}  // namespace
}  // namespace cairn::collector

namespace cairn::collector {
namespace {

// The collector's evaluation: one pass steps each account's alert and
// stores its snapshot from the same rows. An alert opened in the pass is in
// that pass's snapshot; a second pass opens nothing more and keeps showing
// it; the counts are those of the alert evaluation alone.
TEST_P(CollectorAccountSnapshotsTest, OnePassEvaluationShowsTheAlertItOpened) {
  std::vector<cairn::v1::Event> events;
  for (const char* user : {"u1", "u2", "u3"}) {
    events.push_back(MakeGrant("dropping", user, cairn::v1::PURPOSE_USAGE_ANALYTICS));
    events.push_back(MakeGrant("steady", user, cairn::v1::PURPOSE_USAGE_ANALYTICS));
  }
  Write(std::move(events));
  std::vector<cairn::v1::Event> logins;
  for (int d = 0; d < 70; ++d) {
    for (const char* user : {"u1", "u2", "u3"}) {
      const absl::Time at = kT0 - absl::Hours(24 * d + 1);
      logins.push_back(MakeLogin("steady", user, at));
      if (d >= 7) logins.push_back(MakeLogin("dropping", user, at));  // silent this week
    }
  }
  Write(MakeRecord(std::move(logins)));

  ManualClock clock(kT0);
  AlertEvaluator evaluator(store_.get(), &clock, engagement::DropRule{}, false);
  HealthSnapshots snapshots(store_.get());
  absl::StatusOr<AlertEvaluationCounts> counts = snapshots.EvaluateAndRefreshAll(evaluator, kT0);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->evaluated, 2);
  EXPECT_EQ(counts->opened, 1);
  absl::StatusOr<std::optional<AccountSnapshot>> dropping = tables_->Get("dropping");
  ASSERT_TRUE(dropping.ok() && dropping->has_value());
  ASSERT_TRUE((*dropping)->alert_severity.has_value());
  EXPECT_EQ(*(*dropping)->alert_severity, "drop");
  absl::StatusOr<std::optional<AccountSnapshot>> steady = tables_->Get("steady");
  ASSERT_TRUE(steady.ok() && steady->has_value());
  EXPECT_FALSE((*steady)->alert_severity.has_value());
  // The alert is stored once, as EvaluateAll would have stored it.
  absl::StatusOr<std::optional<StoredAlert>> open = engagement_->OpenAlertOf("dropping");
  ASSERT_TRUE(open.ok() && open->has_value());

  counts = snapshots.EvaluateAndRefreshAll(evaluator, kT0 + absl::Minutes(5));
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->evaluated, 2);
  EXPECT_EQ(counts->opened, 0);
  dropping = tables_->Get("dropping");
  ASSERT_TRUE(dropping.ok() && dropping->has_value());
  EXPECT_EQ((*dropping)->alert_severity, std::optional<std::string>("drop"));
  EXPECT_EQ(evaluator.EvaluateAll()->opened, 0);  // nothing left for a separate pass
}

// RefreshAccounts refreshes only what it is given: an account whose last
// user was erased loses its snapshot, the others keep theirs as they were.
TEST_P(CollectorAccountSnapshotsTest, RefreshAccountsTouchesOnlyTheGivenAccounts) {
  Write({MakeGrant("solo", "carol-u3", cairn::v1::PURPOSE_USAGE_ANALYTICS),
         MakeGrant("acme", "dave-u4", cairn::v1::PURPOSE_USAGE_ANALYTICS)});
  Write(MakeRecord({MakeLogin("solo", "carol-u3", kT0 - absl::Hours(2)),
                    MakeLogin("acme", "dave-u4", kT0 - absl::Hours(2))}));
  HealthSnapshots snapshots(store_.get());
  ASSERT_TRUE(snapshots.RefreshAll(kT0).ok());
  absl::StatusOr<std::optional<AccountSnapshot>> acme = tables_->Get("acme");
  ASSERT_TRUE(acme.ok() && acme->has_value());
  const absl::Time acme_evaluated = (*acme)->evaluated_at;

  ASSERT_TRUE(store_->EraseUser("carol-u3", kT0).ok());
  const std::vector<std::string> given = {"solo"};
  ASSERT_TRUE(snapshots.RefreshAccounts(given, kT0 + absl::Hours(1)).ok());
  absl::StatusOr<std::optional<AccountSnapshot>> solo = tables_->Get("solo");
  ASSERT_TRUE(solo.ok());
  EXPECT_FALSE(solo->has_value());
  acme = tables_->Get("acme");
  ASSERT_TRUE(acme.ok() && acme->has_value());
  EXPECT_EQ((*acme)->evaluated_at, acme_evaluated);  // not recomputed
}

}  // namespace
}  // namespace cairn::collector
