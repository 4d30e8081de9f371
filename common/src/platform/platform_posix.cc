// The platform seam on POSIX systems (Linux; the macOS differences are
// marked). See platform.h; docs/sdk.md ("Porting") lists what other systems
// need.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/src/platform/platform.h"

namespace cairn::platform {
namespace {

constexpr mode_t kOwnerOnlyDir = 0700;
constexpr mode_t kOwnerOnlyFile = 0600;

absl::Status Unavailable(int error) { return absl::UnavailableError(std::strerror(error)); }

int Fd(const FileHandle& file) { return static_cast<int>(file.native()); }

// Retries a system call interrupted by a signal before it did anything.
template <typename Call>
auto RetryOnEintr(Call call) {
  decltype(call()) rc;
  do {
    rc = call();
  } while (rc < 0 && errno == EINTR);
  return rc;
}

}  // namespace

FileHandle::FileHandle(FileHandle&& other) noexcept
    : handle_(std::exchange(other.handle_, kNoHandle)) {}

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
  if (this != &other) {
    Close();
    handle_ = std::exchange(other.handle_, kNoHandle);
  }
  return *this;
}

void FileHandle::Close() {
  if (handle_ == kNoHandle) return;
  // Not retried on EINTR: on Linux the descriptor is gone either way.
  close(static_cast<int>(handle_));
  handle_ = kNoHandle;
}

absl::StatusOr<FileHandle> LockDirectory(const std::string& dir) {
  // flock locks belong to the open file description, so a second open in
  // this process conflicts like another process does; O_CLOEXEC keeps a
  // child the app starts from holding the lock after the app ends.
  FileHandle handle(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!handle.is_open()) return Unavailable(errno);
  if (RetryOnEintr([&] { return flock(Fd(handle), LOCK_EX | LOCK_NB); }) != 0) {
    const int error = errno;
    if (error == EWOULDBLOCK) return absl::FailedPreconditionError("locked by another holder");
    return Unavailable(error);
  }
  return handle;
}

absl::StatusOr<FileHandle> OpenOwnerOnlyFile(const std::string& path, OpenMode mode, Links links) {
  int flags = O_CLOEXEC;
  flags |= mode == OpenMode::kCreateReadWrite ? (O_RDWR | O_CREAT) : O_RDONLY;
  if (links == Links::kRefuse) flags |= O_NOFOLLOW;
  FileHandle handle(open(path.c_str(), flags, kOwnerOnlyFile));
  if (handle.is_open()) return handle;
  const int error = errno;
  if (error == ENOENT && mode == OpenMode::kExistingReadOnly) {
    return absl::NotFoundError(std::strerror(error));
  }
  return Unavailable(error);
}

absl::Status RestrictFileToOwner(const FileHandle& file) {
  struct stat st;
  if (fstat(Fd(file), &st) != 0) return Unavailable(errno);
  if (st.st_uid != geteuid() || (st.st_mode & 07777) == kOwnerOnlyFile) return absl::OkStatus();
  if (fchmod(Fd(file), kOwnerOnlyFile) != 0) return Unavailable(errno);
  return absl::OkStatus();
}

absl::Status CreateOwnerOnlyDirectory(const std::string& path) {
  if (mkdir(path.c_str(), kOwnerOnlyDir) != 0 && errno != EEXIST) return Unavailable(errno);
  return absl::OkStatus();
}

absl::Status RestrictDirectoryToOwner(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Unavailable(errno);
  if (!S_ISDIR(st.st_mode)) return absl::FailedPreconditionError("not a directory");
  // The umask may have taken bits from mkdir's mode, and an existing
  // directory may be wider: either way it ends exactly 0700 if it is ours.
  if (st.st_uid == geteuid() && (st.st_mode & 07777) != kOwnerOnlyDir &&
      chmod(path.c_str(), kOwnerOnlyDir) != 0) {
    return Unavailable(errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ReadAt(const FileHandle& file, uint64_t offset, void* out, size_t size) {
  const ssize_t n =
      RetryOnEintr([&] { return pread(Fd(file), out, size, static_cast<off_t>(offset)); });
  if (n < 0) return Unavailable(errno);
  return static_cast<size_t>(n);
}

absl::Status WriteAt(const FileHandle& file, uint64_t offset, std::string_view data) {
  const ssize_t n = RetryOnEintr(
      [&] { return pwrite(Fd(file), data.data(), data.size(), static_cast<off_t>(offset)); });
  if (n < 0) return Unavailable(errno);
  if (static_cast<size_t>(n) != data.size()) return absl::UnavailableError("short write");
  return absl::OkStatus();
}

absl::Status SyncFile(const FileHandle& file) {
#if defined(__APPLE__)
  // fsync on macOS reaches the drive's cache only; F_FULLFSYNC flushes it.
  // Some filesystems refuse it, and then fsync is the best there is.
  if (fcntl(Fd(file), F_FULLFSYNC) == 0) return absl::OkStatus();
#endif
  if (RetryOnEintr([&] { return fsync(Fd(file)); }) != 0) return Unavailable(errno);
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  FileHandle handle(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!handle.is_open()) return Unavailable(errno);
  return SyncFile(handle);
}

void SetCurrentThreadName(std::string_view name) {
  char cut[kMaxThreadName + 1] = {};
  name.copy(cut, std::min(name.size(), kMaxThreadName));
#if defined(__APPLE__)
  pthread_setname_np(cut);  // macOS names only the calling thread
#else
  pthread_setname_np(pthread_self(), cut);
#endif
}

absl::StatusOr<std::string> CurrentThreadName() {
  char name[64] = {};
  if (int rc = pthread_getname_np(pthread_self(), name, sizeof(name)); rc != 0) {
    return Unavailable(rc);
  }
  return std::string(name);
}

bool IsLoopbackLiteral(const std::string& host) {
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace cairn::platform
