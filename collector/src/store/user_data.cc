#include "store/user_data.h"

#include <array>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"
#include "cairn/consent/purpose.h"
#include "cairn/engagement/day.h"
#include "store/sql_rows.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

// Runs `sql` with `params` and hands each row to `parse`, which returns
// false for a row that does not parse (DataLoss naming `table`).
template <typename Parse>
absl::Status ForEach(SqlRunner& runner, std::string_view table, std::string_view sql,
                     std::span<const SqlValue> params, Parse parse) {
  absl::StatusOr<std::vector<SqlRow>> rows = runner.Query(sql, params);
  if (!rows.ok()) return WithContext(rows.status(), table);
  for (const SqlRow& row : *rows) {
    SqlRowReader r{row};
    if (!parse(r) || !r.ok) return UnreadableRow(table);
  }
  return absl::OkStatus();
}

std::optional<absl::Time> OptMs(SqlRowReader& r, size_t col) {
  std::optional<int64_t> ms = r.OptInt(col);
  if (!ms) return std::nullopt;
  return absl::FromUnixMillis(*ms);
}

}  // namespace

absl::Status ReadUserData(SqlRunner& sql, std::string_view user_id, std::string_view user_hash,
                          UserExport* out) {
  const std::array<SqlValue, 1> user = {SqlValue(std::string(user_id))};
  const std::array<SqlValue, 1> hash = {SqlValue(std::string(user_hash))};
  absl::Status s = ForEach(
      sql, "consent_state",
      "SELECT purpose, decision, policy_id, policy_version, decided_at_us, expires_at_us, "
      "updated_at_ms, account_id FROM consent_state WHERE user_id = ?1 "
      "ORDER BY account_id, purpose",
      user, [&](SqlRowReader& r) {
        StoredConsentState& state = out->consent_state.emplace_back();
        std::optional<consent::Purpose> purpose = consent::FromWire(static_cast<int>(r.Int(0)));
        if (!purpose) return false;
        state.purpose = *purpose;
        state.decision = consent::DecisionFromWire(static_cast<int>(r.Int(1)));
        state.policy_id = r.Text(2);
        state.policy_version = r.Text(3);
        state.decided_at = absl::FromUnixMicros(r.Int(4));
        if (std::optional<int64_t> expires = r.OptInt(5)) {
          state.expires_at = absl::FromUnixMicros(*expires);
        }
        state.updated_at = absl::FromUnixMillis(r.Int(6));
        state.account_id = r.Text(7);
        return true;
      });
  if (!s.ok()) return s;
  s = ForEach(sql, "renewal_suppression",
              "SELECT account_id, since_ms FROM renewal_suppression WHERE user_hash = ?1 "
              "ORDER BY account_id",
              hash, [&](SqlRowReader& r) {
                out->suppressions.push_back({r.Text(0), absl::FromUnixMillis(r.Int(1))});
                return true;
              });
  if (!s.ok()) return s;
  s = ForEach(sql, "erased_users", "SELECT erased_at_ms FROM erased_users WHERE user_hash = ?1",
              hash, [&](SqlRowReader& r) {
                out->erased_at = absl::FromUnixMillis(r.Int(0));
                return true;
              });
  if (!s.ok()) return s;
  s = ForEach(sql, "batches",
              "SELECT batch_id, install_id, sent_at_ms, received_at_ms, client_ip, user_agent "
              "FROM batches WHERE batch_id IN (SELECT batch_id FROM events WHERE user_id = ?1) "
              "ORDER BY received_at_ms, batch_id",
              user, [&](SqlRowReader& r) {
                StoredBatchOfUser& batch = out->batches.emplace_back();
                batch.batch_id = r.Text(0);
                batch.install_id = r.Text(1);
                batch.sent_at = OptMs(r, 2);
                batch.received_at = absl::FromUnixMillis(r.Int(3));
                if (r.row.size() > 5) {
                  if (r.row[4]) batch.client_ip = *r.row[4];
                  if (r.row[5]) batch.user_agent = *r.row[5];
                }
                return true;
              });
  if (!s.ok()) return s;
  s = ForEach(sql, "user_day",
              "SELECT account_id, day, logins FROM user_day WHERE user_id = ?1 "
              "ORDER BY day, account_id",
              user, [&](SqlRowReader& r) {
                out->user_day.push_back({r.Text(0), r.Int(1), r.Int(2)});
                return true;
              });
  if (!s.ok()) return s;
  s = ForEach(sql, "user_first_login",
              "SELECT account_id, first_login_ms FROM user_first_login WHERE user_id = ?1 "
              "ORDER BY first_login_ms, account_id",
              user, [&](SqlRowReader& r) {
                out->user_first_login.push_back({r.Text(0), absl::FromUnixMillis(r.Int(1))});
                return true;
              });
  if (!s.ok()) return s;
  s = ForEach(
      sql, "user_milestone",
      "SELECT account_id, name, first_reached_ms FROM user_milestone WHERE user_id = ?1 "
      "ORDER BY first_reached_ms, account_id, name",
      user, [&](SqlRowReader& r) {
        out->user_milestone.push_back({r.Text(0), r.Text(1), absl::FromUnixMillis(r.Int(2))});
        return true;
      });
  if (!s.ok()) return s;
  s = ForEach(
      sql, "user_milestone_day",
      "SELECT account_id, name, day, events, value_sum FROM user_milestone_day "
      "WHERE user_id = ?1 ORDER BY day, account_id, name",
      user, [&](SqlRowReader& r) {
        out->user_milestone_day.push_back({r.Text(0), r.Text(1), r.Int(2), r.Int(3), r.Double(4)});
        return true;
      });
  if (!s.ok()) return s;
  return ForEach(sql, "user_feedback_day",
                 "SELECT account_id, kind, day, score, answered_at_ms FROM user_feedback_day "
                 "WHERE user_id = ?1 ORDER BY day, account_id, kind",
                 user, [&](SqlRowReader& r) {
                   out->user_feedback_day.push_back(
                       {r.Text(0), r.Int(1), r.Int(2), r.Int(3), absl::FromUnixMillis(r.Int(4))});
                   return true;
                 });
}

