// The feedback aggregate on both stores (value-parameterized: SQLite and
// PostgreSQL, a fresh database per test): each (account, user, kind, day)
// keeps its latest answer under the feedback purpose's consent, NPS and
// CSAT come from it, and erasure and withdrawal empty it for the user.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/engagement/day.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/user_data.h"
#include "success/feedback.h"
#include "test_batches.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::collector::testing::StoreKind;
using ::cairn::collector::testing::StoreSuite;
using ::cairn::engagement::DayOf;
using ::cairn::testing::MakeConsentChange;
using ::cairn::testing::MakeFeedback;
using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr auto kNps = cairn::v1::FEEDBACK_KIND_NPS;
constexpr auto kCsat = cairn::v1::FEEDBACK_KIND_CSAT;
constexpr absl::Time kT0 = testing::kStoreTestNow;
const absl::Duration kDay = absl::Hours(24);

class CollectorFeedbackStoreTest : public StoreSuite {
 protected:
  void GrantFeedback(const std::string& account, const std::string& user) {
    Write({MakeGrant(account, user, cairn::v1::PURPOSE_FEEDBACK),
           MakeGrant(account, user, cairn::v1::PURPOSE_USAGE_ANALYTICS)});
  }
  int64_t Rows(const std::string& where) {
    return QueryInt(absl::StrCat("SELECT count(*) FROM user_feedback_day WHERE ", where));
  }
  FeedbackScores Scores(std::optional<std::string> account, int64_t days = 30) {
    const FeedbackWindow window = LastDays(kT0, days);
    absl::StatusOr<FeedbackScores> scores =
        account ? NpsOf(*store_, *account, window) : NpsOverall(*store_, window);
    EXPECT_TRUE(scores.ok()) << scores.status();
    return scores.ok() ? *scores : FeedbackScores{};
  }
};

INSTANTIATE_TEST_SUITE_P(CollectorStores, CollectorFeedbackStoreTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
                         testing::StoreKindName);

TEST_P(CollectorFeedbackStoreTest, EachUsersLatestAnswerCountsOnceInNpsAndCsat) {
  for (const char* user : {"u1", "u2", "u3"}) GrantFeedback("acme", user);
  GrantFeedback("beta", "u4");
  // u1 changes their mind: only the later answer counts (a promoter).
  Write({MakeFeedback("acme", "u1", kNps, 3, kT0 - 3 * kDay),
         MakeFeedback("acme", "u1", kNps, 10, kT0 - 2 * kDay),
         MakeFeedback("acme", "u2", kNps, 5, kT0 - kDay),
         MakeFeedback("acme", "u3", kNps, 8, kT0 - kDay),
         MakeFeedback("acme", "u3", kCsat, 4, kT0 - kDay, "the export is slow"),
         MakeFeedback("acme", "u2", kCsat, 1, kT0 - kDay), MakeFeedback("beta", "u4", kNps, 9, kT0),
         // Outside a 30-day window.
         MakeFeedback("beta", "u4", kNps, 0, kT0 - 60 * kDay)});
  // Two answers of one day arriving in the wrong order: the later one wins.
  Write({MakeFeedback("acme", "u2", kCsat, 3, kT0 - kDay + absl::Hours(2))});
  Write({MakeFeedback("acme", "u2", kCsat, 2, kT0 - kDay + absl::Hours(1))});

  EXPECT_EQ(QueryInt("SELECT count(*) FROM user_feedback_day"), 8);
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT score FROM user_feedback_day WHERE user_id = 'u2' "
                                  "AND kind = ",
                                  int{kCsat}, " AND day = ", DayOf(kT0 - kDay))),
            3);

  const FeedbackScores acme = Scores("acme");
  EXPECT_EQ(acme.nps_responses, 3);
  EXPECT_EQ(acme.promoters, 1);
  EXPECT_EQ(acme.passives(), 1);
  EXPECT_EQ(acme.detractors, 1);
  EXPECT_EQ(acme.nps(), 0.0);
  EXPECT_EQ(acme.csat_responses, 2);
  EXPECT_EQ(acme.csat_mean(), 3.5);  // u2's latest 3, u3's 4

  const FeedbackScores all = Scores(std::nullopt);
  EXPECT_EQ(all.nps_responses, 4);
  EXPECT_EQ(all.promoters, 2);
  EXPECT_EQ(all.detractors, 1);
  EXPECT_EQ(all.nps(), 25.0);

  // A 90-day window reaches u4's old 0, but u4's latest answer is the 9.
  EXPECT_EQ(Scores("beta", 90).nps(), 100.0);
  // A window that holds only the old answer counts that one.
  absl::StatusOr<FeedbackScores> old =
      NpsOf(*store_, "beta", FeedbackWindow{DayOf(kT0 - 61 * kDay), DayOf(kT0 - 59 * kDay)});
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->nps(), -100.0);
  // No answers: no score rather than a zero.
  const FeedbackScores none = Scores("gamma");
  EXPECT_EQ(none.nps_responses, 0);
  EXPECT_EQ(none.nps(), std::nullopt);
  EXPECT_EQ(none.csat_mean(), std::nullopt);
}

