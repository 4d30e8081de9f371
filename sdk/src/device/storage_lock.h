#ifndef CAIRN_SDK_DEVICE_STORAGE_LOCK_H_
#define CAIRN_SDK_DEVICE_STORAGE_LOCK_H_

#include <string>

#include "absl/status/status.h"
#include "common/src/platform/platform.h"

namespace cairn::sdk {

// An exclusive lock (platform::LockDirectory, a flock on POSIX) on the
// storage directory itself, so that two clients, in one process or in two,
// never share one buffer: two writers would reuse sequence numbers and lose
// each other's events.
//
// The directory is locked rather than a lock file inside it, so that
// nothing appears in storage_dir before consent. The kernel drops the lock
// when the process ends, however it ends, so a crash never leaves the
// directory locked. Not thread-safe: its owner serializes the calls.
class StorageLock {
 public:
  StorageLock() = default;
  // Releases the lock if held.
  ~StorageLock() { Release(); }
  StorageLock(const StorageLock&) = delete;
  StorageLock& operator=(const StorageLock&) = delete;

  // Takes the lock on `dir` (which must exist) without waiting; OK at once
  // if already held. Cost: an open and a lock call. FailedPrecondition if
  // another client holds it, naming the directory; Unavailable if `dir`
  // cannot be opened or locked.
  absl::Status Acquire(const std::string& dir);
  // Releases the lock (closes the handle); nothing if not held.
  void Release();
  // True while the lock is held.
  bool held() const { return lock_.is_open(); }

 private:
  platform::FileHandle lock_;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_DEVICE_STORAGE_LOCK_H_
