#ifndef CAIRN_COLLECTOR_STORE_SQLITE_SQLITE_STORE_H_
#define CAIRN_COLLECTOR_STORE_SQLITE_SQLITE_STORE_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "cairn/common/sqlite.h"
#include "store/store.h"

namespace cairn::collector {

struct SqliteStoreOptions {
  // Opens an existing collector database for reading only (the `summary`
  // subcommand): no file is created, no schema is changed, Write fails.
  bool read_only = false;
  // fsync on every commit (synchronous=FULL), so an acknowledged event also
  // survives a power cut. Group commit keeps the cost to one fsync per
  // transaction, not per request.
  bool synchronous_full = true;
  // Secret for the keyed hashes (HMAC-SHA256) of erasure tombstones and the
  // renewal suppression list, at least 16 bytes (--hash-key-file). Empty:
  // 32 random bytes are generated once and kept in the database's settings
  // table, so every process sharing the database hashes alike; anyone with
  // a copy of the database then has the key too. Whichever key is used
  // first is remembered (as a check value); opening with another fails.
  std::string hash_key = {};
  // Page cache of the writer connection, in MiB (--sqlite-cache-mib): the
  // memory bound of the store beyond SQLite's own small allocations. The
  // secondary indexes take inserts all over their B-trees (one insertion
  // point per active user), so SQLite's 2 MiB default makes every commit
  // re-read index pages. 0 keeps SQLite's default. The reader connection
  // keeps the default.
  int cache_mib = 64;
  // WAL pages after which a commit also checkpoints the WAL into the
  // database file (PRAGMA wal_autocheckpoint). A page rewritten by many
  // commits between two checkpoints is copied once, so fewer, larger
  // checkpoints write less; the WAL file grows to about this many pages
  // (8192 pages = 32 MiB at the 4 KiB page size). 0 keeps SQLite's 1000.
  int wal_autocheckpoint_pages = 8192;
  // Read-only connections serving the engagement reads (the admin API's
  // account lists, views and evaluations) concurrently: WAL readers never
  // wait for the writer or for each other. Each keeps SQLite's default
  // 2 MiB page cache. At least 1.
  int engagement_readers = 4;
};

// The default Store: one SQLite file in WAL mode with one writer connection
// and a separate reader connection, so summaries never block ingestion. The
// schema is versioned (PRAGMA user_version) and migrated on open.
class SqliteStore final : public Store {
 public:
  // Schema version this build writes.
  static constexpr int kSchemaVersion = 13;

  // The schema's migration steps, oldest first (step i moves version i to
  // i + 1): for tools and tests that need a database of an older version.
  // Step 8 calls cairn_uuid_key() and cairn_hex_key(), which only the
  // store's own connection has.
  static std::span<const std::string_view> MigrationSteps();

  // Opens or creates the database at `path` and migrates it to
  // kSchemaVersion. Fails with Unavailable if the file cannot be opened,
  // DataLoss if it is not a database, FailedPrecondition if its schema is
  // newer than this build (or, read-only, not a collector database) or the
  // hash key differs from the one the database was first used with;
  // InvalidArgument for a hash key shorter than 16 bytes.
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
  // Store::ExportUser: one read transaction on the reader connection.
  absl::StatusOr<UserExport> ExportUser(std::string_view user_id, size_t max_events) override;
  // Store::EraseUser: one IMMEDIATE transaction on the writer connection.
  absl::StatusOr<ErasureResult> EraseUser(std::string_view user_id, absl::Time now) override;
  // Store::LiftRenewalSuppression: one write transaction, ordered with Write.
  absl::StatusOr<int64_t> LiftRenewalSuppression(std::string_view account_id,
                                                 std::string_view user_id) override;
  // Store::RenewalRecipients: one read on the reader connection.
  absl::StatusOr<RecipientsPage> RenewalRecipients(std::string_view account_id,
                                                   std::string_view after, size_t limit,
                                                   absl::Time now) override;
  // Store::PurgeEventsBefore: one IMMEDIATE transaction on the writer.
  absl::StatusOr<int64_t> PurgeEventsBefore(absl::Time cutoff, size_t max_rows) override;
  // Store::Ping: reads the schema cookie from the file on the reader.
  absl::Status Ping() override;

