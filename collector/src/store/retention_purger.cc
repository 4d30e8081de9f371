#include "store/retention_purger.h"

#include <string>

#include "absl/status/status.h"
#include "ops/log.h"
#include "store/audit_store.h"
#include "store/user_data.h"

namespace cairn::collector {

absl::StatusOr<int64_t> PurgeExpiredEvents(Store& store, absl::Time now,
                                           const RetentionOptions& options) {
  if (options.keep <= absl::ZeroDuration() || options.chunk_rows == 0) return 0;
  const absl::Time cutoff = now - options.keep;
  int64_t total = 0;
  while (true) {
    absl::StatusOr<int64_t> deleted = store.PurgeEventsBefore(cutoff, options.chunk_rows);
    if (!deleted.ok()) return deleted.status();
    total += *deleted;
    if (*deleted < static_cast<int64_t>(options.chunk_rows)) return total;
    // Between chunks the lock is free, so waiting batches commit first.
    std::this_thread::yield();
  }
}

absl::StatusOr<RetentionResult> PurgeExpired(Store& store, absl::Time now,
                                             const RetentionOptions& options) {
  RetentionResult result;
  if (options.keep > absl::ZeroDuration()) {
    absl::StatusOr<int64_t> events = PurgeExpiredEvents(store, now, options);
    if (!events.ok()) return events.status();
    result.events_deleted = *events;
    absl::StatusOr<AggregatePurge> aggregates = PurgeAggregatesBefore(store, now - options.keep);
    if (!aggregates.ok()) return aggregates.status();
    result.aggregates = *aggregates;
  }
  if (options.audit_keep > absl::ZeroDuration()) {
    absl::StatusOr<int64_t> audit = AuditStore(&store).PurgeBefore(now - options.audit_keep);
    if (audit.ok()) {
      result.audit_rows_deleted = *audit;
    } else if (audit.status().code() != absl::StatusCode::kUnimplemented) {
      return audit.status();
    }
  }
  return result;
}

void LogRetention(const absl::StatusOr<RetentionResult>& result) {
  if (!result.ok()) {
    Log(LogLevel::kError, "retention_purge_failed",
        {{"code", absl::StatusCodeToString(result.status().code())}});
    return;
  }
  if (result->events_deleted == 0 && result->aggregates.rows_deleted == 0 &&
      result->aggregates.batches_deleted == 0 && result->audit_rows_deleted == 0) {
    return;
  }
  Log(LogLevel::kInfo, "retention_purge",
      {{"events_deleted", std::to_string(result->events_deleted)},
       {"aggregate_rows_deleted", std::to_string(result->aggregates.rows_deleted)},
       {"batches_deleted", std::to_string(result->aggregates.batches_deleted)},
       {"audit_rows_deleted", std::to_string(result->audit_rows_deleted)}});
}

RetentionPurger::RetentionPurger(Store* store, Clock* clock, const RetentionOptions& options)
    : store_(store), clock_(clock), options_(options) {
  if (options_.keep > absl::ZeroDuration() || options_.audit_keep > absl::ZeroDuration()) {
    thread_ = std::thread([this] { Run(); });
  }
}

RetentionPurger::~RetentionPurger() { Stop(); }

void RetentionPurger::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RetentionPurger::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait_for(lock, absl::ToChronoSeconds(options_.interval), [this] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    LogRetention(PurgeExpired(*store_, clock_->Now(), options_));
    lock.lock();
  }
}

}  // namespace cairn::collector
