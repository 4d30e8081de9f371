#include "cairn/common/event_rules.h"

#include "cairn/common/proto_time.h"
#include "cairn/common/uuid.h"
#include "gtest/gtest.h"

namespace cairn {
namespace {

using cairn::v1::RejectReason;

const absl::Time kNow = absl::FromUnixSeconds(1790000000);

cairn::v1::Event GoodMilestone() {
  static UuidV7Generator ids;
  cairn::v1::Event e;
  e.set_event_id(ids.Next(kNow));
  e.set_account_id("acme");
  e.set_user_id("u-1");
  ToProto(kNow - absl::Minutes(5), e.mutable_occurred_at());
  e.set_purpose(cairn::v1::PURPOSE_MILESTONES);
  e.mutable_milestone()->set_name("invoice_sent");
  (*e.mutable_attributes())["plan"] = "pro";
  return e;
}

std::optional<RejectReason> ReasonFor(const cairn::v1::Event& e) {
  auto v = CheckEvent(e, kNow);
  if (!v) return std::nullopt;
  return v->reason;
}

TEST(EventRules, AcceptsAWellFormedEvent) { EXPECT_EQ(ReasonFor(GoodMilestone()), std::nullopt); }

TEST(EventRules, EachBrokenRuleHasItsReason) {
  struct Case {
    const char* name;
    void (*breakit)(cairn::v1::Event&);
    RejectReason reason;
  };
  const Case cases[] = {
      {"uuid v4", [](auto& e) { e.set_event_id("018bcfe5-687b-4000-8000-000000000000"); },
       RejectReason::REJECT_REASON_INVALID_EVENT_ID},
      {"empty account", [](auto& e) { e.set_account_id(""); },
       RejectReason::REJECT_REASON_INVALID_ACCOUNT_ID},
      {"space in user", [](auto& e) { e.set_user_id("a b"); },
       RejectReason::REJECT_REASON_INVALID_USER_ID},
      {"no time", [](auto& e) { e.clear_occurred_at(); },
       RejectReason::REJECT_REASON_INVALID_TIMESTAMP},
      {"far future", [](auto& e) { ToProto(kNow + absl::Hours(48), e.mutable_occurred_at()); },
       RejectReason::REJECT_REASON_INVALID_TIMESTAMP},
      {"1990", [](auto& e) { ToProto(absl::FromUnixSeconds(631152000), e.mutable_occurred_at()); },
       RejectReason::REJECT_REASON_INVALID_TIMESTAMP},
      {"no purpose", [](auto& e) { e.set_purpose(cairn::v1::PURPOSE_UNSPECIFIED); },
       RejectReason::REJECT_REASON_INVALID_PURPOSE},
      {"unknown purpose", [](auto& e) { e.set_purpose(static_cast<cairn::v1::Purpose>(99)); },
       RejectReason::REJECT_REASON_INVALID_PURPOSE},
      {"no body", [](auto& e) { e.clear_milestone(); }, RejectReason::REJECT_REASON_MISSING_BODY},
      {"wrong purpose", [](auto& e) { e.set_purpose(cairn::v1::PURPOSE_USAGE_ANALYTICS); },
       RejectReason::REJECT_REASON_PURPOSE_MISMATCH},
      {"bad name", [](auto& e) { e.mutable_milestone()->set_name("sent invoice!"); },
       RejectReason::REJECT_REASON_INVALID_MILESTONE},
      {"big value",
       [](auto& e) {
         (*e.mutable_attributes())["k"] = std::string(kMaxAttributeValueBytes + 1, 'v');
       },
       RejectReason::REJECT_REASON_INVALID_ATTRIBUTES},
      {"many attrs",
       [](auto& e) {
         for (size_t i = 0; i <= kMaxAttributes; ++i)
           (*e.mutable_attributes())["k" + std::to_string(i)] = "v";
       },
       RejectReason::REJECT_REASON_INVALID_ATTRIBUTES},
  };
  for (const Case& c : cases) {
    cairn::v1::Event e = GoodMilestone();
    c.breakit(e);
    EXPECT_EQ(ReasonFor(e), c.reason) << c.name;
  }
}

TEST(EventRules, ConsentChangeNeedsAPolicyVersion) {
  cairn::v1::Event e = GoodMilestone();
  e.set_purpose(cairn::v1::PURPOSE_CONSENT_RECORD);
  cairn::v1::ConsentChange* change = e.mutable_consent_change();
  change->set_purpose(cairn::v1::PURPOSE_MILESTONES);
  change->set_decision(cairn::v1::CONSENT_DECISION_GRANTED);
  EXPECT_EQ(ReasonFor(e), RejectReason::REJECT_REASON_MISSING_POLICY_VERSION);
  change->set_policy_version("2026-11");
  EXPECT_EQ(ReasonFor(e), std::nullopt);
  change->set_purpose(cairn::v1::PURPOSE_CONSENT_RECORD);
  EXPECT_EQ(ReasonFor(e), RejectReason::REJECT_REASON_INVALID_CONSENT);
}

TEST(EventRules, Utf8IsCheckedStrictly) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\x89"));  // é € 🎉
  EXPECT_FALSE(IsValidUtf8("\xc3"));                                      // truncated
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));                                  // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));                                  // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));                              // UTF-16 surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));                          // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("ok\x80"));  // stray continuation byte
  cairn::v1::Event e = GoodMilestone();
  (*e.mutable_attributes())["k"] = "\xc3";
  EXPECT_EQ(ReasonFor(e), RejectReason::REJECT_REASON_INVALID_ATTRIBUTES);
}

TEST(EventRules, RequiredPurposeFollowsTheBody) {
  cairn::v1::Event e;
  EXPECT_EQ(RequiredPurpose(e), cairn::v1::PURPOSE_UNSPECIFIED);
  e.mutable_login();
  EXPECT_EQ(RequiredPurpose(e), cairn::v1::PURPOSE_USAGE_ANALYTICS);
  e.mutable_milestone();
  EXPECT_EQ(RequiredPurpose(e), cairn::v1::PURPOSE_MILESTONES);
}

}  // namespace
}  // namespace cairn
