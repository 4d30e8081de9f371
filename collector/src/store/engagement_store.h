#ifndef CAIRN_COLLECTOR_STORE_ENGAGEMENT_STORE_H_
#define CAIRN_COLLECTOR_STORE_ENGAGEMENT_STORE_H_

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
#include "cairn/engagement/aggregates.h"
#include "cairn/engagement/alert_tracker.h"
#include "cairn/engagement/day.h"
#include "cairn/engagement/drop_rule.h"
#include "cairn/engagement/goals.h"
#include "store/sql_runner.h"
#include "store/store.h"

namespace cairn::collector {

// Most key milestones one account may define.
inline constexpr size_t kMaxKeyMilestones = 32;

// Most segment tags one account may carry.
inline constexpr size_t kMaxSegments = 16;

// What the vendor sets per account through the admin API: the settings the
// health formulas read, and the account's business context, which the
// account list filters and groups by. None of it is personal data: the
// owner is the CSM's name (the vendor's staff), never an end user's id.
struct AccountSettings {
  std::string account_id;
  std::optional<int64_t> seats;                      // >= 0 when set
  std::optional<engagement::DayIndex> renewal_date;  // a UTC day
  std::vector<std::string> key_milestones;           // valid milestone names
  std::optional<std::string> owner;                  // the account's CSM
  std::optional<std::string> plan;                   // e.g. "enterprise"
  std::optional<int64_t> arr_cents;                  // annual recurring revenue, >= 0
  std::vector<std::string> segments;                 // tags, sorted, distinct
};

// The account_settings columns ParseAccountSettings reads, in its order,
// each prefixed with "`table`." (a join's alias). Cost: a small string.
std::string AccountSettingsColumns(std::string_view table);
// One row of those columns; DataLoss if it does not parse. Free.
absl::StatusOr<AccountSettings> ParseAccountSettings(const SqlRow& row);

// A goal as stored: the engagement::Goal plus its id.
struct StoredGoal {
  std::string goal_id;
  engagement::Goal goal;
  absl::Time created_at = absl::UnixEpoch();
};

// Where the webhook delivery of an alert stands.
enum class DeliveryState {
  kPending,    // to send (again) at next_attempt_at
  kDelivered,  // the receiver answered 2xx; never sent again
  kFailed,     // gave up after the attempt limit (or no webhook configured)
};

// "pending", "delivered", "failed".
std::string_view DeliveryStateName(DeliveryState state);

// One usage alert (one per episode) and its webhook delivery.
struct StoredAlert {
  std::string alert_id;
  std::string account_id;
  // The strongest state of the episode: kDeclining, kDrop or kSevere.
  engagement::DropState severity = engagement::DropState::kDrop;
  // What opened it: "drop" (a week against the 4 before, or severe) or
  // "declining" (the 12-week trend). Stays when the episode escalates.
  std::string kind = "drop";
  // The fitted 12-week loss when it opened, if the trend was measured.
  std::optional<double> loss_12w;
  // Set by a person: acknowledged (the first time counts) and snoozed
  // (hidden from the open list until then).
  std::optional<absl::Time> acknowledged_at;
  std::optional<absl::Time> snoozed_until;
  bool open = true;
  absl::Time opened_at = absl::UnixEpoch();
  std::optional<absl::Time> escalated_at;
  std::optional<absl::Time> resolved_at;
  // The evaluation that opened the alert.
  int64_t this_week = 0;
  double baseline_mean = 0;
  double ratio = 0;
  // The webhook body, fixed when the alert opened so a resend is identical.
  std::string payload;
  DeliveryState delivery = DeliveryState::kPending;
  int64_t attempts = 0;
  std::string last_error;
  absl::Time next_attempt_at = absl::UnixEpoch();
};

// The persisted episode of one account and its current alert.
struct AccountEpisode {
  engagement::AlertEpisode episode;
  std::string alert_id;    // the open (or last) episode's alert; empty if none
  bool persisted = false;  // read from a stored row (false: none yet)
};

// The typed API of the engagement tables of a Store (SqliteStore or
// PgStore; both run the same SQL through Store::RunEngagementRead/Write).
// Every method is one read snapshot or one write transaction. Methods fail
// with the store's error (Unavailable when busy: retry), Unimplemented for
// a store without engagement tables, DataLoss for a row that does not
// parse. Thread-safe as the Store is. Holds only the pointer.
class EngagementStore {
 public:
  explicit EngagementStore(Store* store) : store_(store) {}

  // The engagement input of `account_id` as of `now`: its settings (seats,
  // key milestones), login rows of the kHistoryDays days ending today, all
  // first logins and first milestones (those older than the retention
  // window as account-level rows with an empty user_id). Cost: 4 indexed
  // range reads.
  absl::StatusOr<engagement::AccountInput> ReadAccountInput(std::string_view account_id,
                                                            absl::Time now);
  // Every milestone day row of the account (goal progress, customer view);
  // days older than the retention window as account totals with an empty
  // user_id. Cost: one indexed range read.
  absl::StatusOr<std::vector<engagement::UserMilestoneDay>> ReadMilestoneDays(
      std::string_view account_id);
  // Accounts with any aggregate row or settings, sorted by id. Cost: a scan
  // of the first-login, milestone and settings keys.
  absl::StatusOr<std::vector<std::string>> ListAccountIds();

