#ifndef CAIRN_SDK_COUNTERS_H_
#define CAIRN_SDK_COUNTERS_H_

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/v1/batch.pb.h"
#include "sdk/src/device/event_buffer.h"

namespace cairn::sdk {

// The lock-free counters behind Stats. Every part adds to its own fields
// from its own thread; only GetStats reads them all. No lock: each field is
// an independent atomic, so a snapshot may mix moments (as Stats documents).
struct Counters {
  std::atomic<uint64_t> recorded{0}, refused{0}, persisted{0}, sent{0}, acknowledged{0},
      duplicates{0}, retries{0}, batches_acknowledged{0}, erased{0};
  // Record calls refused, by cause (Stats documents each).
  std::atomic<uint64_t> refused_invalid{0}, refused_no_session{0}, refused_shut_down{0},
      refused_storage{0}, durable_timeouts{0};
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
    changed_ = true;
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
  // True if some drop is still owed to the collector. Cost: a map scan under the lock.
  bool AnyUnreported() const {
    std::lock_guard lock(mu_);
    return std::any_of(unreported_.begin(), unreported_.end(),
                       [](const auto& entry) { return entry.second > 0; });
  }
  // A batch carrying `reported` was answered: those are no longer owed,
  // and `rejected` events the collector refused are counted as REJECTED.
  void Reported(const ByReason& reported, uint64_t rejected) {
    std::lock_guard lock(mu_);
    for (const auto& [reason, count] : reported) {
      uint64_t& pending = unreported_[reason];
      if (count > 0 && pending > 0) changed_ = true;
      pending -= std::min(pending, count);
    }
    if (rejected > 0) {
      unreported_[cairn::v1::DROP_REASON_REJECTED] += rejected;
      total_[cairn::v1::DROP_REASON_REJECTED] += rejected;
      changed_ = true;
    }
  }

  // --- persistence, so drops counted offline survive a restart ---
  // Adds what an earlier run saved and never reported: owed to the
  // collector, but not drops of this client (Totals leaves them out).
  void RestoreUnreported(const ByReason& owed) {
    std::lock_guard lock(mu_);
    for (const auto& [reason, count] : owed) unreported_[reason] += count;
  }
  // The unreported counts if they changed since the last call, for saving;
  // nullopt if not. Call MarkUnsaved when the save fails.
  std::optional<ByReason> TakeChanged() {
    std::lock_guard lock(mu_);
    if (!changed_) return std::nullopt;
    changed_ = false;
    return unreported_;
  }
  void MarkUnsaved() {
    std::lock_guard lock(mu_);
    changed_ = true;
  }
  // "reason:count" pairs joined by commas (zero counts left out), and back.
  // Decoding skips what it cannot read: a damaged entry loses only itself.
  static std::string Encode(const ByReason& counts) {
    std::string out;
    for (const auto& [reason, count] : counts) {
      if (count == 0) continue;
      if (!out.empty()) out += ',';
      out += std::to_string(static_cast<int>(reason)) + ':' + std::to_string(count);
    }
    return out;
  }
  static ByReason Decode(std::string_view encoded) {
    ByReason out;
    for (std::string_view rest = encoded; !rest.empty();) {
      const size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      const size_t colon = item.find(':');
      int reason = 0;
      uint64_t count = 0;
      if (colon == std::string_view::npos || !ParseWhole(item.substr(0, colon), reason) ||
          !ParseWhole(item.substr(colon + 1), count) || !cairn::v1::DropReason_IsValid(reason)) {
        continue;
      }
      out[static_cast<cairn::v1::DropReason>(reason)] += count;
    }
    return out;
  }

 private:
  // Parses all of `text` as a decimal number; false if anything is left over.
  template <typename T>
  static bool ParseWhole(std::string_view text, T& value) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
  }

  mutable std::mutex mu_;
  ByReason unreported_;   // guarded by mu_
  ByReason total_;        // guarded by mu_
  bool changed_ = false;  // unreported_ differs from what was saved; guarded by mu_
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_COUNTERS_H_
