#include "ingest/batch_writer.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::MakeLogin;
using ::cairn::testing::NewUuidV7;

// A Store that records each Write call, can hold the first call until
// released, and fails every write containing a batch named "poison".
class FakeStore final : public Store {
 public:
  explicit FakeStore(bool hold_first_write) : hold_(hold_first_write) {}

  absl::StatusOr<std::vector<BatchWriteResult>> Write(
      std::span<const BatchRecord> batches) override {
    bool hold = false;
    {
      std::lock_guard lock(mu_);
      call_sizes_.push_back(batches.size());
      hold = hold_ && call_sizes_.size() == 1;
    }
    if (hold) {
      entered_.set_value();
      release_future_.wait();
    }
    std::vector<BatchWriteResult> results;
    for (const BatchRecord& batch : batches) {
      if (batch.install_id == "poison") return absl::UnavailableError("disk trouble");
      BatchWriteResult result;
      result.inserted = static_cast<int64_t>(batch.events.size());
      result.outcomes.assign(batch.events.size(), EventOutcome::kInserted);
      results.push_back(result);
    }
    return results;
  }
  absl::StatusOr<StoreSummary> Summarize() override { return StoreSummary{}; }
  absl::StatusOr<UserExport> ExportUser(std::string_view, size_t) override { return UserExport{}; }
  absl::StatusOr<ErasureResult> EraseUser(std::string_view, absl::Time) override {
    return ErasureResult{};
  }
  absl::StatusOr<RecipientsPage> RenewalRecipients(std::string_view, std::string_view, size_t,
                                                   absl::Time) override {
    return RecipientsPage{};
  }
  absl::StatusOr<int64_t> PurgeEventsBefore(absl::Time, size_t) override { return 0; }
  absl::Status Ping() override { return absl::OkStatus(); }

  std::vector<size_t> call_sizes() {
    std::lock_guard lock(mu_);
    return call_sizes_;
  }
  // Returns once the first Write is being held.
  void WaitUntilHolding() { entered_future_.wait(); }
  // Whether the first Write is being held now.
  bool Holding() {
    return entered_future_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }
  void Release() { release_.set_value(); }

 private:
  const bool hold_;
  std::promise<void> entered_;
  std::future<void> entered_future_ = entered_.get_future();
  std::promise<void> release_;
  std::shared_future<void> release_future_ = release_.get_future().share();
  std::mutex mu_;
  std::vector<size_t> call_sizes_;
};

BatchRecord Record(std::string install_id = "install") {
  BatchRecord record;
  record.batch_id = NewUuidV7();
  record.install_id = std::move(install_id);
  record.events.push_back(MakeLogin("a", "u"));
  return record;
}

// Collects completions; waits for a number of them.
class Completions {
 public:
  BatchWriter::Completion Add() {
    return [this](absl::StatusOr<BatchWriteResult> result) {
      // Notify under the lock: a waiter that wakes may destroy this object.
      std::lock_guard lock(mu_);
      results_.push_back(std::move(result));
      changed_.notify_all();
    };
  }
  std::vector<absl::StatusOr<BatchWriteResult>> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return results_.size() >= n; });
    return results_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<absl::StatusOr<BatchWriteResult>> results_;  // guarded by mu_
};

TEST(CollectorBatchWriterTest, CommitsQueuedRequestsTogether) {
  FakeStore store(/*hold_first_write=*/true);
  Completions done;  // outlives the writer's thread
  BatchWriter writer(&store, {});
  ASSERT_TRUE(writer.TrySubmit(Record(), done.Add()));
  store.WaitUntilHolding();  // the writer is inside the first commit
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer.TrySubmit(Record(), done.Add()));
  EXPECT_EQ(writer.QueueDepth(), 5u);
  store.Release();
  auto results = done.WaitFor(6);
  for (const auto& result : results) EXPECT_TRUE(result.ok());
  // The five that queued during the first commit went in one transaction.
  EXPECT_EQ(store.call_sizes(), (std::vector<size_t>{1, 5}));
}

TEST(CollectorBatchWriterTest, RefusesWhenTheQueueIsFull) {
  FakeStore store(/*hold_first_write=*/true);
  BatchWriterOptions options;
  options.queue_capacity = 2;
  Completions done;
  BatchWriter writer(&store, options);
  ASSERT_TRUE(writer.TrySubmit(Record(), done.Add()));
  store.WaitUntilHolding();
  EXPECT_TRUE(writer.TrySubmit(Record(), done.Add()));
  EXPECT_TRUE(writer.TrySubmit(Record(), done.Add()));
  bool called = false;
  EXPECT_FALSE(
      writer.TrySubmit(Record(), [&](absl::StatusOr<BatchWriteResult>) { called = true; }));
  store.Release();
  done.WaitFor(3);
  EXPECT_FALSE(called);
  EXPECT_TRUE(writer.TrySubmit(Record(), done.Add()));  // room again
  done.WaitFor(4);
}

