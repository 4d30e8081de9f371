// The device clock set back or forward, the network coming back, and exit,
// through an injected ManualClock and a scripted fake collector: delivery is
// scheduled on the monotonic clock, consent follows the order decisions were
// made in, OnNetworkAvailable and Flush ask for an attempt within a floor,
// and destruction waits at most Options::shutdown_timeout.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "cairn/client.h"
#include "cairn/common/clock.h"
#include "cairn/common/proto_time.h"
#include "cairn/consent/consent_state.h"
#include "sdk_fixture.h"

namespace cairn {
namespace {

using consent::Decision;
using consent::Purpose;

class ClockJumpTest : public cairn::testing::SdkTest {
 protected:
  // The fake collector on `clock_`, nothing sent before its linger.
  Options ClockOptions() {
    Options o = FakeCollectorOptions();
    o.clock = &clock_;
    o.durable_records = true;  // simulated time moves only once events are durable
    return o;
  }

  // A deadline the manual clock reaches only if the test moves it.
  absl::Time Soon() { return clock_.Now() + absl::Seconds(30); }

  // The names of the milestones the fake received, in order.
  std::vector<std::string> MilestoneNames() const {
    std::vector<std::string> names;
    for (const cairn::v1::Event& e : ReceivedEvents()) {
      if (e.has_milestone()) names.push_back(e.milestone().name());
    }
    return names;
  }

  // Every received event a collector applying the received consent changes
  // (by device time, as cairn-collector does) would store; fails the test
  // for one it would refuse for lack of consent.
  void ExpectCollectorWouldStoreAll() {
    consent::ConsentState state;
    for (const cairn::v1::Event& e : ReceivedEvents(/*consent_changes=*/true)) {
      absl::StatusOr<consent::ConsentRecord> record = consent::RecordFromEvent(e);
      ASSERT_TRUE(record.ok()) << record.status();
      ASSERT_TRUE(state.Apply(*record).ok());
    }
    for (const cairn::v1::Event& e : ReceivedEvents()) {
      std::optional<Purpose> purpose = consent::FromWire(e.purpose());
      ASSERT_TRUE(purpose.has_value());
      EXPECT_TRUE(state.Allows(e.user_id(), *purpose, FromProto(e.occurred_at())))
          << "an event dated before the grant that allowed it: " << e.ShortDebugString();
    }
  }

  // Calls of the fake: a script that fails while `down_` and counts posts.
  void ScriptOutage() {
    fake_->SetScript([this](int, const cairn::v1::Batch& b) -> absl::StatusOr<HttpResponse> {
      absl::StatusOr<HttpResponse> answer = absl::UnavailableError("connection refused");
      if (!down_.load()) answer = fake_->Accept(b);
      {
        std::lock_guard lock(mu_);
        ++posts_;
      }
      posted_.notify_all();
      return answer;
    });
  }

  // A signed-in client on the fake collector, down, whose every backoff
  // delay is `backoff`, which sends only when asked; its first attempt has
  // failed and its sender waits. `o`: ClockOptions() with the test's changes.
  std::unique_ptr<Client> StartAfterAFailedAttempt(absl::Duration backoff, Options o) {
    ScriptOutage();
    down_ = true;
    o.min_backoff = backoff;
    o.max_backoff = backoff;
    o.upload_interval = absl::Hours(1);  // only the attempts the test asks for
    auto client = StartSignedIn(o);
    if (client == nullptr) return nullptr;
    // The first attempt, asked for now, fails.
    EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(Posts(), 1);
    EXPECT_TRUE(clock_.AwaitSettledWaiter());
    return client;
  }

  // Blocks until the fake saw `n` posts; false after 30 real seconds (a
  // bound on a failing test, not a timing claim).
  bool AwaitPosts(int n) {
    std::unique_lock lock(mu_);
    return posted_.wait_for(lock, std::chrono::seconds(30), [&] { return posts_ >= n; });
  }
  int Posts() {
    std::lock_guard lock(mu_);
    return posts_;
  }

  ManualClock clock_;
  std::atomic<bool> down_{false};
  std::mutex mu_;
  std::condition_variable posted_;
  int posts_ = 0;
};

TEST_F(ClockJumpTest, AClockSetBackADayKeepsConsentAndDelivery) {
  auto client = StartSignedIn(ClockOptions());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->RecordMilestone("before").ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());

  clock_.JumpWall(-absl::Hours(24));
  EXPECT_EQ(client->GetConsent("u", Purpose::kMilestones), Decision::kGranted);
  ASSERT_TRUE(client->RecordMilestone("after_jump").ok());
  // A decision made now is the latest one, whatever the clock says.
  ASSERT_TRUE(Withdraw(*client, "acct", "u", Purpose::kMilestones).ok());
  EXPECT_EQ(client->GetConsent("u", Purpose::kMilestones), Decision::kDenied);
  EXPECT_EQ(client->RecordMilestone("refused").code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Grant(*client, "acct", "u", Purpose::kMilestones, "v2").ok());
  EXPECT_EQ(client->GetConsent("u", Purpose::kMilestones), Decision::kGranted);
  ASSERT_TRUE(client->RecordMilestone("after_regrant").ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());

