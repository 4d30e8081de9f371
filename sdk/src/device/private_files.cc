#include "sdk/src/device/private_files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace cairn::sdk {
namespace {

constexpr mode_t kPrivateDir = 0700;
constexpr mode_t kPrivateFile = 0600;

absl::Status Unavailable(const char* what, const std::string& path, int error) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(error)));
}

}  // namespace

void TightenToOwnerOnly(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_uid != geteuid()) return;
  if ((st.st_mode & 07777) != kPrivateFile) fchmod(fd, kPrivateFile);
}

absl::Status PrepareStorageDir(const std::string& dir) {
  const std::filesystem::path target = std::filesystem::path(dir).lexically_normal();
  std::filesystem::path so_far;
  for (const std::filesystem::path& part : target) {
    so_far /= part;
    if (part.empty() || part == "/") continue;
    // Parents that exist are the app's choice; only what this call makes,
    // and the storage directory itself, are made private.
    if (mkdir(so_far.c_str(), kPrivateDir) != 0 && errno != EEXIST) {
      return Unavailable("cannot create storage_dir", so_far.string(), errno);
    }
  }
  struct stat st;
  if (stat(target.c_str(), &st) != 0) return Unavailable("cannot stat storage_dir", dir, errno);
  if (!S_ISDIR(st.st_mode)) {
    return absl::UnavailableError(absl::StrCat("storage_dir ", dir, " is not a directory"));
  }
  // The umask may have taken bits from mkdir's mode, and an existing
  // directory may be wider: either way it ends exactly 0700 if it is ours.
  if (st.st_uid == geteuid() && (st.st_mode & 07777) != kPrivateDir &&
      chmod(target.c_str(), kPrivateDir) != 0) {
    return Unavailable("cannot make storage_dir private", dir, errno);
  }
  return absl::OkStatus();
}

absl::Status MakePrivateFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, kPrivateFile);
  if (fd < 0) return Unavailable("cannot create", path, errno);
  TightenToOwnerOnly(fd);
  close(fd);
  // Companions an earlier run (or an older SDK) left with a wider mode.
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const std::string companion = path + suffix;
    int cfd = open(companion.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (cfd < 0) continue;  // absent: SQLite creates it from the main file's mode
    TightenToOwnerOnly(cfd);
    close(cfd);
  }
  return absl::OkStatus();
}

}  // namespace cairn::sdk
