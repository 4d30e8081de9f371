#include "sdk/src/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace cairn::sdk {

void Progress::RestoreBuffer(int64_t persisted_through, int64_t settled_through) {
  std::lock_guard lock(mu_);
  persisted_through_ = persisted_through;
  settled_through_ = settled_through;
}

void Progress::RestoreConsent(int64_t last_position, int64_t settled_through) {
  std::lock_guard lock(mu_);
  consent_last_position_ = last_position;
  consent_settled_through_ = settled_through;
}

void Progress::Persisted(int64_t through, const absl::Status& status, int64_t first, int64_t last) {
  {
    std::lock_guard lock(mu_);
    persisted_through_ = std::max(persisted_through_, through);
    if (!status.ok()) {
      last_error_ = std::string(status.message());
      if (failed_writes_.size() == 64) failed_writes_.erase(failed_writes_.begin());
      failed_writes_.emplace_back(first, last);
    }
  }
  sender_wake_.notify_one();
  changed_.notify_all();
}

void Progress::SetError(absl::string_view message) {
  std::lock_guard lock(mu_);
  last_error_ = std::string(message);
}

void Progress::ConsentAppended(int64_t position) {
  {
    std::lock_guard lock(mu_);
    consent_last_position_ = std::max(consent_last_position_, position);
  }
  sender_wake_.notify_one();
}

absl::Status Progress::AwaitDurable(int64_t sequence, absl::Duration timeout) {
  std::unique_lock lock(mu_);
  if (!changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                         [&] { return persisted_through_ >= sequence; })) {
    return absl::DeadlineExceededError("event queued but not yet durable");
  }
  for (const auto& [first, last] : failed_writes_) {
    if (sequence >= first && sequence <= last) {
      return absl::ResourceExhaustedError(
          "the device could not write the event: dropped and counted");
    }
  }
  return absl::OkStatus();
}

Progress::Turn Progress::AwaitSendTurn(const SenderView& view, size_t batch_limit,
                                       absl::Duration next_attempt, absl::Duration upload_interval,
                                       absl::Duration& work_since, bool& reset_backoff) {
  std::unique_lock lock(mu_);
  reset_backoff = false;
  while (true) {
    if (stop_sender_) return Turn::kStop;
    if (answered_) {
      answered_ = false;
      return Turn::kAnswer;
    }
    // While requests are in flight the sender waits for their answers, not
    // for the clock: a clock that tests move by hand sees it waiting only
    // once it has nothing in flight, i.e. once it has reacted.
    if (view.posting > 0) {
      const int64_t fresh = persisted_through_ - std::max(settled_through_, view.reserved_through) +
                            consent_last_position_ -
                            std::max(consent_settled_through_, view.consent_reserved_through);
      const bool flushing = settled_through_ < flush_through_ ||
                            consent_settled_through_ < consent_flush_through_ || closed();
      if (!auth_failed_ &&
          (view.prepared || (view.may_build && fresh > 0 &&
                             (flushing || fresh >= static_cast<int64_t>(batch_limit))))) {
        last_turn_at_ = clock_->MonotonicNow();
        return Turn::kSend;
      }
      sender_wake_.wait(lock);
      continue;
    }
    if (auth_failed_) {  // paused until the app restarts with a valid key
      clock_->WaitUntilMonotonic(sender_wake_, lock, absl::InfiniteDuration());
      continue;
    }
    const absl::Duration now = clock_->MonotonicNow();
    int64_t unsent =
        persisted_through_ - settled_through_ + (consent_last_position_ - consent_settled_through_);
    bool has_work = view.pending || unsent > 0;
    if (!has_work) {
      work_since = absl::InfiniteDuration();
      attempt_requested_ = reset_requested_ = false;  // nothing to attempt
      clock_->WaitUntilMonotonic(sender_wake_, lock, absl::InfiniteDuration());
      continue;
    }
    if (work_since == absl::InfiniteDuration()) work_since = now;
    bool urgent = settled_through_ < flush_through_ ||
                  consent_settled_through_ < consent_flush_through_ || closed() ||
                  unsent >= static_cast<int64_t>(batch_limit) || view.prepared;
    // New events and urgency never shorten a backoff; only an attempt asked
    // for does, and not sooner than the floor after the last turn.
    absl::Duration ready = std::max(urgent ? now : work_since + upload_interval, next_attempt);
    if (attempt_requested_) {
      ready = std::min(ready, std::max({now, last_turn_at_ + attempt_floor_, server_not_before_}));
    }
    if (now >= ready) {
      reset_backoff = reset_requested_;
      attempt_requested_ = reset_requested_ = false;
      last_turn_at_ = now;
      return Turn::kSend;
    }
    clock_->WaitUntilMonotonic(sender_wake_, lock, ready);
  }
}

