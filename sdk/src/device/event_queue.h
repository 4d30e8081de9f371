#ifndef CAIRN_SDK_DEVICE_EVENT_QUEUE_H_
#define CAIRN_SDK_DEVICE_EVENT_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cairn/common/clock.h"
#include "cairn/options.h"
#include "sdk/src/device/event_buffer.h"

namespace cairn::sdk {

// The bounded in-memory queue between the record calls (any thread, Push)
// and the writer thread (AwaitEvents, TakeAll), and the source of the
// per-install sequence numbers. The bound counts the events the writer has
// taken but not yet committed too: it is a bound on memory.
//
// Owns its mutex. Lock order: after the writer's write lock (the writer and
// a purge hold it while they take or tombstone events); no other lock is
// taken while it is held.
class EventQueue {
 public:
  // Reads the queue, commit and durability settings of `options` and waits
  // on `clock`; both must outlive this.
  EventQueue(const Options& options, Clock* clock) : options_(options), clock_(clock) {}

  // --- record path (any thread) ---
  // Numbers `event`, stamps its sequence into the payload and queues it;
  // returns the sequence. When the queue is full it waits up to
  // enqueue_timeout under kBlockWithDeadline, then gives up: returns 0 and
  // the event is not queued. Cost: O(1) under the lock, plus the wait.
  int64_t Push(BufferedEvent&& event);

  // --- Flush (any thread) ---
  // The last sequence handed out; the writer commits up to it without
  // waiting for commit_interval. Wakes the writer.
  int64_t MarkUrgent();

  // --- storage opened (any thread, before the first Push after it) ---
  // Numbering resumes after `last_sequence`, the buffer's highest.
  void ResumeAfter(int64_t last_sequence);

  // --- the writer thread ---
  // Blocks until events are queued (and, with commit_interval, until more
  // gathered or someone waits for them). False once stopped with nothing
  // left: the writer ends.
  bool AwaitEvents();
  // Moves every queued event into `taken` (empty on entry); they still count
  // against the bound until Release. O(1): swaps the vectors.
  void TakeAll(std::vector<BufferedEvent>& taken);
  // The writer dropped some of what it took and now holds `held`: frees the room.
  void Hold(size_t held);
  // `n` taken events are committed (or lost): frees their room.
  void Release(size_t n);
  // Makes AwaitEvents return false once the queue is empty. Any thread.
  void Stop();

  // --- withdrawal, erasure and export (the writer's write lock held) ---
  // Turns the queued events of `subject` (of `purpose` if given) into
  // tombstones, still numbered so progress is published, with their payload
  // freed; returns how many. Cost: a scan of the queue.
  uint64_t Tombstone(const std::string& subject, std::optional<int> purpose);
  // Appends copies of the live queued events of `subject` to `out`.
  void CopyUser(const std::string& subject, std::vector<BufferedEvent>& out);

 private:
  const Options& options_;
  Clock* const clock_;

  std::mutex mu_;
  std::condition_variable writer_wake_;
  std::condition_variable space_;     // room freed in the queue
  std::vector<BufferedEvent> queue_;  // guarded by mu_
  int64_t next_sequence_ = 1;         // guarded by mu_
  bool stop_ = false;                 // guarded by mu_
  size_t in_writer_ = 0;              // taken by the writer, not yet committed; guarded by mu_
  // The writer skips commit_interval while a Flush or a durable record call
  // waits for a sequence at or above the queue's first one.
  int64_t urgent_through_ = 0;  // guarded by mu_
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_DEVICE_EVENT_QUEUE_H_
