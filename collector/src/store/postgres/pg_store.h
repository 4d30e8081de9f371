#ifndef CAIRN_COLLECTOR_STORE_POSTGRES_PG_STORE_H_
#define CAIRN_COLLECTOR_STORE_POSTGRES_PG_STORE_H_

#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "store/daily_aggregates.h"
#include "store/store.h"

namespace cairn::collector {

class PgConnection;
class PgPool;

struct PgStoreOptions {
  // Opens for reading only (the `summary` subcommand): no schema change,
  // Write and the other writes fail with FailedPrecondition.
  bool read_only = false;
  // Secret for the keyed hashes of erasure tombstones and the suppression
  // list, as SqliteStoreOptions::hash_key: empty means one generated key
  // kept in the database's settings table, shared by every collector.
  std::string hash_key = {};
  // Reader connections (summaries, exports, recipients), opened on demand.
  size_t max_readers = 4;
  // Attempts of one Write (or erasure) when PostgreSQL reports a deadlock or
  // serialization failure between collectors; the whole transaction reruns.
  int max_attempts = 5;
};

// The Store on PostgreSQL (libpq), for several stateless collectors sharing
// one database behind a load balancer. Same tables, columns and semantics
// as SqliteStore; nothing a collector keeps in memory must be shared.
//
// Connections: one writer (guarded by a mutex; BatchWriter is its only
// regular caller) and a small reader pool. A lost connection is reset on
// the next call; that call fails with Unavailable if the server is gone.
//
// Concurrency between collectors (READ COMMITTED):
// - Exactly once: the event id (a uuid) is event_rows' primary key and its
//   partition key (pg_partitions.h), so one id has one place. A second
//   collector storing the same id waits for the first to commit, then sees
//   a duplicate (a COPY that meets one is undone and repeated without it).
// - Erasure: Write holds a shared transaction-level advisory lock ("erasure
//   gate"), EraseUser the exclusive one, so an erasure never interleaves
//   with a write: a write that checked the tombstone before the erasure
//   committed is finished (and its rows deleted by the erasure) before the
//   erasure starts deleting.
// - Consent: two writes that touch the same user are equivalent to running
//   them one after the other (a grant and an event stored concurrently
//   behave as if the event came first); consent state and suppression are
//   single-statement upserts.
// - Counters (rejections, client drops) are added once per Write, in key
//   order, to keep lock order fixed; any remaining deadlock or serialization
//   failure reruns the whole Write (max_attempts).
//
// Write: per group of consecutive batches without consent changes, one
// query reading the group's users' tombstones and candidate consent
// decisions, which the consent rule (store/consent_rule.h) judges in
// memory; one binary COPY of the allowed events not seen before in the
// group (under a savepoint: if one is stored already, the COPY is undone
// and repeated without the stored ones); one statement upserting the
// group's daily aggregates, summed per key in memory. Consent changes go
// one by one first (as in SqliteStore), then one row per batch. The rows
// (EventRow) come made from the I/O threads; the writer only stores.
class PgStore final : public Store {
 public:
  // Connects to `uri` (postgresql://...), migrates the schema to
  // kPgSchemaVersion under an advisory lock (safe when several collectors
  // start together) and sets up the hash key race-free. Unavailable if the
  // server cannot be reached; FailedPrecondition for a newer schema (or,
  // read-only, none), or a hash key other than the database's;
  // InvalidArgument for a hash key shorter than 16 bytes.
  static absl::StatusOr<std::unique_ptr<PgStore>> Open(const std::string& uri,
                                                       const PgStoreOptions& options = {});
  ~PgStore() override;

