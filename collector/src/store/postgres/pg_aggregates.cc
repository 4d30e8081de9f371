// PgStore's daily aggregates: a group's sums (DailyAggregates) upserted in
// one statement.
#include <string_view>
#include <tuple>

#include "absl/status/status.h"
#include "store/daily_aggregates.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_store.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

// The daily aggregates of a group's new events, summed per key in memory
// (DailyAggregates): one statement, one upsert per key. Keys arrive
// sorted, so collectors lock them in the same order.
constexpr std::string_view kAddAggregates = R"sql(
WITH login_days AS (
  INSERT INTO user_day AS t (account_id, user_id, day, logins)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
  ON CONFLICT (account_id, user_id, day) DO UPDATE SET logins = t.logins + excluded.logins
), first_logins AS (
  INSERT INTO user_first_login AS t (account_id, user_id, first_login_ms)
  SELECT * FROM unnest($5::text[], $6::text[], $7::bigint[])
  ON CONFLICT (account_id, user_id) DO UPDATE
  SET first_login_ms = least(t.first_login_ms, excluded.first_login_ms)
), first_milestones AS (
  INSERT INTO user_milestone AS t (account_id, user_id, name, first_reached_ms)
  SELECT * FROM unnest($8::text[], $9::text[], $10::text[], $11::bigint[])
  ON CONFLICT (account_id, user_id, name) DO UPDATE
  SET first_reached_ms = least(t.first_reached_ms, excluded.first_reached_ms)
), milestone_days AS (
  INSERT INTO user_milestone_day AS t (account_id, user_id, name, day, events, value_sum)
  SELECT * FROM unnest($12::text[], $13::text[], $14::text[], $15::bigint[], $16::bigint[],
                       $17::double precision[])
  ON CONFLICT (account_id, user_id, name, day) DO UPDATE
  SET events = t.events + excluded.events, value_sum = t.value_sum + excluded.value_sum
), feedback_days AS (
  INSERT INTO user_feedback_day AS t (account_id, user_id, kind, day, answered_at_ms, score)
  SELECT * FROM unnest($18::text[], $19::text[], $20::integer[], $21::bigint[], $22::bigint[],
                       $23::integer[])
  ON CONFLICT (account_id, user_id, kind, day) DO UPDATE
  SET answered_at_ms = excluded.answered_at_ms, score = excluded.score
  WHERE excluded.answered_at_ms > t.answered_at_ms
     OR (excluded.answered_at_ms = t.answered_at_ms AND excluded.score > t.score)
)
SELECT 1
)sql";

}  // namespace

absl::Status PgStore::FlushAggregates(DailyAggregates& sums) {
  if (sums.empty()) return absl::OkStatus();
  PgArrayLiteral day_accounts, day_users, days, logins;
  for (const auto& [key, count] : sums.login_days) {
    day_accounts.Add(std::get<0>(key));
    day_users.Add(std::get<1>(key));
    days.Add(std::get<2>(key));
    logins.Add(count);
  }
  PgArrayLiteral first_accounts, first_users, first_ms;
  for (const auto& [key, at_ms] : sums.first_login_ms) {
    first_accounts.Add(std::get<0>(key));
    first_users.Add(std::get<1>(key));
    first_ms.Add(at_ms);
  }
  PgArrayLiteral reached_accounts, reached_users, reached_names, reached_ms;
  for (const auto& [key, at_ms] : sums.first_milestone_ms) {
    reached_accounts.Add(std::get<0>(key));
    reached_users.Add(std::get<1>(key));
    reached_names.Add(std::get<2>(key));
    reached_ms.Add(at_ms);
  }
  PgArrayLiteral m_accounts, m_users, m_names, m_days, m_events, m_sums;
  for (const auto& [key, day] : sums.milestone_days) {
    m_accounts.Add(std::get<0>(key));
    m_users.Add(std::get<1>(key));
    m_names.Add(std::get<2>(key));
    m_days.Add(std::get<3>(key));
    m_events.Add(day.events);
    m_sums.Add(day.value_sum);
  }
  PgArrayLiteral f_accounts, f_users, f_kinds, f_days, f_at_ms, f_scores;
  for (const auto& [key, answer] : sums.feedback_days) {
    f_accounts.Add(std::get<0>(key));
    f_users.Add(std::get<1>(key));
    f_kinds.Add(std::get<2>(key));
    f_days.Add(std::get<3>(key));
    f_at_ms.Add(answer.answered_at_ms);
    f_scores.Add(answer.score);
  }
  PgParams params;
  for (PgArrayLiteral* array : {&day_accounts,   &day_users,     &days,       &logins,
                                &first_accounts, &first_users,   &first_ms,   &reached_accounts,
                                &reached_users,  &reached_names, &reached_ms, &m_accounts,
                                &m_users,        &m_names,       &m_days,     &m_events,
                                &m_sums,         &f_accounts,    &f_users,    &f_kinds,
                                &f_days,         &f_at_ms,       &f_scores}) {
    params.Add(array->Finish());
  }
  sums = {};
  if (absl::Status s = writer_->Run(kAddAggregates, params); !s.ok()) {
    return WithContext(s, "aggregating");
  }
  return absl::OkStatus();
}

}  // namespace cairn::collector
