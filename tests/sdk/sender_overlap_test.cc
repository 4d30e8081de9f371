// Overlapping delivery: the sender builds the next batch while a request is
// in flight, and runs two requests at once when the transport allows it.
// The collector is a fake whose requests wait at a gate the test opens, so
// two requests are provably in flight at once; every wait is on a
// condition variable, never a sleep.
#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "cairn/common/codec.h"
#include "sdk/src/client_impl.h"
#include "sdk/src/device/private_files.h"
#include "sdk/src/options_check.h"
#include "sdk_fixture.h"

namespace cairn {
namespace {

using consent::Purpose;

// The fake collector behind a gate: each request waits on arrival until the
// test lets it through (one by one, or all), or until Abort. Keeps each
// request's batch in arrival order, and how many requests were inside at once.
class GatedCollector : public testing::FakeCollector {
 public:
  explicit GatedCollector(int concurrent) : concurrent_(concurrent) {}

  int MaxConcurrentPosts() const override { return concurrent_; }

  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override {
    int index;
    {
      std::unique_lock lock(mu_);
      index = static_cast<int>(arrivals_.size());
      arrivals_.push_back(Decode(request));
      bodies_.push_back(request.body);
      inside_at_arrival_.push_back(++inside_);
      max_inside_ = std::max(max_inside_, inside_);
      changed_.notify_all();
      changed_.wait(lock, [&] { return open_ || released_.count(index) > 0 || aborted_; });
    }
    absl::StatusOr<HttpResponse> answer =
        aborted() ? absl::CancelledError("aborted at the gate") : FakeCollector::Post(request);
    std::lock_guard lock(mu_);
    --inside_;
    completed_.push_back(index);
    changed_.notify_all();
    return answer;
  }

  void Abort() override {
    FakeCollector::Abort();
    std::lock_guard lock(mu_);
    aborted_ = true;
    changed_.notify_all();
  }

  bool aborted() const {
    std::lock_guard lock(mu_);
    return aborted_;
  }
  // Requests from now on wait at the gate (the default: open).
  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  // Lets request `index` (0-based, in arrival order) through.
  void Release(int index) {
    std::lock_guard lock(mu_);
    released_.insert(index);
    changed_.notify_all();
  }
  // Waits until `n` requests are inside at once; false after `timeout`.
  bool AwaitInside(int n, absl::Duration timeout = absl::Seconds(30)) {
    return Await([&] { return inside_ >= n; }, timeout);
  }
  // Waits until `n` requests have arrived; false after 30 s.
  bool AwaitArrivals(int n) {
    return Await([&] { return static_cast<int>(arrivals_.size()) >= n; });
  }
  // Waits until request `index` has been answered; false after 30 s.
  bool AwaitCompleted(int index) {
    return Await(
        [&] { return std::find(completed_.begin(), completed_.end(), index) != completed_.end(); });
  }
  int inside() const {
    std::lock_guard lock(mu_);
    return inside_;
  }
  int max_inside() const {
    std::lock_guard lock(mu_);
    return max_inside_;
  }
  std::vector<cairn::v1::Batch> arrivals() const {
    std::lock_guard lock(mu_);
    return arrivals_;
  }
  // The request bodies as sent, in arrival order.
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::vector<int> inside_at_arrival() const {
    std::lock_guard lock(mu_);
    return inside_at_arrival_;
  }
  std::vector<int> completed() const {
    std::lock_guard lock(mu_);
    return completed_;
  }

 private:
  static cairn::v1::Batch Decode(const HttpRequest& request) {
    Codec codec = Codec::kIdentity;
    for (const auto& [name, value] : request.headers) {
      if (name == "Content-Encoding") codec = ParseCodec(value).value_or(Codec::kIdentity);
    }
    cairn::v1::Batch batch;
    absl::StatusOr<std::string> body = Decompress(codec, request.body, 64 << 20);
    if (body.ok()) batch.ParseFromString(*body);
    return batch;
  }
  template <typename Done>
  bool Await(Done done, absl::Duration timeout = absl::Seconds(30)) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), done);
  }

  const int concurrent_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool open_ = true;
  bool aborted_ = false;
  std::set<int> released_;
  int inside_ = 0;
  int max_inside_ = 0;
  std::vector<cairn::v1::Batch> arrivals_;
  std::vector<std::string> bodies_;
  std::vector<int> inside_at_arrival_;
  std::vector<int> completed_;
};

