#ifndef CAIRN_SDK_PROGRESS_H_
#define CAIRN_SDK_PROGRESS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cairn/common/clock.h"
#include "cairn/stats.h"

namespace cairn::sdk {

// Where delivery stands, and the one place the threads wait for each other.
// Events are numbered per install: every event up to persisted_through is
// durable (or was dropped on the way), every event up to settled_through is
// out of the buffer (acknowledged, rejected or dropped). consent.db entries
// are numbered 1, 2, ... with no gaps and tracked the same way.
//
// The writer publishes what it committed, the sender waits here for work
// and publishes what it settled, Flush and durable record calls wait here
// for both. Owns its mutex, which is a leaf in the lock order: callers may
// hold the writer's or the consent keeper's locks, but nothing is locked
// while it is held (besides the clock's own, inside WaitUntil).
class Progress {
 public:
  // `clock` schedules the sender's waits (on its monotonic time); it must
  // outlive this. `attempt_floor`: the least time between an attempt and
  // one asked for early (by Flush or a network change).
  Progress(Clock* clock, absl::Duration attempt_floor)
      : clock_(clock), attempt_floor_(attempt_floor) {}

  // --- lifecycle (any thread) ---
  // Shutdown has begun: record calls and decisions are refused from now on,
  // and the sender sends whatever is left without waiting for a full batch.
  void Close() { closed_.store(true, std::memory_order_release); }
  // True once Close ran. One atomic load.
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  // --- at open, before the threads run ---
  // The buffer holds events up to `persisted_through`; everything up to
  // `settled_through` has left it.
  void RestoreBuffer(int64_t persisted_through, int64_t settled_through);
  // consent.db ends at `last_position`; positions up to `settled_through`
  // were delivered.
  void RestoreConsent(int64_t last_position, int64_t settled_through);

  // --- the writer thread ---
  // A commit covering sequences up to `through` is over. When `status`
  // failed, the events first..last were lost: a durable record call waiting
  // for one of them learns it was dropped. Wakes the sender and every waiter.
  void Persisted(int64_t through, const absl::Status& status, int64_t first, int64_t last);

  // --- any thread ---
  // Keeps `message` as the last problem (Stats::last_error).
  void SetError(absl::string_view message);
  // Tells the sender that settled-through may have moved (rows deleted).
  void WakeSender() { sender_wake_.notify_one(); }
  // A decision was appended to consent.db at `position`: wakes the sender.
  void ConsentAppended(int64_t position);
  // Waits up to `timeout` until event `sequence` is committed. OK once it is
  // durable, ResourceExhausted if its commit failed (the event is dropped),
  // DeadlineExceeded if still queued.
  absl::Status AwaitDurable(int64_t sequence, absl::Duration timeout);

