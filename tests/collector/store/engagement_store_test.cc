// The engagement tables of both stores (value-parameterized: SQLite and
// PostgreSQL, a fresh database per test): the daily aggregates Write keeps
// in the same transaction as the events, erasure and consent withdrawal,
// and the settings, goals and alert tables behind EngagementStore.
#include "store/engagement_store.h"

#include <string>
#include <vector>

#include "cairn/engagement/day.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
using ::cairn::testing::MakeLogout;
using ::cairn::testing::MakeMilestone;
using ::cairn::testing::NewUuidV7;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kMilestones = cairn::v1::PURPOSE_MILESTONES;
constexpr auto kDenied = cairn::v1::CONSENT_DECISION_DENIED;

constexpr absl::Time kT0 = testing::kStoreTestNow;

class CollectorEngagementStoreTest : public StoreSuite {
 protected:
  void SetUp() override {
    StoreSuite::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    engagement_ = std::make_unique<EngagementStore>(store_.get());
  }

  void Grant(const std::string& account, const std::string& user) {
    Write({MakeGrant(account, user, kAnalytics), MakeGrant(account, user, kMilestones)});
  }
  engagement::AccountInput Input(const std::string& account, absl::Time now = kT0) {
    auto input = engagement_->ReadAccountInput(account, now);
    EXPECT_TRUE(input.ok()) << input.status();
    return input.ok() ? *input : engagement::AccountInput{};
  }
  std::vector<engagement::UserMilestoneDay> MilestoneDays(const std::string& account) {
    auto rows = engagement_->ReadMilestoneDays(account);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<engagement::UserMilestoneDay>{};
  }

  std::unique_ptr<EngagementStore> engagement_;
};

INSTANTIATE_TEST_SUITE_P(CollectorStores, CollectorEngagementStoreTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
                         testing::StoreKindName);

TEST_P(CollectorEngagementStoreTest, LoginsAndMilestonesFoldIntoTheDailyAggregates) {
  Grant("acme", "u1");
  Grant("acme", "u2");
  const absl::Time yesterday = kT0 - absl::Hours(24);
  BatchWriteResult result = Write(MakeRecord(
      {MakeLogin("acme", "u1", yesterday), MakeLogin("acme", "u1", kT0 - absl::Minutes(5)),
       MakeLogin("acme", "u1", kT0), MakeLogin("acme", "u2", kT0), MakeLogout("acme", "u2", kT0),
       MakeMilestone("acme", "u1", "invoice_sent", 2.5, yesterday),
       MakeMilestone("acme", "u2", "invoice_sent", std::nullopt, kT0),
       MakeMilestone("acme", "u2", "invoice_sent", 4.0, kT0)}));
  EXPECT_EQ(result.inserted, 8);

  engagement::AccountInput input = Input("acme");
  int64_t u1_today = 0, u1_yesterday = 0, u2_today = 0;
  for (const auto& row : input.login_days) {
    if (row.user_id == "u1" && row.day == DayOf(kT0)) u1_today = row.logins;
    if (row.user_id == "u1" && row.day == DayOf(yesterday)) u1_yesterday = row.logins;
    if (row.user_id == "u2" && row.day == DayOf(kT0)) u2_today = row.logins;
  }
  ASSERT_EQ(DayOf(kT0 - absl::Minutes(5)), DayOf(kT0));  // kT0 is mid-afternoon UTC
  EXPECT_THAT(input.login_days, SizeIs(3u));
  EXPECT_EQ(u1_yesterday, 1);
  EXPECT_EQ(u2_today, 1);
  EXPECT_EQ(u1_today, 2);
  ASSERT_THAT(input.first_logins, SizeIs(2u));
  for (const auto& first : input.first_logins) {
    EXPECT_EQ(first.first_login, first.user_id == "u1" ? yesterday : kT0) << first.user_id;
  }
  ASSERT_THAT(input.milestones, SizeIs(2u));
  for (const auto& m : input.milestones) {
    EXPECT_EQ(m.name, "invoice_sent");
    EXPECT_EQ(m.first_reached, m.user_id == "u1" ? yesterday : kT0) << m.user_id;
  }
  std::vector<engagement::UserMilestoneDay> days = MilestoneDays("acme");
  ASSERT_THAT(days, SizeIs(2u));
  for (const auto& d : days) {
    if (d.user_id == "u2") {
      EXPECT_EQ(d.events, 2);
      EXPECT_DOUBLE_EQ(d.value_sum, 4.0);
      EXPECT_EQ(d.day, DayOf(kT0));
    } else {
      EXPECT_EQ(d.events, 1);
      EXPECT_DOUBLE_EQ(d.value_sum, 2.5);
      EXPECT_EQ(d.day, DayOf(yesterday));
    }
  }
  auto accounts = engagement_->ListAccountIds();
  ASSERT_TRUE(accounts.ok()) << accounts.status();
  EXPECT_THAT(*accounts, ElementsAre("acme"));
}

