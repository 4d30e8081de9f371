#ifndef CAIRN_COLLECTOR_AUTH_KEY_RELOADER_H_
#define CAIRN_COLLECTOR_AUTH_KEY_RELOADER_H_

#include <sys/types.h>

#include <ctime>
#include <string>

#include "absl/status/status.h"
#include "auth/write_key_set.h"
#include "ops/metrics.h"

namespace cairn::collector {

// The key files the collector was started with ("" for one given on the
// command line, which cannot change).
struct KeyFilePaths {
  std::string write_key_file;
  std::string admin_token_file;
};

// Re-reads --write-key-file and --admin-token-file (on SIGHUP, or when a
// file changed) and swaps the live key sets, so a revoked key gets 401 on its
// next request without a restart. Called from one thread (main's signal
// loop); the swap itself is safe while requests are checked.
class KeyReloader {
 public:
  // `write_keys` and `admin_tokens` (null: admin API off, stays off) must
  // outlive the reloader. Remembers the files' current state for
  // FilesChanged.
  KeyReloader(KeyFilePaths paths, WriteKeySet* write_keys, WriteKeySet* admin_tokens,
              CollectorMetrics* metrics);

  // Loads both files and, only if both are valid and share no key, replaces
  // both sets. Otherwise keeps the old keys, logs an error (file name and
  // reason, never a key) and returns it. Counts the outcome in `metrics`.
  // Cost: reading the files and a SHA-256 per key.
  absl::Status Reload();

  // True if a key file's size, inode or modification time differs from the
  // last look (which this updates). Cost: a stat(2) per file.
  bool FilesChanged();

 private:
  struct FileState {
    ino_t inode = 0;
    off_t size = -1;
    timespec modified{};
    bool operator==(const FileState& other) const;
  };
  static FileState Look(const std::string& path);

  const KeyFilePaths paths_;
  WriteKeySet* const write_keys_;
  WriteKeySet* const admin_tokens_;
  CollectorMetrics* const metrics_;
  FileState write_key_state_;
  FileState admin_token_state_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_AUTH_KEY_RELOADER_H_