// A one-shot signal between threads.
class Latch {
 public:
  void Set() {
    std::lock_guard lock(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool Await() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

int CountMilestones(const cairn::v1::Batch& batch) {
  return static_cast<int>(std::count_if(batch.events().begin(), batch.events().end(),
                                        [](const auto& e) { return e.has_milestone(); }));
}

class SenderOverlap : public testing::SdkTest {
 protected:
  // Flush-only delivery (see FlushOnlyOptions) in batches of 10.
  Options Base(int concurrent) {
    gated_ = std::make_shared<GatedCollector>(concurrent);
    fake_ = gated_;
    Options o = FlushOnlyOptions();
    o.transport = gated_;
    o.max_batch_events = 10;
    return o;
  }
  // A signed-in client whose grants and login are delivered already, so the
  // batches that follow carry no consent records.
  std::unique_ptr<Client> Delivered(Options o) {
    auto client = StartSignedIn(std::move(o));
    if (client) {
      EXPECT_TRUE(client->Flush(absl::Now() + absl::Seconds(30)).ok());
    }
    return client;
  }
  // Flushes on a thread of its own: the test holds the requests meanwhile.
  void FlushInBackground(Client& client) {
    flusher_ =
        std::thread([&client, this] { flushed_ = client.Flush(absl::Now() + absl::Seconds(60)); });
  }
  absl::Status JoinFlush() {
    if (flusher_.joinable()) flusher_.join();
    return flushed_;
  }
  // Every event id arrived under one batch id only (a batch may go twice).
  void ExpectEachEventUnderOneBatchId() {
    std::map<std::string, std::set<std::string>> batch_ids;
    for (const cairn::v1::Batch& b : gated_->arrivals()) {
      for (const cairn::v1::Event& e : b.events()) batch_ids[e.event_id()].insert(b.batch_id());
    }
    for (const auto& [event, ids] : batch_ids) {
      EXPECT_EQ(ids.size(), 1u) << "event sent under " << ids.size() << " batch ids";
    }
  }
  // Records 40 milestones and flushes them on a thread of its own, holding
  // the requests until two are in flight. The first of them to pass the
  // gate gets `answer` (every other one is accepted); the gate opens once it
  // is answered. Returns that request's index, -1 if any wait failed.
  int AnswerFirstOfTwo(Client& client, std::function<absl::StatusOr<HttpResponse>()> answer) {
    const int first = static_cast<int>(gated_->arrivals().size());
    const int calls_before = fake_->posts();
    fake_->SetScript([this, calls_before, answer](
                         int call, const cairn::v1::Batch& b) -> absl::StatusOr<HttpResponse> {
      if (call == calls_before) return answer();
      return fake_->Accept(b);
    });
    gated_->Close();
    for (int i = 0; i < 40; ++i) {
      if (!client.RecordMilestone("m", i).ok()) return -1;
    }
    FlushInBackground(client);
    if (!gated_->AwaitInside(2)) return -1;
    gated_->Release(first);
    if (!gated_->AwaitCompleted(first)) return -1;
    // Once the other one is answered too, the next request goes alone.
    gated_->Release(first + 1);
    if (!gated_->AwaitArrivals(first + 3)) return -1;
    ExpectAloneWhileHeld();
    gated_->Open();
    return first;
  }
  // While the requests in flight are held, no other one starts. A check
  // for absence, so it waits a while: a request the sender may start comes
  // within microseconds, and one it may not never comes.
  void ExpectAloneWhileHeld() {
    EXPECT_FALSE(gated_->AwaitInside(2, absl::Milliseconds(500)))
        << "a second request went while the first was in flight";
  }
  // The index of the first request from `from` on whose batch matches
  // `match`, or -1.
  int FindArrival(int from, const std::function<bool(const cairn::v1::Batch&)>& match) const {
    std::vector<cairn::v1::Batch> arrivals = gated_->arrivals();
    for (int i = from; i < static_cast<int>(arrivals.size()); ++i) {
      if (match(arrivals[i])) return i;
    }
    return -1;
  }
  void TearDown() override {
    if (gated_) gated_->Open();
    if (flusher_.joinable()) flusher_.join();
  }

  std::shared_ptr<GatedCollector> gated_;
  std::thread flusher_;
  absl::Status flushed_;
};

TEST_F(SenderOverlap, TwoRequestsAreInFlightAtOnceAndEveryEventIsStoredOnce) {
  auto client = Delivered(Base(2));
  ASSERT_NE(client, nullptr);
  gated_->Close();
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  FlushInBackground(*client);
  ASSERT_TRUE(gated_->AwaitInside(2));
  gated_->Open();
  ASSERT_TRUE(JoinFlush().ok());
  EXPECT_EQ(gated_->max_inside(), 2);
  EXPECT_EQ(fake_->stored_ids().size(), 61u);  // the login and the milestones
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.acknowledged, 63u);  // and the two grants
  EXPECT_EQ(stats.duplicates, 0u);
  EXPECT_EQ(stats.sent, 63u);  // nothing went twice
  EXPECT_EQ(stats.buffered_rows, 0u);
  ExpectEachEventUnderOneBatchId();
}

TEST_F(SenderOverlap, AnswersOutOfOrderDeleteEachBatchAndSettleOnlyThrough) {
  auto client = Delivered(Base(2));
  ASSERT_NE(client, nullptr);
  const int first = static_cast<int>(gated_->arrivals().size());
  gated_->Close();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  FlushInBackground(*client);
  ASSERT_TRUE(gated_->AwaitInside(2));
  // The newer batch is answered first; the older one is still held.
  gated_->Release(first + 1);
  ASSERT_TRUE(gated_->AwaitCompleted(first + 1));
  // Not delivered while the older batch is unanswered, whatever the newer did.
  EXPECT_FALSE(client->Flush(absl::Now() + absl::Milliseconds(20)).ok());
  gated_->Release(first);
  ASSERT_TRUE(JoinFlush().ok());
  EXPECT_EQ(gated_->completed().back(), first);
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.buffered_rows, 0u);
  EXPECT_EQ(stats.buffered_bytes, 0u);
  EXPECT_EQ(stats.acknowledged, 23u);
  EXPECT_EQ(stats.duplicates, 0u);
  EXPECT_EQ(fake_->stored_ids().size(), 21u);
  ExpectEachEventUnderOneBatchId();
}

TEST_F(SenderOverlap, AnAppTransportIsNeverCalledTwiceAtOnce) {
  auto client = Delivered(Base(1));
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 95; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(30)).ok());
  EXPECT_EQ(gated_->max_inside(), 1);
  EXPECT_EQ(fake_->stored_ids().size(), 96u);
  EXPECT_EQ(client->GetStats().duplicates, 0u);
}

