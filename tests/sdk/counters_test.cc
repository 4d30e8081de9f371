// Every Stats counter against its invariants: across two clients using one
// storage directory one after the other (in this process and as two real
// processes), an offline session with drops followed by delivery, and a
// crash. Checked against what the collector received.
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "cairn/common/clock.h"
#include "cairn/stats.h"
#include "recorder_process.h"
#include "sdk/src/progress.h"
#include "sdk_fixture.h"

namespace cairn {
namespace {

using cairn::v1::DropReason;
using consent::Purpose;

constexpr uint64_t kNearOverflow = uint64_t{1} << 62;

// The counters that only ever grow.
constexpr uint64_t Stats::*kMonotonic[] = {&Stats::recorded,
                                           &Stats::refused_no_consent,
                                           &Stats::persisted,
                                           &Stats::sent,
                                           &Stats::acknowledged,
                                           &Stats::duplicates,
                                           &Stats::retries,
                                           &Stats::batches_acknowledged,
                                           &Stats::erased,
                                           &Stats::refused_invalid,
                                           &Stats::refused_no_session,
                                           &Stats::refused_shut_down,
                                           &Stats::refused_storage,
                                           &Stats::durable_timeouts};

// What one snapshot must satisfy, and against the one before it (`before`,
// of the same client): no counter goes back.
void ExpectInvariants(const Stats& s, const Stats* before = nullptr) {
  for (uint64_t Stats::*field : kMonotonic) {
    EXPECT_LT(s.*field, kNearOverflow) << "a counter near 2^64: an unsigned underflow";
    if (before) {
      EXPECT_GE(s.*field, before->*field) << "a counter went back";
    }
  }
  for (uint64_t value : {s.consent_changes_pending, s.buffered_rows, s.buffered_bytes}) {
    EXPECT_LT(value, kNearOverflow) << "a figure near 2^64: an unsigned underflow";
  }
  for (const auto& [reason, count] : s.dropped) EXPECT_LT(count, kNearOverflow) << reason;
  EXPECT_LE(s.persisted, s.recorded);
  EXPECT_LE(s.acknowledged + s.duplicates, s.sent);
  if (!before) return;
  for (const auto& [reason, count] : before->dropped) {
    auto now = s.dropped.find(reason);
    ASSERT_NE(now, s.dropped.end()) << reason;
    EXPECT_GE(now->second, count) << reason;
  }
}

// Drops of events (not of attributes), which account for recorded events.
uint64_t DroppedEvents(const Stats& s) {
  uint64_t n = 0;
  for (const auto& [reason, count] : s.dropped) {
    if (reason != cairn::v1::DROP_REASON_ATTRIBUTE_FILTERED &&
        reason != cairn::v1::DROP_REASON_QUEUE_FULL) {
      n += count;
    }
  }
  return n;
}

class CountersTest : public cairn::testing::SdkTest {
 protected:
  // The collector answers 503 while offline_, else stores.
  void Script() {
    fake_->SetScript([this](int, const cairn::v1::Batch& batch) -> absl::StatusOr<HttpResponse> {
      if (offline_.load()) return absl::UnavailableError("network down");
      std::lock_guard lock(accepted_mu_);
      accepted_.push_back(batch);
      return fake_->Accept(batch);
    });
  }

  // The drop counts the collector stored, each batch id once (a retried
  // batch is counted once by the real collector too).
  std::map<DropReason, uint64_t> ReceivedDrops() const {
    std::map<DropReason, uint64_t> out;
    std::set<std::string> seen;
    std::lock_guard lock(accepted_mu_);
    for (const cairn::v1::Batch& b : accepted_) {
      if (!seen.insert(b.batch_id()).second) continue;
      for (const cairn::v1::DropCount& d : b.dropped()) out[d.reason()] += d.count();
    }
    return out;
  }