void Progress::PostAnswered() {
  {
    std::lock_guard lock(mu_);
    answered_ = true;
  }
  sender_wake_.notify_one();
}

void Progress::RequestAttempt(bool reset_backoff) {
  {
    std::lock_guard lock(mu_);
    attempt_requested_ = true;
    reset_requested_ = reset_requested_ || reset_backoff;
  }
  sender_wake_.notify_one();
}

int64_t Progress::ConsentLastPosition() const {
  std::lock_guard lock(mu_);
  return consent_last_position_;
}

void Progress::ConsentDelivered(int64_t through) {
  std::lock_guard lock(mu_);
  consent_settled_through_ = std::max(consent_settled_through_, through);
  // A delivered position exists: the sender may read an entry from
  // consent.db before the keeper has published its position here.
  consent_last_position_ = std::max(consent_last_position_, consent_settled_through_);
}

bool Progress::ConsentPending() const {
  std::lock_guard lock(mu_);
  return consent_last_position_ > consent_settled_through_;
}

int64_t Progress::PersistedThrough() const {
  std::lock_guard lock(mu_);
  return persisted_through_;
}

void Progress::Settled(int64_t settled, int64_t persisted) {
  {
    std::lock_guard lock(mu_);
    settled_through_ = std::max(settled_through_, std::min(settled, persisted));
  }
  changed_.notify_all();
}

void Progress::SendSucceeded(bool clear_error) {
  std::lock_guard lock(mu_);
  in_backoff_ = false;
  server_not_before_ = -absl::InfiniteDuration();
  if (clear_error) last_error_.clear();
}

void Progress::AuthFailed(absl::string_view message) {
  {
    std::lock_guard lock(mu_);
    auth_failed_ = true;
    last_error_ = std::string(message);
  }
  changed_.notify_all();
}

void Progress::RetryScheduled(absl::string_view message, absl::Duration not_before) {
  {
    std::lock_guard lock(mu_);
    in_backoff_ = true;
    server_not_before_ = not_before;
    ++failed_attempts_;
    last_error_ = std::string(message);
  }
  changed_.notify_all();
}

absl::Status Progress::AwaitDelivered(int64_t target, absl::Duration timeout) {
  // On the monotonic clock: a jump of the wall clock during the wait
  // neither stretches nor cuts it.
  const absl::Duration until = clock_->MonotonicNow() + timeout;
  std::unique_lock lock(mu_);
  auto wait_for = [&](auto done) {
    while (!done()) {
      if (clock_->MonotonicNow() >= until) return false;
      clock_->WaitUntilMonotonic(changed_, lock, until);
    }
    return true;
  };
  const int64_t consent_target = consent_last_position_;
  auto delivered = [&] {
    return settled_through_ >= target && consent_settled_through_ >= consent_target;
  };
  const uint64_t failed_before = failed_attempts_;
  flush_through_ = std::max(flush_through_, target);
  consent_flush_through_ = std::max(consent_flush_through_, consent_target);
  // An attempt for this flush even while backing off, within the floor.
  attempt_requested_ = true;
  sender_wake_.notify_one();
  if (!wait_for([&] { return persisted_through_ >= target; })) {
    return absl::DeadlineExceededError("recorded events are not yet durable");
  }
  auto unreachable = [&] {
    return absl::UnavailableError(
        absl::StrCat("events are durable on the device; the collector is not reachable now (",
                     last_error_, "); delivery will be retried"));
  };
  // Backing off, and the floor or the collector's Retry-After keeps the next
  // attempt past the deadline: waiting would change nothing.
  if (!delivered() && in_backoff_ &&
      std::max(last_turn_at_ + attempt_floor_, server_not_before_) > until) {
    return unreachable();
  }
  wait_for([&] {
    return delivered() || auth_failed_ || failed_attempts_ > failed_before || stop_sender_;
  });
  if (delivered()) return absl::OkStatus();
  if (auth_failed_) return absl::PermissionDeniedError(last_error_);
  if (failed_attempts_ > failed_before || in_backoff_) return unreachable();
  return absl::DeadlineExceededError("events are durable but not yet delivered");
}

void Progress::StopSender() {
  {
    std::lock_guard lock(mu_);
    stop_sender_ = true;
  }
  sender_wake_.notify_one();
  changed_.notify_all();
}

void Progress::FillStats(Stats& stats) const {
  std::lock_guard lock(mu_);
  stats.last_error = last_error_;
  // Never negative: ConsentDelivered keeps last >= settled.
  stats.consent_changes_pending = static_cast<uint64_t>(
      std::max<int64_t>(0, consent_last_position_ - consent_settled_through_));
}

}  // namespace cairn::sdk
