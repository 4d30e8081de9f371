#ifndef CAIRN_SDK_DEVICE_BUFFER_MARK_H_
#define CAIRN_SDK_DEVICE_BUFFER_MARK_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/src/platform/platform.h"

namespace cairn::sdk {

// What the buffer held at its last commit, as its writer saw it.
struct MarkRecord {
  int64_t last_sequence = 0;  // highest sequence committed
  uint64_t rows = 0;          // events buffered right after that commit
};

// A small side record of the buffer's last commit, kept in a file of its
// own next to the buffer (<buffer>.mark). A buffer that loses its tail
// (truncated, its WAL deleted or damaged after a crash) no longer knows what
// it held; the mark still does, so the loss is counted and sequence numbers
// are never handed out twice.
//
// One 24-byte write per commit, no fsync: it survives a killed process (the
// page cache keeps it) but may be older than the buffer after a power cut,
// which only undercounts that rarer loss. Not thread-safe: the writer
// serializes the calls.
class BufferMark {
 public:
  BufferMark() = default;
  ~BufferMark() { Close(); }
  BufferMark(const BufferMark&) = delete;
  BufferMark& operator=(const BufferMark&) = delete;
  // Takes over `other`'s file, closing this one's; `other` is left closed.
  BufferMark& operator=(BufferMark&& other) noexcept = default;

  // The mark file of the buffer at `buffer_path`: same directory, extension
  // ".mark". Pure.
  static std::string PathFor(const std::string& buffer_path);

  // Opens or creates the file at `path` (mode 0600). Cost: an open. Fails
  // with Unavailable naming the path.
  absl::Status Open(const std::string& path);
  // The record kept, or nullopt if there is none or it is torn or garbled
  // (a checksum guards it). Cost: one 24-byte read.
  std::optional<MarkRecord> Read() const;
  // Overwrites the record in place. Cost: one 24-byte write. Fails with
  // Unavailable if the file is not open or the write fails.
  absl::Status Write(const MarkRecord& record);
  // Closes the file; nothing if not open.
  void Close();

 private:
  platform::FileHandle file_;
};

// How many events a buffer whose highest sequence is `buffer_last` lost
// against `mark`: none unless it fell behind the mark, and then at most the
// rows the mark saw and at most the sequences missing. An upper bound (rows
// the sender deleted after the last commit still count), so no loss goes
// uncounted. Pure.
uint64_t LostSinceMark(const MarkRecord& mark, int64_t buffer_last);

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_DEVICE_BUFFER_MARK_H_