absl::StatusOr<AggregatePurge> PurgeAggregatesBefore(Store& store, absl::Time cutoff) {
  AggregatePurge result;
  const std::array<SqlValue, 1> ms = {SqlValue(int64_t{absl::ToUnixMillis(cutoff)})};
  const std::array<SqlValue, 1> day = {SqlValue(int64_t{engagement::DayOf(cutoff)})};
  // Folds first (SQL both databases accept: no MIN/LEAST of two values),
  // then deletes what was folded, in the same transaction.
  struct Step {
    std::string_view sql;
    std::span<const SqlValue> params;
    bool counts_user_rows;
    bool counts_batches;
  };
  const std::array<Step, 9> steps = {{
      {"INSERT INTO account_first_login (account_id, first_login_ms) "
       "SELECT account_id, MIN(first_login_ms) FROM user_first_login "
       "WHERE first_login_ms < ?1 GROUP BY account_id "
       "ON CONFLICT (account_id) DO UPDATE SET first_login_ms = CASE "
       "WHEN excluded.first_login_ms < account_first_login.first_login_ms "
       "THEN excluded.first_login_ms ELSE account_first_login.first_login_ms END",
       ms, false, false},
      {"DELETE FROM user_first_login WHERE first_login_ms < ?1", ms, true, false},
      {"INSERT INTO account_milestone (account_id, name, first_reached_ms) "
       "SELECT account_id, name, MIN(first_reached_ms) FROM user_milestone "
       "WHERE first_reached_ms < ?1 GROUP BY account_id, name "
       "ON CONFLICT (account_id, name) DO UPDATE SET first_reached_ms = CASE "
       "WHEN excluded.first_reached_ms < account_milestone.first_reached_ms "
       "THEN excluded.first_reached_ms ELSE account_milestone.first_reached_ms END",
       ms, false, false},
      {"DELETE FROM user_milestone WHERE first_reached_ms < ?1", ms, true, false},
      {"INSERT INTO account_milestone_day (account_id, name, day, events, value_sum) "
       "SELECT account_id, name, day, SUM(events), SUM(value_sum) FROM user_milestone_day "
       "WHERE day < ?1 GROUP BY account_id, name, day "
       "ON CONFLICT (account_id, name, day) DO UPDATE SET "
       "events = account_milestone_day.events + excluded.events, "
       "value_sum = account_milestone_day.value_sum + excluded.value_sum",
       day, false, false},
      {"DELETE FROM user_milestone_day WHERE day < ?1", day, true, false},
      {"DELETE FROM user_day WHERE day < ?1", day, true, false},
      {"DELETE FROM user_feedback_day WHERE day < ?1", day, true, false},
      {"DELETE FROM batches WHERE received_at_ms < ?1", ms, false, true},
  }};
  absl::Status s = store.RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    result = {};
    for (const Step& step : steps) {
      absl::StatusOr<int64_t> changed = sql.Execute(step.sql, step.params);
      if (!changed.ok()) return WithContext(changed.status(), "purging old aggregates");
      if (step.counts_user_rows) result.rows_deleted += *changed;
      if (step.counts_batches) result.batches_deleted += *changed;
    }
    return absl::OkStatus();
  });
  if (absl::IsUnimplemented(s)) return AggregatePurge{};
  if (!s.ok()) return s;
  return result;
}

}  // namespace cairn::collector