TEST_P(CollectorFeedbackStoreTest, WithoutTheFeedbackGrantNothingIsStored) {
  // Usage analytics and milestones granted, feedback not.
  Write({MakeGrant("acme", "u1", cairn::v1::PURPOSE_USAGE_ANALYTICS),
         MakeGrant("acme", "u1", cairn::v1::PURPOSE_MILESTONES)});
  BatchWriteResult result = Write({MakeFeedback("acme", "u1", kNps, 9, kT0)});
  EXPECT_EQ(result.inserted, 0);
  EXPECT_THAT(result.rejections, SizeIs(1u));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM user_feedback_day"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE user_id = 'u1' AND purpose = 5"), 0);
}

TEST_P(CollectorFeedbackStoreTest, TheCommentStaysInTheEventAndTheExportCoversBoth) {
  GrantFeedback("acme", "u1");
  Write({MakeFeedback("acme", "u1", kNps, 6, kT0, "too expensive for us")});
  absl::StatusOr<UserExport> data = store_->ExportUser("u1", 100);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_THAT(data->user_feedback_day, SizeIs(1u));
  EXPECT_EQ(data->user_feedback_day[0].account_id, "acme");
  EXPECT_EQ(data->user_feedback_day[0].kind, int64_t{kNps});
  EXPECT_EQ(data->user_feedback_day[0].score, 6);
  EXPECT_EQ(data->user_feedback_day[0].day, DayOf(kT0));
  int with_comment = 0;
  for (const StoredEvent& stored : data->events) {
    if (stored.event.has_feedback()) {
      EXPECT_EQ(stored.event.feedback().comment(), "too expensive for us");
      EXPECT_EQ(stored.event.feedback().score(), 6);
      ++with_comment;
    }
  }
  EXPECT_EQ(with_comment, 1);
}

TEST_P(CollectorFeedbackStoreTest, ErasureEmptiesTheUsersAnswersAndTheirEvents) {
  GrantFeedback("acme", "u1");
  GrantFeedback("acme", "u2");
  Write({MakeFeedback("acme", "u1", kNps, 10, kT0, "love it"),
         MakeFeedback("acme", "u2", kNps, 2, kT0)});
  ASSERT_EQ(Scores("acme").nps(), 0.0);
  ASSERT_TRUE(store_->EraseUser("u1", kT0).ok());
  EXPECT_EQ(Rows("user_id = 'u1'"), 0);
  EXPECT_EQ(Rows("user_id = 'u2'"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM events WHERE user_id = 'u1'"), 0);
  EXPECT_EQ(Scores("acme").nps(), -100.0);
  // A late answer of the erased user is refused by the tombstone.
  BatchWriteResult late = Write({MakeFeedback("acme", "u1", kNps, 10, kT0)});
  EXPECT_EQ(late.inserted, 0);
  EXPECT_EQ(Rows("user_id = 'u1'"), 0);
}

TEST_P(CollectorFeedbackStoreTest, WithdrawingFeedbackEmptiesOnlyTheFeedbackAggregate) {
  GrantFeedback("acme", "u1");
  GrantFeedback("acme", "u2");
  Write({MakeLogin("acme", "u1", kT0 - kDay), MakeFeedback("acme", "u1", kNps, 9, kT0 - kDay),
         MakeFeedback("acme", "u1", kCsat, 5, kT0 - kDay),
         MakeFeedback("acme", "u2", kNps, 9, kT0 - kDay)});
  ASSERT_EQ(Rows("user_id = 'u1'"), 2);
  Write({MakeConsentChange("acme", "u1", cairn::v1::PURPOSE_FEEDBACK,
                           cairn::v1::CONSENT_DECISION_DENIED, kT0)});
  EXPECT_EQ(Rows("user_id = 'u1'"), 0);
  EXPECT_EQ(Rows("user_id = 'u2'"), 1);
  // What other purposes produced stays.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM user_day WHERE user_id = 'u1'"), 1);
  EXPECT_EQ(Scores("acme").nps_responses, 1);
  EXPECT_EQ(Scores("acme").csat_responses, 0);
  // Answers dated after the withdrawal are refused.
  BatchWriteResult after = Write({MakeFeedback("acme", "u1", kNps, 9, kT0 + absl::Minutes(1))});
  EXPECT_EQ(after.inserted, 0);
  EXPECT_EQ(Rows("user_id = 'u1'"), 0);
}

TEST_P(CollectorFeedbackStoreTest, RetentionDropsOldAnswers) {
  GrantFeedback("acme", "u1");
  Write({MakeFeedback("acme", "u1", kNps, 9, kT0 - 300 * kDay),
         MakeFeedback("acme", "u1", kNps, 7, kT0 - kDay)});
  absl::StatusOr<AggregatePurge> purged = PurgeAggregatesBefore(*store_, kT0 - 200 * kDay);
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(Rows("day < " + std::to_string(DayOf(kT0 - 200 * kDay))), 0);
  EXPECT_EQ(Rows("user_id = 'u1'"), 1);
}

}  // namespace
}  // namespace cairn::collector
