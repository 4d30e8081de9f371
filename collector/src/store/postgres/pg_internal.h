// Private to the PostgreSQL store's sources (pg_*.cc): what more than one
// of them needs. Not part of the collector's API.
#ifndef CAIRN_COLLECTOR_STORE_POSTGRES_PG_INTERNAL_H_
#define CAIRN_COLLECTOR_STORE_POSTGRES_PG_INTERNAL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "ops/log.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_store.h"
#include "store/sql_runner.h"

namespace cairn::collector {

// Transaction-level advisory lock that orders erasures against writes:
// "cairnera" in ASCII.
inline constexpr int64_t kErasureGateKey = 0x636169726e657261;

// A caller's row limit plus one (to tell "more" from "exactly"), kept far
// from int64 overflow.
inline int64_t LimitPlusOne(size_t limit) {
  return static_cast<int64_t>(std::min<size_t>(limit, size_t{1} << 40)) + 1;
}

// Runs `body` in a REPEATABLE READ read-only transaction, so every query in
// it reads the same snapshot.
template <typename Body>
absl::Status InSnapshot(PgConnection& conn, Body body) {
  if (absl::Status s = conn.Run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !s.ok()) {
    return s;
  }
  absl::Status s = body();
  if (s.ok()) s = conn.Run("COMMIT");
  if (!s.ok()) conn.RollbackQuietly();
  return s;
}

template <typename Fn>
auto PgStore::WithRetries(Fn attempt) -> decltype(attempt()) {
  for (int n = 1;; ++n) {
    if (!writer_->EnsureConnected()) {
      return absl::UnavailableError("the connection to PostgreSQL is lost and cannot be reset");
    }
    auto result = attempt();
    if (result.ok()) return result;
    writer_->RollbackQuietly();
    // Aborted: a deadlock or serialization failure between collectors; the
    // rerun sees the other transaction's rows. Unavailable once: the server
    // closed the connection (restart, failover); a rerun after reconnecting
    // is safe because every write is idempotent by event_id and batch_id.
    const absl::StatusCode code = result.status().code();
    const bool retry =
        code == absl::StatusCode::kAborted || (code == absl::StatusCode::kUnavailable && n == 1);
    if (!retry || n >= options_.max_attempts) return result;
    Log(LogLevel::kWarning, "pg_transaction_retry",
        {{"attempt", std::to_string(n)}, {"code", absl::StatusCodeToString(code)}});
  }
}

// A SqlRunner over `conn` (which must outlive it), for the dialect-neutral
// code of store/ (engagement tables, user data) inside a transaction the
// caller opened on that connection.
std::unique_ptr<SqlRunner> MakePgRunner(PgConnection& conn);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_POSTGRES_PG_INTERNAL_H_
