// cairn.hpp, the header-only C++ wrapper, over libcairn.so against the real
// cairn-collector binary on loopback. This binary links libcairn.so and the
// test support (to start the collector and read its store), not the static
// C++ SDK.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "cairn/cairn.hpp"
#include "collector_process.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kKey[] = "wrapper-write-key";

static_assert(!std::is_copy_constructible_v<Telemetry>);
static_assert(std::is_nothrow_move_constructible_v<Telemetry>);
static_assert(std::is_nothrow_move_assignable_v<Telemetry>);

TelemetryConsentRequest Grant(ConsentPurpose purpose) {
  TelemetryConsentRequest r;
  r.account_id = "acme";
  r.user_id = "alice";
  r.purpose = purpose;
  r.decision = ConsentDecision::kGranted;
  r.policy_version = "2026-11";
  r.source_surface = "onboarding_dialog";
  return r;
}

class WrapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::CollectorProcessOptions options;
    options.db_path = db_path_;
    options.write_key = kKey;
    // The collector keeps no attribute unless allow-listed on its side too.
    options.extra_flags = {"--attribute-allowlist=plan"};
    auto process = testing::CollectorProcess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    collector_ = std::move(*process);
  }

  TelemetryOptions Options(const std::string& device) const {
    TelemetryOptions o;
    o.collector_url = collector_->base_url();
    o.write_key = kKey;
    o.storage_dir = dir_.File(device);
    o.app_name = "wrapper-test";
    o.app_version = "1";
    o.attribute_allowlist = {"plan"};
    o.min_backoff = milliseconds(10);
    o.max_backoff = milliseconds(50);
    o.network_retry_floor = milliseconds(0);
    return o;
  }

  Telemetry Start(const TelemetryOptions& options) {
    Result<Telemetry> t = Telemetry::Create(options);
    EXPECT_TRUE(t.has_value()) << t.error().code_name() << ": " << t.error().message;
    return std::move(t).value();
  }

  int64_t Stored(const std::string& where) {
    return testing::SqliteQueryInt(db_path_, "SELECT count(*) FROM events WHERE " + where);
  }

  testing::TempDir dir_;
  std::string db_path_ = dir_.File("collector.db");
  std::unique_ptr<testing::CollectorProcess> collector_;
};

TEST_F(WrapperTest, RecordsReachTheCollectorOnceConsentIsGiven) {
  Telemetry t = Start(Options("device"));
  // Default deny: nothing is recorded before the grant.
  Result<void> refused = t.RecordLogin("acme", "alice", "sso");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(refused.error().code_name(), "PERMISSION_DENIED");
  EXPECT_FALSE(refused.error().message.empty());

  ASSERT_TRUE(t.SetConsent(Grant(ConsentPurpose::kUsageAnalytics)));
  ASSERT_TRUE(t.SetConsent(Grant(ConsentPurpose::kMilestones)));
  ASSERT_TRUE(t.RecordLogin("acme", "alice", "sso"));
  ASSERT_TRUE(t.RecordMilestone("invoice_sent", 3.0, {{"plan", "pro"}, {"color", "red"}}));
  std::map<std::string, std::string> attributes{{"plan", "team"}};
  ASSERT_TRUE(t.RecordMilestone("report_shared", std::nullopt, attributes));
  ASSERT_TRUE(t.RecordLogout());
  Result<void> flushed = t.Flush(seconds(30));
  ASSERT_TRUE(flushed) << flushed.error().message;

  Result<TelemetryStats> stats = t.GetStats();
  ASSERT_TRUE(stats);
  // The refused login still signed alice in, so the second login first ends
  // that session: a session end, the login, two milestones, the logout.
  EXPECT_EQ(stats->recorded, 5u);
  EXPECT_EQ(stats->refused_no_consent, 1u);
  EXPECT_EQ(stats->acknowledged, 7u);  // with the two consent records
  EXPECT_EQ(stats->buffered_rows, 0u);
  EXPECT_EQ(stats->dropped_for(DropReason::kAttributeFiltered), 1u);  // "color"
  ASSERT_TRUE(t.Shutdown(seconds(10)));

  EXPECT_EQ(Stored("kind = 'login' AND user_id = 'alice' AND account_id = 'acme'"), 1);
  EXPECT_EQ(Stored("milestone_name = 'invoice_sent' AND milestone_value = 3.0 AND "
                   "attributes_json LIKE '%\"plan\"%pro%' AND attributes_json NOT LIKE '%color%'"),
            1);
  EXPECT_EQ(Stored("milestone_name = 'report_shared' AND milestone_value IS NULL AND "
                   "attributes_json LIKE '%team%'"),
            1);
  EXPECT_EQ(Stored("kind = 'session_end'"), 1);
  EXPECT_EQ(Stored("kind = 'logout'"), 1);
  EXPECT_EQ(Stored("kind = 'consent_change'"), 2);
}

