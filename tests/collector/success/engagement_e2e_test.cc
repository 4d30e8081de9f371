// Acceptance: usage-drop alerts end to end with an injected
// clock. Two simulated accounts log in for 8 weeks, one steadily and one
// dropping; the real store (a SQLite file) folds the stored logins into its
// daily aggregates, the AlertEvaluator runs every simulated day, and the
// WebhookSender POSTs to a loopback sink. The dropping account raises
// exactly one alert with a valid signature, the steady one none, and later
// evaluations in the same episode send nothing more.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cairn/common/clock.h"
#include "cairn/engagement/day.h"
#include "cairn/engagement/webhook_signature.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "json_fields.h"
#include "ops/json_text.h"
#include "store/engagement_store.h"
#include "store/sqlite/sqlite_store.h"
#include "success/alert_evaluator.h"
#include "success/engagement_api.h"
#include "temp_dir.h"
#include "test_batches.h"
#include "webhook_sink.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::NewUuidV7;
using ::cairn::testing::RawValue;
using ::cairn::testing::TempDir;
using ::cairn::testing::WebhookSink;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kSecret[] = "e2e-webhook-secret-0123456789";
constexpr int kUsers = 5;
constexpr int kWeeks = 8;

// Midnight UTC of a Monday, the first simulated day.
const absl::Time kStart = absl::FromUnixSeconds(1767571200);  // 2026-01-05

// Logins per day of each account in simulated week `week` (0-based).
int SteadyLogins(int) { return 10; }
int DroppingLogins(int week) {
  if (week < 5) return 10;  // 70 a week: the baseline
  if (week == 5) return 6;  // 42 a week: below 75% of 70
  return 2;                 // 14 a week: below 50%, two weeks running
}

class CollectorAlertsEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sink = WebhookSink::Start();
    ASSERT_TRUE(sink.ok()) << sink.status();
    sink_ = *std::move(sink);
    OpenStore();
  }

  void OpenStore() {
    sender_.reset();
    evaluator_.reset();
    store_.reset();
    auto store = SqliteStore::Open(dir_.File("collector.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    evaluator_ = std::make_unique<AlertEvaluator>(store_.get(), &clock_, engagement::DropRule{},
                                                  /*webhook_configured=*/true);
    WebhookOptions webhook;
    webhook.url = sink_->url();
    webhook.secret = kSecret;
    webhook.timeout = absl::Seconds(10);
    webhook.initial_backoff = absl::Seconds(30);
    sender_ = std::make_unique<WebhookSender>(store_.get(), &clock_, webhook);
  }

  void Write(std::vector<cairn::v1::Event> events) {
    BatchRecord record;
    record.batch_id = NewUuidV7();
    record.install_id = "e2e-install";
    record.sdk_version = "1.0.0";
    record.sent_at = clock_.Now();
    record.received_at = clock_.Now();
    record.event_count = static_cast<int64_t>(events.size());
    record.events = std::move(events);
    auto results = store_->Write({&record, 1});
    ASSERT_TRUE(results.ok()) << results.status();
    EXPECT_EQ(results->front().inserted, record.event_count);
  }

  void GrantAll(const std::string& account) {
    std::vector<cairn::v1::Event> grants;
    for (int u = 0; u < kUsers; ++u) {
      grants.push_back(
          MakeGrant(account, absl::StrCat(account, "-u", u), cairn::v1::PURPOSE_USAGE_ANALYTICS));
    }
    Write(std::move(grants));
  }

  // The day's logins of `account`, spread over its users during the day.
  void LogIn(const std::string& account, int logins, absl::Time day_start) {
    std::vector<cairn::v1::Event> events;
    for (int i = 0; i < logins; ++i) {
      events.push_back(MakeLogin(account, absl::StrCat(account, "-u", i % kUsers),
                                 day_start + absl::Hours(8) + absl::Minutes(10 * i)));
    }
    Write(std::move(events));
  }

  // One simulated day: the logins happen, then at 20:00 the scheduled
  // evaluation and the webhook pass run.
  void SimulateDay(int day, bool steady, bool dropping) {
    const absl::Time day_start = kStart + absl::Hours(24) * day;
    AdvanceTo(day_start + absl::Hours(20));
    if (steady) LogIn("steady", SteadyLogins(day / 7), day_start);
    if (dropping) LogIn("dropping", DroppingLogins(day / 7), day_start);
    auto counts = evaluator_->EvaluateAll();
    ASSERT_TRUE(counts.ok()) << counts.status();
    auto delivered = sender_->DeliverDue();
    ASSERT_TRUE(delivered.ok()) << delivered.status();
  }

  void AdvanceTo(absl::Time t) {
    if (t > clock_.Now()) clock_.Advance(t - clock_.Now());
  }

  std::vector<StoredAlert> Alerts() {
    auto alerts = EngagementStore(store_.get()).ListAlerts(false, 100);
    EXPECT_TRUE(alerts.ok()) << alerts.status();
    return alerts.ok() ? *alerts : std::vector<StoredAlert>{};
  }

  TempDir dir_;
  ManualClock clock_{kStart};
  std::unique_ptr<WebhookSink> sink_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<AlertEvaluator> evaluator_;
  std::unique_ptr<WebhookSender> sender_;
};

