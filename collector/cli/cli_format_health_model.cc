#include "cli_format_health_model.h"

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli_format.h"

namespace cairn::cli {

std::string FormatHealthModel(const admin::v1::HealthModel& model) {
  std::string out = "health model ";
  if (model.updated_by().empty() && model.updated_at().empty()) {
    absl::StrAppend(&out, "(built-in default)\n");
  } else {
    absl::StrAppend(&out, "(set by ", TerminalSafe(model.updated_by()), " at ",
                    TerminalSafe(model.updated_at()), ")\n");
  }
  TextTable table({"factor", "weight", "onboarding"}, {false, true, true});
  using Weights = admin::v1::FactorWeights;
  const std::pair<std::string_view, int32_t (Weights::*)() const> rows[] = {
      {"frequency", &Weights::frequency},   {"trend", &Weights::trend},
      {"breadth", &Weights::breadth},       {"time_to_value", &Weights::time_to_value},
      {"dependence", &Weights::dependence}, {"nps", &Weights::nps}};
  for (const auto& [name, get] : rows) {
    table.AddRow({std::string(name), absl::StrCat((model.weights().*get)()),
                  absl::StrCat((model.onboarding_weights().*get)())});
  }
  absl::StrAppend(&out, table.Render());
  if (model.onboarding_days() > 0) {
    absl::StrAppend(&out, "onboarding profile: accounts whose first login is under ",
                    model.onboarding_days(), " days old\n");
  } else {
    absl::StrAppend(&out, "onboarding profile: off\n");
  }
  absl::StrAppend(&out, "bands: good from ", model.good_at(), ", watch from ", model.watch_at(),
                  ", poor below",
                  model.poor_factor_caps() ? "; a poor factor makes the band poor" : "", "\n");
  absl::StrAppend(&out, "NPS counts from ", model.nps_min_responses(), " answers\n");
  if (model.has_accounts_rescored()) {
    absl::StrAppend(&out, "rescored ", model.accounts_rescored(), " accounts\n");
  }
  return out;
}

}  // namespace cairn::cli