TEST_P(CollectorEngagementStoreTest, DuplicatesAreNotCountedTwice) {
  Grant("acme", "u1");
  BatchRecord record = MakeRecord(
      {MakeLogin("acme", "u1", kT0), MakeMilestone("acme", "u1", "first_report", 1.0, kT0)});
  EXPECT_EQ(Write(record).inserted, 2);
  BatchWriteResult again = Write(record);  // a retried batch
  EXPECT_EQ(again.duplicates, 2);
  // The same events in another batch are duplicates too.
  BatchRecord copy = MakeRecord(record.events);
  EXPECT_EQ(Write(copy).duplicates, 2);

  engagement::AccountInput input = Input("acme");
  ASSERT_THAT(input.login_days, SizeIs(1u));
  EXPECT_EQ(input.login_days[0].logins, 1);
  std::vector<engagement::UserMilestoneDay> days = MilestoneDays("acme");
  ASSERT_THAT(days, SizeIs(1u));
  EXPECT_EQ(days[0].events, 1);
  EXPECT_DOUBLE_EQ(days[0].value_sum, 1.0);
}

TEST_P(CollectorEngagementStoreTest, UnconsentedEventsAreNeverCounted) {
  // u1 granted nothing; u2 only usage analytics.
  Write({MakeGrant("acme", "u2", kAnalytics)});
  BatchWriteResult result = Write(
      {MakeLogin("acme", "u1", kT0), MakeMilestone("acme", "u1", "first", std::nullopt, kT0),
       MakeLogin("acme", "u2", kT0), MakeMilestone("acme", "u2", "first", std::nullopt, kT0)});
  EXPECT_EQ(result.inserted, 1);
  engagement::AccountInput input = Input("acme");
  ASSERT_THAT(input.login_days, SizeIs(1u));
  EXPECT_EQ(input.login_days[0].user_id, "u2");
  EXPECT_THAT(input.milestones, IsEmpty());
  EXPECT_THAT(MilestoneDays("acme"), IsEmpty());
}

TEST_P(CollectorEngagementStoreTest, ErasureDeletesTheUsersRowsOnly) {
  Grant("acme", "u1");
  Grant("acme", "u2");
  Write({MakeLogin("acme", "u1", kT0), MakeLogin("acme", "u2", kT0),
         MakeMilestone("acme", "u1", "first", std::nullopt, kT0),
         MakeMilestone("acme", "u2", "first", std::nullopt, kT0)});
  ASSERT_TRUE(store_->EraseUser("u1", kT0).ok());
  engagement::AccountInput input = Input("acme");
  ASSERT_THAT(input.login_days, SizeIs(1u));
  EXPECT_EQ(input.login_days[0].user_id, "u2");
  ASSERT_THAT(input.first_logins, SizeIs(1u));
  EXPECT_EQ(input.first_logins[0].user_id, "u2");
  ASSERT_THAT(input.milestones, SizeIs(1u));
  EXPECT_EQ(input.milestones[0].user_id, "u2");
  ASSERT_THAT(MilestoneDays("acme"), SizeIs(1u));
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM user_day WHERE user_id = ?1", "u1"), 0);
  // Later events of the erased user are refused and never folded.
  Write({MakeLogin("acme", "u1", kT0 + absl::Minutes(1))});
  EXPECT_THAT(Input("acme", kT0 + absl::Minutes(2)).login_days, SizeIs(1u));
}

