#include "sdk/src/device/buffer_mark.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/src/device/private_files.h"

namespace cairn::sdk {
namespace {

// Mixed into the checksum so a file of zeros is not a valid record.
constexpr uint64_t kMarkMagic = 0x636169726e6d6b21ULL;  // "cairnmk!"
constexpr size_t kRecordBytes = 3 * sizeof(uint64_t);

uint64_t Checksum(uint64_t last, uint64_t rows) {
  return (last * 0x9e3779b97f4a7c15ULL) ^ (rows + kMarkMagic);
}

}  // namespace

std::string BufferMark::PathFor(const std::string& buffer_path) {
  return std::filesystem::path(buffer_path).replace_extension(".mark").string();
}

absl::Status BufferMark::Open(const std::string& path) {
  Close();
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  TightenToOwnerOnly(fd_);  // a mark an older version left readable to others
  return absl::OkStatus();
}

std::optional<MarkRecord> BufferMark::Read() const {
  if (fd_ < 0) return std::nullopt;
  uint64_t words[3];
  if (pread(fd_, words, kRecordBytes, 0) != static_cast<ssize_t>(kRecordBytes)) {
    return std::nullopt;
  }
  if (words[2] != Checksum(words[0], words[1])) return std::nullopt;
  return MarkRecord{static_cast<int64_t>(words[0]), words[1]};
}

absl::Status BufferMark::Write(const MarkRecord& record) {
  if (fd_ < 0) return absl::UnavailableError("the buffer mark is not open");
  const uint64_t last = static_cast<uint64_t>(record.last_sequence);
  const uint64_t words[3] = {last, record.rows, Checksum(last, record.rows)};
  if (pwrite(fd_, words, kRecordBytes, 0) != static_cast<ssize_t>(kRecordBytes)) {
    return absl::UnavailableError(
        absl::StrCat("cannot write the buffer mark: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

BufferMark& BufferMark::operator=(BufferMark&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void BufferMark::Close() {
  if (fd_ < 0) return;
  close(fd_);
  fd_ = -1;
}

uint64_t LostSinceMark(const MarkRecord& mark, int64_t buffer_last) {
  if (buffer_last >= mark.last_sequence) return 0;
  return std::min<uint64_t>(mark.rows, static_cast<uint64_t>(mark.last_sequence - buffer_last));
}

}  // namespace cairn::sdk
