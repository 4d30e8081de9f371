// An app that links Debian's shared libprotobuf and abseil itself, uses
// them, and loads libcairn.so in the same process: both must work.
//
// When libcairn.so carries its own protobuf, hidden (CAIRN_C_STATIC_CXX_DEPS),
// the app also registers Cairn's own cairn/v1 protos in its copy
// (CAIRN_APP_HAS_CAIRN_PROTOS): were libcairn.so's copy visible, one protobuf
// registry would see cairn/v1/event.proto twice and abort at load. With
// protobuf shared between the two, that registry is one and the same, so an
// app must not link the cairn/v1 generated code itself; that part is left out.
#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cairn/cairn.hpp"
#ifdef CAIRN_APP_HAS_CAIRN_PROTOS
#include "cairn/v1/event.pb.h"
#endif
#include "collector_process.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn {
namespace {

constexpr char kKey[] = "clash-write-key";

// The app's own use of protobuf: a descriptor copied to its proto form,
// serialized, parsed back and built into a fresh pool; then the app's own
// copy of Cairn's wire message.
void UseProtobuf() {
  google::protobuf::FileDescriptorProto original;
  google::protobuf::Timestamp::descriptor()->file()->CopyTo(&original);
  std::string bytes;
  ASSERT_TRUE(original.SerializeToString(&bytes));
  google::protobuf::FileDescriptorProto parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  google::protobuf::DescriptorPool pool;
  const google::protobuf::FileDescriptor* file = pool.BuildFile(parsed);
  ASSERT_NE(file, nullptr);
  const google::protobuf::Descriptor* timestamp =
      pool.FindMessageTypeByName("google.protobuf.Timestamp");
  ASSERT_NE(timestamp, nullptr);
  EXPECT_EQ(timestamp->field_count(), 2);

#ifdef CAIRN_APP_HAS_CAIRN_PROTOS
  v1::Event event;
  event.set_event_id("app-side-event");
  std::string event_bytes = event.SerializeAsString();
  v1::Event back;
  ASSERT_TRUE(back.ParseFromString(event_bytes));
  EXPECT_EQ(back.event_id(), "app-side-event");
  EXPECT_NE(v1::Event::descriptor()->file()->name().find("cairn/v1/"), std::string::npos);
#endif
}

// The app's own use of abseil.
void UseAbseil() {
  absl::Status status = absl::NotFoundError(absl::StrCat("app-side ", 42));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "app-side 42");
}

TEST(LibcairnBesideTheAppsProtobufAndAbseil, BothWorkInOneProcess) {
  UseProtobuf();
  UseAbseil();

  testing::TempDir dir;
  testing::CollectorProcessOptions collector_options;
  collector_options.db_path = dir.File("collector.db");
  collector_options.write_key = kKey;
  auto collector = testing::CollectorProcess::Start(collector_options);
  ASSERT_TRUE(collector.ok()) << collector.status();

  TelemetryOptions options;
  options.collector_url = (*collector)->base_url();
  options.write_key = kKey;
  options.storage_dir = dir.File("device");
  options.app_name = "clash";
  options.app_version = "1";
  Result<Telemetry> telemetry = Telemetry::Create(options);
  ASSERT_TRUE(telemetry) << telemetry.error().message;
  TelemetryConsentRequest grant;
  grant.account_id = "acme";
  grant.user_id = "alice";
  grant.purpose = ConsentPurpose::kMilestones;
  grant.decision = ConsentDecision::kGranted;
  grant.policy_version = "2026-11";
  ASSERT_TRUE(telemetry->SetConsent(grant));
  grant.purpose = ConsentPurpose::kUsageAnalytics;
  ASSERT_TRUE(telemetry->SetConsent(grant));
  ASSERT_TRUE(telemetry->RecordLogin("acme", "alice"));
  ASSERT_TRUE(telemetry->RecordMilestone("clash_checked", 1.0));
  ASSERT_TRUE(telemetry->Flush(std::chrono::seconds(30)));
  ASSERT_TRUE(telemetry->Shutdown(std::chrono::seconds(10)));

  // The app's copies still work after libcairn.so's have.
  UseProtobuf();
  UseAbseil();
  ASSERT_TRUE((*collector)->Stop().ok());
  EXPECT_EQ(testing::SqliteQueryInt(collector_options.db_path,
                                    "SELECT count(*) FROM events WHERE milestone_name = "
                                    "'clash_checked' AND user_id = 'alice'"),
            1);
}

}  // namespace
}  // namespace cairn
