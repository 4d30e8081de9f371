// The admin API's JSON helpers (http/proto_json.h) at unit level: strict
// request parsing with errors that name the field, printing that keeps
// zero values, nulls and numbers, and a round trip per message kind.
#include "http/proto_json.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/admin/v1/alerts.pb.h"
#include "cairn/admin/v1/gdpr.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace cairn::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CollectorAdminJsonTest, ParsesBodiesStrictly) {
  admin::v1::CreateGoalRequest goal;
  ASSERT_TRUE(
      ParseAdminBody(
          R"({"name": "Send", "milestone_name": "sent", "target_count": 3, "due": null})", &goal)
          .ok());
  EXPECT_EQ(goal.name(), "Send");
  EXPECT_EQ(goal.target_count(), 3);
  EXPECT_FALSE(goal.has_due());  // null is no due date

  absl::Status unknown = ParseAdminBody(R"({"name": "x", "bogus": 1})", &goal);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("bogus"));
  absl::Status wrong = ParseAdminBody(R"({"target_count": "many"})", &goal);
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong.message(), HasSubstr("target_count"));
  absl::Status fraction = ParseAdminBody(R"({"target_count": 1.5})", &goal);
  EXPECT_THAT(fraction.message(), HasSubstr("target_count"));
  // Syntax errors are one line, not the parser's caret drawing.
  absl::Status broken = ParseAdminBody(R"({"name": "x",)", &goal);
  EXPECT_EQ(broken.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(broken.message(), Not(HasSubstr("\n")));
  EXPECT_EQ(ParseAdminBody("[1]", &goal).code(), absl::StatusCode::kInvalidArgument);
  // An empty body is the empty request, and clears what was there.
  ASSERT_TRUE(ParseAdminBody(" \n", &goal).ok());
  EXPECT_EQ(goal.name(), "");
}

TEST(CollectorAdminJsonTest, NullAndAbsentAreDifferentInSettingsUpdates) {
  admin::v1::UpdateAccountRequest update;
  ASSERT_TRUE(ParseAdminBody(R"({"seats": null, "key_milestones": ["a"]})", &update).ok());
  EXPECT_TRUE(update.has_seats());
  EXPECT_TRUE(update.seats().has_null_value());
  EXPECT_FALSE(update.has_renewal_date());
  EXPECT_EQ(update.key_milestones().list_value().values(0).string_value(), "a");
  EXPECT_THAT(ParseAdminBody(R"({"seat": 1})", &update).message(), HasSubstr("seat"));
}

TEST(CollectorAdminJsonTest, PrintsCompactWithZerosNullsAndNumbers) {
  admin::v1::ErasureResult erased;
  erased.set_user_id("u");
  erased.set_events_deleted(21);
  EXPECT_EQ(AdminJsonText(erased),
            "{\"user_id\":\"u\",\"events_deleted\":21,\"consent_states_deleted\":0,"
            "\"consent_records_pseudonymised\":0,\"already_erased\":false}\n");

  admin::v1::AccountSettings settings;
  settings.set_account_id("acme");
  *settings.mutable_seats() = NumberOrNull(std::numeric_limits<double>::infinity());
  *settings.mutable_renewal_date() = StringOrNull("2027-02-01");
  const std::string text = AdminJsonText(settings);
  EXPECT_THAT(text, HasSubstr("\"seats\":null"));
  EXPECT_THAT(text, HasSubstr("\"renewal_date\":\"2027-02-01\""));
  EXPECT_THAT(text, HasSubstr("\"key_milestones\":[]"));

  // Absent optional fields stay out; set ones are printed even when empty.
  admin::v1::RecipientsPage page;
  page.set_account_id("acme");
  EXPECT_THAT(AdminJsonText(page), Not(HasSubstr("next_after")));
  page.set_next_after("");
  EXPECT_THAT(AdminJsonText(page), HasSubstr("\"next_after\":\"\""));
}

TEST(CollectorAdminJsonTest, NumbersKeepSixSignificantDigits) {
  EXPECT_EQ(NumberOrNull(1.0 / 7).number_value(), 0.142857);
  EXPECT_EQ(NumberOrNull(21).number_value(), 21);
  EXPECT_TRUE(NumberOrNull(std::nan("")).has_null_value());
  EXPECT_TRUE(StringOrNull(std::nullopt).has_null_value());
  admin::v1::Trend trend;
  *trend.mutable_ratio() = NumberOrNull(1.0 / 7);
  EXPECT_THAT(AdminJsonText(trend), HasSubstr("\"ratio\":0.142857"));
}

TEST(CollectorAdminJsonTest, AnswersRoundTrip) {
  admin::v1::Alert alert;
  alert.set_alert_id("a1");
  alert.set_this_week(3);
  *alert.mutable_ratio() = NumberOrNull(0.143);
  *alert.mutable_escalated_at() = StringOrNull(std::nullopt);
  alert.mutable_delivery()->set_attempts(2);
  admin::v1::AlertList list;
  *list.add_alerts() = alert;
  const std::string text = AdminJsonText(list);
  admin::v1::AlertList back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, &back).ok()) << text;
  EXPECT_EQ(back.SerializeAsString(), list.SerializeAsString());
  EXPECT_EQ(AdminJsonText(back), text);
}

}  // namespace
}  // namespace cairn::collector
