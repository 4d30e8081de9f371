#include "cairn/engagement/health_model.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace cairn::engagement {
namespace {

absl::Status CheckWeights(const char* name, const FactorWeights& w) {
  const std::pair<const char*, int> fields[] = {
      {"frequency", w.frequency},         {"trend", w.trend},           {"breadth", w.breadth},
      {"time_to_value", w.time_to_value}, {"dependence", w.dependence}, {"nps", w.nps}};
  for (const auto& [field, value] : fields) {
    if (value < 0 || value > kMaxFactorWeight) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ".", field, " must be 0-", kMaxFactorWeight));
    }
  }
  if (w.frequency + w.trend + w.breadth + w.time_to_value <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " must give frequency, trend, breadth or time_to_value a weight above 0"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateHealthModel(const HealthModel& model) {
  if (absl::Status s = CheckWeights("weights", model.weights); !s.ok()) return s;
  if (absl::Status s = CheckWeights("onboarding_weights", model.onboarding_weights); !s.ok()) {
    return s;
  }
  if (model.onboarding_days < 0 || model.onboarding_days > kMaxOnboardingDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("onboarding_days must be 0-", kMaxOnboardingDays));
  }
  if (model.good_at < 1 || model.good_at > 100) {
    return absl::InvalidArgumentError("good_at must be 1-100");
  }
  if (model.watch_at < 0 || model.watch_at >= model.good_at) {
    return absl::InvalidArgumentError("watch_at must be 0 or more and below good_at");
  }
  if (model.nps_min_responses < 1 || model.nps_min_responses > kMaxNpsMinResponses) {
    return absl::InvalidArgumentError(
        absl::StrCat("nps_min_responses must be 1-", kMaxNpsMinResponses));
  }
  return absl::OkStatus();
}

}  // namespace cairn::engagement
