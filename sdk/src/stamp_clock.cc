#include "sdk/src/stamp_clock.h"

#include <algorithm>

namespace cairn::sdk {

void StampClock::NotBefore(absl::Time t) {
  const absl::Duration mono = base_->MonotonicNow();
  std::lock_guard lock(mu_);
  if (t > last_) {
    last_ = t;
    last_mono_ = mono;
  }
}

absl::Time StampClock::Now() {
  const absl::Time wall = base_->Now();
  const absl::Duration mono = base_->MonotonicNow();
  std::lock_guard lock(mu_);
  // Behind the last stamp: the wall clock was set back, so time goes on
  // from that stamp by what really elapsed since.
  const absl::Time carried = last_ == absl::InfinitePast()
                                 ? last_
                                 : last_ + std::max(mono - last_mono_, absl::ZeroDuration());
  last_ = std::max(wall, carried);
  last_mono_ = mono;
  return last_;
}

}  // namespace cairn::sdk
