#include "sdk/src/device/event_queue.h"

#include <algorithm>
#include <utility>

#include "absl/time/time.h"

namespace cairn::sdk {

int64_t EventQueue::Push(BufferedEvent&& event) {
  bool wake_writer = false;
  int64_t sequence = 0;
  {
    std::unique_lock lock(mu_);
    // Events the writer holds but has not committed count too: the bound is
    // on memory, wherever the events sit.
    auto has_room = [this] { return queue_.size() + in_writer_ < options_.queue_capacity; };
    if (!has_room() && options_.queue_full_policy == Options::QueueFullPolicy::kBlockWithDeadline) {
      space_.wait_for(lock, absl::ToChronoNanoseconds(options_.enqueue_timeout), has_room);
    }
    if (has_room()) {
      // The first event of a drain wakes the writer (it takes all that
      // follow), and so does a full commit's worth or a durable caller.
      wake_writer = queue_.empty() || queue_.size() + 1 == options_.commit_max_events ||
                    options_.durable_records;
      sequence = event.sequence = next_sequence_++;
      AppendSequenceField(event.payload, static_cast<uint64_t>(event.sequence));
      queue_.push_back(std::move(event));
      if (options_.durable_records) urgent_through_ = sequence;
    }
  }
  if (wake_writer) writer_wake_.notify_one();
  return sequence;
}

int64_t EventQueue::MarkUrgent() {
  int64_t target;
  {
    std::lock_guard lock(mu_);
    target = next_sequence_ - 1;
    urgent_through_ = std::max(urgent_through_, target);
  }
  writer_wake_.notify_one();
  return target;
}

void EventQueue::ResumeAfter(int64_t last_sequence) {
  std::lock_guard lock(mu_);
  next_sequence_ = last_sequence + 1;
}

bool EventQueue::AwaitEvents() {
  std::unique_lock lock(mu_);
  writer_wake_.wait(lock, [this] { return !queue_.empty() || stop_; });
  if (queue_.empty()) return false;  // stopped, and everything queued is written
  if (options_.commit_interval > absl::ZeroDuration()) {
    // Gather more events for this commit unless someone waits for it.
    const absl::Duration until = clock_->MonotonicNow() + options_.commit_interval;
    while (!stop_ && queue_.size() < options_.commit_max_events &&
           urgent_through_ < queue_.front().sequence && clock_->MonotonicNow() < until) {
      clock_->WaitUntilMonotonic(writer_wake_, lock, until);
    }
  }
  return true;
}

void EventQueue::TakeAll(std::vector<BufferedEvent>& taken) {
  std::lock_guard lock(mu_);
  taken.swap(queue_);
  in_writer_ = taken.size();
}

void EventQueue::Hold(size_t held) {
  {
    std::lock_guard lock(mu_);
    in_writer_ = held;
  }
  space_.notify_all();
}

void EventQueue::Release(size_t n) {
  {
    std::lock_guard lock(mu_);
    in_writer_ -= n;
  }
  space_.notify_all();
}

void EventQueue::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  writer_wake_.notify_one();
}

uint64_t EventQueue::Tombstone(const std::string& subject, std::optional<int> purpose) {
  uint64_t tombstoned = 0;
  std::lock_guard lock(mu_);
  for (BufferedEvent& e : queue_) {
    if (e.tombstone || e.user_id != subject || (purpose && e.purpose != *purpose)) continue;
    e.tombstone = true;
    std::string().swap(e.payload);
    ++tombstoned;
  }
  return tombstoned;
}

void EventQueue::CopyUser(const std::string& subject, std::vector<BufferedEvent>& out) {
  std::lock_guard lock(mu_);
  for (const BufferedEvent& e : queue_) {
    if (!e.tombstone && e.user_id == subject) out.push_back(e);
  }
}

}  // namespace cairn::sdk