TEST_F(WrapperTest, ConsentIsReadBackAndAWithdrawalStopsRecords) {
  Telemetry t = Start(Options("device"));
  Result<ConsentDecision> before = t.GetConsent("alice", ConsentPurpose::kMilestones);
  ASSERT_TRUE(before);
  EXPECT_EQ(*before, ConsentDecision::kUnknown);

  TelemetryConsentRequest grant = Grant(ConsentPurpose::kMilestones);
  const auto expires = std::chrono::system_clock::now() + std::chrono::hours(24 * 30);
  grant.expires_at = expires;
  ASSERT_TRUE(t.SetConsent(grant));
  EXPECT_EQ(t.GetConsent("alice", ConsentPurpose::kMilestones).value(), ConsentDecision::kGranted);
  ASSERT_TRUE(t.SetRenewalNotifications("acme", "alice", false, "2026-11"));

  Result<std::vector<TelemetryConsentChoice>> choices = t.GetConsentChoices("alice");
  ASSERT_TRUE(choices);
  std::map<ConsentPurpose, TelemetryConsentChoice> by_purpose;
  for (const TelemetryConsentChoice& c : *choices) by_purpose[c.purpose] = c;
  ASSERT_EQ(by_purpose.size(), 4u);
  EXPECT_EQ(by_purpose[ConsentPurpose::kFeedback].decision, ConsentDecision::kUnknown);
  const TelemetryConsentChoice& milestones = by_purpose[ConsentPurpose::kMilestones];
  EXPECT_EQ(milestones.decision, ConsentDecision::kGranted);
  EXPECT_EQ(milestones.policy_version, "2026-11");
  ASSERT_TRUE(milestones.decided_at.has_value());
  ASSERT_TRUE(milestones.expires_at.has_value());
  EXPECT_EQ(
      std::chrono::duration_cast<milliseconds>(expires.time_since_epoch()).count(),
      std::chrono::duration_cast<milliseconds>(milestones.expires_at->time_since_epoch()).count());
  EXPECT_EQ(by_purpose[ConsentPurpose::kRenewalNotifications].decision, ConsentDecision::kDenied);
  EXPECT_EQ(by_purpose[ConsentPurpose::kUsageAnalytics].decision, ConsentDecision::kUnknown);
  EXPECT_FALSE(by_purpose[ConsentPurpose::kUsageAnalytics].decided_at.has_value());

  TelemetryConsentRequest withdraw = Grant(ConsentPurpose::kMilestones);
  withdraw.decision = ConsentDecision::kDenied;
  ASSERT_TRUE(t.SetConsent(withdraw));
  EXPECT_EQ(t.GetConsent("alice", ConsentPurpose::kMilestones).value(), ConsentDecision::kDenied);
  ASSERT_TRUE(t.Flush(seconds(30)));
  ASSERT_TRUE(t.Shutdown(seconds(10)));
  EXPECT_EQ(Stored("kind = 'consent_change'"), 3);
}