  // The accounts holding aggregate rows of `user_id` (to refresh their
  // snapshots after an erasure), sorted. Cost: two indexed reads.
  absl::StatusOr<std::vector<std::string>> AccountsOfUser(std::string_view user_id);

  // The account's settings; nullopt if never set. Cost: one lookup.
  absl::StatusOr<std::optional<AccountSettings>> GetAccountSettings(std::string_view account_id);
  // Every account's settings, sorted by id. Cost: a scan of the table.
  absl::StatusOr<std::vector<AccountSettings>> ListAccountSettings();
  // Creates or replaces the settings of settings.account_id. The caller
  // validated them. Cost: one upsert.
  absl::Status PutAccountSettings(const AccountSettings& settings, absl::Time now);

  // Stores a new goal (validated with engagement::ValidateGoal; else
  // InvalidArgument) under a fresh random id. Cost: one insert.
  absl::StatusOr<StoredGoal> CreateGoal(const engagement::Goal& goal, absl::Time now);
  // The account's goals, oldest first. Cost: one indexed read.
  absl::StatusOr<std::vector<StoredGoal>> ListGoals(std::string_view account_id);
  // Deletes one goal of the account; false if there was none. Cost: one delete.
  absl::StatusOr<bool> DeleteGoal(std::string_view account_id, std::string_view goal_id);

  // The account's persisted episode (default: none yet). Cost: one lookup.
  absl::StatusOr<AccountEpisode> ReadEpisode(std::string_view account_id);
  // Persists one AlertTracker step in one transaction: the account's
  // episode `next` and, per `action`: kOpen inserts `alert` (alert_id,
  // payload, figures, delivery pending); kEscalate sets its severity and
  // escalated_at; kClose marks it resolved at next.episode.closed_at.
  // Optimistic: `previous` is the episode the step was computed from
  // (ReadEpisode); if the stored one changed meanwhile (another collector
  // on the same database stepped it), nothing is written and it fails with
  // FailedPrecondition, so an episode is never opened twice. Cost: 2
  // statements.
  absl::Status SaveAlertStep(std::string_view account_id, const AccountEpisode& previous,
                             const AccountEpisode& next, engagement::AlertAction action,
                             const StoredAlert& alert);
  // Alerts newest first (open ones only if `open_only`), at most `limit`.
  // With `open_only` and `hide_snoozed_at`, alerts snoozed past that time
  // are left out. Cost: an index scan.
  absl::StatusOr<std::vector<StoredAlert>> ListAlerts(
      bool open_only, size_t limit, std::optional<absl::Time> hide_snoozed_at = std::nullopt);
  // One alert by id, or nullopt. Cost: one primary-key read.
  absl::StatusOr<std::optional<StoredAlert>> GetAlert(std::string_view alert_id);
  // Marks the alert acknowledged at `at` (an earlier acknowledgement is
  // kept). NotFound for an unknown id. Cost: one update.
  absl::Status AcknowledgeAlert(std::string_view alert_id, absl::Time at);
  // Snoozes the alert until `until` (replacing an earlier snooze). NotFound
  // for an unknown id, FailedPrecondition for a resolved alert. Cost: one
  // update.
  absl::Status SnoozeAlert(std::string_view alert_id, absl::Time until);
  // The open alert of `account_id` (at most one is open per account), or
  // nullopt. Cost: two primary-key reads (the episode, then its alert).
  // Fails like ListAlerts.
  absl::StatusOr<std::optional<StoredAlert>> OpenAlertOf(std::string_view account_id);
  // Pending deliveries due at `now` (next_attempt_at <= now), oldest first,
  // at most `limit`. Cost: an index range read.
  absl::StatusOr<std::vector<StoredAlert>> DueDeliveries(absl::Time now, size_t limit);
  // Claims a pending delivery for one attempt: moves its next_attempt_at
  // from `due_at` (as read by DueDeliveries) to `lease_until`, so another
  // sender on the same database skips it. False if it was no longer pending
  // at `due_at` (someone else claimed or finished it). Cost: one update.
  absl::StatusOr<bool> ClaimDelivery(std::string_view alert_id, absl::Time due_at,
                                     absl::Time lease_until);
  // Records one delivery attempt of `alert_id`. A delivered alert is never
  // changed again (so a stale attempt cannot undo it). Cost: one update.
  absl::Status RecordDelivery(std::string_view alert_id, DeliveryState state, int64_t attempts,
                              std::string_view last_error, absl::Time next_attempt_at);

 private:
  // SELECT of every alert column with `where_order_limit` appended (bound
  // parameters only), in one read snapshot.
  absl::StatusOr<std::vector<StoredAlert>> QueryAlerts(std::string_view where_order_limit,
                                                       std::span<const SqlValue> params);

  Store* const store_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_ENGAGEMENT_STORE_H_
