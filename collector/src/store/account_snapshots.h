#ifndef CAIRN_COLLECTOR_STORE_ACCOUNT_SNAPSHOTS_H_
#define CAIRN_COLLECTOR_STORE_ACCOUNT_SNAPSHOTS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/engagement/day.h"
#include "store/engagement_store.h"
#include "store/store.h"

namespace cairn::collector {

// One account as an evaluation left it: the columns the lists sort and
// filter on, the rendered view, and the day's health history row.
struct AccountSnapshot {
  std::string account_id;
  absl::Time evaluated_at = absl::UnixEpoch();
  engagement::DayIndex day = 0;  // the UTC day of evaluated_at
  int band_rank = 0;             // 0 poor, 1 watch, 2 good
  int score = 0;                 // 0-100
  std::optional<double> trend_ratio;
  int64_t active_users = 0;                   // distinct users with a login in 14 days
  int64_t logins_week = 0;                    // logins of the last 7 days
  std::optional<std::string> alert_severity;  // the open alert's, if any
  // The admin.v1.Account as evaluated, its wire bytes base64-encoded (text
  // in both databases; parsing it is ten times cheaper than JSON).
  std::string view;
  // Factor scores (0..1) of the day's history row; nullopt when the factor
  // was not applicable.
  std::optional<double> frequency, trend, breadth, time_to_value;
};

// A snapshot joined with the account's current settings (the context a
// list shows live, so a settings change needs no evaluation to appear).
struct SnapshotListRow {
  AccountSnapshot snapshot;  // view and the list columns (no factors)
  std::optional<AccountSettings> settings;
};

// How the account list is ordered.
enum class AccountSort {
  kRisk,         // band poor first, then score ascending (the default)
  kScore,        // score ascending
  kScoreDesc,    // score descending
  kAccountId,    // account id ascending
  kRenewal,      // soonest renewal first, accounts without one last
  kArrDesc,      // largest ARR first, accounts without one last
  kTrend,        // lowest trend ratio first, accounts without one last
  kActiveUsers,  // fewest active users first
};

// Parses a sort name ("risk", "score", "-score", "account_id", "renewal_date",
// "-arr", "trend", "active_users"); nullopt for anything else. Free.
std::optional<AccountSort> ParseAccountSort(std::string_view name);

// Filters of the account list; an unset field matches every account. All
// are bound parameters, never spliced into SQL.
struct AccountFilter {
  std::optional<int> band_rank = {};
  std::optional<std::string> owner = {};    // exact
  std::optional<std::string> plan = {};     // exact
  std::optional<std::string> segment = {};  // the account carries this tag
  // Case-insensitive substring of the account id, owner or plan.
  std::optional<std::string> search = {};
  bool open_alert_only = false;
  // Renewal date within [renewal_from, renewal_to] (both inclusive).
  std::optional<engagement::DayIndex> renewal_from = {};
  std::optional<engagement::DayIndex> renewal_to = {};
};

// One page of snapshots and the count of all that match.
struct SnapshotPage {
  std::vector<SnapshotListRow> rows;
  int64_t total = 0;
  std::optional<absl::Time> evaluated_at;  // the newest snapshot's; none if no snapshot
};

// Accounts summed per group (owner, plan, segment or band).
struct AccountGroup {
  std::string key;  // empty: accounts without one
  int64_t accounts = 0;
  int64_t poor = 0, watch = 0, good = 0;
  int64_t arr_cents = 0;          // sum over the accounts that have one
  int64_t arr_at_risk_cents = 0;  // of poor and watch accounts
  double mean_score = 0;
};

// Accounts renewing on one day in one band, and their ARR.
struct RenewalTotal {
  engagement::DayIndex day = 0;
  int band_rank = 0;
  int64_t accounts = 0;
  int64_t arr_cents = 0;  // over the accounts that have one
};

// What to group by.
enum class AccountGrouping { kOwner, kPlan, kSegment, kBand };

// The snapshot tables (store/cs_schema.h) of a Store, through the same
// dialect-neutral SQL as EngagementStore, so SqliteStore and PgStore share
// them. Each method is one read snapshot or one write transaction; failures
// are the store's (Unavailable when busy: retry) or DataLoss for a row that
// does not parse. Thread-safe as the Store is. Holds only the pointer.
class AccountSnapshots {
 public:
  explicit AccountSnapshots(Store* store) : store_(store) {}

  // Upserts each snapshot and its day's history row in one transaction.
  // Cost: two upserts per snapshot.
  absl::Status Put(std::span<const AccountSnapshot> snapshots);

  // The page of [offset, offset + limit) of the accounts matching `filter`
  // in `sort` order (ties by account id), with the total that match; the
  // rendered views only `with_views` (else view is empty). Cost: a
  // sort of the matching rows' narrow columns joined with their settings
  // (10,000 accounts: tens of milliseconds), a count, and the page's views
  // read by key.
  absl::StatusOr<SnapshotPage> List(const AccountFilter& filter, AccountSort sort, size_t offset,
                                    size_t limit, bool with_views = true);

  // Every account matching `filter` summed per group, sorted by key. Cost:
  // one query over the matching snapshots.
  absl::StatusOr<std::vector<AccountGroup>> Group(const AccountFilter& filter,
                                                  AccountGrouping grouping);

  // The accounts matching `filter` that have a renewal date, summed per
  // (renewal day, band), by day then band: the forecast's input. Cost: one
  // grouped query over the matching snapshots.
  absl::StatusOr<std::vector<RenewalTotal>> RenewalTotals(const AccountFilter& filter);

  // True once any account has a snapshot (an evaluation ran). Cost: one
  // row read.
  absl::StatusOr<bool> AnyEvaluated();

  // The account's snapshot, or nullopt if it was never evaluated. Cost: one
  // primary-key read.
  absl::StatusOr<std::optional<AccountSnapshot>> Get(std::string_view account_id);

  // The account's daily health rows from `from_day` on, oldest first
  // (view empty). Cost: one primary-key range read.
  absl::StatusOr<std::vector<AccountSnapshot>> History(std::string_view account_id,
                                                       engagement::DayIndex from_day);

  // Deletes history rows of days before `day` (retention). Returns the rows
  // deleted. Cost: one indexed range delete.
  absl::StatusOr<int64_t> PurgeHistoryBefore(engagement::DayIndex day);

  // Deletes the snapshot and history of accounts no longer in `live` (their
  // data aged out or was erased). Returns how many accounts went. Cost: one
  // scan of the snapshot keys, one delete per account gone.
  absl::StatusOr<int64_t> DropAccountsNotIn(std::span<const std::string> live);

  // Deletes the snapshot and history of exactly the accounts in `gone`.
  // Returns how many had a snapshot. Cost: two indexed deletes per account,
  // in one transaction.
  absl::StatusOr<int64_t> DropAccounts(std::span<const std::string> gone);

 private:
  Store* const store_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_ACCOUNT_SNAPSHOTS_H_
