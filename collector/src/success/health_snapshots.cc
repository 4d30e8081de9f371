#include "success/health_snapshots.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/engagement/day.h"
#include "http/proto_json.h"
#include "ops/json_text.h"
#include "store/engagement_store.h"
#include "success/engagement_views.h"

namespace cairn::collector {
namespace {

constexpr size_t kAccountsPerTransaction = 500;

std::optional<double> ScoreIfApplicable(const engagement::Factor& f) {
  return f.applicable ? std::optional<double>(f.score) : std::nullopt;
}

}  // namespace

HealthSnapshots::HealthSnapshots(Store* store, int history_days)
    : store_(store), history_days_(history_days), health_(store), tables_(store) {}

AccountSnapshot HealthSnapshots::SnapshotOf(const AccountView& view, absl::Time now) {
  const engagement::Engagement& e = view.engagement;
  AccountSnapshot s;
  s.account_id = e.account_id;
  s.evaluated_at = absl::FromUnixMillis(absl::ToUnixMillis(now));
  s.day = engagement::DayOf(now);
  s.band_rank = BandRank(e.health.band);
  s.score = e.health.score;
  s.trend_ratio = e.trend.ratio;
  s.active_users = e.breadth.active_users;
  s.logins_week = e.trend.this_week;
  if (view.open_alert) {
    s.alert_severity = std::string(engagement::DropStateName(view.open_alert->severity));
  }
  s.frequency = ScoreIfApplicable(e.health.frequency);
  s.trend = ScoreIfApplicable(e.health.trend);
  s.breadth = ScoreIfApplicable(e.health.breadth);
  s.time_to_value = ScoreIfApplicable(e.health.time_to_value);
  admin::v1::Account account;
  FillAccount(view, &account);
  account.set_evaluated_at(FormatRfc3339(s.evaluated_at));
  s.view = absl::Base64Escape(account.SerializeAsString());
  return s;
}

absl::Status HealthSnapshots::PutChunked(std::span<const AccountView> views, absl::Time now) {
  std::vector<AccountSnapshot> chunk;
  chunk.reserve(std::min(views.size(), kAccountsPerTransaction));
  for (size_t i = 0; i < views.size(); ++i) {
    chunk.push_back(SnapshotOf(views[i], now));
    if (chunk.size() == kAccountsPerTransaction || i + 1 == views.size()) {
      if (absl::Status s = tables_.Put(chunk); !s.ok()) return s;
      chunk.clear();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> HealthSnapshots::RefreshAll(absl::Time now) {
  std::lock_guard lock(refresh_mu_);
  return RefreshAllLocked(now, nullptr);
}

absl::StatusOr<AlertEvaluationCounts> HealthSnapshots::EvaluateAndRefreshAll(
    AlertEvaluator& evaluator, absl::Time now) {
  std::lock_guard lock(refresh_mu_);
  AlertEvaluationCounts counts;
  auto step = [&](std::string_view account_id,
                  const engagement::AccountInput& input) -> absl::StatusOr<bool> {
    absl::StatusOr<engagement::AlertAction> action =
        evaluator.EvaluateInput(account_id, input, now);
    if (!action.ok()) return action.status();
    ++counts.evaluated;
    counts.opened += *action == engagement::AlertAction::kOpen ? 1 : 0;
    counts.escalated += *action == engagement::AlertAction::kEscalate ? 1 : 0;
    counts.closed += *action == engagement::AlertAction::kClose ? 1 : 0;
    return *action != engagement::AlertAction::kNone;
  };
  const AccountHealth::BeforeView before_view(step);
  absl::StatusOr<int64_t> refreshed = RefreshAllLocked(now, &before_view);
  if (!refreshed.ok()) return refreshed.status();
  AlertEvaluator::LogCounts(counts);
  return counts;
}

absl::StatusOr<int64_t> HealthSnapshots::RefreshAllLocked(
    absl::Time now, const AccountHealth::BeforeView* before_view) {
  absl::StatusOr<std::vector<AccountView>> views = health_.ComputeAll(now, before_view);
  if (!views.ok()) return views.status();
  if (absl::Status s = PutChunked(*views, now); !s.ok()) return s;
  std::vector<std::string> live;
  live.reserve(views->size());
  for (const AccountView& v : *views) live.push_back(v.engagement.account_id);
  if (absl::StatusOr<int64_t> dropped = tables_.DropAccountsNotIn(live); !dropped.ok()) {
    return dropped.status();
  }
  if (absl::StatusOr<int64_t> purged =
          tables_.PurgeHistoryBefore(engagement::DayOf(now) - history_days_);
      !purged.ok()) {
    return purged.status();
  }
  return static_cast<int64_t>(views->size());
}

absl::Status HealthSnapshots::RefreshAccounts(std::span<const std::string> account_ids,
                                              absl::Time now) {
  if (account_ids.empty()) return absl::OkStatus();
  std::lock_guard lock(refresh_mu_);
  std::vector<AccountView> views;
  std::vector<std::string> gone;
  // The book's id list costs a read of every account: only for an account
  // that shows nothing (its last user erased, or rows dated ahead).
  std::optional<std::vector<std::string>> live;
  for (const std::string& id : account_ids) {
    absl::StatusOr<AccountView> view = health_.Compute(id, now);
    if (!view.ok()) return view.status();
    if (!view->ShowsAnything()) {
      if (!live) {
        absl::StatusOr<std::vector<std::string>> ids = EngagementStore(store_).ListAccountIds();
        if (!ids.ok()) return ids.status();
        live = *std::move(ids);
      }
      if (!std::binary_search(live->begin(), live->end(), id)) {
        gone.push_back(id);
        continue;
      }
    }
    views.push_back(*std::move(view));
  }
  if (absl::Status s = PutChunked(views, now); !s.ok()) return s;
  return tables_.DropAccounts(gone).status();
}

absl::Status HealthSnapshots::EnsureEvaluated(absl::Time now) {
  absl::StatusOr<bool> evaluated = tables_.AnyEvaluated();
  if (!evaluated.ok()) return evaluated.status();
  if (*evaluated) return absl::OkStatus();
  return RefreshAll(now).status();
}

}  // namespace cairn::collector
