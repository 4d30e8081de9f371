#include "sdk/src/device/storage_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace cairn::sdk {

absl::Status StorageLock::Acquire(const std::string& dir) {
  if (held()) return absl::OkStatus();
  // O_CLOEXEC: a child the app starts must not keep the directory locked
  // after the app itself ends.
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open storage_dir ", dir, ": ", std::strerror(errno)));
  }
  int rc;
  do {
    rc = flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int error = errno;
    close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "storage_dir ", dir,
          " is in use by another Cairn client (in this or another process); each client "
          "needs its own storage_dir, or the other one must shut down first"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot lock storage_dir ", dir, ": ", std::strerror(error)));
  }
  fd_ = fd;
  return absl::OkStatus();
}

void StorageLock::Release() {
  if (fd_ < 0) return;
  close(fd_);  // closing the only descriptor drops the flock
  fd_ = -1;
}

}  // namespace cairn::sdk