  EXPECT_EQ(MilestoneNames(),
            (std::vector<std::string>{"before", "after_regrant"}));  // the withdrawal
  ExpectCollectorWouldStoreAll();  // purged "after_jump"; nothing dated before its grant
  EXPECT_EQ(client->GetStats().refused_no_consent, 1u);
}

TEST_F(ClockJumpTest, AClockSetBackBetweenRunsKeepsTheOrderOfDecisions) {
  {
    auto client = StartSignedIn(ClockOptions());
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Shutdown(Soon()).ok());
  }
  clock_.JumpWall(-absl::Hours(24));
  auto client = MakeClient(ClockOptions());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(Withdraw(*client, "acct", "u", Purpose::kMilestones).ok());
  EXPECT_EQ(client->GetConsent("u", Purpose::kMilestones), Decision::kDenied);
  ASSERT_TRUE(Grant(*client, "acct", "u", Purpose::kMilestones).ok());
  EXPECT_EQ(client->GetConsent("u", Purpose::kMilestones), Decision::kGranted);
  ASSERT_TRUE(client->RecordLogin("acct", "u").ok());
  ASSERT_TRUE(client->RecordMilestone("m").ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());
  EXPECT_EQ(ReceivedEvents().size(), 3u);  // two logins and the milestone
  ExpectCollectorWouldStoreAll();
}

TEST_F(ClockJumpTest, AClockSetForwardAYearExpiresOnlyGrantsWhoseExpiryPassed) {
  auto client = MakeClient(ClockOptions());
  ASSERT_NE(client, nullptr);
  ConsentRequest expiring = Decide("acct", "u", Purpose::kUsageAnalytics, Decision::kGranted);
  expiring.expires_at = clock_.Now() + absl::Hours(24 * 30);
  ASSERT_TRUE(client->SetConsent(expiring).ok());
  ASSERT_TRUE(Grant(*client, "acct", "u", Purpose::kMilestones).ok());
  ASSERT_TRUE(client->RecordLogin("acct", "u").ok());

  clock_.JumpWall(absl::Hours(24 * 365));
  // Grant expiry is a wall-clock date: it passed. A grant without one holds.
  EXPECT_EQ(client->GetConsent("u", Purpose::kUsageAnalytics), Decision::kUnknown);
  EXPECT_EQ(client->GetConsent("u", Purpose::kMilestones), Decision::kGranted);
  ASSERT_TRUE(client->RecordMilestone("a_year_later").ok());
  // The deadline is read against the jumped clock: 30 s, not minus a year.
  ASSERT_TRUE(client->Flush(Soon()).ok());
  EXPECT_EQ(MilestoneNames(), std::vector<std::string>{"a_year_later"});
}

TEST_F(ClockJumpTest, AWallJumpDuringBackoffKeepsTheMonotonicSchedule) {
  Options o = ClockOptions();
  auto client = StartAfterAFailedAttempt(absl::Seconds(10), o);  // every delay exactly 10 s
  ASSERT_NE(client, nullptr);
  down_ = false;

  clock_.JumpWall(absl::Hours(24));  // forward: the backoff is not over
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  clock_.JumpWall(-absl::Hours(48));  // back: nor does it last two more days
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  clock_.Advance(absl::Seconds(9));
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  EXPECT_EQ(Posts(), 1);
  clock_.Advance(absl::Seconds(1));  // 10 s after the failure
  ASSERT_TRUE(AwaitPosts(2));
  EXPECT_EQ(fake_->stored_ids().size(), 1u);  // the login
  EXPECT_EQ(fake_->stored_consent_ids().size(), 2u);
}

TEST_F(ClockJumpTest, NetworkBackTriggersAnAttemptWithinTheFloor) {
  Options o = ClockOptions();
  o.network_retry_floor = absl::Seconds(2);
  auto client = StartAfterAFailedAttempt(absl::Minutes(5), o);
  ASSERT_NE(client, nullptr);
  clock_.Advance(absl::Seconds(2));

  client->OnNetworkAvailable();  // still down: one attempt, now
  ASSERT_TRUE(AwaitPosts(2));
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  client->OnNetworkAvailable();  // within the floor: none until it passes
  clock_.Advance(absl::Seconds(2) - absl::Milliseconds(1));
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  EXPECT_EQ(Posts(), 2);
  down_ = false;
  clock_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(AwaitPosts(3));
  EXPECT_EQ(fake_->stored_ids().size(), 1u);  // the login, minutes before the backoff ends
  EXPECT_EQ(fake_->stored_consent_ids().size(), 2u);
  ASSERT_TRUE(client->Flush(Soon()).ok());  // settled: nothing left to attempt
  EXPECT_EQ(Posts(), 3);
}

