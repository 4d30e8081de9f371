#ifndef CAIRN_COLLECTOR_SUCCESS_ACCOUNT_HEALTH_H_
#define CAIRN_COLLECTOR_SUCCESS_ACCOUNT_HEALTH_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/engagement/engagement.h"
#include "cairn/engagement/goals.h"
#include "cairn/engagement/health_model.h"
#include "store/engagement_store.h"
#include "store/store.h"

namespace cairn::collector {

// Weeks of login history in an AccountView's sparkline.
inline constexpr int kSparklineWeeks = 12;

// What customer success sees of one account: its engagement as of the
// evaluation time (computed by cairn::engagement from the store's daily
// aggregates, never raw events) plus the vendor's settings and open alert.
struct AccountView {
  engagement::Engagement engagement;
  // Logins per 7-day week ending today - 7k, oldest first; the last entry
  // is "this week" [today-6, today].
  std::array<int64_t, kSparklineWeeks> weekly_logins = {};
  std::optional<AccountSettings> settings;
  std::optional<StoredAlert> open_alert;
  // Distinct milestone names with the first time any user reached them
  // (ignoring times after the evaluation time), sorted by that time.
  std::vector<std::pair<std::string, absl::Time>> milestones;
  // True when the view shows settings, a first login or a milestone as of
  // its time. Every listed account does, unless its rows are all dated
  // ahead of the clock: only then need the book's id list be read. Free.
  bool ShowsAnything() const {
    return settings || engagement.milestones.account_first_login || !milestones.empty();
  }
};

// A goal with its progress.
struct GoalView {
  StoredGoal goal;
  engagement::GoalProgress progress;
};

// Computes account views from the store. Holds pointers only; thread-safe
// as the store is.
class AccountHealth {
 public:
  explicit AccountHealth(Store* store) : store_(store) {}

  // The view of one account as of `now`, scored under the stored health
  // model (HealthModelStore). Cost: the store reads of
  // EngagementStore::ReadAccountInput plus a settings, an alerts and a model
  // read (and the NPS reads when the model weighs NPS), then
  // ComputeEngagement (microseconds). Fails with the store's error.
  absl::StatusOr<AccountView> Compute(std::string_view account_id, absl::Time now);

  // Runs on each account's rows before its view is computed, e.g. the alert
  // evaluation of the same pass; returns true when it may have changed the
  // account's open alert (the view then reads it again).
  using BeforeView =
      absl::FunctionRef<absl::StatusOr<bool>(std::string_view, const engagement::AccountInput&)>;

  // Every account (EngagementStore::ListAccountIds), riskiest first: band
  // poor, watch, good; by score ascending within a band; then by id. With
  // `before_view`, it runs on each account's rows first (read once for
  // both). Cost: Compute per account (one open-alerts read shared). Fails
  // with the store's or `before_view`'s error.
  absl::StatusOr<std::vector<AccountView>> ComputeAll(absl::Time now,
                                                      const BeforeView* before_view = nullptr);

  // The account's goals with their progress as of `now` (EvaluateGoal over
  // its milestone day rows). Cost: two store reads. Fails with the store's
  // error.
  absl::StatusOr<std::vector<GoalView>> Goals(std::string_view account_id, absl::Time now);

  // Riskiest-first order of ComputeAll. Free.
  static bool RiskierFirst(const AccountView& a, const AccountView& b);

 private:
  absl::StatusOr<AccountView> ComputeWith(std::string_view account_id, absl::Time now,
                                          const std::vector<StoredAlert>& open_alerts,
                                          const engagement::HealthModel& model,
                                          const BeforeView* before_view);
  Store* const store_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_ACCOUNT_HEALTH_H_
