#include "cairn/collector/batch_writer.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
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
      absl::MutexLock lock(&mu_);
      call_sizes_.push_back(batches.size());
      hold = hold_ && call_sizes_.size() == 1;
    }
    if (hold) {
      entered_.Notify();
      release_.WaitForNotification();
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

  std::vector<size_t> call_sizes() {
    absl::MutexLock lock(&mu_);
    return call_sizes_;
  }

  const bool hold_;
  absl::Notification entered_;
  absl::Notification release_;

 private:
  absl::Mutex mu_;
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
      absl::MutexLock lock(&mu_);
      results_.push_back(std::move(result));
    };
  }
  std::vector<absl::StatusOr<BatchWriteResult>> WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    target_ = n;
    mu_.Await(absl::Condition(this, &Completions::Reached));
    return results_;
  }

 private:
  bool Reached() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return results_.size() >= target_; }

  absl::Mutex mu_;
  std::vector<absl::StatusOr<BatchWriteResult>> results_ ABSL_GUARDED_BY(mu_);
  size_t target_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(CollectorBatchWriterTest, CommitsQueuedRequestsTogether) {
  FakeStore store(/*hold_first_write=*/true);
  BatchWriter writer(&store, {});
  Completions done;
  ASSERT_TRUE(writer.TrySubmit(Record(), done.Add()));
  store.entered_.WaitForNotification();  // the writer is inside the first commit
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer.TrySubmit(Record(), done.Add()));
  EXPECT_EQ(writer.QueueDepth(), 5u);
  store.release_.Notify();
  auto results = done.WaitFor(6);
  for (const auto& result : results) EXPECT_TRUE(result.ok());
  // The five that queued during the first commit went in one transaction.
  EXPECT_EQ(store.call_sizes(), (std::vector<size_t>{1, 5}));
}

TEST(CollectorBatchWriterTest, RefusesWhenTheQueueIsFull) {
  FakeStore store(/*hold_first_write=*/true);
  BatchWriterOptions options;
  options.queue_capacity = 2;
  BatchWriter writer(&store, options);
  Completions done;
  ASSERT_TRUE(writer.TrySubmit(Record(), done.Add()));
  store.entered_.WaitForNotification();
  EXPECT_TRUE(writer.TrySubmit(Record(), done.Add()));
  EXPECT_TRUE(writer.TrySubmit(Record(), done.Add()));
  bool called = false;
  EXPECT_FALSE(writer.TrySubmit(Record(), [&](absl::StatusOr<BatchWriteResult>) { called = true; }));
  store.release_.Notify();
  done.WaitFor(3);
  EXPECT_FALSE(called);
  EXPECT_TRUE(writer.TrySubmit(Record(), done.Add()));  // room again
  done.WaitFor(4);
}

TEST(CollectorBatchWriterTest, StopDrainsTheQueueThenRefuses) {
  FakeStore store(/*hold_first_write=*/true);
  auto writer = std::make_unique<BatchWriter>(&store, BatchWriterOptions{});
  Completions done;
  ASSERT_TRUE(writer->TrySubmit(Record(), done.Add()));
  store.entered_.WaitForNotification();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer->TrySubmit(Record(), done.Add()));
  std::thread stopper([&] { writer->Stop(); });
  store.release_.Notify();
  stopper.join();
  auto results = done.WaitFor(4);
  EXPECT_EQ(results.size(), 4u);
  EXPECT_FALSE(writer->TrySubmit(Record(), done.Add()));
}

TEST(CollectorBatchWriterTest, AFailingRequestDoesNotFailItsGroup) {
  FakeStore store(/*hold_first_write=*/true);
  BatchWriter writer(&store, {});
  Completions done;
  ASSERT_TRUE(writer.TrySubmit(Record(), done.Add()));
  store.entered_.WaitForNotification();
  ASSERT_TRUE(writer.TrySubmit(Record("good-1"), done.Add()));
  ASSERT_TRUE(writer.TrySubmit(Record("poison"), done.Add()));
  ASSERT_TRUE(writer.TrySubmit(Record("good-2"), done.Add()));
  store.release_.Notify();
  auto results = done.WaitFor(4);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
  EXPECT_TRUE(absl::IsUnavailable(results[2].status()));
  EXPECT_TRUE(results[3].ok());
}

}  // namespace
}  // namespace cairn::collector
