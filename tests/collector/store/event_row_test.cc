// EventRow: the stored form of an event reads back as the very event, for
// every body, awkward values included; ids are compacted only where the text
// comes back unchanged.
#include "store/event_row.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/time/time.h"
#include "cairn/common/proto_time.h"
#include "gtest/gtest.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

constexpr char kUuid[] = "0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b";

cairn::v1::Event BaseEvent() {
  cairn::v1::Event event;
  event.set_event_id(kUuid);
  event.set_account_id("acct-ü");
  event.set_user_id(std::string(64, 'f'));
  ToProto(absl::FromUnixNanos(1765000000123456789), event.mutable_occurred_at());
  event.set_sequence(42);
  event.set_purpose(cairn::v1::PURPOSE_MILESTONES);
  event.set_session_id("0193a5b2-7c4d-7e8f-9a0b-000000000001");
  (*event.mutable_attributes())["plan"] = "pro \"gold\"\t\\ \xe2\x9c\x93";
  (*event.mutable_attributes())[std::string(64, 'k')] = std::string(256, 'v');
  return event;
}

// What a store keeps of `event` and reads back through EventFromRow.
cairn::v1::Event RoundTrip(const cairn::v1::Event& event) {
  const absl::Time now = absl::FromUnixSeconds(1765000001);
  const EventRow row = EncodeEventRow(event, now, now);
  StoredEventColumns columns;
  columns.key = row.id;
  columns.account_id = event.account_id();
  columns.user_id = event.user_id();
  columns.purpose = event.purpose();
  columns.sequence = static_cast<int64_t>(event.sequence());
  columns.session_id = event.session_id();
  if (event.has_milestone()) columns.milestone_name = event.milestone().name();
  columns.milestone_value = row.milestone_value;
  columns.attributes_json = row.attributes_json;
  columns.residual = row.residual;
  absl::StatusOr<cairn::v1::Event> back = EventFromRow(columns);
  EXPECT_TRUE(back.ok()) << back.status();
  return back.value_or(cairn::v1::Event());
}

TEST(CollectorEventRowTest, EveryBodyReadsBackAsTheSameEvent) {
  cairn::v1::Event login = BaseEvent();
  login.mutable_login()->set_method("sso");
  cairn::v1::Event logout = BaseEvent();
  logout.mutable_logout();
  cairn::v1::Event session_end = BaseEvent();
  ToProto(absl::Nanoseconds(1234567891), session_end.mutable_session_end()->mutable_duration());
  cairn::v1::Event milestone = BaseEvent();
  milestone.mutable_milestone()->set_name("invoice_sent");
  milestone.mutable_milestone()->set_value(-0.5);
  cairn::v1::Event no_value = BaseEvent();
  no_value.mutable_milestone()->set_name("report_shared");
  cairn::v1::Event consent = BaseEvent();
  consent.set_purpose(cairn::v1::PURPOSE_CONSENT_RECORD);
  consent.mutable_consent_change()->set_policy_id("privacy");
  consent.mutable_consent_change()->set_grant_signature(std::string(64, 'a'));
  cairn::v1::Event bare = BaseEvent();  // no body, no attributes, empty session
  bare.clear_attributes();
  bare.clear_session_id();
  for (const cairn::v1::Event& event :
       {login, logout, session_end, milestone, no_value, consent, bare}) {
    const cairn::v1::Event back = RoundTrip(event);
    EXPECT_EQ(back.DebugString(), event.DebugString());
  }
}

