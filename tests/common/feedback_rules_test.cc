// The feedback body's contract: bounds a hostile client cannot pass, and the
// compatibility of the new body and purpose with collectors and SDKs that
// predate them, checked on the wire bytes.
#include <memory>
#include <string>

#include "cairn/common/event_rules.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/uuid.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"

namespace cairn {
namespace {

using cairn::v1::RejectReason;

const absl::Time kNow = absl::FromUnixSeconds(1790000000);

cairn::v1::Event Answer(cairn::v1::FeedbackKind kind, int score) {
  static UuidV7Generator ids;
  cairn::v1::Event e;
  e.set_event_id(ids.Next(kNow));
  e.set_account_id("acme");
  e.set_user_id("u-1");
  ToProto(kNow - absl::Minutes(5), e.mutable_occurred_at());
  e.set_purpose(cairn::v1::PURPOSE_FEEDBACK);
  e.mutable_feedback()->set_kind(kind);
  e.mutable_feedback()->set_score(score);
  return e;
}

std::optional<RejectReason> ReasonFor(const cairn::v1::Event& e) {
  std::optional<RuleViolation> v = CheckEvent(e, kNow);
  if (!v) return std::nullopt;
  return v->reason;
}

TEST(FeedbackRules, ScoresInsideTheirKindsRangePass) {
  for (int score : {0, 6, 7, 9, 10}) {
    EXPECT_EQ(ReasonFor(Answer(cairn::v1::FEEDBACK_KIND_NPS, score)), std::nullopt) << score;
  }
  for (int score : {1, 3, 5}) {
    EXPECT_EQ(ReasonFor(Answer(cairn::v1::FEEDBACK_KIND_CSAT, score)), std::nullopt) << score;
  }
  cairn::v1::Event full = Answer(cairn::v1::FEEDBACK_KIND_NPS, 8);
  full.mutable_feedback()->set_comment(std::string(kMaxFeedbackCommentBytes, 'x'));
  full.mutable_feedback()->set_survey_id("q4-nps");
  EXPECT_EQ(ReasonFor(full), std::nullopt);
  // 500 bytes, not 500 characters: 250 two-byte characters fit.
  std::string accents;
  for (int i = 0; i < 250; ++i) accents += "\xc3\xa9";
  full.mutable_feedback()->set_comment(accents);
  EXPECT_EQ(ReasonFor(full), std::nullopt);
}

TEST(FeedbackRules, HostileBodiesAreRejectedWithTheirReason) {
  const auto invalid = RejectReason::REJECT_REASON_INVALID_FEEDBACK;
  EXPECT_EQ(ReasonFor(Answer(cairn::v1::FEEDBACK_KIND_NPS, -1)), invalid);
  EXPECT_EQ(ReasonFor(Answer(cairn::v1::FEEDBACK_KIND_NPS, 11)), invalid);
  EXPECT_EQ(ReasonFor(Answer(cairn::v1::FEEDBACK_KIND_NPS, INT32_MIN)), invalid);
  EXPECT_EQ(ReasonFor(Answer(cairn::v1::FEEDBACK_KIND_CSAT, 0)), invalid);
  EXPECT_EQ(ReasonFor(Answer(cairn::v1::FEEDBACK_KIND_CSAT, 6)), invalid);
  EXPECT_EQ(ReasonFor(Answer(cairn::v1::FEEDBACK_KIND_UNSPECIFIED, 5)), invalid);
  EXPECT_EQ(ReasonFor(Answer(static_cast<cairn::v1::FeedbackKind>(9), 5)), invalid);

  cairn::v1::Event huge = Answer(cairn::v1::FEEDBACK_KIND_NPS, 9);
  huge.mutable_feedback()->set_comment(std::string(kMaxFeedbackCommentBytes + 1, 'x'));
  EXPECT_EQ(ReasonFor(huge), invalid);
  huge.mutable_feedback()->set_comment(std::string(1 << 20, 'x'));
  EXPECT_EQ(ReasonFor(huge), invalid);

  cairn::v1::Event bad_utf8 = Answer(cairn::v1::FEEDBACK_KIND_NPS, 9);
  bad_utf8.mutable_feedback()->set_comment("ok \xc3");
  EXPECT_EQ(ReasonFor(bad_utf8), invalid);

  cairn::v1::Event bad_survey = Answer(cairn::v1::FEEDBACK_KIND_CSAT, 4);
  bad_survey.mutable_feedback()->set_survey_id("a survey");
  EXPECT_EQ(ReasonFor(bad_survey), invalid);

  // The detail names the rule, never the comment.
  huge.mutable_feedback()->set_comment(std::string(600, 's'));
  std::optional<RuleViolation> v = CheckEvent(huge, kNow);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->detail.find("sss"), std::string::npos);
}

TEST(FeedbackRules, TheBodyNeedsTheFeedbackPurposeAndNothingElse) {
  cairn::v1::Event e = Answer(cairn::v1::FEEDBACK_KIND_NPS, 9);
  EXPECT_EQ(RequiredPurpose(e), cairn::v1::PURPOSE_FEEDBACK);
  e.set_purpose(cairn::v1::PURPOSE_MILESTONES);
  EXPECT_EQ(ReasonFor(e), RejectReason::REJECT_REASON_PURPOSE_MISMATCH);
  e.set_purpose(cairn::v1::PURPOSE_USAGE_ANALYTICS);
  EXPECT_EQ(ReasonFor(e), RejectReason::REJECT_REASON_PURPOSE_MISMATCH);
  // A milestone cannot borrow the feedback purpose either.
  cairn::v1::Event milestone = Answer(cairn::v1::FEEDBACK_KIND_NPS, 9);
  milestone.mutable_milestone()->set_name("invoice_sent");
  EXPECT_EQ(ReasonFor(milestone), RejectReason::REJECT_REASON_PURPOSE_MISMATCH);
}

TEST(FeedbackRules, AConsentChangeMayDecideTheFeedbackPurpose) {
  cairn::v1::Event e = Answer(cairn::v1::FEEDBACK_KIND_NPS, 9);
  e.set_purpose(cairn::v1::PURPOSE_CONSENT_RECORD);
  cairn::v1::ConsentChange* change = e.mutable_consent_change();
  change->set_purpose(cairn::v1::PURPOSE_FEEDBACK);
  change->set_decision(cairn::v1::CONSENT_DECISION_GRANTED);
  change->set_policy_version("2026-11");
  EXPECT_EQ(ReasonFor(e), std::nullopt);
}

// The wire contract as it was before feedback: event.proto's descriptor
// without the Feedback message, its kind enum, the body field and the
// purpose value, in a pool of its own. What a collector or SDK built from
// that contract parses.
class PreviousContract {
 public:
  PreviousContract() {
    google::protobuf::FileDescriptorProto file;
    cairn::v1::Event::descriptor()->file()->CopyTo(&file);
    auto* messages = file.mutable_message_type();
    for (int i = messages->size() - 1; i >= 0; --i) {
      if (messages->Get(i).name() == "Feedback") messages->DeleteSubrange(i, 1);
    }
    auto* enums = file.mutable_enum_type();
    for (int i = enums->size() - 1; i >= 0; --i) {
      if (enums->Get(i).name() == "FeedbackKind") enums->DeleteSubrange(i, 1);
    }
    for (auto& e : *file.mutable_enum_type()) {
      if (e.name() != "Purpose") continue;
      auto* values = e.mutable_value();
      for (int i = values->size() - 1; i >= 0; --i) {
        if (values->Get(i).name() == "PURPOSE_FEEDBACK") values->DeleteSubrange(i, 1);
      }
    }
    for (auto& m : *file.mutable_message_type()) {
      if (m.name() != "Event") continue;
      auto* fields = m.mutable_field();
      for (int i = fields->size() - 1; i >= 0; --i) {
        if (fields->Get(i).name() == "feedback") fields->DeleteSubrange(i, 1);
      }
    }
    for (const google::protobuf::FileDescriptor* dep :
         {google::protobuf::Timestamp::descriptor()->file(),
          google::protobuf::Duration::descriptor()->file()}) {
      google::protobuf::FileDescriptorProto proto;
      dep->CopyTo(&proto);
      pool_.BuildFile(proto);
    }
    file_ = pool_.BuildFile(file);
  }
  const google::protobuf::Descriptor* event() const {
    return file_ == nullptr ? nullptr : file_->FindMessageTypeByName("Event");
  }
  const google::protobuf::EnumDescriptor* purpose() const {
    return file_ == nullptr ? nullptr : file_->FindEnumTypeByName("Purpose");
  }
  google::protobuf::DynamicMessageFactory& factory() { return factory_; }

