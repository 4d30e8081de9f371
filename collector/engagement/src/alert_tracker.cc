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
  if (evaluation.state == DropState::kSevere && episode_.severity != DropState::kSevere) {
    episode_.severity = DropState::kSevere;
    episode_.escalated_at = at;
    return AlertAction::kEscalate;
  }
  if (evaluation.evaluable && evaluation.state == DropState::kNone) {
    episode_.open = false;
    episode_.severity = DropState::kNone;
    episode_.closed_at = at;
    return AlertAction::kClose;
  }
  return AlertAction::kNone;
}

}  // namespace cairn::engagement