TEST_F(SenderOverlap, OneRequestInFlightWhenTheOptionSaysSo) {
  Options o = Base(2);
  o.max_requests_in_flight = 1;
  auto client = Delivered(o);
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 95; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(30)).ok());
  EXPECT_EQ(gated_->max_inside(), 1);
  EXPECT_EQ(fake_->stored_ids().size(), 96u);
}

TEST_F(SenderOverlap, TheOptionIsValidated) {
  for (size_t limit : {size_t{0}, size_t{3}}) {
    Options o = Base(2);
    o.max_requests_in_flight = limit;
    EXPECT_EQ(Client::Create(o).status().code(), absl::StatusCode::kInvalidArgument) << limit;
  }
}

TEST_F(SenderOverlap, ABatchWithConsentRecordsIsAnsweredBeforeAnyLaterOneIsSent) {
  Options o = Base(2);
  auto client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  gated_->Close();
  ASSERT_TRUE(Grant(*client, "acct", "u", Purpose::kUsageAnalytics).ok());
  ASSERT_TRUE(Grant(*client, "acct", "u", Purpose::kMilestones).ok());
  ASSERT_TRUE(client->RecordLogin("acct", "u").ok());
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  FlushInBackground(*client);
  ASSERT_TRUE(gated_->AwaitInside(1));
  ASSERT_GT(gated_->arrivals()[0].events_size(), 0);
  ASSERT_TRUE(gated_->arrivals()[0].events(0).has_consent_change());
  ExpectAloneWhileHeld();
  gated_->Open();
  ASSERT_TRUE(JoinFlush().ok());
  // The first request, which carried the grant, was alone in flight, and
  // every later one arrived after its answer.
  std::vector<int> inside = gated_->inside_at_arrival();
  ASSERT_GE(inside.size(), 2u);
  EXPECT_EQ(gated_->completed().front(), 0);
  EXPECT_EQ(inside[1], 1);
  EXPECT_EQ(fake_->stored_ids().size(), 41u);
}

