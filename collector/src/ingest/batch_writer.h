#ifndef CAIRN_COLLECTOR_INGEST_BATCH_WRITER_H_
#define CAIRN_COLLECTOR_INGEST_BATCH_WRITER_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ingest/batch_reclaimer.h"
#include "ops/histogram.h"
#include "store/store.h"

namespace cairn::collector {

struct BatchWriterOptions {
  // Requests waiting for the writer; beyond this TrySubmit refuses (HTTP 503).
  size_t queue_capacity = 1024;
  // Group commit bounds: one transaction takes at most this many requests
  // and (unless a single request is larger) this many events.
  size_t max_requests_per_commit = 64;
  size_t max_events_per_commit = 20000;
};

// Decouples request handling from storage: requests queue here and a writer
// thread commits them in groups (one transaction, one fsync, for many
// requests), then completes each. I/O threads never touch the store.
// With several stores (PostgreSQL: one session each) there is one writer
// thread per store, all taking groups from the same queue: the same as that
// many collectors sharing the database, which the store already handles
// (unique event_id, consent and erasure ordering in its transactions).
class BatchWriter {
 public:
  // Called exactly once per accepted submission, on the writer thread, after
  // the commit (OK: the events are durable) or its failure. Must be quick and
  // must not block: post the result to the caller's own executor.
  using Completion = absl::AnyInvocable<void(absl::StatusOr<BatchWriteResult>) &&>;

  // Starts the writer thread. `store` must outlive the writer.
  BatchWriter(Store* store, const BatchWriterOptions& options);
  // Starts one writer thread per store (at least one; each must outlive the
  // writer). Only for stores that take concurrent writers of their own
  // (PostgreSQL); SQLite keeps one writer.
  BatchWriter(std::vector<Store*> stores, const BatchWriterOptions& options);
  // Stops (see Stop).
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Queues `batch`. Returns false, without calling `done`, if the queue is
  // full or the writer is stopping: the caller answers 503. Cost: a mutex.
  bool TrySubmit(BatchRecord batch, Completion done);

  // Refuses new submissions, commits everything already queued, completes
  // it, and joins the writer threads. Idempotent.
  void Stop();

  // Requests waiting (not yet being committed). For tests and metrics.
  size_t QueueDepth() const;
  size_t queue_capacity() const { return options_.queue_capacity; }
  // True if the latest group of requests could not be stored at all (its
  // neighbours-alone retries included) less than `window` ago (for /readyz).
  // One bad request in a group that otherwise stored does not count, and the
  // answer turns false by itself after `window`, so a collector that a load
  // balancer took out of rotation (and that gets no writes) comes back; the
  // store probe covers reachability meanwhile. Free.
  bool FailingWithin(absl::Duration window) const;
  // True while a Store::Write runs (cairn_writer_busy).
  bool writing() const { return writing_.load(std::memory_order_relaxed) > 0; }
  // Writer threads (one per store).
  size_t writer_threads() const { return stores_.size(); }
  // Failed Store::Write calls since start.
  uint64_t write_failures() const { return write_failures_.load(std::memory_order_relaxed); }
  // Duration of every Store::Write call (one group commit, or one retried
  // request), for cairn_batch_commit_seconds.
  const Histogram& commit_seconds() const { return commit_seconds_; }

 private:
  struct Job {
    BatchRecord batch;
    Completion done;
  };
  void Run(Store* store);
  void Commit(Store* store, std::deque<Job>& group);
  // Records whether a group stored any request (FailingWithin).
  void NoteGroupOutcome(bool stored_any);
  // store->Write, timed and counted; exceptions become Internal.
  absl::StatusOr<std::vector<BatchWriteResult>> TimedWrite(Store* store,
                                                           std::span<const BatchRecord> batches);

  const std::vector<Store*> stores_;
  const BatchWriterOptions options_;
  // std primitives rather than absl::Mutex: Debian's abseil is not
  // annotated for ThreadSanitizer.
  mutable std::mutex mu_;
  std::condition_variable work_ready_;  // queue_ non-empty or stopping_
  std::deque<Job> queue_;               // guarded by mu_
  bool stopping_ = false;               // guarded by mu_
  std::mutex stop_mu_;                  // serializes Stop() callers around the join
  Histogram commit_seconds_;
  // steady_clock ns of the latest group that stored nothing; 0: none, or a
  // later group stored.
  std::atomic<int64_t> last_group_failed_at_ns_{0};
  std::atomic<int> writing_{0};  // writers inside a Store::Write
  std::atomic<uint64_t> write_failures_{0};
  BatchReclaimer reclaimer_;          // frees committed groups off the writer threads
  std::vector<std::thread> threads_;  // last: start after everything they use exists
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_INGEST_BATCH_WRITER_H_
