#include "health_reasons.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cairn::engagement {
namespace {

// Whole days, rounded down: "12 days".
std::string DaysText(absl::Duration d) {
  const int64_t days = absl::ToInt64Hours(std::max(d, absl::ZeroDuration())) / 24;
  return absl::StrCat(days, days == 1 ? " day" : " days");
}

}  // namespace

std::string FrequencyReason(int login_days_14) {
  return absl::StrCat("logins on ", login_days_14, " of the last 14 days");
}

std::string TrendReason(const Trend& trend) {
  if (!trend.ratio) {
    return trend.status == TrendStatus::kNoBaseline ? "no logins in the 4 weeks before this one"
                                                    : "under 5 weeks of history: not judged yet";
  }
  std::string line = absl::StrFormat("%d logins this week against a 4-week mean of %.0f (%.0f%%)",
                                     trend.this_week, trend.baseline_mean, 100 * *trend.ratio);
  const LongTrend& long_term = trend.long_term;
  // Only a change a CSM would act on: the health factor's own threshold for
  // keeping a declining episode open.
  if (long_term.measured && long_term.loss >= 0.15) {
    absl::StrAppendFormat(&line, "; %.0f%% lost over 12 weeks", 100 * long_term.loss);
  } else if (long_term.measured && long_term.loss <= -0.15) {
    absl::StrAppendFormat(&line, "; up %.0f%% over 12 weeks", -100 * long_term.loss);
  }
  return line;
}

std::string BreadthReason(const Breadth& breadth) {
  if (breadth.denominator <= 0) return "no active users in the last 90 days";
  if (breadth.basis == BreadthBasis::kSeats) {
    return absl::StrCat(breadth.active_users, " of ", breadth.denominator,
                        " seats active in the last 14 days");
  }
  return absl::StrCat(breadth.active_users,
                      " users active in the last 14 days, of a 90-day peak of ",
                      breadth.denominator);
}

std::string TimeToValueReason(const MilestoneSummary& milestones, absl::Time now) {
  if (milestones.key.empty()) return "no key milestones defined";
  if (!milestones.account_first_login) return "no consented login yet";
  std::string line = absl::StrCat(milestones.key_reached, " of ", milestones.key.size(),
                                  " key milestones reached");
  if (milestones.key_reached < static_cast<int64_t>(milestones.key.size())) {
    absl::StrAppend(&line, "; ", DaysText(now - *milestones.account_first_login),
                    " since the first login");
    return line;
  }
  absl::Duration slowest = absl::ZeroDuration();
  for (const KeyMilestone& key : milestones.key) {
    if (key.time_to_value) slowest = std::max(slowest, *key.time_to_value);
  }
  absl::StrAppend(&line, ", the last after ", DaysText(slowest));
  return line;
}

std::string DependenceReason(const Dependence& dependence) {
  if (dependence.known_users < 2) return "one known user: nobody else to depend on";
  const std::optional<double> share = dependence.top_share();
  if (!share) return absl::StrCat("no logins in the last ", kDependenceDays, " days");
  return absl::StrFormat(
      "the busiest user holds %.0f%% of %d logins in the last %d days (%d users)", 100 * *share,
      dependence.recent_logins, kDependenceDays, dependence.known_users);
}

std::string NpsReason(const std::optional<NpsCounts>& nps, int min_responses) {
  if (!nps) return "not read: NPS has no weight in this health model";
  if (nps->responses < min_responses) {
    return absl::StrCat(nps->responses, nps->responses == 1 ? " NPS answer" : " NPS answers", "; ",
                        min_responses, " needed");
  }
  return absl::StrFormat("NPS %.0f from %d answers (%d promoters, %d detractors)", *nps->nps(),
                         nps->responses, nps->promoters, nps->detractors);
}

}  // namespace cairn::engagement