TEST_F(WrapperTest, LocalDataIsExportedAndErased) {
  TelemetryOptions options = Options("device");
  options.collector_url = "http://127.0.0.1:1";  // nothing leaves the device
  Telemetry t = Start(options);
  ASSERT_TRUE(t.SetConsent(Grant(ConsentPurpose::kUsageAnalytics)));
  ASSERT_TRUE(t.SetConsent(Grant(ConsentPurpose::kMilestones)));
  ASSERT_TRUE(t.RecordLogin("acme", "alice"));
  ASSERT_TRUE(t.RecordMilestone("invoice_sent"));

  Result<std::string> exported = t.ExportLocalData("alice");
  ASSERT_TRUE(exported) << exported.error().message;
  EXPECT_NE(exported->find("invoice_sent"), std::string::npos) << *exported;
  EXPECT_EQ(t.WireUserId("alice").value(), "alice");  // no pseudonymisation key

  ASSERT_TRUE(t.EraseLocalData("alice"));
  EXPECT_EQ(t.GetStats().value().erased, 2u);
  EXPECT_EQ(t.ExportLocalData("alice").value().find("invoice_sent"), std::string::npos);
}

TEST_F(WrapperTest, PseudonymisedUserIdsAreWhatTheCollectorStores) {
  TelemetryOptions options = Options("device");
  options.user_id_hmac_key = std::string("k\0ey", 4);  // bytes, a NUL included
  Telemetry t = Start(options);
  std::string wire = t.WireUserId("alice").value();
  EXPECT_EQ(wire.size(), 64u);
  ASSERT_TRUE(t.SetConsent(Grant(ConsentPurpose::kUsageAnalytics)));
  ASSERT_TRUE(t.RecordLogin("acme", "alice"));
  ASSERT_TRUE(t.Flush(seconds(30)));
  ASSERT_TRUE(t.Shutdown(seconds(10)));
  EXPECT_EQ(Stored("kind = 'login' AND user_id = '" + wire + "'"), 1);
  EXPECT_EQ(Stored("user_id = 'alice'"), 0);
}

TEST_F(WrapperTest, ErrorsComeBackAsResults) {
  TelemetryOptions missing_key = Options("device");
  missing_key.write_key.clear();
  Result<Telemetry> bad = Telemetry::Create(missing_key);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(bad.error().message.empty());
  EXPECT_THROW(bad.value(), BadResultAccess);

  TelemetryOptions negative = Options("device");
  negative.enqueue_timeout = milliseconds(-1);
  EXPECT_EQ(Telemetry::Create(negative).error().code, ErrorCode::kInvalidArgument);

  Telemetry t = Start(Options("device"));
  // A second client on the same storage directory is refused.
  EXPECT_EQ(Telemetry::Create(Options("device")).error().code, ErrorCode::kFailedPrecondition);
  // A NUL inside a string_view would be cut short by the C API: refused.
  Result<void> nul = t.RecordLogin(std::string_view("ac\0me", 5), "alice");
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(t.RecordMilestone("no_session").error().code, ErrorCode::kFailedPrecondition);
  TelemetryConsentRequest no_version = Grant(ConsentPurpose::kMilestones);
  no_version.policy_version = {};
  EXPECT_EQ(t.SetConsent(no_version).error().code, ErrorCode::kInvalidArgument);

  ASSERT_TRUE(t.Shutdown(seconds(10)));
  EXPECT_EQ(t.RecordLogout().error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Result<int>(7).value_or(0), 7);
  EXPECT_EQ(Result<int>(Error{ErrorCode::kInternal, "x"}).value_or(0), 0);
  EXPECT_EQ(Result<void>().error().code, ErrorCode::kOk);
}

