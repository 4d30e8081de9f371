#include "cairn/common/clock.h"

#include "absl/time/clock.h"

namespace cairn {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  void SleepFor(absl::Duration d) override { absl::SleepFor(d); }
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 absl::Time deadline) override {
    if (deadline == absl::InfiniteFuture()) {
      cv.wait(lock);
    } else {
      cv.wait_until(lock, absl::ToChronoTime(deadline));
    }
  }
};

}  // namespace

absl::Time ManualClock::Now() {
  std::lock_guard lock(mu_);
  return now_;
}

void ManualClock::WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                            absl::Time deadline) {
  Waiter waiter{&cv, lock.mutex(), 0};
  {
    std::lock_guard guard(mu_);
    if (now_ >= deadline) return;
    waiter.generation = generation_;
    waiters_.push_back(&waiter);
  }
  waiters_changed_.notify_all();
  cv.wait(lock);  // woken by Advance, or by the caller's own notifications
  std::lock_guard guard(mu_);
  std::erase(waiters_, &waiter);
}

void ManualClock::Advance(absl::Duration d) {
  std::vector<Waiter> to_wake;
  {
    std::lock_guard guard(mu_);
    now_ += d;
    ++generation_;
    for (Waiter* w : waiters_) to_wake.push_back(*w);
  }
  // Taking each waiter's own mutex before notifying closes the window between
  // its deadline check and its wait: no wakeup is lost.
  for (const Waiter& w : to_wake) {
    std::lock_guard guard(*w.mu);
    w.cv->notify_all();
  }
}

bool ManualClock::AwaitSettledWaiter(absl::Duration timeout) {
  std::unique_lock guard(mu_);
  return waiters_changed_.wait_for(guard, absl::ToChronoNanoseconds(timeout), [this] {
    for (const Waiter* w : waiters_) {
      if (w->generation == generation_) return true;
    }
    return false;
  });
}

Clock* SystemClock() {
  static RealClock* clock = new RealClock();  // never destroyed: safe at exit
  return clock;
}

}  // namespace cairn