TEST_F(CollectorAlertsEndToEndTest, DroppingAccountRaisesExactlyOneSignedAlertSteadyNone) {
  GrantAll("steady");
  GrantAll("dropping");
  for (int day = 0; day < 7 * kWeeks; ++day) SimulateDay(day, true, true);

  // Exactly one webhook: for the dropping account, signed with the secret.
  std::vector<WebhookSink::Request> requests = sink_->requests();
  ASSERT_THAT(requests, SizeIs(1u));
  const WebhookSink::Request& hook = requests[0];
  EXPECT_EQ(hook.method, "POST");
  EXPECT_EQ(hook.target, "/hook");
  EXPECT_EQ(hook.headers.at("content-type"), "application/json");
  ASSERT_TRUE(hook.headers.count("cairn-signature"));
  EXPECT_TRUE(engagement::VerifyWebhook(kSecret, hook.headers.at("cairn-signature"), hook.body,
                                        clock_.Now(), absl::Hours(24 * 7 * kWeeks))
                  .ok());
  // A wrong secret or a changed body does not verify.
  EXPECT_EQ(
      engagement::VerifyWebhook("another-secret-0123456789", hook.headers.at("cairn-signature"),
                                hook.body, clock_.Now(), absl::Hours(24 * 7 * kWeeks))
          .code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(RawValue(hook.body, "type"), "\"usage_drop\"");
  EXPECT_EQ(RawValue(hook.body, "account_id"), "\"dropping\"");
  EXPECT_EQ(RawValue(hook.body, "severity"), "\"drop\"");
  EXPECT_THAT(hook.body, HasSubstr("\"health\":{\"score\":"));

  // The store lists one alert, for the dropping account, delivered once;
  // it escalated to severe later in the same episode without a second hook.
  std::vector<StoredAlert> alerts = Alerts();
  ASSERT_THAT(alerts, SizeIs(1u));
  EXPECT_EQ(alerts[0].account_id, "dropping");
  EXPECT_TRUE(alerts[0].open);
  EXPECT_EQ(alerts[0].severity, engagement::DropState::kSevere);
  EXPECT_TRUE(alerts[0].escalated_at.has_value());
  EXPECT_EQ(alerts[0].delivery, DeliveryState::kDelivered);
  EXPECT_EQ(alerts[0].attempts, 1);
  EXPECT_LT(alerts[0].ratio, 0.75);
  // The alert opened in the drop's first two weeks: the 40% fall of week 6
  // (70 -> 42) must show in a complete week and stand out from the noise
  // of a 70-login week (3 spreads: 28 logins), which week 7 makes certain.
  EXPECT_EQ(engagement::DayOf(alerts[0].opened_at) - engagement::DayOf(kStart) >= 35, true);
  EXPECT_LT(engagement::DayOf(alerts[0].opened_at) - engagement::DayOf(kStart), 49);

  // Later evaluations in the same episode (still low) send nothing more.
  for (int day = 7 * kWeeks; day < 7 * kWeeks + 5; ++day) SimulateDay(day, true, true);
  EXPECT_THAT(sink_->requests(), SizeIs(1u));
  EXPECT_THAT(Alerts(), SizeIs(1u));
}

TEST_F(CollectorAlertsEndToEndTest, SnoozedAlertIsHiddenFromTheOpenListUntilItEnds) {
  GrantAll("dropping");
  for (int day = 0; day < 7 * kWeeks; ++day) SimulateDay(day, false, true);
  ASSERT_THAT(Alerts(), SizeIs(1u));
  const std::string id = Alerts()[0].alert_id;
  EngagementApi api(store_.get(), &clock_, evaluator_.get(), "link-key-0123456789abcdef");
  const auto call = [&](const std::string& method, const std::string& target,
                        const std::string& body = "") {
    HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    return api.Handle(request);
  };
  const std::string open_list = "/v1/alerts?state=open";
  EXPECT_THAT(call("GET", open_list).body, HasSubstr(id));

  HttpResponse acked = call("POST", "/v1/alerts/" + id + "/acknowledge");
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(RawValue(acked.body, "acknowledged_at"),
            absl::StrCat(
                "\"", FormatRfc3339(absl::FromUnixMillis(absl::ToUnixMillis(clock_.Now()))), "\""));
  EXPECT_EQ(RawValue(acked.body, "kind"), "\"drop\"");

  HttpResponse snoozed = call("POST", "/v1/alerts/" + id + "/snooze", R"({"days": 2})");
  ASSERT_EQ(snoozed.status, 200) << snoozed.body;
  EXPECT_THAT(call("GET", open_list).body, Not(HasSubstr(id)));
  EXPECT_THAT(call("GET", "/v1/alerts?state=all").body, HasSubstr(id));
  AdvanceTo(clock_.Now() + absl::Hours(47));
  EXPECT_THAT(call("GET", open_list).body, Not(HasSubstr(id)));
  AdvanceTo(clock_.Now() + absl::Hours(1));
  EXPECT_THAT(call("GET", open_list).body, HasSubstr(id));  // shown again

  // Bad bodies, unknown ids.
  EXPECT_EQ(call("POST", "/v1/alerts/" + id + "/snooze", R"({"days": 91})").status, 400);
  EXPECT_EQ(call("POST", "/v1/alerts/" + id + "/snooze", "{}").status, 400);
  EXPECT_EQ(call("POST", "/v1/alerts/" + id + "/snooze",
                 R"({"days": 1, "until": "2030-01-01T00:00:00Z"})")
                .status,
            400);
  EXPECT_EQ(call("POST", "/v1/alerts/" + id + "/snooze", R"({"until": "yesterday"})").status, 400);
  const std::string past = FormatRfc3339(clock_.Now() - absl::Hours(1));
  EXPECT_EQ(
      call("POST", "/v1/alerts/" + id + "/snooze", absl::StrCat(R"({"until": ")", past, "\"}"))
          .status,
      400);
  const std::string soon = FormatRfc3339(clock_.Now() + absl::Hours(5));
  HttpResponse until =
      call("POST", "/v1/alerts/" + id + "/snooze", absl::StrCat(R"({"until": ")", soon, "\"}"));
  EXPECT_EQ(until.status, 200) << until.body;
  EXPECT_EQ(RawValue(until.body, "snoozed_until"), absl::StrCat("\"", soon, "\""));
  EXPECT_EQ(call("POST", "/v1/alerts/alr_none/snooze", R"({"days": 1})").status, 404);
  EXPECT_EQ(call("POST", "/v1/alerts/alr_none/acknowledge").status, 404);
}

