#ifndef CAIRN_COLLECTOR_SUCCESS_HEALTH_SNAPSHOTS_H_
#define CAIRN_COLLECTOR_SUCCESS_HEALTH_SNAPSHOTS_H_

#include <cstdint>
#include <mutex>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/account_snapshots.h"
#include "store/store.h"
#include "success/account_health.h"
#include "success/alert_evaluator.h"

namespace cairn::collector {

// How long daily health rows are kept by default (a year and a quarter, so a
// renewal's health a year back and its season can still be read).
inline constexpr int kDefaultHealthHistoryDays = 456;

// Keeps the account snapshot tables current: an evaluation computes every
// account once (AccountHealth) and stores what the lists read, so a page of
// the account list, the renewals or a summary is one indexed query instead
// of a computation over the whole book. Refreshes are serialised; reads of
// the tables never wait for one. Thread-safe.
class HealthSnapshots {
 public:
  // `history_days`: daily rows older than this many days are purged by
  // RefreshAll. `store` must outlive this object.
  explicit HealthSnapshots(Store* store, int history_days = kDefaultHealthHistoryDays);

  // Recomputes every account (EngagementStore::ListAccountIds) as of `now`,
  // stores them in transactions of 500 accounts, drops the snapshots of
  // accounts that no longer have data or settings, purges old history.
  // Returns the accounts stored. Cost: AccountHealth::Compute per account
  // (about a millisecond each) plus the writes. Fails with the store's
  // error; accounts stored before the failure keep their new snapshot.
  absl::StatusOr<int64_t> RefreshAll(absl::Time now);

  // A full evaluation in one pass: for every account, `evaluator`'s alert
  // step (AlertEvaluator::EvaluateInput) and its snapshot from the same rows,
  // read once for both, so it costs about one RefreshAll instead of
  // EvaluateAll plus RefreshAll. Returns the alert counts (also logged).
  // Fails with the store's error; accounts done before it keep their alert
  // steps, and snapshots as RefreshAll.
  absl::StatusOr<AlertEvaluationCounts> EvaluateAndRefreshAll(AlertEvaluator& evaluator,
                                                              absl::Time now);

  // Recomputes the given accounts (after their settings changed or a user
  // of theirs was erased). An account with neither data nor settings left
  // loses its snapshot. Cost and failures: as RefreshAll per account.
  absl::Status RefreshAccounts(std::span<const std::string> account_ids, absl::Time now);

  // Runs RefreshAll if no account was ever evaluated, so a first read of a
  // fresh collector shows the book. Cost: one query when evaluated.
  absl::Status EnsureEvaluated(absl::Time now);

  // The snapshot row of a computed view (its admin.v1.Account). Cost:
  // serialising one message.
  static AccountSnapshot SnapshotOf(const AccountView& view, absl::Time now);

 private:
  absl::Status PutChunked(std::span<const AccountView> views, absl::Time now);
  absl::StatusOr<int64_t> RefreshAllLocked(absl::Time now,
                                           const AccountHealth::BeforeView* before_view);
  Store* const store_;
  const int history_days_;
  AccountHealth health_;
  AccountSnapshots tables_;
  std::mutex refresh_mu_;  // one refresh at a time
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_HEALTH_SNAPSHOTS_H_
