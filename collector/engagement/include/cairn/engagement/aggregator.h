#ifndef CAIRN_ENGAGEMENT_AGGREGATOR_H_
#define CAIRN_ENGAGEMENT_AGGREGATOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cairn/consent/purpose.h"
#include "cairn/engagement/aggregates.h"
#include "cairn/engagement/day.h"

namespace cairn::engagement {

// The event kinds engagement counts (logouts and sessions do not count).
enum class EventKind {
  kLogin,      // purpose usage_analytics
  kMilestone,  // purpose milestones
};

// One stored event as the aggregation sees it. The strings are views: the
// caller keeps them alive for the duration of Fold.
struct Event {
  std::string_view account_id;
  std::string_view user_id;
  EventKind kind = EventKind::kLogin;
  std::string_view milestone_name;  // milestones only
  std::optional<double> value;      // milestones only, optional
  // The collector's skew-corrected occurred_at (what the store keeps).
  absl::Time occurred_at = absl::UnixEpoch();
  // Whether the user had granted the event's purpose when it occurred, as
  // the collector's consent check decided.
  bool consented = false;
};

// Config the vendor sets per account (admin API), not derived from events.
struct AccountConfig {
  std::optional<int64_t> seats;
  std::vector<std::string> key_milestones;
};

// In-memory reference of the store's incremental aggregation: folds events
// into the rows of aggregates.h, exactly as the SQL upserts will. Used by
// tests and the benchmark; the SQL version must give the same snapshots.
// Not thread-safe (one writer, like the store's BatchWriter).
class Aggregator {
 public:
  // Folds one event: a login adds 1 to its (account, user, day) and lowers
  // the user's first login; a milestone adds 1 (and its value) to its
  // (account, user, name, day) and lowers its first-reached time. An event
  // without consent is skipped (OK, counted in skipped_unconsented()).
  // Cost: two hash look-ups and a search in the user's sorted days (the
  // last one for events in time order): about 1.3 us CPU per event with
  // 10,000 accounts, mostly cache misses (bench/engagement_bench.cc). Fails with InvalidArgument
  // (nothing changed) for an empty account or user id, a milestone without a name, or an infinite
  // time.
  absl::Status Fold(const Event& event);

  // Erasure (Art. 17): removes every row of `user_id` in every account.
  // Returns how many accounts held the user. Cost: O(accounts).
  int RemoveUser(std::string_view user_id);

  // Consent withdrawal: removes the rows `purpose` produced for `user_id`
  // (usage_analytics: login days and first login; milestones: milestone
  // rows), so nothing collected under it keeps counting. Other purposes do
  // nothing. Returns how many accounts held such rows. Cost: O(accounts).
  int RemovePurpose(std::string_view user_id, consent::Purpose purpose);

  // The engagement input of `account_id` as of `now`: login rows of the
  // kHistoryDays days ending on DayOf(now) (later days dropped), all first
  // logins and milestones, and `config`. An unknown account gives an input
  // with no rows. Cost: O(rows of the account).
  AccountInput Snapshot(std::string_view account_id, const AccountConfig& config,
                        absl::Time now) const;

  // Every milestone day row of `account_id` (goal progress reads them).
  // Cost: O(rows of the account).
  std::vector<UserMilestoneDay> MilestoneDays(std::string_view account_id) const;

  // Accounts with at least one row, in no particular order.
  std::vector<std::string> AccountIds() const;

  int64_t folded() const { return folded_; }
  int64_t skipped_unconsented() const { return skipped_unconsented_; }

 private:
  // Why std::string keys with a transparent hash: Fold looks up views
  // without building a string per event.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, Hash, std::equal_to<>>;

  struct DayCount {
    DayIndex day;
    int64_t events;
    double value_sum;
  };
  struct MilestoneRows {
    absl::Time first_reached = absl::InfiniteFuture();
    std::vector<DayCount> days;  // sorted by day
  };
  struct UserRows {
    std::vector<DayCount> login_days;  // sorted by day; value_sum unused
    absl::Time first_login = absl::InfiniteFuture();
    StringMap<MilestoneRows> milestones;
    bool empty() const { return login_days.empty() && milestones.empty(); }
  };
  struct AccountRows {
    StringMap<UserRows> users;
  };

  // Adds to the row of `day`, inserting it in order; events mostly arrive
  // in time order, so the common case is the last row or an append.
  static void AddToDay(std::vector<DayCount>& days, DayIndex day, double value);

  StringMap<AccountRows> accounts_;
  int64_t folded_ = 0;
  int64_t skipped_unconsented_ = 0;
};

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_AGGREGATOR_H_
