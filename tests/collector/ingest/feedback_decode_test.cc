// Hostile feedback bodies at the collector's door: each bad one is refused
// on its own, with the rejection reason for feedback, and the rest of its
// batch is kept; a comment never appears in what is reported back.
#include <string>

#include "absl/time/clock.h"
#include "cairn/common/codec.h"
#include "gtest/gtest.h"
#include "ingest/batch_decoder.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::MakeBatch;
using ::cairn::testing::MakeFeedback;
using ::cairn::testing::MakeLogin;

TEST(CollectorFeedbackDecodeTest, BadAnswersAreRejectedOneByOneAndTheRestKept) {
  const absl::Time now = absl::Now();
  cairn::v1::Event wrong_kind = MakeFeedback("a", "u", cairn::v1::FEEDBACK_KIND_NPS, 5, now);
  wrong_kind.mutable_feedback()->set_kind(static_cast<cairn::v1::FeedbackKind>(3));
  cairn::v1::Event wrong_purpose = MakeFeedback("a", "u", cairn::v1::FEEDBACK_KIND_NPS, 5, now);
  wrong_purpose.set_purpose(cairn::v1::PURPOSE_MILESTONES);
  const std::string secret(100000, 'c');  // a huge comment
  cairn::v1::Batch batch = MakeBatch({
      MakeFeedback("a", "u", cairn::v1::FEEDBACK_KIND_NPS, 9, now, "fine"),    // 0 kept
      MakeFeedback("a", "u", cairn::v1::FEEDBACK_KIND_NPS, -1, now),           // 1
      MakeFeedback("a", "u", cairn::v1::FEEDBACK_KIND_NPS, 11, now),           // 2
      MakeFeedback("a", "u", cairn::v1::FEEDBACK_KIND_CSAT, 6, now),           // 3
      MakeFeedback("a", "u", cairn::v1::FEEDBACK_KIND_NPS, 9, now, secret),    // 4
      wrong_kind,                                                              // 5
      wrong_purpose,                                                           // 6
      MakeLogin("a", "u", now),                                                // 7 kept
      MakeFeedback("a", "u", cairn::v1::FEEDBACK_KIND_CSAT, 5, now, "great"),  // 8 kept
  });
  absl::StatusOr<DecodedBatch> decoded =
      DecodeBatch(Codec::kIdentity, batch.SerializeAsString(), {}, now);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->record.events.size(), 3u);
  EXPECT_EQ(decoded->record.events[0].feedback().score(), 9);
  EXPECT_TRUE(decoded->record.events[1].has_login());
  EXPECT_EQ(decoded->record.events[2].feedback().comment(), "great");
  EXPECT_EQ(decoded->record.rejected, 6);
  ASSERT_EQ(decoded->rejected.size(), 6u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(decoded->rejected[i].index(), static_cast<uint32_t>(i + 1));
    EXPECT_EQ(decoded->rejected[i].reason(), cairn::v1::REJECT_REASON_INVALID_FEEDBACK) << i;
  }
  EXPECT_EQ(decoded->rejected[5].index(), 6u);
  EXPECT_EQ(decoded->rejected[5].reason(), cairn::v1::REJECT_REASON_PURPOSE_MISMATCH);
  for (const cairn::v1::RejectedEvent& r : decoded->rejected) {
    EXPECT_EQ(r.detail().find("ccc"), std::string::npos);
  }
}

}  // namespace
}  // namespace cairn::collector
