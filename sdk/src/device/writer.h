#ifndef CAIRN_SDK_DEVICE_WRITER_H_
#define CAIRN_SDK_DEVICE_WRITER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/common/clock.h"
#include "cairn/options.h"
#include "sdk/src/counters.h"
#include "sdk/src/device/buffer_mark.h"
#include "sdk/src/device/consent_gate.h"
#include "sdk/src/device/event_buffer.h"
#include "sdk/src/device/event_queue.h"
#include "sdk/src/device/storage_lock.h"
#include "sdk/src/progress.h"

namespace cairn::sdk {

// The on-device buffer and the writer thread that fills it: drains the
// queue into SQLite, one transaction per drain (group commit), re-checks
// events whose consent was withdrawn while they were queued, and applies
// the buffer's bounds (rows, bytes, expiry) after each commit.
//
// Nothing exists on disk until EnsureStorage (the first grant of an event
// purpose, or a buffer left by an earlier run). It opens two connections:
// the writer's, and the sender's (handed out by SenderConnection).
//
// Locks, in order: storage_mu_ (opening, once) before write_mu_, which the
// writer holds from taking events until they are committed so a purge or an
// export finds each event either queued or durable. Both come after the
// consent keeper's decision lock and before the queue, consent gate,
// progress and drop-counter locks (leaves).
class Writer {
 public:
  // Everything passed must outlive this. Opens nothing.
  Writer(const Options& options, Clock* clock, std::string buffer_path, EventQueue& queue,
         const ConsentGate& gate, Progress& progress, Counters& counters, DropCounters& drops);
  // Stop must have run if Start did.
  ~Writer() = default;

  // Takes the exclusive lock on the storage directory (the buffer's
  // directory, which must exist) unless held; creates no file. Call before
  // any file in it is opened. Any thread. Cost: an open and a flock.
  // FailedPrecondition if another client, in this process or another,
  // holds the directory.
  absl::Status LockStorage();

  // Locks the directory, opens the buffer (moving a damaged one aside,
  // counted CORRUPT_BUFFER) and its mark, and reads the install id, once;
  // later calls return OK at once. Events the buffer lost since its mark
  // (a truncated file, a WAL deleted or damaged after a crash) are counted
  // CORRUPT_BUFFER and their sequence numbers are not reused. Any thread.
  // Cost: open and check of the file the first time. Fails with the
  // storage error, leaving no storage.
  absl::Status EnsureStorage();
  // True once EnsureStorage succeeded. One atomic load.
  bool HasStorage() const { return storage_ready_.load(std::memory_order_acquire); }

  // Applies the bounds to what an earlier run left, then starts the thread.
  void Start();
  // Writes everything still queued, ends the thread and releases the
  // directory lock, so another client may use the directory (this one must
  // then only be destroyed). Call once, after the sender stopped.
  void Stop();

  // --- consent keeper and local data (decision lock held) ---
  // Deletes the unsent events of `subject` (of `purpose` if given): queued
  // ones become tombstones, buffered ones are deleted; returns how many went.
  // Cost: a scan of the queue and of the buffer. Fails with the storage error.
  absl::StatusOr<uint64_t> Purge(const std::string& subject, std::optional<int> purpose);
  // Every event of `subject` on the device, buffered (oldest first) then
  // queued. Cost: a scan of the buffer. Fails with the storage error.
  absl::StatusOr<std::vector<BufferedEvent>> ReadUser(const std::string& subject);

  // --- the sender thread ---
  // The sender's own connection to the buffer, null until storage exists.
  // Only the sender thread may use it.
  EventBuffer* SenderConnection() const { return HasStorage() ? sender_buffer_.get() : nullptr; }
  // The install id; valid once HasStorage() is true.
  const std::string& install_id() const { return install_id_; }
  // Deletes `sequences` through `connection`, serialized with the writer's
  // own deletions. Returns what was removed; the caller counts it.
  absl::StatusOr<BufferSize> RemoveSequences(EventBuffer& connection,
                                             std::span<const int64_t> sequences);
  // Deletes the events first..last through `connection`, serialized with
  // the writer's commits: waiting on the lock costs less than SQLite's busy
  // retries, which sleep a millisecond or more each. Returns what was
  // removed; the caller counts it.
  absl::StatusOr<BufferSize> RemoveRange(EventBuffer& connection, int64_t first, int64_t last);

 private:
  void Loop();
  // Drops from `taken` the tombstones and the events whose consent was
  // withdrawn after they were queued (counted). write_mu_ held.
  void FilterTaken(std::vector<BufferedEvent>& taken);
  // Writes one transaction's worth of events (possibly none) and publishes
  // progress through `through`. write_mu_ held.
  void CommitChunk(std::span<const BufferedEvent> chunk, int64_t through);
  // Applies the buffer's bounds after a commit (or at start), counting
  // drops. write_mu_ held.
  void EnforceBounds(bool check_expiry);
  // Saves the unreported drop counts in the buffer if they changed, so a
  // restart still reports them. One upsert, only after a change. write_mu_ held.
  void SaveDrops();

  const Options& options_;
  Clock* const clock_;
  const std::string buffer_path_;
  EventQueue& queue_;
  const ConsentGate& gate_;
  Progress& progress_;
  Counters& counters_;
  DropCounters& drops_;

  // The buffer, opened once by EnsureStorage under storage_mu_ and published
  // by storage_ready_ (release); read only after an acquire load sees it.
  std::mutex storage_mu_;
  StorageLock lock_;  // guarded by storage_mu_
  std::atomic<bool> storage_ready_{false};
  std::string install_id_;
  std::unique_ptr<EventBuffer> sender_buffer_;  // sender thread only
  std::mutex write_mu_;
  std::unique_ptr<EventBuffer> buffer_;  // guarded by write_mu_
  BufferMark mark_;                      // guarded by write_mu_
  // On the monotonic clock. Guarded by write_mu_.
  absl::Duration next_expiry_check_ = -absl::InfiniteDuration();
  std::thread thread_;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_DEVICE_WRITER_H_
