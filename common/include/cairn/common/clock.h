#ifndef CAIRN_COMMON_CLOCK_H_
#define CAIRN_COMMON_CLOCK_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "absl/time/time.h"

namespace cairn {

// Source of time for everything that schedules or stamps. Tests inject a
// ManualClock to control time; production uses SystemClock().
//
// Two times: the wall time (Now), which the user or the network may set
// back or forward at any moment, for timestamps that leave the process;
// and the monotonic time (MonotonicNow), which only moves forward at the
// rate of real time, for everything about elapsed time (retries, backoff,
// intervals, deadlines' waits).
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, used for event and batch timestamps. Cheap (a vDSO call).
  virtual absl::Time Now() = 0;
  // Monotonic time since an arbitrary origin: never moves back and ignores
  // changes of the wall clock. Cheap. The default, for clocks that only
  // know wall time, is the wall time since the Unix epoch.
  virtual absl::Duration MonotonicNow() { return Now() - absl::UnixEpoch(); }
  // Like WaitUntil, but until MonotonicNow() reaches `deadline`
  // (absl::InfiniteDuration(): until notified), so a jump of the wall clock
  // neither stretches nor cuts the wait. May wake spuriously. The default
  // converts to a wall deadline, right for clocks whose two times agree.
  virtual void WaitUntilMonotonic(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                                  absl::Duration deadline) {
    WaitUntil(cv, lock,
              deadline == absl::InfiniteDuration() ? absl::InfiniteFuture()
                                                   : Now() + (deadline - MonotonicNow()));
  }
  // Blocks the calling thread for `d` of this clock's time. A ManualClock
  // returns at once after advancing itself.
  virtual void SleepFor(absl::Duration d) = 0;
  // Waits on `cv` (whose mutex `lock` holds) until notified or until this
  // clock reaches `deadline`. May wake spuriously: callers re-check state.
  virtual void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                         absl::Time deadline) = 0;
};

// The process-wide real clock. Never null; lives for the whole process.
Clock* SystemClock();

// A clock that moves only when told to, for tests. Threads in WaitUntil or
// WaitUntilMonotonic wake when Advance (or JumpWall) passes their deadline.
// Its monotonic time starts at zero. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1790000000)) : now_(start) {}
  absl::Time Now() override;
  absl::Duration MonotonicNow() override;
  // Advances the clock by `d` (no real sleep).
  void SleepFor(absl::Duration d) override { Advance(d); }
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 absl::Time deadline) override;
  void WaitUntilMonotonic(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                          absl::Duration deadline) override;
  // Moves both times forward by `d` and wakes every waiter.
  void Advance(absl::Duration d);
  // Moves the wall time alone by `d` (negative: back), as a user or NTP
  // setting the device clock does; the monotonic time stays. Wakes every
  // waiter, like Advance.
  void JumpWall(absl::Duration d);
  // Blocks (in real time, up to `timeout`) until some thread is waiting in
  // WaitUntil having seen the clock's latest time, i.e. it has reacted to the
  // last Advance. Returns false on timeout.
  bool AwaitSettledWaiter(absl::Duration timeout = absl::Seconds(30));

 private:
  struct Waiter {
    std::condition_variable* cv;
    std::mutex* mu;
    uint64_t generation;
  };
  std::mutex mu_;
  std::condition_variable waiters_changed_;
  absl::Time now_;
  uint64_t generation_ = 0;  // bumped by every Advance and JumpWall
  std::vector<Waiter*> waiters_;
  absl::Duration mono_ = absl::ZeroDuration();

  // Waits until notified, or returns at once if `reached` (called under mu_).
  template <typename Reached>
  void Wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, Reached reached);
  // Applies `change` under mu_, then wakes every waiter.
  template <typename Change>
  void Move(Change change);
};

}  // namespace cairn

#endif  // CAIRN_COMMON_CLOCK_H_
