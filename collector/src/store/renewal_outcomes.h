#ifndef CAIRN_COLLECTOR_STORE_RENEWAL_OUTCOMES_H_
#define CAIRN_COLLECTOR_STORE_RENEWAL_OUTCOMES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/engagement/day.h"
#include "store/store.h"

namespace cairn::collector {

// What became of a renewal.
enum class Outcome { kRenewed, kChurned, kDowngraded, kExpanded };

// "renewed", "churned", "downgraded", "expanded".
std::string_view OutcomeName(Outcome outcome);
// The outcome of a name above; nullopt for anything else. Free.
std::optional<Outcome> ParseOutcome(std::string_view name);

// One recorded renewal outcome, with the health the account had before it
// (from the daily history; nullopt where none was kept).
struct RenewalOutcome {
  std::string account_id;
  engagement::DayIndex renewal_day = 0;
  Outcome outcome = Outcome::kRenewed;
  int64_t arr_before_cents = 0;
  int64_t arr_after_cents = 0;
  absl::Time recorded_at = absl::UnixEpoch();
  // Filled by List with `health_days_before`: the last daily health row
  // at most 7 days before renewal_day - N.
  std::optional<int> band_rank_before = {};
  std::optional<int> score_before = {};
};

// The renewal_outcomes table (store/cs_schema.h) of a Store, through the
// shared engagement SQL. Thread-safe as the Store is; failures are the
// store's, DataLoss for a row that does not parse.
class RenewalOutcomes {
 public:
  explicit RenewalOutcomes(Store* store) : store_(store) {}

  // Records (or replaces) the outcome of the account's renewal on
  // outcome.renewal_day. Cost: one upsert.
  absl::Status Put(const RenewalOutcome& outcome, absl::Time now);

  // Outcomes of renewals on days [from_day, to_day], by day then account
  // (one account's only, if `account_id` is set). With
  // `health_days_before`, each carries the account's health that many days
  // before its renewal. Cost: one indexed range read, plus one history
  // lookup per outcome with `health_days_before`.
  absl::StatusOr<std::vector<RenewalOutcome>> List(
      engagement::DayIndex from_day, engagement::DayIndex to_day,
      std::optional<std::string> account_id = std::nullopt,
      std::optional<int> health_days_before = std::nullopt);

 private:
  Store* const store_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_RENEWAL_OUTCOMES_H_