TEST_F(SenderOverlap, DropCountsTravelWithOneRequestOnly) {
  Options o = Base(2);
  auto client = Delivered(o);  // no attribute allowed: each one is a drop
  ASSERT_NE(client, nullptr);
  gated_->Close();
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(client->RecordMilestone("m", i, {{"plan", "pro"}}).ok());
  }
  FlushInBackground(*client);
  ASSERT_TRUE(gated_->AwaitInside(2));  // both built while the drops were owed
  gated_->Open();
  ASSERT_TRUE(JoinFlush().ok());
  uint64_t reported = 0;
  std::set<std::string> seen;
  for (const cairn::v1::Batch& b : gated_->arrivals()) {
    if (!seen.insert(b.batch_id()).second) continue;
    for (const cairn::v1::DropCount& d : b.dropped()) {
      if (d.reason() == cairn::v1::DROP_REASON_ATTRIBUTE_FILTERED) reported += d.count();
    }
  }
  EXPECT_EQ(reported, 30u);
  EXPECT_EQ(client->GetStats().dropped[cairn::v1::DROP_REASON_ATTRIBUTE_FILTERED], 30u);
}

// One failure among two requests in flight: the other finishes, the failed
// batch goes again alone and as it was, nothing is lost or sent under two
// batch ids.
struct FailureCase {
  const char* name;
  std::function<absl::StatusOr<HttpResponse>()> answer;
};

class SenderOverlapFailure : public SenderOverlap,
                             public ::testing::WithParamInterface<FailureCase> {};

TEST_P(SenderOverlapFailure, DrainsToOneRequestAtATimeAndLosesNothing) {
  auto client = Delivered(Base(2));
  ASSERT_NE(client, nullptr);
  const int first = AnswerFirstOfTwo(*client, GetParam().answer);
  ASSERT_GE(first, 0);
  absl::Status flushed = JoinFlush();
  if (!flushed.ok()) flushed = FlushUntilDelivered(*client);
  ASSERT_TRUE(flushed.ok()) << flushed;
  std::vector<cairn::v1::Batch> arrivals = gated_->arrivals();
  std::vector<int> inside = gated_->inside_at_arrival();
  // The failed batch went again as it was, alone in flight.
  const int again = FindArrival(first + 1, [&](const cairn::v1::Batch& b) {
    return b.batch_id() == arrivals[first].batch_id();
  });
  ASSERT_GT(again, first);
  EXPECT_EQ(arrivals[again].SerializeAsString(), arrivals[first].SerializeAsString());
  EXPECT_EQ(inside[again], 1);
  EXPECT_EQ(fake_->stored_ids().size(), 41u);
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.buffered_rows, 0u);
  EXPECT_EQ(stats.acknowledged + stats.duplicates, 43u);
  ExpectEachEventUnderOneBatchId();
}

