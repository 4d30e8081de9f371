#include "cairn/common/clock.h"

#include <chrono>

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
  absl::Duration MonotonicNow() override {
    return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
  }
  void WaitUntilMonotonic(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                          absl::Duration deadline) override {
    if (deadline == absl::InfiniteDuration()) {
      cv.wait(lock);
    } else {
      cv.wait_until(lock, std::chrono::steady_clock::time_point(
                              std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  absl::ToChronoNanoseconds(deadline))));
    }
  }
};

}  // namespace

absl::Time ManualClock::Now() {
  std::lock_guard lock(mu_);
  return now_;
}

absl::Duration ManualClock::MonotonicNow() {
  std::lock_guard lock(mu_);
  return mono_;
}

template <typename Reached>
void ManualClock::Wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                       Reached reached) {
  Waiter waiter{&cv, lock.mutex(), 0};
  {
    std::lock_guard guard(mu_);
    if (reached()) return;
    waiter.generation = generation_;
    waiters_.push_back(&waiter);
  }
  waiters_changed_.notify_all();
  cv.wait(lock);  // woken by Advance, or by the caller's own notifications
  std::lock_guard guard(mu_);
  std::erase(waiters_, &waiter);
}

void ManualClock::WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                            absl::Time deadline) {
  Wait(cv, lock, [&] { return now_ >= deadline; });
}

void ManualClock::WaitUntilMonotonic(std::condition_variable& cv,
                                     std::unique_lock<std::mutex>& lock, absl::Duration deadline) {
  Wait(cv, lock, [&] { return mono_ >= deadline; });
}

template <typename Change>
void ManualClock::Move(Change change) {
  std::vector<Waiter> to_wake;
  {
    std::lock_guard guard(mu_);
    change();
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

void ManualClock::Advance(absl::Duration d) {
  Move([&] {
    now_ += d;
    mono_ += d;
  });
}

void ManualClock::JumpWall(absl::Duration d) {
  Move([&] { now_ += d; });
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
