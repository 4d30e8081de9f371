// Client::RecordFeedback: validated before anything is recorded, gated by
// the feedback purpose's own consent, and sent with the wire body filled in.
#include <string>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "gtest/gtest.h"
#include "sdk_fixture.h"

namespace cairn {
namespace {

using consent::Decision;
using consent::Purpose;

constexpr char kPolicy[] = "2026-11";

class FeedbackTest : public cairn::testing::SdkTest {
 protected:
  std::unique_ptr<Client> SignedIn(bool grant_feedback) {
    std::unique_ptr<Client> client = MakeClient(FakeCollectorOptions());
    if (client == nullptr) return nullptr;
    EXPECT_TRUE(Grant(*client, "acme", "alice", Purpose::kUsageAnalytics, kPolicy).ok());
    if (grant_feedback) {
      EXPECT_TRUE(Grant(*client, "acme", "alice", Purpose::kFeedback, kPolicy).ok());
    }
    EXPECT_TRUE(client->RecordLogin("acme", "alice").ok());
    return client;
  }
  static absl::Time Soon() { return absl::Now() + absl::Seconds(20); }
};

TEST_F(FeedbackTest, OutOfBoundsAnswersAreRefusedAndNothingIsRecorded) {
  auto client = SignedIn(/*grant_feedback=*/true);
  ASSERT_NE(client, nullptr);
  const uint64_t before = client->GetStats().recorded;
  EXPECT_EQ(client->RecordFeedback(FeedbackKind::kNps, -1).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->RecordFeedback(FeedbackKind::kNps, 11).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->RecordFeedback(FeedbackKind::kCsat, 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->RecordFeedback(FeedbackKind::kCsat, 6).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->RecordFeedback(static_cast<FeedbackKind>(7), 5).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->RecordFeedback(FeedbackKind::kNps, 9, std::string(501, 'x')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->RecordFeedback(FeedbackKind::kNps, 9, "bad \xc3").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->RecordFeedback(FeedbackKind::kNps, 9, "", "no spaces allowed").code(),
            absl::StatusCode::kInvalidArgument);
  const Stats stats = client->GetStats();
  EXPECT_EQ(stats.recorded, before);
  EXPECT_EQ(stats.refused_invalid, 8u);
  // The bounds themselves are fine.
  EXPECT_TRUE(client->RecordFeedback(FeedbackKind::kNps, 0).ok());
  EXPECT_TRUE(client->RecordFeedback(FeedbackKind::kNps, 10, std::string(500, 'x')).ok());
  EXPECT_TRUE(client->RecordFeedback(FeedbackKind::kCsat, 1).ok());
  EXPECT_TRUE(client->RecordFeedback(FeedbackKind::kCsat, 5, "", "q4-csat").ok());
  EXPECT_EQ(client->GetStats().recorded, before + 4);
}

TEST_F(FeedbackTest, WithoutTheFeedbackGrantNothingIsRecordedWhateverElseIsGranted) {
  auto client = SignedIn(/*grant_feedback=*/false);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kMilestones, kPolicy).ok());
  EXPECT_EQ(client->GetConsent("alice", Purpose::kFeedback), Decision::kUnknown);
  EXPECT_EQ(client->RecordFeedback(FeedbackKind::kNps, 9).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(client->GetStats().refused_no_consent, 1u);

  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kFeedback, kPolicy).ok());
  EXPECT_TRUE(client->RecordFeedback(FeedbackKind::kNps, 9).ok());
  ASSERT_TRUE(Withdraw(*client, "acme", "alice", Purpose::kFeedback, kPolicy).ok());
  EXPECT_EQ(client->RecordFeedback(FeedbackKind::kNps, 9).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(client->Flush(Soon()).ok());
  // The login only: the answer was withdrawn before it left the device.
  for (const cairn::v1::Event& e : ReceivedEvents()) EXPECT_FALSE(e.has_feedback());
  EXPECT_EQ(ReceivedEvents().size(), 1u);
}

TEST_F(FeedbackTest, NoAnswerWithoutASignedInUser) {
  std::unique_ptr<Client> client = MakeClient(FakeCollectorOptions());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kFeedback, kPolicy).ok());
  EXPECT_EQ(client->RecordFeedback(FeedbackKind::kCsat, 4).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(FeedbackTest, AnAnswerTravelsWithItsBodyAndPurpose) {
  auto client = SignedIn(/*grant_feedback=*/true);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->RecordFeedback(FeedbackKind::kNps, 9, "caf\xc3\xa9 is great", "q4").ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());
  const std::vector<cairn::v1::Event> events = ReceivedEvents();
  ASSERT_EQ(events.size(), 2u);
  const cairn::v1::Event& answer = events[1];
  ASSERT_TRUE(answer.has_feedback());
  EXPECT_EQ(answer.purpose(), cairn::v1::PURPOSE_FEEDBACK);
  EXPECT_EQ(answer.account_id(), "acme");
  EXPECT_EQ(answer.feedback().kind(), cairn::v1::FEEDBACK_KIND_NPS);
  EXPECT_EQ(answer.feedback().score(), 9);
  EXPECT_EQ(answer.feedback().comment(), "caf\xc3\xa9 is great");
  EXPECT_EQ(answer.feedback().survey_id(), "q4");
  // The consent change for feedback went out too, as the proof.
  bool proof = false;
  for (const cairn::v1::Event& e : ReceivedEvents(/*consent_changes=*/true)) {
    proof |= e.consent_change().purpose() == cairn::v1::PURPOSE_FEEDBACK;
  }
  EXPECT_TRUE(proof);
}

}  // namespace
}  // namespace cairn
