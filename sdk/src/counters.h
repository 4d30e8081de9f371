#ifndef CAIRN_SDK_COUNTERS_H_
#define CAIRN_SDK_COUNTERS_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>

#include "cairn/v1/batch.pb.h"
#include "sdk/src/device/event_buffer.h"

namespace cairn::sdk {

// The lock-free counters behind Stats. Every part adds to its own fields
// from its own thread; only GetStats reads them all. No lock: each field is
// an independent atomic, so a snapshot may mix moments (as Stats documents).
struct Counters {
  std::atomic<uint64_t> recorded{0}, refused{0}, persisted{0}, sent{0}, acknowledged{0},
      duplicates{0}, retries{0}, batches_acknowledged{0}, erased{0};
  // What the buffer holds now. Signed: a removal may be counted before the
  // append it races with, so the sum can dip below zero for a moment.
  std::atomic<int64_t> buffered_rows{0}, buffered_bytes{0};

  // Counts rows that left the buffer (delivered, evicted, withdrawn).
  void RemoveBuffered(const BufferSize& removed) {
    buffered_rows.fetch_sub(static_cast<int64_t>(removed.rows));
    buffered_bytes.fetch_sub(static_cast<int64_t>(removed.bytes));
  }
  // The buffer's size now, clamped at zero. Two atomic loads.
  BufferSize Buffered() const {
    return BufferSize{static_cast<uint64_t>(std::max<int64_t>(0, buffered_rows.load())),
                      static_cast<uint64_t>(std::max<int64_t>(0, buffered_bytes.load()))};
  }
};

// Events dropped on the device, by reason: the running totals (Stats) and
// those not yet reported to the collector (each batch carries them). Any
// thread; its lock is a leaf: no other lock is taken while it is held.
class DropCounters {
 public:
  using ByReason = std::map<cairn::v1::DropReason, uint64_t>;

  // Adds `n` drops of `reason` (nothing for 0). Cost: a map update under the lock.
  void Count(cairn::v1::DropReason reason, uint64_t n) {
    if (n == 0) return;
    std::lock_guard lock(mu_);
    unreported_[reason] += n;
    total_[reason] += n;
  }
  // Every drop since the client was created.
  ByReason Totals() const {
    std::lock_guard lock(mu_);
    return total_;
  }
  // Drops the collector has not been told about yet (a batch copies them).
  ByReason Unreported() const {
    std::lock_guard lock(mu_);
    return unreported_;
  }
  // A batch carrying `reported` was answered: those are no longer owed,
  // and `rejected` events the collector refused are counted as REJECTED.
  void Reported(const ByReason& reported, uint64_t rejected) {
    std::lock_guard lock(mu_);
    for (const auto& [reason, count] : reported) {
      uint64_t& pending = unreported_[reason];
      pending -= std::min(pending, count);
    }
    if (rejected > 0) {
      unreported_[cairn::v1::DROP_REASON_REJECTED] += rejected;
      total_[cairn::v1::DROP_REASON_REJECTED] += rejected;
    }
  }

 private:
  mutable std::mutex mu_;
  ByReason unreported_;  // guarded by mu_
  ByReason total_;       // guarded by mu_
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_COUNTERS_H_
