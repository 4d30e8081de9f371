#include "sdk/src/device/buffer_mark.h"

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

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
  absl::StatusOr<platform::FileHandle> file = platform::OpenOwnerOnlyFile(
      path, platform::OpenMode::kCreateReadWrite, platform::Links::kFollow);
  if (!file.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", path, ": ", file.status().message()));
  }
  file_ = *std::move(file);
  // A mark an older version left readable to others. Best effort: the mark
  // holds two counts, nothing personal.
  platform::RestrictFileToOwner(file_).IgnoreError();
  return absl::OkStatus();
}

std::optional<MarkRecord> BufferMark::Read() const {
  if (!file_.is_open()) return std::nullopt;
  uint64_t words[3];
  absl::StatusOr<size_t> read = platform::ReadAt(file_, 0, words, kRecordBytes);
  if (!read.ok() || *read != kRecordBytes) return std::nullopt;
  if (words[2] != Checksum(words[0], words[1])) return std::nullopt;
  return MarkRecord{static_cast<int64_t>(words[0]), words[1]};
}

absl::Status BufferMark::Write(const MarkRecord& record) {
  if (!file_.is_open()) return absl::UnavailableError("the buffer mark is not open");
  const uint64_t last = static_cast<uint64_t>(record.last_sequence);
  const uint64_t words[3] = {last, record.rows, Checksum(last, record.rows)};
  const std::string_view bytes(reinterpret_cast<const char*>(words), kRecordBytes);
  if (absl::Status s = platform::WriteAt(file_, 0, bytes); !s.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot write the buffer mark: ", s.message()));
  }
  return absl::OkStatus();
}

void BufferMark::Close() { file_.Close(); }

uint64_t LostSinceMark(const MarkRecord& mark, int64_t buffer_last) {
  if (buffer_last >= mark.last_sequence) return 0;
  return std::min<uint64_t>(mark.rows, static_cast<uint64_t>(mark.last_sequence - buffer_last));
}

}  // namespace cairn::sdk
