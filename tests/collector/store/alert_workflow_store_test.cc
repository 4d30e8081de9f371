// Alert kinds, acknowledgement and snooze in both stores (SQLite and
// PostgreSQL, a fresh database per test): a declining alert keeps its kind
// through an escalation, acknowledging keeps the first time, a snoozed
// alert leaves the open list until its snooze ends, a resolved one cannot be
// snoozed.
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/engagement_store.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::collector::testing::StoreKind;
using ::cairn::collector::testing::StoreSuite;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr absl::Time kT0 = testing::kStoreTestNow;
const absl::Duration kDay = absl::Hours(24);

class CollectorAlertWorkflowStoreTest : public StoreSuite {
 protected:
  void SetUp() override {
    StoreSuite::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    tables_ = std::make_unique<EngagementStore>(store_.get());
  }

  // Opens a declining alert "alert-1" for "acme" at kT0 and returns its episode.
  AccountEpisode OpenDeclining() {
    AccountEpisode none = *tables_->ReadEpisode("acme");
    AccountEpisode next;
    next.episode.open = true;
    next.episode.severity = engagement::DropState::kDeclining;
    next.episode.opened_at = kT0;
    next.episode.episodes = 1;
    next.alert_id = "alert-1";
    StoredAlert alert;
    alert.alert_id = "alert-1";
    alert.account_id = "acme";
    alert.severity = engagement::DropState::kDeclining;
    alert.kind = "declining";
    alert.loss_12w = 0.42;
    alert.opened_at = kT0;
    alert.this_week = 30;
    alert.baseline_mean = 35;
    alert.ratio = 30.0 / 35;
    alert.payload = "{}";
    alert.next_attempt_at = kT0;
    EXPECT_TRUE(
        tables_->SaveAlertStep("acme", none, next, engagement::AlertAction::kOpen, alert).ok());
    return next;
  }
  StoredAlert Get(const std::string& id) {
    auto alert = tables_->GetAlert(id);
    EXPECT_TRUE(alert.ok()) << alert.status();
    EXPECT_TRUE(alert.ok() && alert->has_value());
    return alert.ok() && alert->has_value() ? **alert : StoredAlert{};
  }

  std::unique_ptr<EngagementStore> tables_;
};

INSTANTIATE_TEST_SUITE_P(CollectorStores, CollectorAlertWorkflowStoreTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
                         testing::StoreKindName);

TEST_P(CollectorAlertWorkflowStoreTest, DecliningAlertKeepsItsKindWhenItEscalates) {
  AccountEpisode episode = OpenDeclining();
  StoredAlert read = Get("alert-1");
  EXPECT_EQ(read.kind, "declining");
  EXPECT_EQ(read.severity, engagement::DropState::kDeclining);
  ASSERT_TRUE(read.loss_12w.has_value());
  EXPECT_DOUBLE_EQ(*read.loss_12w, 0.42);
  EXPECT_FALSE(read.acknowledged_at.has_value());
  EXPECT_FALSE(read.snoozed_until.has_value());
  EXPECT_EQ(tables_->ReadEpisode("acme")->episode.severity, engagement::DropState::kDeclining);

  AccountEpisode before = *tables_->ReadEpisode("acme");
  episode.episode.severity = engagement::DropState::kDrop;
  episode.episode.escalated_at = kT0 + kDay;
  ASSERT_TRUE(
      tables_->SaveAlertStep("acme", before, episode, engagement::AlertAction::kEscalate, {}).ok());
  read = Get("alert-1");
  EXPECT_EQ(read.severity, engagement::DropState::kDrop);
  EXPECT_EQ(read.kind, "declining");
  EXPECT_EQ(read.escalated_at, kT0 + kDay);
  EXPECT_FALSE(tables_->GetAlert("alert-none")->has_value());
}

TEST_P(CollectorAlertWorkflowStoreTest, AcknowledgeKeepsTheFirstTime) {
  OpenDeclining();
  ASSERT_TRUE(tables_->AcknowledgeAlert("alert-1", kT0 + absl::Hours(1)).ok());
  ASSERT_TRUE(tables_->AcknowledgeAlert("alert-1", kT0 + absl::Hours(2)).ok());
  EXPECT_EQ(Get("alert-1").acknowledged_at, kT0 + absl::Hours(1));
  EXPECT_EQ(tables_->AcknowledgeAlert("alert-none", kT0).code(), absl::StatusCode::kNotFound);
  // Acknowledged is not hidden: it stays on the open list.
  EXPECT_THAT(*tables_->ListAlerts(true, 10, kT0), SizeIs(1u));
}

TEST_P(CollectorAlertWorkflowStoreTest, SnoozedAlertLeavesTheOpenListUntilItEnds) {
  AccountEpisode episode = OpenDeclining();
  ASSERT_TRUE(tables_->SnoozeAlert("alert-1", kT0 + 3 * kDay).ok());
  EXPECT_EQ(Get("alert-1").snoozed_until, kT0 + 3 * kDay);
  EXPECT_THAT(*tables_->ListAlerts(true, 10, kT0 + kDay), IsEmpty());
  EXPECT_THAT(*tables_->ListAlerts(true, 10, kT0 + 3 * kDay), SizeIs(1u));  // re-shown
  // Without a time, and in the full list, snoozed alerts are listed.
  EXPECT_THAT(*tables_->ListAlerts(true, 10), SizeIs(1u));
  EXPECT_THAT(*tables_->ListAlerts(false, 10, kT0 + kDay), SizeIs(1u));
  // A later snooze replaces the earlier one.
  ASSERT_TRUE(tables_->SnoozeAlert("alert-1", kT0 + kDay).ok());
  EXPECT_THAT(*tables_->ListAlerts(true, 10, kT0 + 2 * kDay), SizeIs(1u));
  EXPECT_EQ(tables_->SnoozeAlert("alert-none", kT0 + kDay).code(), absl::StatusCode::kNotFound);

  AccountEpisode before = *tables_->ReadEpisode("acme");
  episode.episode.open = false;
  episode.episode.closed_at = kT0 + 5 * kDay;
  ASSERT_TRUE(
      tables_->SaveAlertStep("acme", before, episode, engagement::AlertAction::kClose, {}).ok());
  EXPECT_EQ(tables_->SnoozeAlert("alert-1", kT0 + 9 * kDay).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Get("alert-1").snoozed_until, kT0 + kDay);
}

}  // namespace
}  // namespace cairn::collector