TEST_P(CollectorEngagementStoreTest, WithdrawalDeletesWhatThatPurposeProduced) {
  Grant("acme", "u1");
  Write({MakeLogin("acme", "u1", kT0 - absl::Hours(1)),
         MakeMilestone("acme", "u1", "first", std::nullopt, kT0 - absl::Hours(1))});
  Write({MakeConsentChange("acme", "u1", kAnalytics, kDenied, kT0)});
  engagement::AccountInput input = Input("acme");
  EXPECT_THAT(input.login_days, IsEmpty());
  EXPECT_THAT(input.first_logins, IsEmpty());
  // The milestones purpose still stands.
  EXPECT_THAT(input.milestones, SizeIs(1u));
  EXPECT_THAT(MilestoneDays("acme"), SizeIs(1u));
  // Later logins carry no consent: refused, not folded.
  Write({MakeLogin("acme", "u1", kT0 + absl::Minutes(1))});
  EXPECT_THAT(Input("acme", kT0 + absl::Minutes(2)).login_days, IsEmpty());

  Write({MakeConsentChange("acme", "u1", kMilestones, kDenied, kT0 + absl::Minutes(3))});
  EXPECT_THAT(Input("acme", kT0 + absl::Minutes(4)).milestones, IsEmpty());
  EXPECT_THAT(MilestoneDays("acme"), IsEmpty());
}

// One group commit (several batches in one Write): the aggregates sum every
// batch's events, and a withdrawal in a later batch of the same write also
// takes what the earlier batches added.
TEST_P(CollectorEngagementStoreTest,
       OneWriteOfSeveralBatchesSumsThemAndAWithdrawalInItTakesThemToo) {
  Grant("acme", "u1");
  Grant("acme", "u2");
  const absl::Time t = kT0 - absl::Hours(2);
  std::vector<BatchRecord> group = {
      MakeRecord({MakeLogin("acme", "u1", t), MakeLogin("acme", "u1", t + absl::Seconds(1)),
                  MakeMilestone("acme", "u1", "invoice_sent", 1.5, t),
                  MakeMilestone("acme", "u1", "invoice_sent", 2.0, t + absl::Seconds(1))}),
      MakeRecord({MakeLogin("acme", "u2", t), MakeLogin("acme", "u2", t + absl::Seconds(2))}),
      MakeRecord({MakeConsentChange("acme", "u1", kAnalytics, kDenied, t + absl::Minutes(1))}),
      MakeRecord({MakeLogin("acme", "u2", t + absl::Seconds(3)),
                  MakeLogin("acme", "u1", t + absl::Minutes(2))}),  // refused: withdrawn
  };
  auto results = store_->Write(group);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ((*results)[0].inserted, 4);
  EXPECT_EQ((*results)[3].inserted, 1);
  EXPECT_THAT((*results)[3].rejections, SizeIs(1u));

  engagement::AccountInput input = Input("acme");
  ASSERT_THAT(input.login_days, SizeIs(1u));  // u1's went with the withdrawal
  EXPECT_EQ(input.login_days[0].user_id, "u2");
  EXPECT_EQ(input.login_days[0].logins, 3);
  ASSERT_THAT(input.first_logins, SizeIs(1u));
  EXPECT_EQ(input.first_logins[0].first_login, t);
  ASSERT_THAT(input.milestones, SizeIs(1u));  // the milestones purpose stands
  EXPECT_EQ(input.milestones[0].first_reached, t);
  std::vector<engagement::UserMilestoneDay> days = MilestoneDays("acme");
  ASSERT_THAT(days, SizeIs(1u));
  EXPECT_EQ(days[0].events, 2);
  EXPECT_DOUBLE_EQ(days[0].value_sum, 3.5);
}

TEST_P(CollectorEngagementStoreTest, AnOlderDenialArrivingLateDeletesNothing) {
  Write({MakeConsentChange("acme", "u1", kAnalytics, cairn::v1::CONSENT_DECISION_GRANTED,
                           kT0 - absl::Hours(2))});
  Write({MakeLogin("acme", "u1", kT0 - absl::Hours(1))});
  ASSERT_THAT(Input("acme").login_days, SizeIs(1u));
  // A denial dated before the grant, delivered late: not the current decision.
  Write({MakeConsentChange("acme", "u1", kAnalytics, kDenied, kT0 - absl::Hours(3))});
  EXPECT_THAT(Input("acme").login_days, SizeIs(1u));
  EXPECT_THAT(Input("acme").first_logins, SizeIs(1u));
}

TEST_P(CollectorEngagementStoreTest, ReadsOnlyTheHistoryWindow) {
  Grant("acme", "u1");
  const absl::Time old = kT0 - absl::Hours(24 * (engagement::kHistoryDays + 5));
  Write({MakeLogin("acme", "u1", old), MakeLogin("acme", "u1", kT0)});
  engagement::AccountInput input = Input("acme");
  ASSERT_THAT(input.login_days, SizeIs(1u));
  EXPECT_EQ(input.login_days[0].day, DayOf(kT0));
  // The first login is not bounded by the window.
  ASSERT_THAT(input.first_logins, SizeIs(1u));
  EXPECT_EQ(input.first_logins[0].first_login, old);
}