  // Waits (polling, bounded) until the collector has every drop `stats`
  // counted: they travel on their own once nothing else is left to send.
  bool AwaitDropReports(const std::map<DropReason, uint64_t>& expected) const {
    for (int i = 0; i < 2000; ++i) {
      if (ReceivedDrops() == expected) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  // Makes `n` decisions of user "u" while the sender may be busy, checking
  // the invariants after each; returns the last snapshot.
  Stats DecideRepeatedly(Client& client, Purpose purpose, const std::string& prefix, int n,
                         Stats before) {
    for (int i = 0; i < n; ++i) {
      EXPECT_TRUE(Grant(client, "acct", "u", purpose, prefix + std::to_string(i)).ok());
      Stats now = client.GetStats();
      ExpectInvariants(now, &before);
      before = now;
    }
    return before;
  }

  // Delivers everything and checks nothing is left pending or buffered.
  Stats DeliverAll(Client& client, const Stats& before) {
    EXPECT_TRUE(FlushUntilDelivered(client).ok());
    Stats after = client.GetStats();
    ExpectInvariants(after, &before);
    EXPECT_EQ(after.consent_changes_pending, 0u);
    EXPECT_EQ(after.buffered_rows, 0u);
    return after;
  }

  // Events (not consent changes) the collector stored.
  uint64_t Stored() const { return fake_->stored_ids().size(); }

  std::atomic<bool> offline_{false};
  mutable std::mutex accepted_mu_;
  std::vector<cairn::v1::Batch> accepted_;  // guarded by accepted_mu_
};

// The consent outbox read before its position is published (the sender
// delivers a decision the keeper has just appended) made pending negative.
TEST(ConsentPending, NeverUnderflowsWhenDeliveryOvertakesPublication) {
  sdk::Progress progress(SystemClock(), /*attempt_floor=*/absl::Seconds(1));
  progress.RestoreConsent(/*last_position=*/2, /*settled_through=*/0);
  progress.ConsentDelivered(4);  // entries 3 and 4 appended, not yet published
  Stats stats;
  progress.FillStats(stats);
  EXPECT_EQ(stats.consent_changes_pending, 0u);
  progress.ConsentAppended(3);
  progress.ConsentAppended(4);
  progress.FillStats(stats);
  EXPECT_EQ(stats.consent_changes_pending, 0u);
  progress.ConsentAppended(5);
  progress.FillStats(stats);
  EXPECT_EQ(stats.consent_changes_pending, 1u);
}

TEST_F(CountersTest, TwoClientsOneAfterTheOtherOnOneDirectory) {
  Script();
  offline_ = true;
  Options o = FlushOnlyOptions();
  uint64_t recorded = 0;
  {
    auto first = StartSignedIn(o);
    ASSERT_NE(first, nullptr);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(first->RecordMilestone("first", i).ok());
    EXPECT_TRUE(absl::IsUnavailable(first->Flush(absl::Now() + absl::Seconds(10))));
    Stats s = first->GetStats();
    ExpectInvariants(s);
    EXPECT_EQ(s.consent_changes_pending, 2u);
    EXPECT_EQ(s.persisted, s.recorded);  // all durable, nothing delivered
    EXPECT_EQ(s.buffered_rows, s.recorded);
    recorded += s.recorded;
    first->Shutdown(absl::Now()).IgnoreError();  // Unavailable: the collector is away
  }
  offline_ = false;
  auto second = MakeClient(o);
  ASSERT_NE(second, nullptr);
  Stats before = second->GetStats();
  ExpectInvariants(before);
  EXPECT_EQ(before.buffered_rows, recorded);  // the first client's events, resumed
  EXPECT_EQ(before.consent_changes_pending, 2u);
  // Decisions while the sender is busy with what the first client left.
  before = DecideRepeatedly(*second, Purpose::kMilestones, "v", 20, before);
  ASSERT_TRUE(second->RecordLogin("acct", "u").ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(second->RecordMilestone("second", i).ok());
  recorded += DeliverAll(*second, before).recorded;
  EXPECT_EQ(Stored(), recorded);                       // every event, once
  EXPECT_EQ(fake_->stored_consent_ids().size(), 22u);  // every decision
}

TEST_F(CountersTest, ASecondProcessThenThisOneOnOneDirectory) {
  Script();
  const std::string storage = dir_.File("shared");
  constexpr int kDurable = 200;
  {
    cairn::testing::RecorderProcess child(storage, kDurable);
    ASSERT_GT(child.pid(), 0);
    ASSERT_EQ(child.line(), "durable " + std::to_string(kDurable));
    ASSERT_TRUE(child.Kill());  // a crash, mid-recording perhaps
  }
  Options o = FlushOnlyOptions();
  o.storage_dir = storage;
  auto client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  Stats start = client->GetStats();
  ExpectInvariants(start);
  EXPECT_EQ(start.consent_changes_pending, 2u);  // the other process's two grants
  EXPECT_GE(start.buffered_rows, static_cast<uint64_t>(kDurable));
  Stats before = DecideRepeatedly(*client, Purpose::kUsageAnalytics, "w", 10, start);
  Stats after = DeliverAll(*client, before);
  // Everything the other process left reached the collector, and only that.
  EXPECT_EQ(Stored(), start.buffered_rows);
  EXPECT_EQ(fake_->stored_consent_ids().size(), 12u);
  EXPECT_EQ(after.acknowledged, start.buffered_rows + 12);
}

// Offline: the queue refuses an event, the buffer's row bound evicts, a
// withdrawal purges, attributes are filtered. Once the collector is back,
// every drop reaches it and every recorded event is accounted for.
TEST_F(CountersTest, OfflineDropsOfEveryKindReachTheCollectorOnceOnline) {
  Script();
  offline_ = true;
  Options o = FlushOnlyOptions();
  o.upload_interval = absl::ZeroDuration();
  o.queue_capacity = 5;
  o.commit_interval = absl::Hours(1);  // the writer holds off: the queue fills
  o.queue_full_policy = Options::QueueFullPolicy::kDropNewest;
  o.max_buffer_rows = 3;
  o.attribute_allowlist = {"plan"};
  auto client = StartSignedIn(o);  // the login is queued event 1
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(client->RecordMilestone("offline", i, {{"secret", "x"}}).ok());
  }
  EXPECT_EQ(client->RecordMilestone("refused").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::IsUnavailable(client->Flush(absl::Now() + absl::Seconds(10))));
  Stats mid = client->GetStats();
  ExpectInvariants(mid);
  EXPECT_EQ(mid.dropped[cairn::v1::DROP_REASON_QUEUE_FULL], 1u);
  EXPECT_EQ(mid.dropped[cairn::v1::DROP_REASON_ATTRIBUTE_FILTERED], 4u);
  EXPECT_EQ(mid.recorded, DroppedEvents(mid) + mid.buffered_rows);
  ASSERT_TRUE(Withdraw(*client, "acct", "u", Purpose::kMilestones).ok());
  Stats withdrawn = client->GetStats();
  ExpectInvariants(withdrawn, &mid);
  offline_ = false;
  Stats s = DeliverAll(*client, withdrawn);
  EXPECT_GT(s.dropped[cairn::v1::DROP_REASON_CONSENT_WITHDRAWN], 0u);
  std::map<DropReason, uint64_t> expected = s.dropped;
  std::erase_if(expected, [](const auto& entry) { return entry.second == 0; });
  EXPECT_TRUE(AwaitDropReports(expected)) << "the collector is missing drop reports";
  EXPECT_EQ(s.recorded, Stored() + DroppedEvents(s));
}

// The next start expires what an offline session left and then has nothing
// else to send: the drop counts travel on their own all the same.
TEST_F(CountersTest, DropsCountedWithNothingElseToSendStillReachTheCollector) {
  Script();
  ManualClock clock;
  Options o = FlushOnlyOptions();
  o.clock = &clock;
  o.upload_interval = absl::ZeroDuration();
  o.event_ttl = absl::Hours(1);
  uint64_t delivered = 0;
  uint64_t left_offline = 0;
  {
    auto client = StartSignedIn(o);
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Flush(clock.Now() + absl::Seconds(10)).ok());  // grants and login
    delivered = Stored();
    offline_ = true;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->RecordMilestone("offline", i).ok());
    EXPECT_TRUE(absl::IsUnavailable(client->Flush(clock.Now() + absl::Seconds(10))));
    Stats s = client->GetStats();
    ExpectInvariants(s);
    EXPECT_EQ(s.consent_changes_pending, 0u);
    left_offline = s.buffered_rows;
    EXPECT_EQ(left_offline, 3u);
    client->Shutdown(clock.Now()).IgnoreError();  // Unavailable: the collector is away
  }
  clock.Advance(absl::Hours(2));  // what is buffered expires at the next start
  offline_ = false;
  auto client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Flush(clock.Now() + absl::Seconds(10)).ok());
  Stats s = client->GetStats();
  ExpectInvariants(s);
  EXPECT_EQ(s.buffered_rows, 0u);
  EXPECT_EQ(s.dropped[cairn::v1::DROP_REASON_EXPIRED], left_offline);
  EXPECT_TRUE(AwaitDropReports({{cairn::v1::DROP_REASON_EXPIRED, left_offline}}))
      << "the collector never learnt of the expired events";
  EXPECT_EQ(Stored(), delivered);
}

}  // namespace
}  // namespace cairn
