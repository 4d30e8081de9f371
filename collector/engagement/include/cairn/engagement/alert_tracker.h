#ifndef CAIRN_ENGAGEMENT_ALERT_TRACKER_H_
#define CAIRN_ENGAGEMENT_ALERT_TRACKER_H_

#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "cairn/engagement/drop_rule.h"

namespace cairn::engagement {

// What the caller must do after an evaluation.
enum class AlertAction {
  kNone,      // nothing changed
  kOpen,      // an episode began: record an alert and send the webhook
  kEscalate,  // the open episode got stronger (declining < drop < severe):
              // update the alert, send nothing
  kClose,     // usage recovered: mark the alert resolved, send nothing
};

// "none", "open", "escalate", "close".
std::string_view AlertActionName(AlertAction action);

// The persisted alert state of one account (the store keeps one row per
// account and rule so evaluations on any schedule continue the episode).
struct AlertEpisode {
  bool open = false;
  // The strongest state seen in the open episode (kDeclining, kDrop or
  // kSevere, by DropStateRank).
  DropState severity = DropState::kNone;
  absl::Time opened_at = absl::InfinitePast();
  absl::Time escalated_at = absl::InfinitePast();  // InfinitePast: not escalated
  absl::Time closed_at = absl::InfinitePast();     // of the last closed episode
  int64_t episodes = 0;                            // episodes opened so far
};

// Decides when a usage drop or decline becomes an alert, exactly once per
// episode. An episode opens on the first evaluation in state declining,
// drop or severe; a stronger state later in the same episode escalates it
// without a second alert. A drop or severe episode closes only on an
// evaluable week back at or above drop_ratio (an unevaluable week, e.g. a
// baseline that has shrunk below the minimum, neither closes nor opens); a
// declining one only once the measured 12-week loss is below the decline
// rule's close_loss (LongTrend::holding false) and the week is no drop. So re-evaluating every
// hour, or twice the same day, never repeats an alert. Pure state machine, no IO; not thread-safe.
class AlertTracker {
 public:
  // Resumes from a persisted `episode` (default: no episode yet).
  explicit AlertTracker(AlertEpisode episode = {}) : episode_(episode) {}

  // Feeds the evaluation made at `at`, returns what to do. Free.
  AlertAction Observe(const DropEvaluation& evaluation, absl::Time at);

  // The state to persist after Observe.
  const AlertEpisode& episode() const { return episode_; }

 private:
  AlertEpisode episode_;
};

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_ALERT_TRACKER_H_
