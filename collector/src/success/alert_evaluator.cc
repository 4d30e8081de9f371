#include "success/alert_evaluator.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cairn/common/http_client.h"
#include "cairn/common/strings.h"
#include "cairn/common/uuid.h"
#include "cairn/engagement/aggregates.h"
#include "cairn/engagement/day.h"
#include "cairn/engagement/engagement.h"
#include "cairn/engagement/webhook_signature.h"
#include "ops/json_text.h"
#include "ops/log.h"
#include "store/engagement_store.h"
#include "store/store_common.h"
#include "success/account_health.h"

namespace cairn::collector {
namespace {

using engagement::AlertAction;
using engagement::DropState;

std::string Number(double v) { return absl::StrFormat("%.6g", v); }

// The webhook body (docs/metrics.md). A declining alert is its own type, so
// receivers written for drops are not misled; both carry "kind".
std::string WebhookBody(const StoredAlert& alert, const engagement::Health& health) {
  std::string out =
      absl::StrCat("{\"type\":\"", alert.kind == "declining" ? "usage_decline" : "usage_drop",
                   "\",\"kind\":\"", alert.kind, "\",\"alert_id\":");
  AppendJsonString(alert.alert_id, &out);
  out.append(",\"account_id\":");
  AppendJsonString(alert.account_id, &out);
  absl::StrAppend(
      &out, ",\"severity\":\"", ToAbsl(engagement::DropStateName(alert.severity)),
      "\",\"opened_at\":\"", FormatRfc3339(alert.opened_at), "\",\"this_week\":", alert.this_week,
      ",\"baseline_mean\":", Number(alert.baseline_mean), ",\"ratio\":", Number(alert.ratio),
      ",\"loss_12w\":", alert.loss_12w ? Number(*alert.loss_12w) : "null",
      ",\"health\":{\"score\":", health.score, ",\"band\":\"",
      ToAbsl(engagement::LabelName(health.band)), "\"}}");
  return out;
}

}  // namespace

AlertEvaluator::AlertEvaluator(Store* store, Clock* clock, const engagement::DropRule& rule,
                               bool webhook_configured)
    : store_(store), clock_(clock), rule_(rule), webhook_configured_(webhook_configured) {}

absl::StatusOr<AlertEvaluationCounts> AlertEvaluator::EvaluateAll() {
  std::lock_guard lock(mu_);
  if (absl::Status s = engagement::ValidateDropRule(rule_); !s.ok()) return s;
  const absl::Time now = clock_->Now();
  absl::StatusOr<std::vector<std::string>> ids = EngagementStore(store_).ListAccountIds();
  if (!ids.ok()) return ids.status();
  AlertEvaluationCounts counts;
  for (const std::string& id : *ids) {
    absl::StatusOr<AlertAction> action = EvaluateLocked(id, now);
    if (!action.ok()) return action.status();
    ++counts.evaluated;
    if (*action == AlertAction::kOpen) ++counts.opened;
    if (*action == AlertAction::kEscalate) ++counts.escalated;
    if (*action == AlertAction::kClose) ++counts.closed;
  }
  LogCounts(counts);
  return counts;
}

void AlertEvaluator::LogCounts(const AlertEvaluationCounts& counts) {
  Log(LogLevel::kInfo, "alerts_evaluated",
      {{"accounts", std::to_string(counts.evaluated)},
       {"opened", std::to_string(counts.opened)},
       {"escalated", std::to_string(counts.escalated)},
       {"closed", std::to_string(counts.closed)}});
}

absl::StatusOr<AlertAction> AlertEvaluator::EvaluateInput(std::string_view account_id,
                                                          const engagement::AccountInput& input,
                                                          absl::Time now) {
  std::lock_guard lock(mu_);
  if (absl::Status s = engagement::ValidateDropRule(rule_); !s.ok()) return s;
  return StepLocked(account_id, input, now);
}

absl::StatusOr<AlertAction> AlertEvaluator::EvaluateAccount(std::string_view account_id,
                                                            absl::Time now) {
  std::lock_guard lock(mu_);
  return EvaluateLocked(account_id, now);
}

absl::StatusOr<AlertAction> AlertEvaluator::EvaluateLocked(std::string_view account_id,
                                                           absl::Time now) {
  absl::StatusOr<engagement::AccountInput> input =
      EngagementStore(store_).ReadAccountInput(account_id, now);
  if (!input.ok()) return input.status();
  return StepLocked(account_id, *input, now);
}

absl::StatusOr<AlertAction> AlertEvaluator::StepLocked(std::string_view account_id,
                                                       const engagement::AccountInput& input,
                                                       absl::Time now) {
  EngagementStore tables(store_);
  const engagement::DayIndex today = engagement::DayOf(now);
  std::vector<engagement::AccountDay> days =
      engagement::RollUpDays(input.login_days, today - engagement::kHistoryDays + 1, today);
  absl::StatusOr<engagement::DropEvaluation> evaluation = engagement::EvaluateUsage(
      days, engagement::AccountFirstLogin(input.first_logins, now), now, rule_);
  if (!evaluation.ok()) return evaluation.status();
  absl::StatusOr<AccountEpisode> stored = tables.ReadEpisode(account_id);
  if (!stored.ok()) return stored.status();
  engagement::AlertTracker tracker(stored->episode);
  const AlertAction action = tracker.Observe(*evaluation, now);
  if (action == AlertAction::kNone) return action;

  AccountEpisode next;
  next.episode = tracker.episode();
  next.alert_id = stored->alert_id;
  StoredAlert alert;
  if (action == AlertAction::kOpen) {
    next.alert_id = absl::StrCat("alr_", RandomHexId());
    alert.alert_id = next.alert_id;
    alert.account_id = std::string(account_id);
    alert.severity = evaluation->state;
    alert.kind = evaluation->state == DropState::kDeclining ? "declining" : "drop";
    if (evaluation->long_trend.measured) alert.loss_12w = evaluation->long_trend.loss;
    alert.open = true;
    alert.opened_at = absl::FromUnixMillis(absl::ToUnixMillis(now));
    alert.this_week = evaluation->this_week;
    alert.baseline_mean = evaluation->baseline_mean;
    alert.ratio = evaluation->ratio;
    // The webhook carries the health a CSM would see: the vendor's model,
    // NPS included when it weighs it. Only on opening, so the reads are rare.
    absl::StatusOr<AccountView> view = AccountHealth(store_).Compute(account_id, now);
    if (!view.ok()) return view.status();
    alert.payload = WebhookBody(alert, view->engagement.health);
    alert.next_attempt_at = now;
    if (!webhook_configured_) {
      alert.delivery = DeliveryState::kFailed;
      alert.last_error = "no webhook configured";
    }
  }
  if (absl::Status s = tables.SaveAlertStep(account_id, *stored, next, action, alert); !s.ok()) {
    // Another collector on the same database stepped this episode first;
    // its step stands (never a second alert).
    if (s.code() == absl::StatusCode::kFailedPrecondition) return AlertAction::kNone;
    return s;
  }
  // An account id may name a person (a sole trader): a short hash only.
  Log(LogLevel::kInfo, "usage_alert",
      {{"action", std::string(engagement::AlertActionName(action))},
       {"account", IdRef(account_id)},
       {"alert_id", next.alert_id},
       {"severity", std::string(engagement::DropStateName(next.episode.severity))}});
  return action;
}

WebhookSender::WebhookSender(Store* store, Clock* clock, WebhookOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

absl::Status WebhookSender::Post(std::string_view body, absl::Time now) {
  absl::StatusOr<std::string> signature = engagement::SignWebhook(options_.secret, now, body);
  if (!signature.ok()) return signature.status();
  HttpClientRequest request;
  request.method = "POST";
  request.url = options_.url;
  request.headers = {"Content-Type: application/json",
                     absl::StrCat(ToAbsl(engagement::kWebhookSignatureHeader), ": ", *signature)};
  request.body = std::string(body);
  // One bound covers the whole attempt, connection included.
  request.connect_timeout = options_.timeout;
  request.total_timeout = options_.timeout;
  absl::StatusOr<HttpClientResponse> response = SendHttpRequest(request);
  if (!response.ok()) return absl::UnavailableError(response.status().message());
  const int status = response->status;
  if (status < 200 || status > 299) return absl::UnavailableError(absl::StrCat("HTTP ", status));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> WebhookSender::DeliverDue() {
  std::lock_guard lock(mu_);
  if (options_.url.empty()) return 0;
  EngagementStore tables(store_);
  absl::StatusOr<std::vector<StoredAlert>> due = tables.DueDeliveries(clock_->Now(), 100);
  if (!due.ok()) return due.status();
  int64_t delivered = 0;
  thread_local std::mt19937_64 rng(std::random_device{}());
  for (const StoredAlert& alert : *due) {
    const absl::Time now = clock_->Now();
    // Claimed for the attempt (timeout plus a margin): another collector's
    // sender skips it meanwhile; if this process dies mid-attempt, the lease
    // runs out and the delivery is retried (at least once: receivers
    // de-duplicate by alert_id).
    absl::StatusOr<bool> claimed = tables.ClaimDelivery(alert.alert_id, alert.next_attempt_at,
                                                        now + options_.timeout + absl::Minutes(1));
    if (!claimed.ok()) return claimed.status();
    if (!*claimed) continue;
    absl::Status sent = Post(alert.payload, now);
    const int64_t attempts = alert.attempts + 1;
    DeliveryState state = DeliveryState::kDelivered;
    absl::Time next = now;
    std::string error;
    if (sent.ok()) {
      ++delivered;
    } else {
      error = std::string(sent.message()).substr(0, 200);
      if (attempts >= options_.max_attempts) {
        state = DeliveryState::kFailed;
      } else {
        state = DeliveryState::kPending;
        absl::Duration backoff = options_.initial_backoff;
        for (int64_t i = 1; i < attempts && backoff < options_.max_backoff; ++i) backoff *= 2;
        backoff = std::min(backoff, options_.max_backoff);
        std::uniform_real_distribution<double> jitter(0.5, 1.0);
        next = now + backoff * jitter(rng);
      }
    }
    if (absl::Status s = tables.RecordDelivery(alert.alert_id, state, attempts, error, next);
        !s.ok()) {
      return s;
    }
    Log(sent.ok() ? LogLevel::kInfo : LogLevel::kWarning, "alert_webhook",
        {{"alert_id", alert.alert_id},
         {"account_id", alert.account_id},
         {"attempt", std::to_string(attempts)},
         {"state", std::string(DeliveryStateName(state))},
         {"error", error}});
  }
  return delivered;
}

AlertScheduler::AlertScheduler(AlertEvaluator* evaluator, WebhookSender* sender, Clock* clock,
                               absl::Duration interval, absl::Duration delivery_poll,
                               absl::AnyInvocable<void()> evaluation)
    : evaluator_(evaluator),
      sender_(sender),
      clock_(clock),
      interval_(interval),
      delivery_poll_(delivery_poll),
      evaluation_(std::move(evaluation)),
      thread_([this] { Loop(); }) {}

AlertScheduler::~AlertScheduler() { Stop(); }

void AlertScheduler::Wake() {
  std::lock_guard lock(mu_);
  wake_ = true;
  cv_.notify_all();
}

void AlertScheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void AlertScheduler::Loop() {
  absl::Time next_evaluation =
      interval_ > absl::ZeroDuration() ? clock_->Now() + interval_ : absl::InfiniteFuture();
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (stop_) return;
      const absl::Time deadline = std::min(next_evaluation, clock_->Now() + delivery_poll_);
      if (!wake_) clock_->WaitUntil(cv_, lock, deadline);
      if (stop_) return;
      wake_ = false;
    }
    if (clock_->Now() >= next_evaluation) {
      next_evaluation = clock_->Now() + interval_;
      if (evaluation_) {
        evaluation_();
      } else if (absl::StatusOr<AlertEvaluationCounts> counts = evaluator_->EvaluateAll();
                 !counts.ok()) {
        Log(LogLevel::kError, "alerts_evaluation_failed",
            {{"code", absl::StatusCodeToString(counts.status().code())}});
      }
    }
    if (sender_ != nullptr) {
      absl::StatusOr<int64_t> delivered = sender_->DeliverDue();
      if (!delivered.ok()) {
        Log(LogLevel::kError, "alert_delivery_failed",
            {{"code", absl::StatusCodeToString(delivered.status().code())}});
      }
    }
  }
}

}  // namespace cairn::collector
