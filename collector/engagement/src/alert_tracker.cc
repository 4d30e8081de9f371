#include "cairn/engagement/alert_tracker.h"

namespace cairn::engagement {

std::string_view AlertActionName(AlertAction action) {
  switch (action) {
    case AlertAction::kNone:
      return "none";
    case AlertAction::kOpen:
      return "open";
    case AlertAction::kEscalate:
      return "escalate";
    case AlertAction::kClose:
      return "close";
  }
  return "none";
}

AlertAction AlertTracker::Observe(const DropEvaluation& evaluation, absl::Time at) {
  if (!episode_.open) {
    if (evaluation.state == DropState::kNone) return AlertAction::kNone;
    episode_.open = true;
    episode_.severity = evaluation.state;
    episode_.opened_at = at;
    episode_.escalated_at = absl::InfinitePast();
    ++episode_.episodes;
    return AlertAction::kOpen;
  }
  if (DropStateRank(evaluation.state) > DropStateRank(episode_.severity)) {
    episode_.severity = evaluation.state;
    episode_.escalated_at = at;
    return AlertAction::kEscalate;
  }
  if (evaluation.state != DropState::kNone) return AlertAction::kNone;
  // A declining episode recovers on its own measure, with hysteresis; a
  // drop episode on an evaluable week back at or above drop_ratio.
  const bool recovered = episode_.severity == DropState::kDeclining
                             ? evaluation.long_trend.measured && !evaluation.long_trend.holding
                             : evaluation.evaluable;
  if (recovered) {
    episode_.open = false;
    episode_.severity = DropState::kNone;
    episode_.closed_at = at;
    return AlertAction::kClose;
  }
  return AlertAction::kNone;
}

}  // namespace cairn::engagement