  // --- the sender thread ---
  // What the sender tells AwaitSendTurn about its batches.
  struct SenderView {
    // Something waits with no request in flight: a batch to resend,
    // acknowledged rows to delete, drop counts owed.
    bool pending = false;
    // Requests in flight. While there are any, the wait has no deadline: it
    // ends with an answer, or as soon as another batch may start.
    size_t posting = 0;
    // A batch built ahead (because it was due) may be sent now.
    bool prepared = false;
    // Another batch may be built while requests are in flight.
    bool may_build = false;
    // The highest sequence and consent.db position its batches hold: what
    // is past them is work for a new batch.
    int64_t reserved_through = 0;
    int64_t consent_reserved_through = 0;
  };
  enum class Turn {
    kStop,    // StopSender was called
    kAnswer,  // a request's answer came back (PostAnswered)
    kSend,    // time to build or send a batch
  };
  // Blocks until the sender has something to do. With no request in
  // flight: `batch_limit` says how many events make a batch worth sending
  // at once, `next_attempt` when the backoff ends. `work_since` is the
  // sender's record of when unsent work appeared (a partly filled batch
  // waits for `upload_interval` after it); this call keeps it up to date.
  // All three times are on the clock's monotonic time. An attempt asked for
  // early (RequestAttempt) comes before the backoff ends, but never sooner
  // than the attempt floor after the previous turn; `reset_backoff` is set
  // when the asker said the network is back (the sender starts its backoff
  // over). With requests in flight, only work that may start at once (a
  // prepared batch, or a full batch's worth, a Flush or a shutdown) ends
  // the wait besides an answer; such a wait is not on the clock.
  Turn AwaitSendTurn(const SenderView& view, size_t batch_limit, absl::Duration next_attempt,
                     absl::Duration upload_interval, absl::Duration& work_since,
                     bool& reset_backoff);
  // --- the sender's post lanes ---
  // A request's answer is ready: the sender's wait ends with kAnswer.
  void PostAnswered();
  // --- any thread ---
  // Asks the sender for an attempt now (within the attempt floor), even
  // while it backs off; `reset_backoff`: the network is back, so the
  // backoff starts over. A lock and a notification; never blocks.
  void RequestAttempt(bool reset_backoff);
  // The last consent.db position appended so far.
  int64_t ConsentLastPosition() const;
  // True while a consent.db position appended is not yet delivered.
  bool ConsentPending() const;
  // consent.db positions up to `through` are delivered (never moves back).
  void ConsentDelivered(int64_t through);
  // Highest sequence the writer has published.
  int64_t PersistedThrough() const;
  // Everything up to min(`settled`, `persisted`) has left the buffer, where
  // `persisted` was read before `settled` was measured. Wakes the waiters.
  void Settled(int64_t settled, int64_t persisted);
  // A batch was settled: the backoff is over; a clean answer clears the error.
  void SendSucceeded(bool clear_error);
  // The collector refused the write key: the sender pauses until restart,
  // and Flush answers PermissionDenied from now on.
  void AuthFailed(absl::string_view message);
  // An attempt failed and will be retried after a backoff: a Flush waiting
  // for an attempt answers Unavailable. `not_before` (monotonic): the end
  // of the collector's Retry-After, which no early attempt may precede (an
  // overloaded collector asked for quiet); -infinity when it sent none.
  void RetryScheduled(absl::string_view message, absl::Duration not_before);
  // Highest sequence the sender's outstanding batches hold (0: none),
  // which the writer's bounds must never evict. One atomic operation.
  void SetInFlightThrough(int64_t through) { in_flight_through_.store(through); }
  int64_t InFlightThrough() const { return in_flight_through_.load(); }

  // --- Flush and Shutdown ---
  // Makes the sender urgent until every event up to `target` and every
  // consent record appended so far is settled, asks for an attempt (see
  // RequestAttempt), and waits for that (see Client::Flush for the answers)
  // for `timeout` of the clock's monotonic time.
  absl::Status AwaitDelivered(int64_t target, absl::Duration timeout);
  // Makes AwaitSendTurn return false and wakes every waiter.
  void StopSender();

  // Copies last_error and the consent records still pending into `stats`.
  void FillStats(Stats& stats) const;

 private:
  Clock* const clock_;
  const absl::Duration attempt_floor_;
  std::atomic<bool> closed_{false};
  std::atomic<int64_t> in_flight_through_{0};

  // Plain std:: primitives: they are pthread-based, so ThreadSanitizer sees
  // them (Debian's abseil is not built with TSan annotations).
  mutable std::mutex mu_;
  std::condition_variable sender_wake_;  // new durable events, flush, stop
  std::condition_variable changed_;      // what Flush and durable calls wait on
  // All guarded by mu_:
  int64_t persisted_through_ = 0;
  int64_t settled_through_ = 0;
  int64_t consent_last_position_ = 0;
  int64_t consent_settled_through_ = 0;
  // Highest sequence a Flush waits for: the sender is urgent until it is settled.
  int64_t flush_through_ = 0;
  int64_t consent_flush_through_ = 0;  // the same for consent.db positions
  uint64_t failed_attempts_ = 0;
  bool in_backoff_ = false;
  bool auth_failed_ = false;
  bool stop_sender_ = false;
  bool answered_ = false;           // PostAnswered since the sender last looked
  bool attempt_requested_ = false;  // RequestAttempt since the last turn
  bool reset_requested_ = false;    // ... saying the network is back
  // Monotonic time of the sender's last turn (the floor counts from it).
  absl::Duration last_turn_at_ = -absl::InfiniteDuration();
  // End of the collector's Retry-After (monotonic): early attempts wait for it.
  absl::Duration server_not_before_ = -absl::InfiniteDuration();
  std::string last_error_;
  // Sequence ranges whose commit failed (newest last, at most 64), so a
  // durable record call can tell "written" from "dropped".
  std::vector<std::pair<int64_t, int64_t>> failed_writes_;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_PROGRESS_H_
