#include "sdk/src/device/writer.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "common/src/platform/platform.h"
#include "sdk/src/device/private_files.h"
#include "sdk/src/device/quarantine.h"

namespace cairn::sdk {

using cairn::v1::DropReason;

Writer::Writer(const Options& options, Clock* clock, std::string buffer_path, EventQueue& queue,
               const ConsentGate& gate, Progress& progress, Counters& counters, DropCounters& drops)
    : options_(options),
      clock_(clock),
      buffer_path_(std::move(buffer_path)),
      queue_(queue),
      gate_(gate),
      progress_(progress),
      counters_(counters),
      drops_(drops) {}

absl::Status Writer::LockStorage() {
  std::lock_guard lock(storage_mu_);
  return lock_.Acquire(std::filesystem::path(buffer_path_).parent_path().string());
}

absl::Status Writer::EnsureStorage() {
  std::lock_guard lock(storage_mu_);
  if (HasStorage()) return absl::OkStatus();
  if (absl::Status s = lock_.Acquire(std::filesystem::path(buffer_path_).parent_path().string());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = MakePrivateFile(buffer_path_); !s.ok()) return s;
  BufferMark mark;
  if (absl::Status s = mark.Open(BufferMark::PathFor(buffer_path_)); !s.ok()) return s;
  const std::optional<MarkRecord> marked = mark.Read();
  uint64_t quarantined = 0;
  absl::StatusOr<std::unique_ptr<EventBuffer>> writer =
      OpenOrQuarantine(buffer_path_, options_.max_buffer_file_bytes, quarantined);
  if (!writer.ok()) return writer.status();
  absl::StatusOr<std::unique_ptr<EventBuffer>> sender =
      EventBuffer::Open(buffer_path_, options_.max_buffer_file_bytes);
  if (!sender.ok()) return sender.status();
  absl::StatusOr<std::string> install_id = (*writer)->InstallId();
  if (!install_id.ok()) return install_id.status();
  absl::StatusOr<int64_t> last = (*writer)->LastSequence();
  if (!last.ok()) return last.status();
  absl::StatusOr<std::optional<int64_t>> oldest = (*writer)->OldestSequence();
  if (!oldest.ok()) return oldest.status();
  absl::StatusOr<BufferSize> size = (*writer)->Size();
  if (!size.ok()) return size.status();
  // A buffer behind its mark lost committed events without being damaged
  // as a file: truncated, or its WAL deleted or damaged after a crash.
  // Numbering resumes after the mark so no sequence number is used twice.
  int64_t resume = *last;
  uint64_t lost = 0;
  if (marked && marked->last_sequence > *last) {
    // A file moved aside is counted once below, as it always was.
    if (quarantined == 0) lost = LostSinceMark(*marked, *last);
    if (absl::Status s = (*writer)->RaiseLastSequence(marked->last_sequence); !s.ok()) return s;
    resume = marked->last_sequence;
  }
  {
    std::lock_guard write(write_mu_);
    buffer_ = std::move(*writer);
    mark_ = std::move(mark);
    // Best effort: a mark that cannot be written only dulls loss counting.
    mark_.Write({resume, size->rows}).IgnoreError();
  }
  sender_buffer_ = std::move(*sender);  // the sender waits for storage_ready_
  install_id_ = std::move(*install_id);
  queue_.ResumeAfter(resume);
  progress_.RestoreBuffer(resume, *oldest ? **oldest - 1 : resume);
  counters_.buffered_rows = static_cast<int64_t>(size->rows);
  counters_.buffered_bytes = static_cast<int64_t>(size->bytes);
  // A file moved aside lost every event it held, and the mark says how many
  // that was at its last commit; without a mark each file counts once, so
  // the loss is still visible at the collector. (A process killed in the
  // middle of a checkpoint whose WAL is then damaged leaves a file like
  // that: counting it once would hide thousands of events.) A loss found
  // through the mark alone is counted event by event.
  if (quarantined > 0 && marked) quarantined = std::max<uint64_t>(quarantined, marked->rows);
  drops_.Count(cairn::v1::DROP_REASON_CORRUPT_BUFFER, quarantined + lost);
  storage_ready_.store(true, std::memory_order_release);
  return absl::OkStatus();
}

void Writer::Start() {
  if (HasStorage()) {
    std::lock_guard write(write_mu_);
    // Drops an earlier run counted but could not report are still owed.
    absl::StatusOr<std::string> saved = buffer_->LoadUnreportedDrops();
    if (saved.ok()) {
      drops_.RestoreUnreported(DropCounters::Decode(*saved));
    } else {
      progress_.SetError(saved.status().message());
    }
    EnforceBounds(/*check_expiry=*/true);  // a long-closed app may hold stale events
  }
  thread_ = std::thread([this] {
    // Named so the app's debugger, profiler and crash reports tell it apart.
    platform::SetCurrentThreadName("cairn-writer");
    Loop();
  });
}

void Writer::Stop() {
  queue_.Stop();
  if (thread_.joinable()) thread_.join();
  {
    // The sender has stopped: what it reported last is final.
    std::lock_guard write(write_mu_);
    SaveDrops();
  }
  // Last: once released, another client may open this directory.
  std::lock_guard lock(storage_mu_);
  lock_.Release();
}

void Writer::SaveDrops() {
  if (!HasStorage()) return;  // kept in memory until a buffer exists
  std::optional<DropCounters::ByReason> changed = drops_.TakeChanged();
  if (!changed) return;
  absl::Status saved = buffer_->SaveUnreportedDrops(DropCounters::Encode(*changed));
  if (!saved.ok()) drops_.MarkUnsaved();  // a full disk: tried again after the next commit
}

void Writer::Loop() {
  std::vector<BufferedEvent> taken;
  while (queue_.AwaitEvents()) {
    // Held from taking the events until they are committed, so a withdrawal
    // or erasure finds each event either queued or durable.
    std::lock_guard write(write_mu_);
    // Everything at once (O(1) under the queue lock, however long the
    // backlog); it still counts against queue_capacity until committed.
    queue_.TakeAll(taken);
    const int64_t through = taken.back().sequence;
    const size_t before = taken.size();
    FilterTaken(taken);
    if (taken.size() != before) queue_.Hold(taken.size());
    if (taken.empty()) CommitChunk({}, through);  // still publishes the progress
    for (size_t begin = 0; begin < taken.size(); begin += options_.commit_max_events) {
      std::span<const BufferedEvent> chunk(
          taken.data() + begin, std::min(options_.commit_max_events, taken.size() - begin));
      const bool last_chunk = begin + chunk.size() == taken.size();
      CommitChunk(chunk, last_chunk ? through : chunk.back().sequence);
      queue_.Release(chunk.size());
    }
    SaveDrops();
    taken.clear();
    // After a burst, give the memory back rather than keep peak capacity.
    if (taken.capacity() > 4 * options_.commit_max_events) {
      std::vector<BufferedEvent>().swap(taken);
    }
  }
}

void Writer::FilterTaken(std::vector<BufferedEvent>& taken) {
  const uint64_t epoch = gate_.Epoch();
  // The common case: no withdrawal or erasure since these were queued.
  if (std::none_of(taken.begin(), taken.end(),
                   [&](const BufferedEvent& e) { return e.tombstone || e.epoch != epoch; })) {
    return;
  }
  // Tombstones were counted by the purge that made them; the others were
  // queued while their consent was being withdrawn.
  uint64_t withdrawn = gate_.RemoveDisallowed(taken, clock_->Now(), epoch, nullptr);
  drops_.Count(cairn::v1::DROP_REASON_CONSENT_WITHDRAWN, withdrawn);
}

void Writer::CommitChunk(std::span<const BufferedEvent> chunk, int64_t through) {
  absl::Status status = chunk.empty() ? absl::OkStatus() : buffer_->Append(chunk);
  if (chunk.empty()) {
    // Nothing to write: every event taken was withdrawn or erased.
  } else if (status.ok()) {
    int64_t bytes = 0;
    int64_t last = 0;
    for (const BufferedEvent& e : chunk) {
      bytes += static_cast<int64_t>(e.payload.size());
      last = std::max(last, e.sequence);
    }
    counters_.persisted.fetch_add(chunk.size());
    const int64_t rows = counters_.buffered_rows.fetch_add(static_cast<int64_t>(chunk.size())) +
                         static_cast<int64_t>(chunk.size());
    counters_.buffered_bytes.fetch_add(bytes);
    // After the commit, never before: a mark ahead of the buffer would count
    // a loss that did not happen. Best effort, like the mark itself.
    mark_.Write({last, static_cast<uint64_t>(std::max<int64_t>(rows, 0))}).IgnoreError();
    EnforceBounds(/*check_expiry=*/clock_->MonotonicNow() >= next_expiry_check_);
  } else {
    // The device could not write (full disk, IO error): the events are
    // lost, so they are counted and reported; the app keeps running.
    drops_.Count(cairn::v1::DROP_REASON_DISK_FULL, chunk.size());
  }
  progress_.Persisted(through, status, status.ok() ? 0 : chunk.front().sequence,
                      status.ok() ? 0 : chunk.back().sequence);
}

void Writer::EnforceBounds(bool check_expiry) {
  BufferBounds bounds;
  bounds.max_rows = options_.max_buffer_rows;
  bounds.max_bytes = options_.max_buffer_bytes;
  bounds.keep_through = progress_.InFlightThrough();
  const absl::Time now = clock_->Now();
  if (check_expiry && options_.event_ttl > absl::ZeroDuration()) {
    bounds.expire_before_ms = absl::ToUnixMillis(now - options_.event_ttl);
    next_expiry_check_ = clock_->MonotonicNow() + absl::Minutes(1);
  }
  const BufferSize current = counters_.Buffered();
  bool over = (bounds.max_rows > 0 && current.rows > bounds.max_rows) ||
              (bounds.max_bytes > 0 && current.bytes > bounds.max_bytes);
  if (!over && bounds.expire_before_ms == 0) return;
  absl::StatusOr<Eviction> eviction = buffer_->EnforceBounds(bounds, current);
  if (!eviction.ok()) {
    progress_.SetError(eviction.status().message());
    return;
  }
  counters_.RemoveBuffered(eviction->removed);
  drops_.Count(cairn::v1::DROP_REASON_EXPIRED, eviction->expired);
  drops_.Count(cairn::v1::DROP_REASON_BUFFER_ROWS, eviction->over_rows);
  drops_.Count(cairn::v1::DROP_REASON_BUFFER_BYTES, eviction->over_bytes);
  if (eviction->removed.rows > 0) progress_.WakeSender();  // settled-through moves
}

absl::StatusOr<uint64_t> Writer::Purge(const std::string& subject, std::optional<int> purpose) {
  std::lock_guard write(write_mu_);
  // Queued events stay in place as tombstones, so the writer still
  // publishes their sequence numbers and Flush is not left waiting.
  uint64_t purged = queue_.Tombstone(subject, purpose);
  if (HasStorage()) {
    absl::StatusOr<BufferSize> removed = buffer_->RemoveUser(subject, purpose);
    if (!removed.ok()) return removed.status();
    counters_.RemoveBuffered(*removed);
    purged += removed->rows;
    if (removed->rows > 0) progress_.WakeSender();  // settled-through moves
  }
  return purged;
}

absl::StatusOr<std::vector<BufferedEvent>> Writer::ReadUser(const std::string& subject) {
  std::vector<BufferedEvent> events;
  // With write_mu_ held the writer is between commits: every event of the
  // user is either durable or still queued.
  std::lock_guard write(write_mu_);
  if (HasStorage()) {
    absl::StatusOr<std::vector<BufferedEvent>> durable = buffer_->ReadUser(subject);
    if (!durable.ok()) return durable.status();
    events = std::move(*durable);
  }
  queue_.CopyUser(subject, events);
  return events;
}

absl::StatusOr<BufferSize> Writer::RemoveSequences(EventBuffer& connection,
                                                   std::span<const int64_t> sequences) {
  std::lock_guard write(write_mu_);  // deletions are serialized with the writer's
  return connection.RemoveSequences(sequences);
}

absl::StatusOr<BufferSize> Writer::RemoveRange(EventBuffer& connection, int64_t first,
                                               int64_t last) {
  std::lock_guard write(write_mu_);
  return connection.RemoveRange(first, last);
}

}  // namespace cairn::sdk
