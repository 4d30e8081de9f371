#ifndef CAIRN_COLLECTOR_STORE_H_
#define CAIRN_COLLECTOR_STORE_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/v1/batch.pb.h"
#include "cairn/v1/event.pb.h"

namespace cairn::collector {

// One received batch, already validated: `events` holds only the events that
// passed the contract's rules, in their batch order. The store de-duplicates
// them by event_id.
struct BatchRecord {
  std::string batch_id;
  std::string install_id;
  // Device clock when the batch was sent (InfinitePast if the device gave none).
  absl::Time sent_at = absl::InfinitePast();
  // Collector clock when the request arrived.
  absl::Time received_at = absl::UnixEpoch();
  // Events in the batch as sent, and how many of them validation refused.
  int64_t event_count = 0;
  int64_t rejected = 0;
  // Device drop counters (Batch.dropped), merged by reason. Added to the
  // install's totals only the first time this batch_id is seen.
  std::map<cairn::v1::DropReason, uint64_t> drops;
  std::vector<cairn::v1::Event> events;
};

// What happened to one event of a write.
enum class EventOutcome {
  kInserted,   // stored by this write
  kDuplicate,  // its event_id was already stored (earlier or in this write)
};

// The result of writing one BatchRecord.
struct BatchWriteResult {
  // One outcome per BatchRecord::events entry, same order.
  std::vector<EventOutcome> outcomes;
  int64_t inserted = 0;
  int64_t duplicates = 0;
  // False if the batch_id had been recorded before (a retry): its drop
  // counters were not added again.
  bool first_delivery = true;
};

// One customer account in the human summary.
struct AccountSummary {
  std::string account_id;
  int64_t users = 0;
  int64_t logins = 0;
  // Distinct milestone names reached by any of the account's users.
  int64_t milestones_reached = 0;
  // Latest occurred_at (device time) of any of the account's events.
  absl::Time last_activity = absl::InfinitePast();
};

// A read-only overview of what the store holds, for operators and the demo.
struct StoreSummary {
  int64_t total_events = 0;
  // Event count per kind: "login", "logout", "session_end", "milestone",
  // "consent_change". Kinds with no events are absent.
  std::map<std::string, int64_t> events_by_kind;
  int64_t accounts = 0;
  int64_t users = 0;
  // The most recently active accounts, newest first, at most
  // kMaxSummaryAccounts of them (`accounts` tells the full count).
  std::vector<AccountSummary> top_accounts;
  // Distinct batch_ids received.
  int64_t batches = 0;
  // Device-reported drops summed over all installs, by reason.
  std::map<cairn::v1::DropReason, int64_t> client_drops;
};

// Bound on StoreSummary::top_accounts so a summary stays readable and cheap.
inline constexpr int kMaxSummaryAccounts = 50;

// Where validated events go. Implementations: SqliteStore now; a PostgreSQL
// store later behind the same interface. Implementations are thread-safe,
// but callers should keep one writer (BatchWriter) for group commit.
class Store {
 public:
  virtual ~Store() = default;

  // Stores the events of `batches` and records each batch, all in one
  // transaction: either everything is durable when this returns OK, or
  // nothing was stored. Returns one result per batch, same order. An event
  // whose event_id is already stored (or repeated in the same write) is a
  // duplicate, never an error. Cost: one index probe and insert per event
  // plus one commit (fsync) for the whole call. Fails with Unavailable or
  // ResourceExhausted when storage is busy or full; the caller may retry.
  virtual absl::StatusOr<std::vector<BatchWriteResult>> Write(
      std::span<const BatchRecord> batches) = 0;

  // Computes the human summary. Cost: a few scans of the events table; meant
  // for operators and demos, not for request paths. Fails like Write.
  virtual absl::StatusOr<StoreSummary> Summarize() = 0;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_H_