TEST_P(CollectorEngagementStoreTest, SettingsRoundTripAndListAccounts) {
  AccountSettings settings;
  settings.account_id = "beta";
  settings.seats = 25;
  settings.renewal_date = DayOf(kT0) + 30;
  settings.key_milestones = {"first_invoice", "first_report"};
  ASSERT_TRUE(engagement_->PutAccountSettings(settings, kT0).ok());
  auto read = engagement_->GetAccountSettings("beta");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->seats, 25);
  EXPECT_EQ((*read)->renewal_date, DayOf(kT0) + 30);
  EXPECT_THAT((*read)->key_milestones, ElementsAre("first_invoice", "first_report"));
  settings.seats.reset();
  settings.key_milestones.clear();
  ASSERT_TRUE(engagement_->PutAccountSettings(settings, kT0).ok());
  read = engagement_->GetAccountSettings("beta");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_FALSE((*read)->seats.has_value());
  EXPECT_THAT((*read)->key_milestones, IsEmpty());
  auto missing = engagement_->GetAccountSettings("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  Grant("acme", "u1");
  Write({MakeLogin("acme", "u1", kT0)});
  auto accounts = engagement_->ListAccountIds();
  ASSERT_TRUE(accounts.ok()) << accounts.status();
  EXPECT_THAT(*accounts, ElementsAre("acme", "beta"));
}

TEST_P(CollectorEngagementStoreTest, GoalsCreateListDelete) {
  engagement::Goal goal;
  goal.account_id = "acme";
  goal.name = "Send 10 invoices";
  goal.milestone_name = "invoice_sent";
  goal.target_count = 10;
  goal.start = DayOf(kT0);
  goal.due = DayOf(kT0) + 30;
  auto created = engagement_->CreateGoal(goal, kT0);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(created->goal_id.empty());
  goal.due.reset();
  goal.name = "Open-ended";
  ASSERT_TRUE(engagement_->CreateGoal(goal, kT0 + absl::Seconds(1)).ok());
  goal.target_count = 0;
  EXPECT_EQ(engagement_->CreateGoal(goal, kT0).status().code(), absl::StatusCode::kInvalidArgument);

  auto goals = engagement_->ListGoals("acme");
  ASSERT_TRUE(goals.ok()) << goals.status();
  ASSERT_THAT(*goals, SizeIs(2u));
  EXPECT_EQ((*goals)[0].goal.name, "Send 10 invoices");
  EXPECT_EQ((*goals)[0].goal.due, DayOf(kT0) + 30);
  EXPECT_FALSE((*goals)[1].goal.due.has_value());
  EXPECT_THAT(*engagement_->ListGoals("other"), IsEmpty());

  EXPECT_FALSE(*engagement_->DeleteGoal("other", created->goal_id));
  EXPECT_TRUE(*engagement_->DeleteGoal("acme", created->goal_id));
  EXPECT_FALSE(*engagement_->DeleteGoal("acme", created->goal_id));
  EXPECT_THAT(*engagement_->ListGoals("acme"), SizeIs(1u));
}

