#ifndef CAIRN_COLLECTOR_INGEST_REJECTION_COUNTERS_H_
#define CAIRN_COLLECTOR_INGEST_REJECTION_COUNTERS_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "cairn/v1/batch.pb.h"

namespace cairn::collector {

// In-process counts of refused events by RejectReason since start, for a
// future /metrics endpoint (the durable counts are in the store). Lock-free
// and thread-safe; a reason this build does not know counts as UNSPECIFIED.
class RejectionCounters {
 public:
  // Slots for RejectReason values 0..kSlots-1.
  static constexpr int kSlots = 32;

  // Adds `n` to `reason`. Cost: one relaxed atomic add.
  void Add(cairn::v1::RejectReason reason, uint64_t n = 1) {
    counts_[Slot(reason)].fetch_add(n, std::memory_order_relaxed);
  }
  // The count for `reason` so far.
  uint64_t Get(cairn::v1::RejectReason reason) const {
    return counts_[Slot(reason)].load(std::memory_order_relaxed);
  }

 private:
  static size_t Slot(cairn::v1::RejectReason reason) {
    int value = static_cast<int>(reason);
    return value >= 0 && value < kSlots ? static_cast<size_t>(value) : 0;
  }
  std::array<std::atomic<uint64_t>, kSlots> counts_{};
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_INGEST_REJECTION_COUNTERS_H_
