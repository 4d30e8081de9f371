#ifndef CAIRN_CONSENT_CONSENT_LOG_H_
#define CAIRN_CONSENT_CONSENT_LOG_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cairn/consent/consent_state.h"

namespace cairn::sqlite {
class Database;
}

namespace cairn::consent {

// One record as the log keeps it: the decision itself plus what is needed to
// deliver it as a ConsentChange event exactly once.
struct LogEntry {
  int64_t position = 0;  // 1, 2, ... in append order; set by Append
  ConsentRecord record;
  std::string account_id;  // the subject's account (the event envelope needs it)
  std::string event_id;    // stable id of the record's ConsentChange event
  bool delivered = false;  // the collector has acknowledged the event
};

// Where consent records are kept. Records are appended and never edited or
// removed (they are the proof of consent, Art. 7(1)); only their delivery
// state changes. Implementations are not thread-safe: callers lock.
class ConsentLog {
 public:
  virtual ~ConsentLog() = default;

  // Appends `entry` (its position is ignored) and returns its position.
  // Durable when it returns OK; an entry not marked delivered is queued for
  // delivery. Fails (storage error) without appending anything.
  virtual absl::StatusOr<int64_t> Append(const LogEntry& entry) = 0;

  // Every entry, oldest first. Cost: linear in the log.
  virtual absl::StatusOr<std::vector<LogEntry>> LoadAll() = 0;

  // The oldest entries not yet delivered, at most `max`.
  virtual absl::StatusOr<std::vector<LogEntry>> Undelivered(size_t max) = 0;

  // Marks entries delivered (unknown positions are ignored). One transaction.
  virtual absl::Status MarkDelivered(std::span<const int64_t> positions) = 0;
};

// A ConsentLog in its own SQLite file (WAL, schema versioned with
// user_version). The records table refuses UPDATE and DELETE by trigger, so
// not even a bug in this process can rewrite history. About 250 bytes per
// record on disk.
class SqliteConsentLog : public ConsentLog {
 public:
  // Opens or creates the log at `path` and checks it page by page.
  // DataLoss if the file is damaged or not a database (the caller decides
  // whether to move it aside); Unavailable if it cannot be opened.
  static absl::StatusOr<std::unique_ptr<SqliteConsentLog>> Open(const std::string& path);
  ~SqliteConsentLog() override;

  absl::StatusOr<int64_t> Append(const LogEntry& entry) override;
  absl::StatusOr<std::vector<LogEntry>> LoadAll() override;
  absl::StatusOr<std::vector<LogEntry>> Undelivered(size_t max) override;
  absl::Status MarkDelivered(std::span<const int64_t> positions) override;

 private:
  explicit SqliteConsentLog(std::unique_ptr<sqlite::Database> db);
  absl::StatusOr<std::vector<LogEntry>> Select(std::string_view where_and_order, int64_t limit);

  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace cairn::consent

#endif  // CAIRN_CONSENT_CONSENT_LOG_H_
