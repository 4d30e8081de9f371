#ifndef CAIRN_COMMON_SRC_PLATFORM_PLATFORM_H_
#define CAIRN_COMMON_SRC_PLATFORM_PLATFORM_H_

// The one place where sdk/, consent/ and common/ reach the operating system
// beyond the C++ standard library. Everything else in those folders is
// portable C++ (std::filesystem included); a port to another OS implements
// this header in a platform_<os>.cc and nothing else. Internal: not
// installed, not part of any public API.
//
// Errors come back as absl::Status whose message is the system's reason
// alone (strerror's text on POSIX); the caller adds what it was doing and
// on which path, so messages name the path once.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cairn::platform {

// An OS handle: a file descriptor on POSIX. Wide enough for a Windows HANDLE,
// whose invalid value is also -1.
using NativeHandle = std::intptr_t;
inline constexpr NativeHandle kNoHandle = -1;

// An open file or directory, closed when destroyed. Move-only; not
// thread-safe (its owner serializes the calls).
class FileHandle {
 public:
  FileHandle() = default;
  // Takes ownership of `handle` (kNoHandle for none).
  explicit FileHandle(NativeHandle handle) : handle_(handle) {}
  ~FileHandle() { Close(); }
  FileHandle(FileHandle&& other) noexcept;
  // Takes over `other`'s handle, closing this one's; `other` is left closed.
  FileHandle& operator=(FileHandle&& other) noexcept;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  // True while a handle is held.
  bool is_open() const { return handle_ != kNoHandle; }
  // The OS handle, for the platform implementation; kNoHandle if closed.
  NativeHandle native() const { return handle_; }
  // Closes the handle (dropping any lock taken through it); nothing if
  // closed. Cost: one system call.
  void Close();

 private:
  NativeHandle handle_ = kNoHandle;
};

// ------------------------------------------------------------- locking ---

// Takes an exclusive lock on the existing directory `dir` without waiting,
// held until the returned handle closes. It excludes every other holder, in
// this process (another call) or in another one, and creates no file. The
// OS drops it when the process ends, however it ends, and a child process
// does not inherit it. Cost: an open and a lock call. FailedPrecondition if
// someone else holds it; Unavailable if `dir` cannot be opened or locked.
absl::StatusOr<FileHandle> LockDirectory(const std::string& dir);

// --------------------------------------------------- owner-only files ---

// How OpenOwnerOnlyFile opens a file.
enum class OpenMode {
  kCreateReadWrite,   // read-write, created owner-only (0600) if missing
  kExistingReadOnly,  // read-only, must exist
};

// Whether OpenOwnerOnlyFile opens a symbolic link at the path itself.
enum class Links {
  kFollow,  // a link is followed to its target
  kRefuse,  // a link at the last component fails the open
};

// Opens `path` as `mode` says. A file it creates is this user's alone
// (0600: the umask can only narrow it); an existing one keeps its mode (see
// RestrictFileToOwner). Not inherited by child processes. Cost: an open. NotFound if
// kExistingReadOnly and `path` is missing; Unavailable for any other failure.
absl::StatusOr<FileHandle> OpenOwnerOnlyFile(const std::string& path, OpenMode mode, Links links);

// Narrows the open file `file` to this user alone (0600) if this user owns
// it and it is wider; a file of another user is left as it is. Cost: an
// fstat, and a chmod when needed. Unavailable if either fails.
absl::Status RestrictFileToOwner(const FileHandle& file);

// Creates the directory `path` (its parent must exist) for this user alone
// (0700, less whatever the umask takes). OK if something already exists at
// `path`: the caller checks it with RestrictDirectoryToOwner. Cost: a mkdir.
// Unavailable if it cannot be made.
absl::Status CreateOwnerOnlyDirectory(const std::string& path);

// Sets the directory `path` to this user alone (exactly 0700) if this user
// owns it and its mode differs; one of another user is left as it is.
// Cost: a stat, and a chmod when needed. FailedPrecondition if `path` is not
// a directory; Unavailable if it cannot be stat'ed or changed.
absl::Status RestrictDirectoryToOwner(const std::string& path);

// ------------------------------------------------------- reads, writes ---

// Reads up to `size` bytes at `offset` of `file` into `out`, without moving
// any file position. Returns the bytes read: fewer than `size` at the end of
// the file. Cost: one read call. Unavailable if the read fails.
absl::StatusOr<size_t> ReadAt(const FileHandle& file, uint64_t offset, void* out, size_t size);

// Writes `data` at `offset` of `file`, without moving any file position.
// Cost: one write call (to the page cache; see SyncFile). Unavailable if it
// fails or writes only part of `data`.
absl::Status WriteAt(const FileHandle& file, uint64_t offset, std::string_view data);

// -------------------------------------------------------- durability ---

// Makes what was written to `file` survive a power cut: it returns once
// the storage device has it. Cost: a disk flush, milliseconds. Unavailable
// if the flush fails (the data may then be lost).
absl::Status SyncFile(const FileHandle& file);

// Makes the entries of the directory `dir` (files created, renamed or
// removed in it) survive a power cut. Cost: an open and a disk flush.
// Unavailable if it cannot be opened or flushed.
absl::Status SyncDirectory(const std::string& dir);

// ------------------------------------------------------------- threads ---

// The longest thread name every supported OS keeps; longer names are cut.
inline constexpr size_t kMaxThreadName = 15;

// Names the calling thread `name` (cut to kMaxThreadName bytes) for
// debuggers, profilers and crash reports of the app embedding the SDK.
// Cost: one system call. Best effort: a failure only leaves the old name.
void SetCurrentThreadName(std::string_view name);

// The calling thread's name as the OS keeps it. Cost: one system call.
// Unavailable if it cannot be read.
absl::StatusOr<std::string> CurrentThreadName();

// ------------------------------------------------------------ addresses ---

// True if `host` is a literal IPv4 address in 127.0.0.0/8 or the IPv6
// address ::1, in any spelling the OS's address parser accepts (such as
// 0:0:0:0:0:0:0:1). A name ("localhost") is not a literal: false. Pure.
bool IsLoopbackLiteral(const std::string& host);

}  // namespace cairn::platform

#endif  // CAIRN_COMMON_SRC_PLATFORM_PLATFORM_H_
