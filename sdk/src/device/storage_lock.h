#ifndef CAIRN_SDK_DEVICE_STORAGE_LOCK_H_
#define CAIRN_SDK_DEVICE_STORAGE_LOCK_H_

#include <string>

#include "absl/status/status.h"

namespace cairn::sdk {

// An exclusive advisory lock (flock) on the storage directory itself, so
// that two clients, in one process or in two, never share one buffer: two
// writers would reuse sequence numbers and lose each other's events.
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
  // if already held. Cost: an open and a flock. FailedPrecondition if another
  // client holds it, naming the directory; the storage error if `dir`
  // cannot be opened.
  absl::Status Acquire(const std::string& dir);
  // Releases the lock (closes the descriptor); nothing if not held.
  void Release();
  // True while the lock is held.
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_DEVICE_STORAGE_LOCK_H_