TEST_F(WrapperTest, MovesHandOverTheClientAndLeaveAnEmptyHandle) {
  Telemetry a = Start(Options("device-a"));
  ASSERT_TRUE(a.SetConsent(Grant(ConsentPurpose::kUsageAnalytics)));
  Telemetry b = std::move(a);
  EXPECT_FALSE(static_cast<bool>(a));  // NOLINT: the moved-from state is the point
  ASSERT_TRUE(static_cast<bool>(b));
  EXPECT_EQ(a.RecordLogin("acme", "alice").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.GetStats().error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(b.RecordLogin("acme", "alice"));

  // Assigning over a live client destroys it, which releases its storage
  // directory: a new client may open it.
  Telemetry c = Start(Options("device-c"));
  c = std::move(b);
  Telemetry reopened = Start(Options("device-c"));
  EXPECT_TRUE(static_cast<bool>(reopened));
  ASSERT_TRUE(c.Flush(seconds(30)));
  EXPECT_EQ(c.GetStats().value().recorded, 1u);
  ASSERT_TRUE(c.Shutdown(seconds(10)));
  EXPECT_EQ(Stored("kind = 'login'"), 1);
}

// Collects delivery statuses from the SDK's delivery thread.
struct StatusSink {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<TelemetryDeliveryStatus> seen;

  void Add(const TelemetryDeliveryStatus& s) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(s);
    cv.notify_all();
  }
  // Waits until `n` statuses came (the test's timeout bounds a failure).
  std::vector<TelemetryDeliveryStatus> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return seen.size() >= n; });
    return seen;
  }
};

TEST_F(WrapperTest, DeliveryCallbackSeesFailuresAndItsExceptionsAreContained) {
  auto sink = std::make_shared<StatusSink>();
  TelemetryOptions options = Options("device");
  options.collector_url = "http://127.0.0.1:1";  // refused: retried with backoff
  // The callback throws every time: the wrapper's trampoline must catch it
  // and the SDK must go on retrying and reporting.
  options.on_delivery_status = [sink](const TelemetryDeliveryStatus& s) {
    sink->Add(s);
    throw std::runtime_error("the app's callback failed");
  };
  Telemetry t = Start(options);
  options.on_delivery_status = nullptr;  // the Telemetry holds its own copy
  ASSERT_TRUE(t.SetConsent(Grant(ConsentPurpose::kUsageAnalytics)));
  ASSERT_TRUE(t.RecordLogin("acme", "alice"));
  Telemetry moved = std::move(t);  // the callback survives a move
  ASSERT_TRUE(moved.OnNetworkAvailable());
  std::vector<TelemetryDeliveryStatus> seen = sink->WaitFor(3);
  for (const TelemetryDeliveryStatus& s : seen) {
    EXPECT_EQ(s.error.code, ErrorCode::kUnavailable);
    EXPECT_FALSE(s.error.message.empty());
    EXPECT_EQ(s.http_status, 0);
  }
  EXPECT_EQ(moved.Flush(seconds(5)).error().code, ErrorCode::kUnavailable);
}

TEST_F(WrapperTest, DeliveryCallbackSeesARefusedWriteKey) {
  auto sink = std::make_shared<StatusSink>();
  TelemetryOptions options = Options("device");
  options.write_key = "not-the-collector-key";
  options.on_delivery_status = [sink](const TelemetryDeliveryStatus& s) { sink->Add(s); };
  Telemetry t = Start(options);
  ASSERT_TRUE(t.SetConsent(Grant(ConsentPurpose::kUsageAnalytics)));
  ASSERT_TRUE(t.RecordLogin("acme", "alice"));
  ASSERT_TRUE(t.OnNetworkAvailable());
  std::vector<TelemetryDeliveryStatus> seen = sink->WaitFor(1);
  EXPECT_EQ(seen[0].error.code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(seen[0].http_status, 401);
  // Delivery pauses until the app restarts with a valid key.
  EXPECT_EQ(t.Flush(seconds(5)).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(Stored("1"), 0);
}

TEST(WrapperLibrary, ReportsItsVersions) {
  EXPECT_EQ(Telemetry::AbiVersion(), CAIRN_ABI_VERSION);
  EXPECT_FALSE(Telemetry::Version().empty());
  EXPECT_EQ((Error{ErrorCode::kUnavailable, ""}.code_name()), "UNAVAILABLE");
}

}  // namespace
}  // namespace cairn
