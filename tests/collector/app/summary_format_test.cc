#include "app/summary_format.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cairn::collector {
namespace {

using ::testing::HasSubstr;

TEST(CollectorSummaryFormatTest, ShowsTotalsAccountsAndDrops) {
  StoreSummary summary;
  summary.total_events = 12;
  summary.events_by_kind = {{"login", 4}, {"milestone", 8}};
  summary.accounts = 1;
  summary.users = 2;
  summary.batches = 3;
  summary.top_accounts.push_back(
      AccountSummary{"acme", 2, 4, 3,
                     absl::FromCivil(absl::CivilSecond(2025, 1, 2, 3, 4, 5), absl::UTCTimeZone())});
  summary.client_drops[cairn::v1::DROP_REASON_QUEUE_FULL] = 5;
  std::string text = FormatSummary(summary);
  EXPECT_THAT(text, HasSubstr("events:   12 (login 4, milestone 8)"));
  EXPECT_THAT(text, HasSubstr("accounts: 1"));
  EXPECT_THAT(text, HasSubstr("users:    2"));
  EXPECT_THAT(text, HasSubstr("batches:  3"));
  EXPECT_THAT(text, HasSubstr("acme"));
  EXPECT_THAT(text, HasSubstr("2025-01-02 03:04:05 UTC"));
  EXPECT_THAT(text, HasSubstr("events dropped on devices: 5"));
  EXPECT_THAT(text, HasSubstr("queue_full"));
}

TEST(CollectorSummaryFormatTest, ShowsRejectionsByReasonAndGdprCounts) {
  StoreSummary summary;
  summary.rejections[cairn::v1::REJECT_REASON_NO_CONSENT] = 3;
  summary.rejections[cairn::v1::REJECT_REASON_USER_ERASED] = 2;
  summary.erased_users = 4;
  summary.suppressed_users = 5;
  summary.consent_records = 6;
  std::string text = FormatSummary(summary);
  EXPECT_THAT(text, HasSubstr("events rejected by the collector: 5"));
  EXPECT_THAT(text, HasSubstr("no_consent           3"));
  EXPECT_THAT(text, HasSubstr("user_erased          2"));
  EXPECT_THAT(text, HasSubstr("consent records:  6"));
  EXPECT_THAT(text, HasSubstr("erased users:     4"));
  EXPECT_THAT(text, HasSubstr("renewal opt-outs: 5"));
}

TEST(CollectorSummaryFormatTest, EmptySummaryIsStillReadable) {
  std::string text = FormatSummary(StoreSummary{});
  EXPECT_THAT(text, HasSubstr("events:   0\n"));
  EXPECT_THAT(text, HasSubstr("events dropped on devices: 0"));
}

}  // namespace
}  // namespace cairn::collector
