#ifndef CAIRN_COLLECTOR_STORE_RETENTION_PURGER_H_
#define CAIRN_COLLECTOR_STORE_RETENTION_PURGER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/common/clock.h"
#include "store/store.h"

namespace cairn::collector {

struct RetentionOptions {
  // Events that occurred (device time) longer ago than this are deleted.
  // Zero: keep forever, no purge runs.
  absl::Duration keep = absl::ZeroDuration();
  // How often the background purge runs.
  absl::Duration interval = absl::Hours(1);
  // Events deleted per transaction, so ingestion waits at most one chunk.
  size_t chunk_rows = 2000;
  // Admin audit log entries older than this are deleted by every pass,
  // whether or not `keep` is set. Zero: kept forever.
  absl::Duration audit_keep = absl::Hours(24 * 365);
};

// Deletes every event older than `now - options.keep`, one chunk per
// transaction until none is left, and returns how many it deleted. Consent
// records are kept. Zero and OK if retention is off. Fails (after the chunks
// already committed) as Store::PurgeEventsBefore.
absl::StatusOr<int64_t> PurgeExpiredEvents(Store& store, absl::Time now,
                                           const RetentionOptions& options);

// What one retention pass deleted.
struct RetentionResult {
  int64_t events_deleted = 0;
  // Per-user aggregate rows folded into account totals or deleted, and
  // batch rows deleted (PurgeAggregatesBefore).
  AggregatePurge aggregates;
  // Audit log entries older than the audit window.
  int64_t audit_rows_deleted = 0;
};

// The whole retention pass: PurgeExpiredEvents, then PurgeAggregatesBefore
// at the same cutoff, so no table keeps rows naming a user for longer than
// the window (consent proof, current consent state, the suppression list
// and tombstones excepted: docs/privacy.md); then the audit log beyond its
// own window (`audit_keep`, also with event retention off; skipped on a
// store without the table). Fails as any of them.
absl::StatusOr<RetentionResult> PurgeExpired(Store& store, absl::Time now,
                                             const RetentionOptions& options);

// Logs `result` (counts only) as "retention_purge" if anything was deleted,
// or `status`'s code as "retention_purge_failed".
void LogRetention(const absl::StatusOr<RetentionResult>& result);

// Runs PurgeExpired on its own thread every `interval` until stopped
// (the purge at start is the caller's, before it serves: see main.cc). Does
// nothing if neither events nor the audit log expire. Failures are logged (code only) and retried
// at the next interval.
class RetentionPurger {
 public:
  // `store` and `clock` must outlive the purger.
  RetentionPurger(Store* store, Clock* clock, const RetentionOptions& options);
  // Stops (see Stop).
  ~RetentionPurger();
  RetentionPurger(const RetentionPurger&) = delete;
  RetentionPurger& operator=(const RetentionPurger&) = delete;

  // Wakes the thread, lets a running chunk finish and joins. Idempotent.
  void Stop();

 private:
  void Run();

  Store* const store_;
  Clock* const clock_;
  const RetentionOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;  // stopping_ set
  bool stopping_ = false;         // guarded by mu_
  std::thread thread_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_RETENTION_PURGER_H_
