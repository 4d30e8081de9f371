#include "auth/key_reloader.h"

#include <sys/stat.h>

#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ops/log.h"

namespace cairn::collector {

bool KeyReloader::FileState::operator==(const FileState& other) const {
  return inode == other.inode && size == other.size && modified.tv_sec == other.modified.tv_sec &&
         modified.tv_nsec == other.modified.tv_nsec;
}

KeyReloader::FileState KeyReloader::Look(const std::string& path) {
  FileState state;
  struct stat info {};
  if (path.empty() || stat(path.c_str(), &info) != 0) return state;
  state.inode = info.st_ino;
  state.size = info.st_size;
  state.modified = info.st_mtim;
  return state;
}

KeyReloader::KeyReloader(KeyFilePaths paths, WriteKeySet* write_keys, WriteKeySet* admin_tokens,
                         CollectorMetrics* metrics)
    : paths_(std::move(paths)),
      write_keys_(write_keys),
      admin_tokens_(admin_tokens),
      metrics_(metrics),
      write_key_state_(Look(paths_.write_key_file)),
      admin_token_state_(Look(paths_.admin_token_file)) {}

bool KeyReloader::FilesChanged() {
  FileState write_now = Look(paths_.write_key_file);
  FileState admin_now = Look(paths_.admin_token_file);
  bool changed = !(write_now == write_key_state_) || !(admin_now == admin_token_state_);
  write_key_state_ = write_now;
  admin_token_state_ = admin_now;
  return changed;
}

absl::Status KeyReloader::Reload() {
  auto fail = [this](std::string_view file, const absl::Status& status) {
    metrics_->AddKeyReload(false);
    // The message names the file and the line number at most: never a key.
    Log(LogLevel::kError, "keys_reload_failed",
        {{"file", std::string(file)}, {"error", std::string(status.message())}});
    return status;
  };
  std::optional<WriteKeySet> write_keys;
  if (!paths_.write_key_file.empty()) {
    absl::StatusOr<WriteKeySet> loaded = WriteKeySet::FromFile(paths_.write_key_file);
    if (!loaded.ok()) return fail("write_key_file", loaded.status());
    write_keys.emplace(*std::move(loaded));
  }
  std::optional<WriteKeySet> admin_tokens;
  if (admin_tokens_ != nullptr && !paths_.admin_token_file.empty()) {
    absl::StatusOr<WriteKeySet> loaded = WriteKeySet::FromFile(paths_.admin_token_file);
    if (!loaded.ok()) return fail("admin_token_file", loaded.status());
    admin_tokens.emplace(*std::move(loaded));
  }
  // The admin token must stay apart from every write key, as at start.
  const WriteKeySet& new_writes = write_keys ? *write_keys : *write_keys_;
  if (admin_tokens_ != nullptr) {
    const WriteKeySet& new_admins = admin_tokens ? *admin_tokens : *admin_tokens_;
    if (new_writes.SharesAKeyWith(new_admins)) {
      return fail(write_keys ? "write_key_file" : "admin_token_file",
                  absl::InvalidArgumentError("the admin token must differ from every write key"));
    }
  }
  if (write_keys) write_keys_->ReplaceWith(*write_keys);
  if (admin_tokens) admin_tokens_->ReplaceWith(*admin_tokens);
  metrics_->AddKeyReload(true);
  Log(LogLevel::kInfo, "keys_reloaded",
      {{"write_keys", std::to_string(write_keys_->size())},
       {"admin_tokens", std::to_string(admin_tokens_ != nullptr ? admin_tokens_->size() : 0)}});
  return absl::OkStatus();
}

}  // namespace cairn::collector