TEST_F(CollectorAlertsEndToEndTest, TheScheduleEvaluatesAndDeliversOnTheInjectedClock) {
  GrantAll("dropping");
  // Six weeks of logins and two days, the last eight days low (enough to
  // stand out from the noise of a 70-login week); nothing evaluated yet.
  for (int day = 0; day < 7 * 6 + 2; ++day) {
    const absl::Time day_start = kStart + absl::Hours(24) * day;
    AdvanceTo(day_start + absl::Hours(20));
    LogIn("dropping", DroppingLogins(day / 7), day_start);
  }
  AlertScheduler scheduler(evaluator_.get(), sender_.get(), &clock_, absl::Minutes(60));
  // The thread waits for its first run, an hour away.
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  EXPECT_TRUE(sink_->requests().empty());
  clock_.Advance(absl::Minutes(61));
  ASSERT_TRUE(sink_->WaitForRequests(1));
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  ASSERT_THAT(Alerts(), SizeIs(1u));
  EXPECT_EQ(Alerts()[0].delivery, DeliveryState::kDelivered);
  // The next scheduled runs continue the episode: no second webhook.
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Minutes(61));
    ASSERT_TRUE(clock_.AwaitSettledWaiter());
  }
  scheduler.Stop();
  EXPECT_THAT(sink_->requests(), SizeIs(1u));
  EXPECT_THAT(Alerts(), SizeIs(1u));
}

