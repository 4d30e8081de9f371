#include "store/retention_purger.h"

#include <string>

#include "absl/status/status.h"
#include "ops/log.h"

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

RetentionPurger::RetentionPurger(Store* store, Clock* clock, const RetentionOptions& options)
    : store_(store), clock_(clock), options_(options) {
  if (options_.keep > absl::ZeroDuration()) thread_ = std::thread([this] { Run(); });
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
    absl::StatusOr<int64_t> deleted = PurgeExpiredEvents(*store_, clock_->Now(), options_);
    if (deleted.ok()) {
      if (*deleted > 0) {
        Log(LogLevel::kInfo, "retention_purge", {{"events_deleted", std::to_string(*deleted)}});
      }
    } else {
      Log(LogLevel::kError, "retention_purge_failed",
          {{"code", absl::StatusCodeToString(deleted.status().code())}});
    }
    lock.lock();
  }
}

}  // namespace cairn::collector
