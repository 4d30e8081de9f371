#include "store/renewal_outcomes.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"
#include "store/sql_rows.h"

namespace cairn::collector {
namespace {

constexpr std::pair<std::string_view, Outcome> kOutcomeNames[] = {
    {"renewed", Outcome::kRenewed},
    {"churned", Outcome::kChurned},
    {"downgraded", Outcome::kDowngraded},
    {"expanded", Outcome::kExpanded},
};

// How far before the asked day a history row may lie and still count.
constexpr int kHistorySlackDays = 7;

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  for (const auto& [name, value] : kOutcomeNames) {
    if (value == outcome) return name;
  }
  return "renewed";
}

std::optional<Outcome> ParseOutcome(std::string_view name) {
  for (const auto& [text, value] : kOutcomeNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

absl::Status RenewalOutcomes::Put(const RenewalOutcome& o, absl::Time now) {
  return store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 6> row = {SqlValue(o.account_id),
                                         SqlValue(int64_t{o.renewal_day}),
                                         SqlValue(std::string(OutcomeName(o.outcome))),
                                         SqlValue(o.arr_before_cents),
                                         SqlValue(o.arr_after_cents),
                                         SqlValue(int64_t{absl::ToUnixMillis(now)})};
    return sql
        .Execute(
            "INSERT INTO renewal_outcomes (account_id, renewal_day, outcome, arr_before_cents, "
            "arr_after_cents, recorded_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
            "ON CONFLICT (account_id, renewal_day) DO UPDATE SET outcome = excluded.outcome, "
            "arr_before_cents = excluded.arr_before_cents, "
            "arr_after_cents = excluded.arr_after_cents, recorded_at_ms = excluded.recorded_at_ms",
            row)
        .status();
  });
}

absl::StatusOr<std::vector<RenewalOutcome>> RenewalOutcomes::List(
    engagement::DayIndex from_day, engagement::DayIndex to_day,
    std::optional<std::string> account_id, std::optional<int> health_days_before) {
  std::vector<SqlValue> params = {SqlValue(int64_t{from_day}), SqlValue(int64_t{to_day})};
  std::string where = "renewal_day >= ?1 AND renewal_day <= ?2";
  if (account_id) {
    params.emplace_back(std::in_place_type<std::string>, *account_id);
    where += " AND account_id = ?3";
  }
  std::vector<RenewalOutcome> out;
  absl::Status s = store_->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    absl::StatusOr<std::vector<SqlRow>> rows = sql.Query(
        absl::StrCat("SELECT account_id, renewal_day, outcome, arr_before_cents, arr_after_cents, "
                     "recorded_at_ms FROM renewal_outcomes WHERE ",
                     where, " ORDER BY renewal_day, account_id"),
        params);
    if (!rows.ok()) return rows.status();
    for (const SqlRow& row : *rows) {
      SqlRowReader r{row};
      RenewalOutcome o;
      o.account_id = r.Text(0);
      o.renewal_day = r.Int(1);
      std::optional<Outcome> outcome = ParseOutcome(r.Text(2));
      o.arr_before_cents = r.Int(3);
      o.arr_after_cents = r.Int(4);
      o.recorded_at = absl::FromUnixMillis(r.Int(5));
      if (!r.ok || !outcome) return absl::DataLossError("renewal outcome: bad row");
      o.outcome = *outcome;
      if (health_days_before) {
        const int64_t asked = o.renewal_day - *health_days_before;
        const std::array<SqlValue, 3> key = {SqlValue(o.account_id), SqlValue(asked),
                                             SqlValue(asked - kHistorySlackDays)};
        absl::StatusOr<std::vector<SqlRow>> health = sql.Query(
            "SELECT band_rank, score FROM account_health_daily WHERE account_id = ?1 AND "
            "day <= ?2 AND day >= ?3 ORDER BY day DESC LIMIT 1",
            key);
        if (!health.ok()) return health.status();
        if (!health->empty()) {
          SqlRowReader h{health->front()};
          o.band_rank_before = static_cast<int>(h.Int(0));
          o.score_before = static_cast<int>(h.Int(1));
          if (!h.ok) return absl::DataLossError("health history: bad row");
        }
      }
      out.push_back(std::move(o));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace cairn::collector