TEST_F(ClockJumpTest, NetworkBackStillHonoursTheCollectorsRetryAfter) {
  // An overloaded collector asks for a minute of quiet; the app's network
  // change and Flush must not override it.
  fake_->SetScript([this](int, const cairn::v1::Batch& b) -> absl::StatusOr<HttpResponse> {
    absl::StatusOr<HttpResponse> answer = HttpResponse{503, "busy", absl::Minutes(1)};
    if (!down_.load()) answer = fake_->Accept(b);
    {
      std::lock_guard lock(mu_);
      ++posts_;
    }
    posted_.notify_all();
    return answer;
  });
  down_ = true;
  Options o = ClockOptions();
  o.min_backoff = o.max_backoff = absl::Minutes(5);
  o.upload_interval = absl::Hours(1);
  auto client = StartSignedIn(o);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kUnavailable);
  ASSERT_EQ(Posts(), 1);
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  down_ = false;
  clock_.Advance(o.network_retry_floor);
  client->OnNetworkAvailable();
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  EXPECT_EQ(Posts(), 1);  // past the floor, but inside the Retry-After
  EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Posts(), 1);
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(AwaitPosts(2));  // the Retry-After is over: the asked-for attempt goes out
  ASSERT_TRUE(client->Flush(Soon()).ok());
  EXPECT_EQ(client->GetStats().buffered_rows, 0u);
}

TEST_F(ClockJumpTest, FlushWhileBackingOffWaitsForAnAttempt) {
  Options o = ClockOptions();
  auto client = StartAfterAFailedAttempt(absl::Minutes(5), o);
  ASSERT_NE(client, nullptr);
  clock_.Advance(o.network_retry_floor);
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kUnavailable);  // tried, still down
  EXPECT_EQ(Posts(), 2);
  clock_.Advance(o.network_retry_floor);
  down_ = false;
  ASSERT_TRUE(client->Flush(Soon()).ok());  // the collector is back: delivered
  EXPECT_EQ(Posts(), 3);
  EXPECT_EQ(client->GetStats().buffered_rows, 0u);
}

// A collector that stops answering, and tells when a request reached it.
class StalledCollector : public cairn::testing::FakeCollector {
 public:
  StalledCollector() { StallUntilAbort(); }
  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override {
    {
      std::lock_guard lock(mu_);
      ++entered_;
    }
    entered_cv_.notify_all();
    return FakeCollector::Post(request);  // blocks until Abort
  }
  // Blocks until a request is stalled here; false after 30 real seconds.
  bool AwaitStalled() {
    std::unique_lock lock(mu_);
    return entered_cv_.wait_for(lock, std::chrono::seconds(30), [&] { return entered_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable entered_cv_;
  int entered_ = 0;
};

TEST_F(ClockJumpTest, DestructionWithAStalledCollectorEndsAtTheShutdownTimeout) {
  auto stalled = std::make_shared<StalledCollector>();
  Options o = ClockOptions();
  o.transport = stalled;
  o.shutdown_timeout = absl::Seconds(3);
  std::unique_ptr<Client> client = StartSignedIn(o);
  ASSERT_NE(client, nullptr);
  client->OnNetworkAvailable();  // an attempt now, which stalls
  ASSERT_TRUE(stalled->AwaitStalled());
  std::atomic<bool> done{false};
  std::thread destroyer([&] {
    client.reset();
    done = true;
  });
  // The sender is stuck in the transfer: the one thread that can wait on
  // the clock is the destructor's.
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  clock_.Advance(absl::Seconds(2));  // short of the timeout less its abort margin
  ASSERT_TRUE(clock_.AwaitSettledWaiter());
  EXPECT_FALSE(done.load());
  clock_.Advance(absl::Seconds(1));
  destroyer.join();  // returns: the stalled transfer was aborted
  EXPECT_TRUE(done.load());
  EXPECT_EQ(stalled->posts(), 1);
}

TEST_F(ClockJumpTest, TheExitAndFloorOptionsAreChecked) {
  EXPECT_EQ(Options().shutdown_timeout, absl::Seconds(1));
  EXPECT_EQ(Options().network_retry_floor, absl::Seconds(1));
  for (absl::Duration bad : {-absl::Seconds(1), absl::Minutes(2)}) {
    Options o = FakeCollectorOptions();
    o.shutdown_timeout = bad;
    EXPECT_EQ(Client::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  }
  for (absl::Duration bad : {-absl::Seconds(1), absl::Hours(2)}) {
    Options o = FakeCollectorOptions();
    o.network_retry_floor = bad;
    EXPECT_EQ(Client::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace cairn
