#include "sdk/src/device/quarantine.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sdk/src/device/private_files.h"

namespace cairn::sdk {
namespace {

// Keeps the newest few damaged buffers for inspection, never an unbounded pile.
constexpr int kKeptQuarantinedFiles = 2;

}  // namespace

void MoveAside(const std::string& path, absl::Time now) {
  std::string suffix = absl::StrCat(".corrupt-", absl::ToUnixMillis(now));
  std::error_code ec;
  for (const char* part : {"", "-wal", "-shm"}) {
    std::string from = path + part;
    if (std::filesystem::exists(from, ec)) {
      std::filesystem::rename(from, absl::StrCat(path, suffix, part), ec);
      if (ec) std::filesystem::remove(from, ec);
    }
  }
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::string prefix = std::filesystem::path(path).filename().string() + ".corrupt-";
  std::vector<std::filesystem::path> kept;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.find('-', prefix.size()) == std::string::npos) {
      kept.push_back(entry.path());
    }
  }
  std::sort(kept.begin(), kept.end());  // same-width millisecond stamps: oldest first
  for (size_t i = 0; i + kKeptQuarantinedFiles < kept.size(); ++i) {
    for (const char* part : {"", "-wal", "-shm"}) {
      std::filesystem::remove(kept[i].string() + part, ec);
    }
  }
}

absl::StatusOr<std::unique_ptr<EventBuffer>> OpenOrQuarantine(const std::string& path,
                                                              uint64_t max_file_bytes,
                                                              uint64_t& quarantined) {
  absl::StatusOr<std::unique_ptr<EventBuffer>> buffer = EventBuffer::Open(path, max_file_bytes);
  absl::Status status = buffer.ok() ? (*buffer)->Check() : buffer.status();
  if (status.ok()) return buffer;
  if (!absl::IsDataLoss(status)) return status;
  buffer = absl::StatusOr<std::unique_ptr<EventBuffer>>();  // closes the file
  MoveAside(path, absl::Now());
  ++quarantined;
  if (absl::Status s = MakePrivateFile(path); !s.ok()) return s;
  return EventBuffer::Open(path, max_file_bytes);
}

}  // namespace cairn::sdk
