#ifndef CAIRN_COLLECTOR_BATCH_WRITER_H_
#define CAIRN_COLLECTOR_BATCH_WRITER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "cairn/collector/store.h"

namespace cairn::collector {

struct BatchWriterOptions {
  // Requests waiting for the writer; beyond this TrySubmit refuses (HTTP 503).
  size_t queue_capacity = 1024;
  // Group commit bounds: one transaction takes at most this many requests
  // and (unless a single request is larger) this many events.
  size_t max_requests_per_commit = 64;
  size_t max_events_per_commit = 20000;
};

// Decouples request handling from storage: requests queue here and one writer
// thread commits them in groups (one transaction, one fsync, for many
// requests), then completes each. I/O threads never touch the store.
class BatchWriter {
 public:
  // Called exactly once per accepted submission, on the writer thread, after
  // the commit (OK: the events are durable) or its failure. Must be quick and
  // must not block: post the result to the caller's own executor.
  using Completion = absl::AnyInvocable<void(absl::StatusOr<BatchWriteResult>) &&>;

  // Starts the writer thread. `store` must outlive the writer.
  BatchWriter(Store* store, const BatchWriterOptions& options);
  // Stops (see Stop).
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Queues `batch`. Returns false, without calling `done`, if the queue is
  // full or the writer is stopping: the caller answers 503. Cost: a mutex.
  bool TrySubmit(BatchRecord batch, Completion done);

  // Refuses new submissions, commits everything already queued, completes
  // it, and joins the writer thread. Idempotent.
  void Stop();

  // Requests waiting (not yet being committed). For tests and metrics.
  size_t QueueDepth() const;

 private:
  struct Job {
    BatchRecord batch;
    Completion done;
  };
  void Run();
  void Commit(std::deque<Job>& group);

  Store* const store_;
  const BatchWriterOptions options_;
  // std primitives rather than absl::Mutex: Debian's abseil is not
  // annotated for ThreadSanitizer.
  mutable std::mutex mu_;
  std::condition_variable work_ready_;  // queue_ non-empty or stopping_
  std::deque<Job> queue_;               // guarded by mu_
  bool stopping_ = false;               // guarded by mu_
  std::mutex stop_mu_;                  // serializes Stop() callers around the join
  std::thread thread_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_BATCH_WRITER_H_
