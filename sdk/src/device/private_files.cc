#include "sdk/src/device/private_files.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/src/platform/platform.h"

namespace cairn::sdk {
namespace {

absl::Status Unavailable(const char* what, const std::string& path, absl::string_view reason) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", reason));
}

}  // namespace

absl::Status PrepareStorageDir(const std::string& dir) {
  const std::filesystem::path target = std::filesystem::path(dir).lexically_normal();
  std::filesystem::path so_far;
  for (const std::filesystem::path& part : target) {
    so_far /= part;
    if (part.empty() || part == "/") continue;
    // Parents that exist are the app's choice; only what this call makes,
    // and the storage directory itself, are made private.
    if (absl::Status s = platform::CreateOwnerOnlyDirectory(so_far.string()); !s.ok()) {
      return Unavailable("cannot create storage_dir", so_far.string(), s.message());
    }
  }
  absl::Status s = platform::RestrictDirectoryToOwner(target.string());
  if (absl::IsFailedPrecondition(s)) {
    return absl::UnavailableError(absl::StrCat("storage_dir ", dir, " is not a directory"));
  }
  if (!s.ok()) return Unavailable("cannot make storage_dir private", dir, s.message());
  return absl::OkStatus();
}

absl::Status MakePrivateFile(const std::string& path) {
  absl::StatusOr<platform::FileHandle> file = platform::OpenOwnerOnlyFile(
      path, platform::OpenMode::kCreateReadWrite, platform::Links::kRefuse);
  if (!file.ok()) return Unavailable("cannot create", path, file.status().message());
  // Best effort: a mode that cannot be narrowed does not stop the client.
  platform::RestrictFileToOwner(*file).IgnoreError();
  // Companions an earlier run (or an older SDK) left with a wider mode.
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    absl::StatusOr<platform::FileHandle> companion = platform::OpenOwnerOnlyFile(
        path + suffix, platform::OpenMode::kExistingReadOnly, platform::Links::kRefuse);
    if (!companion.ok()) continue;  // absent: SQLite creates it from the main file's mode
    platform::RestrictFileToOwner(*companion).IgnoreError();
  }
  return absl::OkStatus();
}

}  // namespace cairn::sdk
