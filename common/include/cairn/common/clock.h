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
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, used for event and batch timestamps. Cheap (a vDSO call).
  virtual absl::Time Now() = 0;
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

// A clock that moves only when told to, for tests. Threads in WaitUntil wake
// when Advance passes their deadline. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1790000000)) : now_(start) {}
  absl::Time Now() override;
  // Advances the clock by `d` (no real sleep).
  void SleepFor(absl::Duration d) override { Advance(d); }
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 absl::Time deadline) override;
  // Moves time forward and wakes every waiter.
  void Advance(absl::Duration d);
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
  uint64_t generation_ = 0;  // bumped by every Advance
  std::vector<Waiter*> waiters_;
};

}  // namespace cairn

#endif  // CAIRN_COMMON_CLOCK_H_
