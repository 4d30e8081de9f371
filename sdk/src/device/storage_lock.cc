#include "sdk/src/device/storage_lock.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace cairn::sdk {

absl::Status StorageLock::Acquire(const std::string& dir) {
  if (held()) return absl::OkStatus();
  absl::StatusOr<platform::FileHandle> lock = platform::LockDirectory(dir);
  if (absl::IsFailedPrecondition(lock.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("storage_dir ", dir,
                     " is in use by another Cairn client (in this or another process); each client "
                     "needs its own storage_dir, or the other one must shut down first"));
  }
  if (!lock.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot lock storage_dir ", dir, ": ", lock.status().message()));
  }
  lock_ = *std::move(lock);
  return absl::OkStatus();
}

void StorageLock::Release() { lock_.Close(); }

}  // namespace cairn::sdk