  // Store::Write, one transaction on the writer connection. About 6 round
  // trips per group of batches (begin, consent facts, savepoint, COPY,
  // release, aggregates) plus one per batch and per consent change, and a
  // short transaction of its own when a month's partition is first needed.
  absl::StatusOr<std::vector<BatchWriteResult>> Write(
      std::span<const BatchRecord> batches) override;
  // Store::Summarize: one REPEATABLE READ read-only transaction (one
  // snapshot) on a reader connection.
  absl::StatusOr<StoreSummary> Summarize() override;
  // Store::ExportUser: one REPEATABLE READ read-only transaction.
  absl::StatusOr<UserExport> ExportUser(std::string_view user_id, size_t max_events) override;
  // Store::EraseUser: one transaction on the writer, holding the erasure
  // gate exclusively.
  absl::StatusOr<ErasureResult> EraseUser(std::string_view user_id, absl::Time now) override;
  // Store::LiftRenewalSuppression: one write transaction, ordered with Write.
  absl::StatusOr<int64_t> LiftRenewalSuppression(std::string_view account_id,
                                                 std::string_view user_id) override;
  // Store::RenewalRecipients: one query on a reader connection.
  absl::StatusOr<RecipientsPage> RenewalRecipients(std::string_view account_id,
                                                   std::string_view after, size_t limit,
                                                   absl::Time now) override;
  // Store::PurgeEventsBefore: one short transaction on the writer.
  absl::StatusOr<int64_t> PurgeEventsBefore(absl::Time cutoff, size_t max_rows) override;
  // Store::Ping: SELECT 1 on a pooled reader.
  absl::Status Ping() override;

  // Store::RunEngagementRead: one REPEATABLE READ read-only transaction on
  // a reader connection.
  absl::Status RunEngagementRead(absl::FunctionRef<absl::Status(SqlRunner&)> body) override;
  // Store::RunEngagementWrite: one transaction on the writer, rerun (with
  // `body`) after a deadlock or serialization failure like Write.
  absl::Status RunEngagementWrite(absl::FunctionRef<absl::Status(SqlRunner&)> body) override;

  // Store::KeyedHashKey.
  std::string_view KeyedHashKey() const override { return hash_key_; }

  // The keyed hash (lowercase hex HMAC-SHA256) standing for `user_id` in
  // tombstones and the suppression list; equal to SqliteStore's under the
  // same key.
  std::string UserHash(std::string_view user_id) const;

 private:
  struct WriteContext;
  PgStore(const PgStoreOptions& options, std::unique_ptr<PgConnection> writer,
          std::unique_ptr<PgPool> readers, std::string hash_key);
  // Require write_mu_.
  // Creates the month partitions `rows` need (pg_partitions.h) and the
  // months ahead, each in a short transaction of its own; nothing when the
  // cache says they exist, which is almost always.
  absl::Status EnsurePartitions(std::span<const std::span<const EventRow>> rows);
  absl::StatusOr<std::vector<BatchWriteResult>> TryWrite(
      std::span<const BatchRecord> batches, std::span<const std::span<const EventRow>> rows);
  absl::Status WriteConsentChange(size_t b, const BatchRecord& batch, const EventRow& row,
                                  size_t index, BatchWriteResult& result, WriteContext& context);
  absl::Status FlushGroup(std::span<const BatchRecord> batches,
                          std::span<const std::span<const EventRow>> rows,
                          std::vector<BatchWriteResult>& results, WriteContext& context);
  // COPYs `events` ((batch, event) pairs) into event_rows. With
  // `may_fail`, under a savepoint: AlreadyExists, with nothing stored, if
  // one is stored already; without, that is Aborted (the write reruns).
  absl::Status CopyEvents(std::span<const BatchRecord> batches,
                          std::span<const std::span<const EventRow>> rows,
                          std::span<const std::pair<size_t, size_t>> events, bool may_fail);
  // Stores the daily aggregates summed for a group's new events (one
  // statement) and empties `sums`.
  absl::Status FlushAggregates(DailyAggregates& sums);
  absl::StatusOr<bool> IsErased(std::string_view user_id, WriteContext& context);
  // Runs `attempt` (a whole transaction on the writer) until it succeeds,
  // fails with something other than Aborted, or max_attempts is reached.
  template <typename Fn>
  auto WithRetries(Fn attempt) -> decltype(attempt());

  const PgStoreOptions options_;
  const std::string hash_key_;  // empty if read-only
  std::unique_ptr<PgPool> readers_;

  // std::mutex: Debian's abseil is not annotated for ThreadSanitizer.
  std::mutex write_mu_;
  std::unique_ptr<PgConnection> writer_;  // guarded by write_mu_; null if read-only
  // Months with a partition, as last seen; guarded by write_mu_. A month
  // dropped since by another collector only sends rows to the default
  // partition until the next look.
  std::set<int64_t> partitions_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_POSTGRES_PG_STORE_H_
