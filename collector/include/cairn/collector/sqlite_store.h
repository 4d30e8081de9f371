#ifndef CAIRN_COLLECTOR_SQLITE_STORE_H_
#define CAIRN_COLLECTOR_SQLITE_STORE_H_

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cairn/collector/store.h"
#include "cairn/common/sqlite.h"

namespace cairn::collector {

struct SqliteStoreOptions {
  // Opens an existing collector database for reading only (the `summary`
  // subcommand): no file is created, no schema is changed, Write fails.
  bool read_only = false;
  // fsync on every commit (synchronous=FULL), so an acknowledged event also
  // survives a power cut. Group commit keeps the cost to one fsync per
  // transaction, not per request.
  bool synchronous_full = true;
};

// The default Store: one SQLite file in WAL mode with one writer connection
// and a separate reader connection, so summaries never block ingestion. The
// schema is versioned (PRAGMA user_version) and migrated on open.
class SqliteStore final : public Store {
 public:
  // Schema version this build writes.
  static constexpr int kSchemaVersion = 1;

  // Opens or creates the database at `path` and migrates it to
  // kSchemaVersion. Fails with Unavailable if the file cannot be opened,
  // DataLoss if it is not a database, FailedPrecondition if its schema is
  // newer than this build (or, read-only, not a collector database).
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           const SqliteStoreOptions& options = {});
  // Closes both connections; the WAL is checkpointed into the file.
  ~SqliteStore() override;

  // Store::Write: one IMMEDIATE transaction on the writer connection;
  // `INSERT ... ON CONFLICT(event_id) DO NOTHING` tells new from duplicate.
  // FailedPrecondition if opened read-only.
  absl::StatusOr<std::vector<BatchWriteResult>> Write(
      std::span<const BatchRecord> batches) override;
  // Store::Summarize: one read transaction on the reader connection, so it
  // never blocks Write.
  absl::StatusOr<StoreSummary> Summarize() override;

 private:
  struct WriteStatements;
  SqliteStore(std::unique_ptr<sqlite::Database> writer, std::unique_ptr<sqlite::Database> reader,
              std::unique_ptr<WriteStatements> statements);
  // Requires write_mu_.
  absl::StatusOr<BatchWriteResult> WriteOne(const BatchRecord& batch);

  // std::mutex rather than absl::Mutex: Debian's abseil is not annotated for
  // ThreadSanitizer, std::mutex is.
  std::mutex write_mu_;
  std::unique_ptr<sqlite::Database> writer_;       // guarded by write_mu_; null if read-only
  std::unique_ptr<WriteStatements> statements_;    // guarded by write_mu_
  std::mutex read_mu_;
  std::unique_ptr<sqlite::Database> reader_;       // guarded by read_mu_
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SQLITE_STORE_H_
