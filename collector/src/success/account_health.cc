#include "success/account_health.h"

#include <algorithm>
#include <map>

#include "cairn/engagement/aggregates.h"
#include "cairn/engagement/day.h"
#include "store/health_model_store.h"
#include "success/engagement_views.h"
#include "success/feedback.h"

namespace cairn::collector {
namespace {

// Alerts read per evaluation of all accounts: open alerts are at most one
// per account.
constexpr size_t kMaxOpenAlerts = 1000000;

}  // namespace

bool AccountHealth::RiskierFirst(const AccountView& a, const AccountView& b) {
  const engagement::Health& x = a.engagement.health;
  const engagement::Health& y = b.engagement.health;
  if (BandRank(x.band) != BandRank(y.band)) return BandRank(x.band) < BandRank(y.band);
  if (x.score != y.score) return x.score < y.score;
  return a.engagement.account_id < b.engagement.account_id;
}

absl::StatusOr<AccountView> AccountHealth::ComputeWith(std::string_view account_id, absl::Time now,
                                                       const std::vector<StoredAlert>& open_alerts,
                                                       const engagement::HealthModel& model,
                                                       const BeforeView* before_view) {
  EngagementStore tables(store_);
  absl::StatusOr<engagement::AccountInput> input = tables.ReadAccountInput(account_id, now);
  if (!input.ok()) return input.status();
  std::optional<std::vector<StoredAlert>> reread;
  if (before_view != nullptr) {
    absl::StatusOr<bool> changed = (*before_view)(account_id, *input);
    if (!changed.ok()) return changed.status();
    if (*changed) {
      absl::StatusOr<std::optional<StoredAlert>> open = tables.OpenAlertOf(account_id);
      if (!open.ok()) return open.status();
      reread.emplace();
      if (*open) reread->push_back(**std::move(open));
    }
  }
  const std::vector<StoredAlert>& alerts = reread ? *reread : open_alerts;
  absl::StatusOr<std::optional<AccountSettings>> settings = tables.GetAccountSettings(account_id);
  if (!settings.ok()) return settings.status();
  // NPS costs two queries per account, so it is read only when it counts.
  std::optional<engagement::NpsCounts> nps;
  if (model.weights.nps > 0 || model.onboarding_weights.nps > 0) {
    absl::StatusOr<FeedbackScores> scores =
        NpsOf(*store_, account_id, LastDays(now, kDefaultFeedbackDays));
    if (!scores.ok()) return scores.status();
    nps = engagement::NpsCounts{.responses = scores->nps_responses,
                                .promoters = scores->promoters,
                                .detractors = scores->detractors};
  }
  AccountView view;
  view.engagement = engagement::ComputeEngagement(*input, now, model, nps);
  view.settings = *std::move(settings);
  const engagement::DayIndex today = engagement::DayOf(now);
  std::vector<engagement::AccountDay> days =
      engagement::RollUpDays(input->login_days, today - 7 * kSparklineWeeks + 1, today);
  for (int w = 0; w < kSparklineWeeks; ++w) {
    const engagement::DayIndex end = today - 7 * (kSparklineWeeks - 1 - w);
    view.weekly_logins[static_cast<size_t>(w)] = engagement::LoginsBetween(days, end - 6, end);
  }
  for (const StoredAlert& alert : alerts) {
    if (alert.account_id == account_id && alert.open) {
      view.open_alert = alert;
      break;
    }
  }
  std::map<std::string, absl::Time> firsts;
  for (const engagement::UserMilestone& m : input->milestones) {
    if (m.first_reached > now) continue;
    auto [it, inserted] = firsts.emplace(m.name, m.first_reached);
    if (!inserted) it->second = std::min(it->second, m.first_reached);
  }
  view.milestones.assign(firsts.begin(), firsts.end());
  std::stable_sort(view.milestones.begin(), view.milestones.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  return view;
}

absl::StatusOr<AccountView> AccountHealth::Compute(std::string_view account_id, absl::Time now) {
  EngagementStore tables(store_);
  absl::StatusOr<std::optional<StoredAlert>> open = tables.OpenAlertOf(account_id);
  if (!open.ok()) return open.status();
  std::vector<StoredAlert> alerts;
  if (*open) alerts.push_back(**std::move(open));
  absl::StatusOr<StoredHealthModel> model = HealthModelStore(store_).Get();
  if (!model.ok()) return model.status();
  return ComputeWith(account_id, now, alerts, model->model, nullptr);
}

absl::StatusOr<std::vector<AccountView>> AccountHealth::ComputeAll(absl::Time now,
                                                                   const BeforeView* before_view) {
  EngagementStore tables(store_);
  absl::StatusOr<std::vector<std::string>> ids = tables.ListAccountIds();
  if (!ids.ok()) return ids.status();
  absl::StatusOr<std::vector<StoredAlert>> open = tables.ListAlerts(true, kMaxOpenAlerts);
  if (!open.ok()) return open.status();
  absl::StatusOr<StoredHealthModel> model = HealthModelStore(store_).Get();
  if (!model.ok()) return model.status();
  std::vector<AccountView> views;
  views.reserve(ids->size());
  for (const std::string& id : *ids) {
    absl::StatusOr<AccountView> view = ComputeWith(id, now, *open, model->model, before_view);
    if (!view.ok()) return view.status();
    views.push_back(*std::move(view));
  }
  std::sort(views.begin(), views.end(), RiskierFirst);
  return views;
}

absl::StatusOr<std::vector<GoalView>> AccountHealth::Goals(std::string_view account_id,
                                                           absl::Time now) {
  EngagementStore tables(store_);
  absl::StatusOr<std::vector<StoredGoal>> goals = tables.ListGoals(account_id);
  if (!goals.ok()) return goals.status();
  std::vector<GoalView> out;
  if (goals->empty()) return out;
  absl::StatusOr<std::vector<engagement::UserMilestoneDay>> rows =
      tables.ReadMilestoneDays(account_id);
  if (!rows.ok()) return rows.status();
  for (StoredGoal& goal : *goals) {
    absl::StatusOr<engagement::GoalProgress> progress =
        engagement::EvaluateGoal(goal.goal, *rows, now);
    if (!progress.ok()) return progress.status();
    out.push_back(GoalView{std::move(goal), *progress});
  }
  return out;
}

}  // namespace cairn::collector