INSTANTIATE_TEST_SUITE_P(
    Failures, SenderOverlapFailure,
    ::testing::Values(
        FailureCase{"Http503",
                    [] {
                      return absl::StatusOr<HttpResponse>(HttpResponse{503, "busy", {}});
                    }},
        FailureCase{"ConnectionReset",
                    [] { return absl::StatusOr<HttpResponse>(absl::UnavailableError("reset")); }},
        FailureCase{"UnreadableAnswer",
                    [] {
                      return absl::StatusOr<HttpResponse>(HttpResponse{200, "\xff", {}});
                    }}),
    [](const ::testing::TestParamInfo<FailureCase>& failure) { return failure.param.name; });

TEST_F(SenderOverlap, A413AmongTwoInFlightSplitsThatBatchAndLosesNothing) {
  auto client = Delivered(Base(2));
  ASSERT_NE(client, nullptr);
  const int first = AnswerFirstOfTwo(*client, [] {
    return absl::StatusOr<HttpResponse>(HttpResponse{413, "too large", {}});
  });
  ASSERT_GE(first, 0);
  absl::Status flushed = JoinFlush();
  if (!flushed.ok()) flushed = FlushUntilDelivered(*client);
  ASSERT_TRUE(flushed.ok()) << flushed;
  std::vector<cairn::v1::Batch> arrivals = gated_->arrivals();
  // The refused batch came back in halves, the first alone in flight.
  ASSERT_GT(arrivals[first].events_size(), 0);
  const int half = FindArrival(first + 1, [&](const cairn::v1::Batch& b) {
    return b.events_size() > 0 && b.events(0).event_id() == arrivals[first].events(0).event_id();
  });
  ASSERT_GT(half, first);
  EXPECT_EQ(CountMilestones(arrivals[half]), CountMilestones(arrivals[first]) / 2);
  EXPECT_EQ(gated_->inside_at_arrival()[half], 1);
  EXPECT_EQ(fake_->stored_ids().size(), 41u);
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.buffered_rows, 0u);
  EXPECT_EQ(stats.acknowledged, 43u);
  EXPECT_EQ(stats.duplicates, 0u);
}

TEST_F(SenderOverlap, A400AmongTwoInFlightDropsOnlyThatBatch) {
  auto client = Delivered(Base(2));
  ASSERT_NE(client, nullptr);
  const int first = AnswerFirstOfTwo(*client, [] {
    return absl::StatusOr<HttpResponse>(HttpResponse{400, "unreadable", {}});
  });
  ASSERT_GE(first, 0);
  ASSERT_TRUE(JoinFlush().ok());
  const int refused = CountMilestones(gated_->arrivals()[first]);
  EXPECT_EQ(fake_->stored_ids().size(), static_cast<size_t>(41 - refused));
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.buffered_rows, 0u);
  EXPECT_EQ(stats.dropped[cairn::v1::DROP_REASON_REJECTED], static_cast<uint64_t>(refused));
  ExpectEachEventUnderOneBatchId();
}

TEST_F(SenderOverlap, ShutdownWithTwoRequestsInFlightReturnsAndLeavesNoThread) {
  Options o = Base(2);
  o.request_timeout = absl::Hours(1);  // only the abort ends the stalled requests
  auto client = Delivered(o);
  ASSERT_NE(client, nullptr);
  gated_->Close();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  FlushInBackground(*client);
  ASSERT_TRUE(gated_->AwaitInside(2));
  EXPECT_FALSE(client->Shutdown(absl::Now() + absl::Milliseconds(100)).ok());
  EXPECT_FALSE(JoinFlush().ok());
  EXPECT_EQ(gated_->inside(), 0);  // both requests were aborted and returned
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    EXPECT_NE(name, "cairn-post");
    EXPECT_NE(name, "cairn-sender");
    EXPECT_NE(name, "cairn-writer");
  }
  // What was not delivered stays buffered for the next client.
  EXPECT_EQ(client->GetStats().buffered_rows, 40u);
}

// A withdrawal while one batch is in flight and the next one is built: the
// built one is rebuilt without the withdrawn user's events, and so is the
// one in flight if it fails and goes again.
class SenderOverlapWithdrawal : public SenderOverlap, public ::testing::WithParamInterface<bool> {};

