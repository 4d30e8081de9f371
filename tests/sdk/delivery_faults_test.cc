// Delivery under injected faults: the collector's behaviour comes from a
// scripted fake behind the Transport seam, time from a ManualClock.
#include <mutex>
#include <vector>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "cairn/common/clock.h"
#include "sdk/src/upload/backoff.h"
#include "sdk_fixture.h"

namespace cairn {
namespace {

using consent::Decision;
using consent::Purpose;

class DeliveryFaults : public cairn::testing::SdkTest {
 protected:
  Options BaseOptions() { return FakeCollectorOptions(); }
  std::unique_ptr<Client> Start(Options o) { return StartSignedIn(std::move(o)); }
};

TEST_F(DeliveryFaults, A500StormLosesNothingAndDuplicatesNothing) {
  fake_->SetScript([this](int call, const cairn::v1::Batch& b) -> absl::StatusOr<HttpResponse> {
    if (call < 25) return HttpResponse{500, "internal error", {}};
    return fake_->Accept(b);
  });
  Options o = BaseOptions();
  o.max_batch_events = 100;
  o.min_backoff = absl::Milliseconds(1);
  o.max_backoff = absl::Milliseconds(4);
  auto client = Start(o);
  for (int i = 0; i < 999; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  EXPECT_EQ(fake_->stored_ids().size(), 1000u);
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.acknowledged, 1002u);  // and the two grants
  EXPECT_EQ(stats.duplicates, 0u);
  EXPECT_GE(stats.retries, 25u);
  EXPECT_EQ(stats.buffered_rows, 0u);
}

TEST_F(DeliveryFaults, AResponseLostAfterTheCommitIsRetriedAndStoredOnce) {
  fake_->SetScript([this](int call, const cairn::v1::Batch& b) -> absl::StatusOr<HttpResponse> {
    HttpResponse answer = fake_->Accept(b);  // the collector commits...
    if (call < 2)
      return absl::UnavailableError("connection reset by peer");  // ...the answer is lost
    return answer;
  });
  Options o = BaseOptions();
  o.max_batch_events = 50;
  o.min_backoff = absl::Milliseconds(1);
  o.max_backoff = absl::Milliseconds(4);
  auto client = Start(o);
  for (int i = 0; i < 199; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  EXPECT_EQ(fake_->stored_ids().size(), 200u);
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.acknowledged + stats.duplicates, 202u);  // and the two grants
  EXPECT_GE(stats.duplicates, 1u);  // the resent batch was recognised, not stored again
  // A retry sends the same batch: same id, same events.
  std::vector<cairn::v1::Batch> batches = fake_->batches();
  ASSERT_GE(batches.size(), 3u);
  EXPECT_EQ(batches[0].batch_id(), batches[1].batch_id());
  EXPECT_EQ(batches[0].SerializeAsString(), batches[1].SerializeAsString());
}

TEST_F(DeliveryFaults, TooManyRequestsWithRetryAfterIsHonoured) {
  ManualClock clock;
  std::vector<absl::Time> calls;
  std::mutex mu;
  fake_->SetScript([&](int call, const cairn::v1::Batch& b) -> absl::StatusOr<HttpResponse> {
    {
      std::lock_guard lock(mu);
      calls.push_back(clock.Now());
    }
    if (call == 0) return HttpResponse{429, "slow down", absl::Seconds(10)};
    return fake_->Accept(b);
  });
  Options o = BaseOptions();
  o.clock = &clock;
  o.min_backoff = absl::Seconds(1);
  o.max_backoff = absl::Seconds(60);
  o.upload_interval = absl::Seconds(2);
  // Each event is durable before simulated time moves on: the sender's view
  // of the buffer never depends on how soon the writer thread got a core.
  o.durable_records = true;
  auto client = Start(o);
  ASSERT_TRUE(clock.AwaitSettledWaiter());
  for (int step = 0; step < 150 && fake_->stored_ids().empty(); ++step) {
    ASSERT_TRUE(client->RecordMilestone("m", step).ok());  // new events never cut the wait short
    clock.Advance(absl::Milliseconds(100));
    ASSERT_TRUE(clock.AwaitSettledWaiter());
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_GE(calls[1] - calls[0], absl::Seconds(10));
  EXPECT_LT(calls[1] - calls[0], absl::Seconds(10) + absl::Milliseconds(200));
}

TEST_F(DeliveryFaults, ADeadCollectorSeesAttemptsOnlyAsTheBackoffAllows) {
  ManualClock clock;
  const absl::Time start = clock.Now();
  fake_->SetScript([](int, const cairn::v1::Batch&) -> absl::StatusOr<HttpResponse> {
    return absl::UnavailableError("connection refused");
  });
  Options o = BaseOptions();
  o.clock = &clock;
  o.min_backoff = absl::Seconds(1);
  o.max_backoff = absl::Seconds(30);
  o.upload_interval = absl::Seconds(2);
  o.jitter_seed = 20261123;
  o.durable_records = true;                      // as above: simulated time waits for the writer
  o.network_retry_floor = absl::ZeroDuration();  // the flush below attempts at once
  auto client = Start(o);
  ASSERT_TRUE(clock.AwaitSettledWaiter());
  const absl::Duration step = absl::Milliseconds(100);
  int recorded = 1;
  for (int i = 0; i < 600; ++i) {  // 60 simulated seconds, 20 events every 100 ms
    for (int k = 0; k < 20; ++k, ++recorded) ASSERT_TRUE(client->RecordMilestone("m").ok());
    clock.Advance(step);
    ASSERT_TRUE(clock.AwaitSettledWaiter()) << "at step " << i;
  }

  // The schedule the backoff allows: first attempt after the upload interval,
  // then each failure's delay, seen at the next 100 ms tick.
  sdk::Backoff replay(o.min_backoff, o.max_backoff, o.jitter_seed);
  auto next_tick = [&](absl::Time t) { return start + absl::Ceil(t - start, step); };
  int expected = 0;
  for (absl::Time t = start + o.upload_interval; t <= start + absl::Seconds(60);
       t = next_tick(t + replay.NextDelay(expected, std::nullopt))) {
    ++expected;
  }
  EXPECT_EQ(fake_->posts(), expected) << "events recorded meanwhile: " << recorded;
  EXPECT_GE(expected, 6);   // 1+2+4+8+16+30 s of maximal delays already exceed 60 s
  EXPECT_LE(expected, 30);  // nothing like one attempt per event or per tick
  // Every event is durable and waiting; a flush makes one attempt of its
  // own (within the floor) and answers with its failure.
  EXPECT_EQ(client->Flush(absl::Now() + absl::Seconds(10)).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(client->GetStats().buffered_rows, static_cast<uint64_t>(recorded));
  EXPECT_EQ(fake_->posts(), expected + 1);
}

}  // namespace
}  // namespace cairn