TEST_P(CollectorEngagementStoreTest, AlertStepsAndDeliveryStatePersist) {
  auto none = engagement_->ReadEpisode("acme");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->episode.open);
  EXPECT_EQ(none->episode.episodes, 0);

  AccountEpisode episode;
  episode.episode.open = true;
  episode.episode.severity = engagement::DropState::kDrop;
  episode.episode.opened_at = kT0;
  episode.episode.episodes = 1;
  episode.alert_id = "alert-1";
  StoredAlert alert;
  alert.alert_id = "alert-1";
  alert.account_id = "acme";
  alert.opened_at = kT0;
  alert.this_week = 4;
  alert.baseline_mean = 20.5;
  alert.ratio = 4 / 20.5;
  alert.payload = "{\"type\":\"usage_drop\"}";
  alert.next_attempt_at = kT0;
  // Computed from "no episode yet": a second step from the same stale read
  // (another collector) is refused and writes nothing.
  ASSERT_TRUE(
      engagement_->SaveAlertStep("acme", *none, episode, engagement::AlertAction::kOpen, alert)
          .ok());
  StoredAlert twin = alert;
  twin.alert_id = "alert-twin";
  AccountEpisode twin_episode = episode;
  twin_episode.alert_id = "alert-twin";
  EXPECT_EQ(
      engagement_->SaveAlertStep("acme", *none, twin_episode, engagement::AlertAction::kOpen, twin)
          .code(),
      absl::StatusCode::kFailedPrecondition);

  auto read = engagement_->ReadEpisode("acme");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->episode.open);
  EXPECT_EQ(read->episode.opened_at, kT0);
  EXPECT_EQ(read->episode.escalated_at, absl::InfinitePast());
  EXPECT_EQ(read->alert_id, "alert-1");
  auto open_of_acme = engagement_->OpenAlertOf("acme");
  ASSERT_TRUE(open_of_acme.ok()) << open_of_acme.status();
  ASSERT_TRUE(open_of_acme->has_value());
  EXPECT_EQ((*open_of_acme)->alert_id, "alert-1");
  EXPECT_FALSE(engagement_->OpenAlertOf("globex")->has_value());

  // A delivery is claimed by one sender only.
  auto claimed = engagement_->ClaimDelivery("alert-1", kT0, kT0 + absl::Minutes(2));
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_TRUE(*claimed);
  EXPECT_FALSE(*engagement_->ClaimDelivery("alert-1", kT0, kT0 + absl::Minutes(2)));
  EXPECT_THAT(*engagement_->DueDeliveries(kT0 + absl::Minutes(1), 10), IsEmpty());
  ASSERT_TRUE(engagement_->RecordDelivery("alert-1", DeliveryState::kPending, 0, "", kT0).ok());

  auto due = engagement_->DueDeliveries(kT0, 10);
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_THAT(*due, SizeIs(1u));
  EXPECT_EQ((*due)[0].payload, alert.payload);
  EXPECT_DOUBLE_EQ((*due)[0].ratio, 4 / 20.5);
  EXPECT_THAT(*engagement_->DueDeliveries(kT0 - absl::Seconds(1), 10), IsEmpty());

  ASSERT_TRUE(engagement_
                  ->RecordDelivery("alert-1", DeliveryState::kPending, 1, "HTTP 500",
                                   kT0 + absl::Seconds(30))
                  .ok());
  EXPECT_THAT(*engagement_->DueDeliveries(kT0, 10), IsEmpty());
  ASSERT_TRUE(
      engagement_
          ->RecordDelivery("alert-1", DeliveryState::kDelivered, 2, "", kT0 + absl::Seconds(30))
          .ok());
  // A delivered alert is never changed back.
  ASSERT_TRUE(
      engagement_->RecordDelivery("alert-1", DeliveryState::kPending, 3, "stale", kT0).ok());
  EXPECT_THAT(*engagement_->DueDeliveries(kT0 + absl::Hours(1), 10), IsEmpty());

  AccountEpisode before = *engagement_->ReadEpisode("acme");
  episode.episode.severity = engagement::DropState::kSevere;
  episode.episode.escalated_at = kT0 + absl::Hours(24 * 7);
  ASSERT_TRUE(
      engagement_->SaveAlertStep("acme", before, episode, engagement::AlertAction::kEscalate, alert)
          .ok());
  auto open = engagement_->ListAlerts(/*open_only=*/true, 10);
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_THAT(*open, SizeIs(1u));
  EXPECT_EQ((*open)[0].severity, engagement::DropState::kSevere);
  EXPECT_EQ((*open)[0].escalated_at, kT0 + absl::Hours(24 * 7));
  EXPECT_EQ((*open)[0].delivery, DeliveryState::kDelivered);
  EXPECT_EQ((*open)[0].attempts, 2);

  before = *engagement_->ReadEpisode("acme");
  episode.episode.open = false;
  episode.episode.closed_at = kT0 + absl::Hours(24 * 14);
  ASSERT_TRUE(
      engagement_->SaveAlertStep("acme", before, episode, engagement::AlertAction::kClose, alert)
          .ok());
  // The stale "before" no longer matches.
  EXPECT_EQ(
      engagement_->SaveAlertStep("acme", before, episode, engagement::AlertAction::kClose, alert)
          .code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(*engagement_->ListAlerts(true, 10), IsEmpty());
  auto all = engagement_->ListAlerts(false, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(*all, SizeIs(1u));
  EXPECT_FALSE((*all)[0].open);
  EXPECT_EQ((*all)[0].resolved_at, kT0 + absl::Hours(24 * 14));
}

}  // namespace
}  // namespace cairn::collector