  // Store::RunEngagementRead: one read transaction on the reader connection.
  absl::Status RunEngagementRead(absl::FunctionRef<absl::Status(SqlRunner&)> body) override;
  // Store::RunEngagementWrite: one IMMEDIATE transaction on the writer.
  absl::Status RunEngagementWrite(absl::FunctionRef<absl::Status(SqlRunner&)> body) override;

  // Store::KeyedHashKey.
  std::string_view KeyedHashKey() const override { return hash_key_; }

  // The keyed hash (lowercase hex HMAC-SHA256 under the hash key) that
  // stands for `user_id` in tombstones and the suppression list.
  std::string UserHash(std::string_view user_id) const;

 private:
  struct WriteStatements;
  struct WriteContext;
  SqliteStore(std::unique_ptr<sqlite::Database> writer, std::unique_ptr<sqlite::Database> reader,
              std::unique_ptr<WriteStatements> statements, std::string hash_key);
  // Prepares the statements every Write reuses on `db` (the writer).
  static absl::StatusOr<std::unique_ptr<WriteStatements>> PrepareWriteStatements(
      sqlite::Database& db);
  // Require write_mu_.
  absl::StatusOr<std::vector<BatchWriteResult>> WriteLocked(std::span<const BatchRecord> batches);
  absl::StatusOr<BatchWriteResult> WriteOne(const BatchRecord& batch, WriteContext& context);
  // Drops what the writer knows of tombstones and consent across writes.
  void ForgetKnownState();
  absl::StatusOr<bool> IsErased(std::string_view user_id, WriteContext& context);
  // The candidate decisions of the event's (user, purpose) covering every
  // moment from `from_us` on, for JudgeEvent (store/consent_rule.h);
  // memoised in `context`, so usually one indexed range read per user and
  // write. Valid until the next call or consent record stored.
  absl::StatusOr<std::span<const consent::PurposeState>> ConsentDecisions(
      const cairn::v1::Event& event, int64_t from_us, WriteContext& context);
  // Stores a consent record, the current state and the suppression change
  // (counted in result.suppressions_kept when a grant may not lift one;
  // `signature_verified`: ingest verified its grant signature); drops the
  // memo entry.
  absl::Status StoreConsentRecord(const cairn::v1::Event& event, const BatchRecord& batch,
                                  bool signature_verified, WriteContext& context,
                                  BatchWriteResult& result);
  // Upserts the pending aggregates (one statement per key) and clears them.
  absl::Status FlushAggregates(WriteContext& context);
  absl::Status AddRejections(const std::map<cairn::v1::RejectReason, int64_t>& counts);

  const std::string hash_key_;  // empty if read-only

  // std::mutex rather than absl::Mutex: Debian's abseil is not annotated for
  // ThreadSanitizer, std::mutex is.
  std::mutex write_mu_;
  std::unique_ptr<sqlite::Database> writer_;     // guarded by write_mu_; null if read-only
  std::unique_ptr<WriteStatements> statements_;  // guarded by write_mu_
  // Tombstones and consent decisions known across writes (WriteContext),
  // at most kMaxKnownSubjects entries (a few MB) before they are dropped.
  static constexpr size_t kMaxKnownSubjects = 50000;
  std::unique_ptr<WriteContext> known_;  // guarded by write_mu_
  // Engagement statements prepared once per connection, by SQL text.
  std::unordered_map<std::string, sqlite::Statement> write_cache_;  // guarded by write_mu_
  std::mutex read_mu_;
  std::unique_ptr<sqlite::Database> reader_;                       // guarded by read_mu_
  std::unordered_map<std::string, sqlite::Statement> read_cache_;  // guarded by read_mu_
  // The engagement readers: a read takes a free one (else waits for one).
  struct EngagementReader {
    std::mutex mu;
    std::unique_ptr<sqlite::Database> db;                      // guarded by mu
    std::unordered_map<std::string, sqlite::Statement> cache;  // guarded by mu
  };
  std::vector<std::unique_ptr<EngagementReader>> engagement_readers_;
  std::atomic<size_t> next_reader_{0};
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_SQLITE_SQLITE_STORE_H_