TEST(CollectorEventRowTest, ColumnsHoldWhatTheyShowAndTheResidualIsSmall) {
  cairn::v1::Event milestone = BaseEvent();
  milestone.mutable_milestone()->set_name("invoice_sent");
  milestone.mutable_milestone()->set_value(3.5);
  milestone.clear_attributes();
  const absl::Time received = absl::FromUnixSeconds(1765000001);
  // The device clock runs 1 h fast.
  const EventRow row = EncodeEventRow(milestone, received + absl::Hours(1), received);
  EXPECT_EQ(row.id.size(), 16u);
  EXPECT_TRUE(row.id_binary);
  EXPECT_TRUE(row.session_id.binary);
  EXPECT_EQ(row.body_case, cairn::v1::Event::kMilestone);
  EXPECT_EQ(row.occurred_at_ms, 1765000000123);
  EXPECT_EQ(row.corrected_at_ms, 1765000000123 - 3600 * 1000);
  EXPECT_EQ(row.milestone_value, 3.5);
  EXPECT_EQ(row.attributes_json, "{}");
  // The time to the nanosecond and an empty milestone: no id, no name.
  EXPECT_LE(row.residual.size(), 20u);
  EXPECT_EQ(row.residual.find("invoice_sent"), std::string::npos);
}

TEST(CollectorEventRowTest, NonFiniteValuesStayOutOfTheValueColumnButReadBack) {
  for (double value :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    cairn::v1::Event milestone = BaseEvent();
    milestone.mutable_milestone()->set_name("odd");
    milestone.mutable_milestone()->set_value(value);
    const EventRow row = EncodeEventRow(milestone, absl::InfinitePast(), absl::UnixEpoch());
    EXPECT_FALSE(row.milestone_value.has_value());
    const cairn::v1::Event back = RoundTrip(milestone);
    ASSERT_TRUE(back.milestone().has_value());
    EXPECT_EQ(std::isnan(back.milestone().value()), std::isnan(value));
  }
}

TEST(CollectorEventRowTest, AWholeStoredEventAsTheResidualReadsBackToo) {
  cairn::v1::Event milestone = BaseEvent();
  milestone.mutable_milestone()->set_name("invoice_sent");
  milestone.mutable_milestone()->set_value(2);
  const std::string whole = milestone.SerializeAsString();
  const std::string attributes = AttributesJson(milestone);
  StoredEventColumns columns;
  columns.event_id = kUuid;  // as an older row's text id
  columns.account_id = milestone.account_id();
  columns.user_id = milestone.user_id();
  columns.purpose = milestone.purpose();
  columns.sequence = 42;
  columns.session_id = milestone.session_id();
  columns.milestone_name = "invoice_sent";
  columns.milestone_value = 2;
  columns.attributes_json = attributes;
  columns.residual = whole;
  absl::StatusOr<cairn::v1::Event> back = EventFromRow(columns);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->DebugString(), milestone.DebugString());

  columns.residual = "\xff\xff\xff";
  EXPECT_EQ(EventFromRow(columns).status().code(), absl::StatusCode::kDataLoss);
  columns.residual = whole;
  columns.attributes_json = "{not json";
  EXPECT_EQ(EventFromRow(columns).status().code(), absl::StatusCode::kDataLoss);
}

TEST(CollectorEventRowTest, OnlyIdsThatPrintBackUnchangedAreCompacted) {
  const CompactId lower = CompactUuid(kUuid);
  EXPECT_TRUE(lower.binary);
  EXPECT_EQ(lower.bytes.size(), 16u);
  EXPECT_EQ(UuidText(lower.bytes), kUuid);
  EXPECT_EQ(CompactUuid("0193A5B2-7C4D-7E8F-9A0B-1C2D3E4F5A6B").bytes, lower.bytes);
  // Sixteen characters that are no UUID stay text, never read as bytes.
  const CompactId text = CompactUuid("abcdefghijklmnop");
  EXPECT_FALSE(text.binary);
  EXPECT_EQ(text.bytes, "abcdefghijklmnop");
  EXPECT_EQ(EventIdFromKey(EventKey("e1")), "e1");

  const CompactId install = CompactHex("0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(install.binary);
  EXPECT_EQ(install.bytes.size(), 16u);
  // Uppercase would print back in lowercase: kept as text.
  EXPECT_FALSE(CompactHex("0123456789ABCDEF0123456789ABCDEF").binary);
  EXPECT_FALSE(CompactHex("install-1").binary);
}

}  // namespace
}  // namespace cairn::collector
