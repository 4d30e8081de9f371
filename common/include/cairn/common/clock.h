#ifndef CAIRN_COMMON_CLOCK_H_
#define CAIRN_COMMON_CLOCK_H_

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
};

// The process-wide real clock. Never null; lives for the whole process.
Clock* SystemClock();

}  // namespace cairn

#endif  // CAIRN_COMMON_CLOCK_H_
