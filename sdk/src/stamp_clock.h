#ifndef CAIRN_SDK_STAMP_CLOCK_H_
#define CAIRN_SDK_STAMP_CLOCK_H_

#include <condition_variable>
#include <mutex>

#include "absl/time/time.h"
#include "cairn/common/clock.h"

namespace cairn::sdk {

// The clock every part of the client sees: the app's clock, except that its
// wall time never runs backward. When the device clock is set back, Now()
// continues from the last time it returned, at the rate of the monotonic
// clock, until the wall clock catches up; a clock set forward is followed
// at once. So the timestamps events and consent records carry keep the
// order in which things happened, and an event is never dated before the
// grant that allowed it (the collector judges consent by those dates).
// The monotonic time and the waits are the app clock's own. Thread-safe;
// Now() costs the app clock's two reads and an uncontended lock.
class StampClock final : public Clock {
 public:
  // `base` must outlive this.
  explicit StampClock(Clock* base) : base_(base) {}

  // Never earlier than `t` from now on (the latest time stamped by an
  // earlier run, read back from its files).
  void NotBefore(absl::Time t);

  absl::Time Now() override;
  absl::Duration MonotonicNow() override { return base_->MonotonicNow(); }
  void SleepFor(absl::Duration d) override { base_->SleepFor(d); }
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 absl::Time deadline) override {
    base_->WaitUntil(cv, lock, deadline);
  }
  void WaitUntilMonotonic(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                          absl::Duration deadline) override {
    base_->WaitUntilMonotonic(cv, lock, deadline);
  }

 private:
  Clock* const base_;
  std::mutex mu_;
  // The last time returned and the monotonic time it was returned at.
  absl::Time last_ = absl::InfinitePast();  // guarded by mu_
  absl::Duration last_mono_;                // guarded by mu_
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_STAMP_CLOCK_H_
