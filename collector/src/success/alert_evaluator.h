#ifndef CAIRN_COLLECTOR_SUCCESS_ALERT_EVALUATOR_H_
#define CAIRN_COLLECTOR_SUCCESS_ALERT_EVALUATOR_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/common/clock.h"
#include "cairn/engagement/alert_tracker.h"
#include "cairn/engagement/drop_rule.h"
#include "store/store.h"

namespace cairn::collector {

// What one evaluation of every account did.
struct AlertEvaluationCounts {
  int64_t evaluated = 0;
  int64_t opened = 0;
  int64_t escalated = 0;
  int64_t closed = 0;
};

// Evaluates the usage rule for accounts and keeps their alert episodes
// (engagement::EvaluateUsage: drop, severe or a slow 12-week decline, +
// engagement::AlertTracker resumed from the store), so an episode raises exactly one alert,
// whatever the schedule. An opened alert is stored with its webhook body and a pending delivery
// (WebhookSender sends it); without a webhook its delivery is recorded as failed ("no webhook
// configured"). Evaluations are serialised (scheduled and on-demand ones never interleave).
// Thread-safe.
class AlertEvaluator {
 public:
  // `rule` must pass engagement::ValidateDropRule (EvaluateAll fails with
  // InvalidArgument otherwise). Pointers must outlive the evaluator.
  AlertEvaluator(Store* store, Clock* clock, const engagement::DropRule& rule,
                 bool webhook_configured);

  // Evaluates every account (EngagementStore::ListAccountIds) at the
  // clock's now. Cost per account: the reads of ReadAccountInput, the
  // episode read, and a write transaction only when the episode changes.
  // Fails with the store's error (accounts evaluated before it keep their
  // steps).
  absl::StatusOr<AlertEvaluationCounts> EvaluateAll();

  // Evaluates one account at `now`; returns what the tracker decided. Cost
  // and failures as one account of EvaluateAll.
  absl::StatusOr<engagement::AlertAction> EvaluateAccount(std::string_view account_id,
                                                          absl::Time now);

  // Evaluates one account from `input`, its rows as the caller read them
  // (EngagementStore::ReadAccountInput at `now`), so a pass that computes
  // more from the same rows reads them once (HealthSnapshots). Each call is
  // serialised with the other evaluations. Cost and failures as one account
  // of EvaluateAll without its input read.
  absl::StatusOr<engagement::AlertAction> EvaluateInput(std::string_view account_id,
                                                        const engagement::AccountInput& input,
                                                        absl::Time now);

  // Logs one line of the counts of a pass over every account. Free.
  static void LogCounts(const AlertEvaluationCounts& counts);

 private:
  absl::StatusOr<engagement::AlertAction> EvaluateLocked(std::string_view account_id,
                                                         absl::Time now);
  absl::StatusOr<engagement::AlertAction> StepLocked(std::string_view account_id,
                                                     const engagement::AccountInput& input,
                                                     absl::Time now);
  Store* const store_;
  Clock* const clock_;
  const engagement::DropRule rule_;
  const bool webhook_configured_;
  std::mutex mu_;  // serialises evaluations
};

// Delivery settings of alert webhooks.
struct WebhookOptions {
  std::string url;                             // http(s)://...; empty: nothing is sent
  std::string secret;                          // HMAC key of the Cairn-Signature header (non-empty)
  absl::Duration timeout = absl::Seconds(10);  // per attempt, connect included
  int max_attempts = 8;                        // then the delivery is failed
  absl::Duration initial_backoff = absl::Seconds(30);
  absl::Duration max_backoff = absl::Hours(1);
};

// Sends pending alert webhooks: POST of the stored body with
// "Content-Type: application/json" and "Cairn-Signature: t=..,v1=.."
// (engagement::SignWebhook at send time). 2xx: delivered, never sent
// again. Anything else (status, timeout, connection error): retried after
// an exponential backoff (initial_backoff x 2^(attempt-1), capped at
// max_backoff, with jitter: 50-100% of it) until max_attempts, then failed.
// Every attempt is persisted, so a restart resumes pending deliveries.
// Thread-safe (sends are serialised).
class WebhookSender {
 public:
  WebhookSender(Store* store, Clock* clock, WebhookOptions options);

  // Attempts every delivery due at the clock's now (at most 100 per call),
  // one after the other. Returns how many were delivered. Cost: one HTTP
  // request (up to `timeout`) per due delivery. Fails with the store's
  // error.
  absl::StatusOr<int64_t> DeliverDue();

 private:
  // One POST; OK on 2xx, Unavailable with a short reason otherwise.
  absl::Status Post(std::string_view body, absl::Time now);
  Store* const store_;
  Clock* const clock_;
  const WebhookOptions options_;
  std::mutex mu_;
};

// Runs evaluations every `interval` (none if zero) and webhook deliveries
// every `delivery_poll` on one background thread, on `clock`'s time.
// Wake() runs a delivery pass at once (after an on-demand evaluation).
class AlertScheduler {
 public:
  // Starts the thread. `sender` may be null (no webhook). `evaluation` (may
  // be null) runs each scheduled evaluation in place of
  // evaluator->EvaluateAll(), e.g. the alerts and the health snapshots in
  // one pass (HealthSnapshots::EvaluateAndRefreshAll); it logs its own
  // failures.
  AlertScheduler(AlertEvaluator* evaluator, WebhookSender* sender, Clock* clock,
                 absl::Duration interval, absl::Duration delivery_poll = absl::Seconds(5),
                 absl::AnyInvocable<void()> evaluation = nullptr);
  // Stops and joins the thread.
  ~AlertScheduler();
  // Asks the thread to deliver due webhooks now. Free.
  void Wake();
  // Stops the thread (idempotent); an attempt in flight finishes first.
  void Stop();

 private:
  void Loop();
  AlertEvaluator* const evaluator_;
  WebhookSender* const sender_;
  Clock* const clock_;
  const absl::Duration interval_;
  const absl::Duration delivery_poll_;
  absl::AnyInvocable<void()> evaluation_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = false;
  std::thread thread_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_ALERT_EVALUATOR_H_
