#include "ingest/batch_writer.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ops/log.h"

namespace cairn::collector {
namespace {

// Completions post to other executors; a failure there (out of memory) must
// not take down the writer thread or skip the other completions.
void Complete(BatchWriter::Completion& done, absl::StatusOr<BatchWriteResult> result) {
  try {
    std::move(done)(std::move(result));
  } catch (const std::exception&) {
    Log(LogLevel::kError, "completion_failed");
  }
}

}  // namespace

BatchWriter::BatchWriter(Store* store, const BatchWriterOptions& options)
    : BatchWriter(std::vector<Store*>{store}, options) {}

BatchWriter::BatchWriter(std::vector<Store*> stores, const BatchWriterOptions& options)
    : stores_(std::move(stores)), options_(options) {
  threads_.reserve(stores_.size());
  for (Store* store : stores_) threads_.emplace_back([this, store] { Run(store); });
}

BatchWriter::~BatchWriter() { Stop(); }

bool BatchWriter::TrySubmit(BatchRecord batch, Completion done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= options_.queue_capacity) return false;
    queue_.push_back(Job{std::move(batch), std::move(done)});
  }
  work_ready_.notify_one();
  return true;
}

void BatchWriter::Stop() {
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

size_t BatchWriter::QueueDepth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void BatchWriter::Run(Store* store) {
  while (true) {
    std::deque<Job> group;
    {
      std::unique_lock lock(mu_);
      work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      // Stop only once the queue is drained: queued requests were promised
      // an answer.
      if (queue_.empty()) return;
      // Everything that queued up while the previous commit ran goes into
      // this one, within the bounds.
      size_t events = 0;
      while (!queue_.empty() && group.size() < options_.max_requests_per_commit) {
        size_t next = queue_.front().batch.events.size();
        if (!group.empty() && events + next > options_.max_events_per_commit) break;
        events += next;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    try {
      Commit(store, group);
    } catch (const std::exception&) {
      // Only allocation can throw here. The group's completions are dropped
      // with it, which closes those connections: the clients retry.
      Log(LogLevel::kError, "writer_commit_aborted");
    }
  }
}

absl::StatusOr<std::vector<BatchWriteResult>> BatchWriter::TimedWrite(
    Store* store, std::span<const BatchRecord> batches) {
  absl::StatusOr<std::vector<BatchWriteResult>> results;
  writing_.fetch_add(1, std::memory_order_relaxed);
  auto start = std::chrono::steady_clock::now();
  try {
    results = store->Write(batches);
  } catch (const std::exception&) {
    results = absl::InternalError("store threw an exception");
  }
  commit_seconds_.Observe(absl::FromChrono(std::chrono::steady_clock::now() - start));
  writing_.fetch_sub(1, std::memory_order_relaxed);
  if (!results.ok()) write_failures_.fetch_add(1, std::memory_order_relaxed);
  return results;
}

void BatchWriter::NoteGroupOutcome(bool stored_any) {
  if (stored_any) {
    last_group_failed_at_ns_.store(0, std::memory_order_relaxed);
    return;
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  last_group_failed_at_ns_.store(now, std::memory_order_relaxed);
}

bool BatchWriter::FailingWithin(absl::Duration window) const {
  const int64_t failed_at = last_group_failed_at_ns_.load(std::memory_order_relaxed);
  if (failed_at == 0) return false;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  return now - failed_at < absl::ToInt64Nanoseconds(window);
}

void BatchWriter::Commit(Store* store, std::deque<Job>& group) {
  std::vector<BatchRecord> batches;
  batches.reserve(group.size());
  for (Job& job : group) batches.push_back(std::move(job.batch));

  absl::StatusOr<std::vector<BatchWriteResult>> results = TimedWrite(store, batches);
  if (results.ok()) {
    NoteGroupOutcome(true);
    for (size_t i = 0; i < group.size(); ++i) Complete(group[i].done, std::move((*results)[i]));
    reclaimer_.Release(std::move(batches));
    return;
  }
  std::vector<absl::StatusOr<BatchWriteResult>> outcomes(group.size(), results.status());
  if (group.size() > 1) {
    // One request must not fail its neighbours: retry each alone so only
    // the request that cannot be stored gets the error.
    Log(LogLevel::kWarning, "group_commit_failed",
        {{"requests", std::to_string(group.size())},
         {"code", absl::StatusCodeToString(results.status().code())}});
    for (size_t i = 0; i < group.size(); ++i) {
      absl::StatusOr<std::vector<BatchWriteResult>> single =
          TimedWrite(store, std::span<const BatchRecord>(&batches[i], 1));
      if (single.ok()) {
        outcomes[i] = std::move(single->front());
      } else {
        outcomes[i] = single.status();
      }
    }
  }
  // Recorded before the answers go out, so whoever sees an answer also sees
  // the readiness it implies.
  NoteGroupOutcome(std::any_of(outcomes.begin(), outcomes.end(),
                               [](const absl::StatusOr<BatchWriteResult>& r) { return r.ok(); }));
  for (size_t i = 0; i < group.size(); ++i) Complete(group[i].done, std::move(outcomes[i]));
  reclaimer_.Release(std::move(batches));
}

}  // namespace cairn::collector