TEST_P(SenderOverlapWithdrawal, RebuildsWhatWasNotYetSent) {
  const bool in_flight_fails = GetParam();
  Options o = Base(1);
  ASSERT_TRUE(sdk::ValidateOptions(o).ok());
  ASSERT_TRUE(sdk::PrepareStorageDir(o.storage_dir).ok());
  auto impl = std::make_unique<Client::Impl>(o, SystemClock(), gated_);
  ASSERT_TRUE(impl->Open().ok());
  Latch prepared;
  std::mutex mu;
  std::vector<std::string> built;  // bodies, in build order
  impl->SetBuildObserver([&](const sdk::OutgoingBatch& batch) {
    std::lock_guard lock(mu);
    built.push_back(batch.body);
    if (built.size() == 2) prepared.Set();
  });
  impl->Start();
  for (const char* user : {"u", "v"}) {
    for (Purpose purpose : {Purpose::kUsageAnalytics, Purpose::kMilestones}) {
      ASSERT_TRUE(
          impl->SetConsent(Decide("acct", user, purpose, consent::Decision::kGranted)).ok());
    }
  }
  fake_->SetScript([&](int call, const cairn::v1::Batch& b) -> absl::StatusOr<HttpResponse> {
    if (call == 0 && in_flight_fails) return HttpResponse{503, "busy", {}};
    return fake_->Accept(b);
  });
  gated_->Close();
  ASSERT_TRUE(impl->RecordLogin("acct", "u", "password").ok());
  for (int i = 0; i < 15; ++i) ASSERT_TRUE(impl->RecordMilestone("m", i, {}).ok());
  ASSERT_TRUE(impl->RecordLogin("acct", "v", "password").ok());
  for (int i = 0; i < 15; ++i) ASSERT_TRUE(impl->RecordMilestone("m", i, {}).ok());
  std::thread flusher([&] { flushed_ = impl->FlushWithin(absl::Seconds(60)); });
  ASSERT_TRUE(gated_->AwaitInside(1));
  ASSERT_TRUE(prepared.Await());  // the next batch is built, waiting for the first's answer
  ASSERT_TRUE(
      impl->SetConsent(Decide("acct", "u", Purpose::kMilestones, consent::Decision::kDenied)).ok());
  const size_t before_withdrawal = gated_->arrivals().size();
  ASSERT_EQ(before_withdrawal, 1u);
  gated_->Open();
  flusher.join();
  if (!flushed_.ok()) flushed_ = impl->FlushWithin(absl::Seconds(60));
  ASSERT_TRUE(flushed_.ok()) << flushed_;
  const std::string subject_u = impl->WireUserId("u");
  std::vector<cairn::v1::Batch> arrivals = gated_->arrivals();
  ASSERT_GT(arrivals.size(), before_withdrawal);
  for (size_t i = before_withdrawal; i < arrivals.size(); ++i) {
    for (const cairn::v1::Event& e : arrivals[i].events()) {
      EXPECT_FALSE(e.has_milestone() && e.user_id() == subject_u)
          << "a withdrawn milestone left after the withdrawal, in request " << i;
    }
  }
  // The batch built before the withdrawal never went out.
  std::vector<std::string> bodies = gated_->bodies();
  std::lock_guard lock(mu);
  EXPECT_EQ(std::count(bodies.begin(), bodies.end(), built[1]), 0);
  // v's milestones all arrived; u's only in the first request, if at all.
  std::set<std::string> v_milestones;
  for (const cairn::v1::Event& e : ReceivedEvents()) {
    if (e.has_milestone() && e.user_id() != subject_u) v_milestones.insert(e.event_id());
  }
  EXPECT_EQ(v_milestones.size(), 15u);
  ASSERT_TRUE(impl->ShutdownWithin(absl::Seconds(10)).ok());
}

INSTANTIATE_TEST_SUITE_P(InFlight, SenderOverlapWithdrawal, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& fails) {
                           return fails.param ? "FailsAndGoesAgain" : "IsAnswered";
                         });

}  // namespace
}  // namespace cairn