TEST_F(CollectorAlertsEndToEndTest, FailedDeliveryIsRetriedAfterBackoffAndDeliveredOnce) {
  GrantAll("dropping");
  sink_->QueueStatuses({500});
  int day = 0;
  for (; day < 7 * kWeeks && sink_->requests().empty(); ++day) SimulateDay(day, false, true);
  ASSERT_THAT(sink_->requests(), SizeIs(1u));
  EXPECT_EQ(sink_->requests()[0].answered, 500);
  std::vector<StoredAlert> alerts = Alerts();
  ASSERT_THAT(alerts, SizeIs(1u));
  EXPECT_EQ(alerts[0].delivery, DeliveryState::kPending);
  EXPECT_EQ(alerts[0].attempts, 1);
  EXPECT_EQ(alerts[0].last_error, "HTTP 500");
  // Backoff: not due again at once.
  EXPECT_GT(alerts[0].next_attempt_at, clock_.Now());
  ASSERT_TRUE(sender_->DeliverDue().ok());
  EXPECT_THAT(sink_->requests(), SizeIs(1u));

  // A restart (store reopened, new sender) resumes the pending delivery once
  // its backoff (30 s with jitter: at most 30 s) has passed.
  OpenStore();
  clock_.Advance(absl::Seconds(31));
  auto delivered = sender_->DeliverDue();
  ASSERT_TRUE(delivered.ok()) << delivered.status();
  EXPECT_EQ(*delivered, 1);
  std::vector<WebhookSink::Request> requests = sink_->requests();
  ASSERT_THAT(requests, SizeIs(2u));
  EXPECT_EQ(requests[1].answered, 200);
  // The same alert body both times; the second signature is fresh and valid.
  EXPECT_EQ(requests[1].body, requests[0].body);
  EXPECT_TRUE(engagement::VerifyWebhook(kSecret, requests[1].headers.at("cairn-signature"),
                                        requests[1].body, clock_.Now())
                  .ok());
  alerts = Alerts();
  ASSERT_THAT(alerts, SizeIs(1u));
  EXPECT_EQ(alerts[0].delivery, DeliveryState::kDelivered);
  EXPECT_EQ(alerts[0].attempts, 2);

  // Never sent again: later passes and evaluations add nothing.
  clock_.Advance(absl::Hours(2));
  ASSERT_TRUE(sender_->DeliverDue().ok());
  for (int end = day + 3; day < end; ++day) SimulateDay(day, false, true);
  EXPECT_THAT(sink_->requests(), SizeIs(2u));
}

TEST_F(CollectorAlertsEndToEndTest, DeliveryGivesUpAfterMaxAttempts) {
  GrantAll("dropping");
  WebhookOptions webhook;
  webhook.url = sink_->url();
  webhook.secret = kSecret;
  webhook.max_attempts = 2;
  sender_ = std::make_unique<WebhookSender>(store_.get(), &clock_, webhook);
  sink_->QueueStatuses({503, 503, 503});
  for (int day = 0; day < 7 * kWeeks && sink_->requests().empty(); ++day) {
    SimulateDay(day, false, true);
  }
  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(sender_->DeliverDue().ok());
  clock_.Advance(absl::Hours(5));
  ASSERT_TRUE(sender_->DeliverDue().ok());
  EXPECT_THAT(sink_->requests(), SizeIs(2u));
  std::vector<StoredAlert> alerts = Alerts();
  ASSERT_THAT(alerts, SizeIs(1u));
  EXPECT_EQ(alerts[0].delivery, DeliveryState::kFailed);
  EXPECT_EQ(alerts[0].attempts, 2);
}

}  // namespace
}  // namespace cairn::collector