 private:
  google::protobuf::DescriptorPool pool_;
  const google::protobuf::FileDescriptor* file_ = nullptr;
  google::protobuf::DynamicMessageFactory factory_{&pool_};
};

TEST(FeedbackCompatibility, AnOldCollectorSeesAnUnknownPurposeAndNoBody) {
  PreviousContract old;
  ASSERT_NE(old.event(), nullptr);
  ASSERT_NE(old.purpose(), nullptr);
  cairn::v1::Event answer = Answer(cairn::v1::FEEDBACK_KIND_NPS, 9);
  answer.mutable_feedback()->set_comment("great");
  const std::string bytes = answer.SerializeAsString();

  std::unique_ptr<google::protobuf::Message> parsed(old.factory().GetPrototype(old.event())->New());
  ASSERT_TRUE(parsed->ParseFromString(bytes)) << "the batch still parses as a whole";
  const google::protobuf::Reflection* reflection = parsed->GetReflection();
  // The envelope reads as before...
  EXPECT_EQ(reflection->GetString(*parsed, old.event()->FindFieldByName("account_id")), "acme");
  // ...the body is unknown to it (its CheckEvent answers MISSING_BODY)...
  EXPECT_EQ(reflection->GetOneofFieldDescriptor(*parsed, old.event()->FindOneofByName("body")),
            nullptr);
  // ...and the purpose is a number it does not know (INVALID_PURPOSE, the
  // first of the two rules it checks): refused per event, as any unknown
  // input is.
  const int purpose = reflection->GetEnumValue(*parsed, old.event()->FindFieldByName("purpose"));
  EXPECT_EQ(purpose, 5);
  EXPECT_EQ(old.purpose()->FindValueByNumber(purpose), nullptr);
}

TEST(FeedbackCompatibility, AnOldSdksEventsPassTheNewCollectorUnchanged) {
  PreviousContract old;
  ASSERT_NE(old.event(), nullptr);
  cairn::v1::Event milestone = Answer(cairn::v1::FEEDBACK_KIND_NPS, 9);
  milestone.set_purpose(cairn::v1::PURPOSE_MILESTONES);
  milestone.mutable_milestone()->set_name("invoice_sent");
  std::unique_ptr<google::protobuf::Message> old_event(
      old.factory().GetPrototype(old.event())->New());
  ASSERT_TRUE(old_event->ParseFromString(milestone.SerializeAsString()));
  // Bytes as an old SDK writes them, read by this build.
  cairn::v1::Event read;
  ASSERT_TRUE(read.ParseFromString(old_event->SerializeAsString()));
  EXPECT_FALSE(read.has_feedback());
  EXPECT_EQ(read.milestone().name(), "invoice_sent");
  EXPECT_EQ(ReasonFor(read), std::nullopt);
}

}  // namespace
}  // namespace cairn