TEST(CollectorBatchWriterTest, StopDrainsTheQueueThenRefuses) {
  FakeStore store(/*hold_first_write=*/true);
  Completions done;
  auto writer = std::make_unique<BatchWriter>(&store, BatchWriterOptions{});
  ASSERT_TRUE(writer->TrySubmit(Record(), done.Add()));
  store.WaitUntilHolding();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer->TrySubmit(Record(), done.Add()));
  std::thread stopper([&] { writer->Stop(); });
  store.Release();
  stopper.join();
  auto results = done.WaitFor(4);
  EXPECT_EQ(results.size(), 4u);
  EXPECT_FALSE(writer->TrySubmit(Record(), done.Add()));
}

TEST(CollectorBatchWriterTest, AFailingRequestDoesNotFailItsGroup) {
  FakeStore store(/*hold_first_write=*/true);
  Completions done;  // outlives the writer's thread
  BatchWriter writer(&store, {});
  ASSERT_TRUE(writer.TrySubmit(Record(), done.Add()));
  store.WaitUntilHolding();
  ASSERT_TRUE(writer.TrySubmit(Record("good-1"), done.Add()));
  ASSERT_TRUE(writer.TrySubmit(Record("poison"), done.Add()));
  ASSERT_TRUE(writer.TrySubmit(Record("good-2"), done.Add()));
  store.Release();
  auto results = done.WaitFor(4);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
  EXPECT_TRUE(absl::IsUnavailable(results[2].status()));
  EXPECT_TRUE(results[3].ok());
  // The group stored its other requests: the writer is not failing.
  EXPECT_FALSE(writer.FailingWithin(absl::Hours(1)));
}

// A group that stores nothing makes the writer "failing" for a while (the
// /readyz hold), a later group that stores clears it, and the hold ends by
// itself so a collector taken out of rotation can come back.
TEST(CollectorBatchWriterTest, FailingOnlyWhileAWholeGroupFailedRecently) {
  FakeStore store(/*hold_first_write=*/false);
  Completions done;
  BatchWriter writer(&store, {});
  EXPECT_FALSE(writer.FailingWithin(absl::Hours(1)));
  ASSERT_TRUE(writer.TrySubmit(Record("poison"), done.Add()));
  ASSERT_FALSE(done.WaitFor(1)[0].ok());
  EXPECT_TRUE(writer.FailingWithin(absl::Hours(1)));
  EXPECT_FALSE(writer.FailingWithin(absl::ZeroDuration()));  // the hold is over
  ASSERT_TRUE(writer.TrySubmit(Record("good"), done.Add()));
  ASSERT_TRUE(done.WaitFor(2)[1].ok());
  EXPECT_FALSE(writer.FailingWithin(absl::Hours(1)));
  writer.Stop();
}

// Two stores, two writer threads: while one holds its commit, the other
// takes the next group from the shared queue (PostgreSQL's parallel
// sessions), and every request is completed exactly once.
TEST(CollectorBatchWriterTest, SeveralStoresCommitInParallelFromOneQueue) {
  FakeStore first(/*hold_first_write=*/true);
  FakeStore second(/*hold_first_write=*/true);
  Completions done;
  BatchWriter writer(std::vector<Store*>{&first, &second}, {});
  EXPECT_EQ(writer.writer_threads(), 2u);
  // Either thread may take the first request; the second is submitted
  // only once one store holds it (else one group could take both).
  ASSERT_TRUE(writer.TrySubmit(Record(), done.Add()));
  while (!first.Holding() && !second.Holding()) std::this_thread::yield();
  FakeStore& idle = first.Holding() ? second : first;
  ASSERT_TRUE(writer.TrySubmit(Record(), done.Add()));
  // Returns only if the other thread took it while the first commit holds.
  idle.WaitUntilHolding();
  EXPECT_TRUE(first.Holding() && second.Holding());
  EXPECT_TRUE(writer.writing());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(writer.TrySubmit(Record(), done.Add()));
  first.Release();
  second.Release();
  auto results = done.WaitFor(6);
  ASSERT_EQ(results.size(), 6u);
  for (const auto& result : results) EXPECT_TRUE(result.ok());
  writer.Stop();
  size_t committed = 0;
  for (size_t n : first.call_sizes()) committed += n;
  for (size_t n : second.call_sizes()) committed += n;
  EXPECT_EQ(committed, 6u);
  EXPECT_EQ(first.call_sizes().front(), 1u);
  EXPECT_EQ(second.call_sizes().front(), 1u);
}

}  // namespace
}  // namespace cairn::collector
