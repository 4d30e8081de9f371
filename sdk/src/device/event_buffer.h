#ifndef CAIRN_SDK_DEVICE_EVENT_BUFFER_H_
#define CAIRN_SDK_DEVICE_EVENT_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cairn/common/sqlite.h"

namespace cairn::sdk {

// An event on its way to the collector: its per-install sequence number (the
// buffer's key), who and why (for consent deletion and local export), and
// the serialized cairn.v1.Event.
struct BufferedEvent {
  int64_t sequence = 0;
  std::string user_id;  // as it leaves the device (pseudonymised if configured)
  int purpose = 0;      // cairn.v1.Purpose
  int64_t created_ms = 0;
  std::string payload;
  // In memory only. The client's purge epoch when the record call checked
  // consent: the writer re-checks events whose epoch is outdated.
  uint64_t epoch = 0;
  // In memory only: withdrawn or erased while queued; the writer skips it.
  bool tombstone = false;
};

// Appends `value` as a protobuf base-128 varint (1-10 bytes).
void AppendVarint(std::string& out, uint64_t value);

// Appends `Event.sequence` (field 5) to a serialized Event. Lets the record
// path serialize outside the queue lock and stamp the sequence inside it.
// Appends at most kMaxSequenceFieldBytes (a tag byte and a 10-byte varint).
inline constexpr size_t kMaxSequenceFieldBytes = 11;
void AppendSequenceField(std::string& serialized_event, uint64_t sequence);

struct BufferSize {
  uint64_t rows = 0;
  uint64_t bytes = 0;
};

// The buffer's bounds; 0 means unbounded.
struct BufferBounds {
  uint64_t max_rows = 0;
  uint64_t max_bytes = 0;
  int64_t expire_before_ms = 0;  // events created before this are dropped
  int64_t keep_through = 0;      // never evict sequences <= this (in flight)
};

// What EnforceBounds removed, by reason.
struct Eviction {
  uint64_t expired = 0;
  uint64_t over_rows = 0;
  uint64_t over_bytes = 0;
  BufferSize removed;
};

// The durable on-device buffer: one SQLite file in WAL mode. Each thread
// opens its own EventBuffer on the same file (a connection is single-owner).
class EventBuffer {
 public:
  // Opens or creates the buffer at `path` and brings its schema up to date.
  // DataLoss if the file is not a readable database.
  // `max_file_bytes` (0: none) caps the file: writes beyond it fail with
  // ResourceExhausted, as on a full disk.
  static absl::StatusOr<std::unique_ptr<EventBuffer>> Open(const std::string& path,
                                                           uint64_t max_file_bytes = 0);

  // Appends events in one transaction and remembers the highest sequence so
  // numbering resumes after a restart. ResourceExhausted on a full disk.
  absl::Status Append(std::span<const BufferedEvent> events);

  // The oldest events, at most `max_events` and about `max_bytes` of payload
  // (always at least one event if any is buffered).
  absl::StatusOr<std::vector<BufferedEvent>> ReadOldest(size_t max_events, size_t max_bytes);
  // The same, of the events numbered after < sequence < before only: the
  // sender's read past what its outstanding batches hold. One index seek.
  absl::StatusOr<std::vector<BufferedEvent>> ReadBetween(int64_t after, int64_t before,
                                                         size_t max_events, size_t max_bytes);

  // Deletes the events numbered first..last in one statement (a batch is
  // always such a range of what is buffered) and returns what it removed
  // (events deleted meanwhile by a withdrawal are not counted twice).
  absl::StatusOr<BufferSize> RemoveRange(int64_t first, int64_t last);

  // Deletes the listed events (one transaction) and returns what it removed.
  absl::StatusOr<BufferSize> RemoveSequences(std::span<const int64_t> sequences);

  // Deletes every event of `user_id`, only those of `purpose` if given, and
  // returns what it removed. Scans the buffer (there is no per-user index:
  // it cost a third of the insert rate), about 1 ms per 10,000 events.
  absl::StatusOr<BufferSize> RemoveUser(std::string_view user_id,
                                        std::optional<int> purpose = std::nullopt);

  // Every event of `user_id`, oldest first. Scans the buffer like RemoveUser.
  absl::StatusOr<std::vector<BufferedEvent>> ReadUser(std::string_view user_id);

  // Drops the oldest events until the buffer, whose size is `current`, is
  // within `bounds`: first expired events, then the oldest over the row and
  // byte bounds, skipping sequences up to bounds.keep_through. One transaction.
  absl::StatusOr<Eviction> EnforceBounds(const BufferBounds& bounds, BufferSize current);

  // Lowest buffered sequence above `after`, or nullopt when there is none.
  absl::StatusOr<std::optional<int64_t>> OldestSequence(int64_t after = 0);

  // Highest sequence ever appended (0 for a new buffer).
  absl::StatusOr<int64_t> LastSequence();

  // Makes LastSequence() at least `sequence`, so numbering resumes after
  // events this file no longer holds (it lost them). Cost: one small
  // transaction. Fails with the storage error.
  absl::Status RaiseLastSequence(int64_t sequence);

  // The random install id kept in the buffer, made on first call.
  absl::StatusOr<std::string> InstallId();

  absl::StatusOr<BufferSize> Size();

  // Reads every page (PRAGMA quick_check): DataLoss if the file is damaged.
  // Cost: linear in the file size (about 1 ms per MB).
  absl::Status Check() { return db_->QuickCheck(); }

  // Drop counts not yet reported to the collector, kept in the meta table
  // as one opaque string the caller encodes, so they survive a restart.
  // Empty when none was saved. One indexed read or upsert; a full disk
  // fails the save with ResourceExhausted.
  absl::StatusOr<std::string> LoadUnreportedDrops();
  absl::Status SaveUnreportedDrops(std::string_view encoded);

 private:
  explicit EventBuffer(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  absl::StatusOr<std::optional<std::string>> GetMeta(std::string_view key);
  absl::Status PutMeta(std::string_view key, std::string_view value);

  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_DEVICE_EVENT_BUFFER_H_
