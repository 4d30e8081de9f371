#include "store/engagement_store.h"

#include <array>
#include <span>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cairn/common/crypto.h"
#include "cairn/common/strings.h"
#include "cairn/common/uuid.h"
#include "store/sql_rows.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

using engagement::DayIndex;
using engagement::DropState;

// The shared row parser, with the millisecond times of these tables.
struct Reader : SqlRowReader {
  explicit Reader(const SqlRow& r) : SqlRowReader{r} {}
  std::optional<double> OptDouble(size_t col) {
    if (col < row.size() && !row[col]) return std::nullopt;
    return Double(col);
  }
  std::optional<absl::Time> OptTime(size_t col) {
    std::optional<int64_t> ms = OptInt(col);
    if (!ms) return std::nullopt;
    return absl::FromUnixMillis(*ms);
  }
};

SqlValue Text(std::string_view s) { return SqlValue(std::string(s)); }
SqlValue Ms(absl::Time t) { return SqlValue(int64_t{absl::ToUnixMillis(t)}); }
// InfinitePast (AlertEpisode's "unset") is stored as NULL.
SqlValue OptMs(absl::Time t) { return t == absl::InfinitePast() ? SqlValue(nullptr) : Ms(t); }
absl::Time FromOptMs(const std::optional<absl::Time>& t) {
  return t.value_or(absl::InfinitePast());
}

int64_t DeliveryCode(DeliveryState state) { return static_cast<int64_t>(state); }

// The stored DropState code (its enum value) of an alert or episode.
DropState SeverityOf(int64_t code) {
  switch (code) {
    case 1:
      return DropState::kDrop;
    case 2:
      return DropState::kSevere;
    case 3:
      return DropState::kDeclining;
    default:
      return DropState::kNone;
  }
}

constexpr char kAlertColumns[] =
    "alert_id, account_id, severity, open, opened_at_ms, escalated_at_ms, resolved_at_ms, "
    "this_week, baseline_mean, ratio, payload, delivery_state, attempts, last_error, "
    "next_attempt_ms, kind, loss_12w, acknowledged_at_ms, snoozed_until_ms";

absl::StatusOr<StoredAlert> ParseAlert(const SqlRow& row) {
  Reader r{row};
  StoredAlert a;
  a.alert_id = r.Text(0);
  a.account_id = r.Text(1);
  a.severity = SeverityOf(r.Int(2));
  if (a.severity == DropState::kNone) a.severity = DropState::kDrop;
  a.open = r.Int(3) != 0;
  a.opened_at = absl::FromUnixMillis(r.Int(4));
  a.escalated_at = r.OptTime(5);
  a.resolved_at = r.OptTime(6);
  a.this_week = r.Int(7);
  a.baseline_mean = r.Double(8);
  a.ratio = r.Double(9);
  a.payload = r.Text(10);
  int64_t state = r.Int(11);
  a.delivery = state == 1   ? DeliveryState::kDelivered
               : state == 2 ? DeliveryState::kFailed
                            : DeliveryState::kPending;
  a.attempts = r.Int(12);
  a.last_error = r.Text(13);
  a.next_attempt_at = absl::FromUnixMillis(r.Int(14));
  a.kind = r.Text(15);
  a.loss_12w = r.OptDouble(16);
  a.acknowledged_at = r.OptTime(17);
  a.snoozed_until = r.OptTime(18);
  if (!r.ok) return UnreadableRow("alert row");
  return a;
}

constexpr char kSettingsColumns[] =
    "account_id, seats, renewal_day, key_milestones, owner, plan, arr_cents, segments";

absl::StatusOr<AccountSettings> ParseSettings(const SqlRow& row) {
  Reader r{row};
  AccountSettings s;
  s.account_id = r.Text(0);
  s.seats = r.OptInt(1);
  s.renewal_date = r.OptInt(2);
  std::string keys = r.Text(3);
  if (!keys.empty()) {
    for (absl::string_view k : absl::StrSplit(keys, '\n')) s.key_milestones.emplace_back(k);
  }
  if (row.size() > 4 && row[4]) s.owner = *row[4];
  if (row.size() > 5 && row[5]) s.plan = *row[5];
  s.arr_cents = r.OptInt(6);
  std::string segments = r.Text(7);
  if (!segments.empty()) {
    for (absl::string_view g : absl::StrSplit(segments, '\n')) s.segments.emplace_back(g);
  }
  if (!r.ok) return UnreadableRow("account settings row");
  return s;
}

constexpr char kGoalColumns[] =
    "goal_id, account_id, name, milestone_name, target_count, start_day, due_day, created_at_ms";

absl::StatusOr<StoredGoal> ParseGoal(const SqlRow& row) {
  Reader r{row};
  StoredGoal g;
  g.goal_id = r.Text(0);
  g.goal.account_id = r.Text(1);
  g.goal.name = r.Text(2);
  g.goal.milestone_name = r.Text(3);
  g.goal.target_count = r.Int(4);
  g.goal.start = r.Int(5);
  g.goal.due = r.OptInt(6);
  g.created_at = absl::FromUnixMillis(r.Int(7));
  if (!r.ok) return UnreadableRow("goal row");
  return g;
}

// Every row `query` returns, each through `parse` (a ParseX above).
template <typename Row>
absl::StatusOr<std::vector<Row>> ReadRows(Store* store, const std::string& query,
                                          std::span<const SqlValue> params,
                                          absl::StatusOr<Row> (*parse)(const SqlRow&)) {
  return ReadSqlRows<Row>(store, query, params, parse);
}

}  // namespace

std::string AccountSettingsColumns(std::string_view table) {
  std::vector<std::string> columns;
  for (absl::string_view c : absl::StrSplit(kSettingsColumns, ", ")) {
    columns.push_back(absl::StrCat(ToAbsl(table), ".", c));
  }
  return absl::StrJoin(columns, ", ");
}

absl::StatusOr<AccountSettings> ParseAccountSettings(const SqlRow& row) {
  return ParseSettings(row);
}

std::string_view DeliveryStateName(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      return "failed";
  }
  return "pending";
}

absl::StatusOr<engagement::AccountInput> EngagementStore::ReadAccountInput(
    std::string_view account_id, absl::Time now) {
  engagement::AccountInput input;
  input.account_id = std::string(account_id);
  const DayIndex today = engagement::DayOf(now);
  absl::Status s = store_->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 1> account = {Text(account_id)};
    absl::StatusOr<std::vector<SqlRow>> settings = sql.Query(
        absl::StrCat("SELECT ", kSettingsColumns, " FROM account_settings WHERE account_id = ?1"),
        account);
    if (!settings.ok()) return settings.status();
    if (!settings->empty()) {
      absl::StatusOr<AccountSettings> parsed = ParseSettings(settings->front());
      if (!parsed.ok()) return parsed.status();
      input.seats = parsed->seats;
      input.key_milestones = std::move(parsed->key_milestones);
    }
    const std::array<SqlValue, 3> range = {
        Text(account_id), SqlValue(today - engagement::kHistoryDays + 1), SqlValue(today)};
    absl::StatusOr<std::vector<SqlRow>> days = sql.Query(
        "SELECT user_id, day, logins FROM user_day WHERE account_id = ?1 AND day >= ?2 "
        "AND day <= ?3",
        range);
    if (!days.ok()) return days.status();
    input.login_days.reserve(days->size());
    for (const SqlRow& row : *days) {
      Reader r{row};
      engagement::UserDayLogins& d = input.login_days.emplace_back();
      d.user_id = r.Text(0);
      d.day = r.Int(1);
      d.logins = r.Int(2);
      if (!r.ok) return UnreadableRow("user_day row");
    }
    // Rows older than the retention window live on without a user (an
    // empty user_id here): the account's first login and milestones'
    // first reach stay what they were (store/user_data.h).
    absl::StatusOr<std::vector<SqlRow>> firsts = sql.Query(
        "SELECT user_id, first_login_ms FROM user_first_login WHERE account_id = ?1 "
        "UNION ALL SELECT '', first_login_ms FROM account_first_login WHERE account_id = ?1",
        account);
    if (!firsts.ok()) return firsts.status();
    for (const SqlRow& row : *firsts) {
      Reader r{row};
      engagement::UserFirstLogin& f = input.first_logins.emplace_back();
      f.user_id = r.Text(0);
      f.first_login = absl::FromUnixMillis(r.Int(1));
      if (!r.ok) return UnreadableRow("user_first_login row");
    }
    absl::StatusOr<std::vector<SqlRow>> milestones = sql.Query(
        "SELECT user_id, name, first_reached_ms FROM user_milestone WHERE account_id = ?1 "
        "UNION ALL SELECT '', name, first_reached_ms FROM account_milestone "
        "WHERE account_id = ?1",
        account);
    if (!milestones.ok()) return milestones.status();
    return AppendUserMilestones(*milestones, input.milestones);
  });
  if (!s.ok()) return s;
  return input;
}

absl::StatusOr<std::vector<engagement::UserMilestoneDay>> EngagementStore::ReadMilestoneDays(
    std::string_view account_id) {
  std::vector<engagement::UserMilestoneDay> out;
  absl::Status s = store_->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 1> account = {Text(account_id)};
    absl::StatusOr<std::vector<SqlRow>> rows = sql.Query(
        "SELECT user_id, name, day, events, value_sum FROM user_milestone_day "
        "WHERE account_id = ?1 UNION ALL SELECT '', name, day, events, value_sum "
        "FROM account_milestone_day WHERE account_id = ?1",
        account);
    if (!rows.ok()) return rows.status();
    for (const SqlRow& row : *rows) {
      Reader r{row};
      engagement::UserMilestoneDay& d = out.emplace_back();
      d.user_id = r.Text(0);
      d.name = r.Text(1);
      d.day = r.Int(2);
      d.events = r.Int(3);
      d.value_sum = r.Double(4);
      if (!r.ok) return UnreadableRow("user_milestone_day row");
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<std::string>> EngagementStore::ListAccountIds() {
  std::vector<std::string> out;
  absl::Status s = store_->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    // Every user_day row has its user_first_login row (written and deleted
    // together), so the first logins stand for the login tables.
    absl::StatusOr<std::vector<SqlRow>> rows = sql.Query(
        "SELECT account_id FROM user_first_login UNION SELECT account_id FROM user_milestone "
        "UNION SELECT account_id FROM account_first_login "
        "UNION SELECT account_id FROM account_milestone "
        "UNION SELECT account_id FROM account_settings ORDER BY 1",
        {});
    if (!rows.ok()) return rows.status();
    for (const SqlRow& row : *rows) {
      if (!row[0]) return UnreadableRow("account id");
      out.push_back(*row[0]);
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<std::string>> EngagementStore::AccountsOfUser(std::string_view user_id) {
  const std::array<SqlValue, 1> user = {Text(user_id)};
  return ReadSqlRows<std::string>(
      store_,
      "SELECT account_id FROM user_first_login WHERE user_id = ?1 "
      "UNION SELECT account_id FROM user_milestone WHERE user_id = ?1 ORDER BY 1",
      user, [](const SqlRow& row) -> absl::StatusOr<std::string> {
        if (row.empty() || !row[0]) return UnreadableRow("account id");
        return *row[0];
      });
}

absl::StatusOr<std::optional<AccountSettings>> EngagementStore::GetAccountSettings(
    std::string_view account_id) {
  std::optional<AccountSettings> out;
  absl::Status s = store_->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 1> account = {Text(account_id)};
    absl::StatusOr<std::vector<SqlRow>> rows = sql.Query(
        absl::StrCat("SELECT ", kSettingsColumns, " FROM account_settings WHERE account_id = ?1"),
        account);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return absl::OkStatus();
    absl::StatusOr<AccountSettings> parsed = ParseSettings(rows->front());
    if (!parsed.ok()) return parsed.status();
    out = *std::move(parsed);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<AccountSettings>> EngagementStore::ListAccountSettings() {
  return ReadRows(
      store_,
      absl::StrCat("SELECT ", kSettingsColumns, " FROM account_settings ORDER BY account_id"), {},
      ParseSettings);
}

absl::Status EngagementStore::PutAccountSettings(const AccountSettings& settings, absl::Time now) {
  auto optional_text = [](const std::optional<std::string>& v) {
    return v ? SqlValue(*v) : SqlValue(nullptr);
  };
  return store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 9> params = {
        Text(settings.account_id),
        settings.seats ? SqlValue(*settings.seats) : SqlValue(nullptr),
        settings.renewal_date ? SqlValue(*settings.renewal_date) : SqlValue(nullptr),
        SqlValue(absl::StrJoin(settings.key_milestones, "\n")),
        Ms(now),
        optional_text(settings.owner),
        optional_text(settings.plan),
        settings.arr_cents ? SqlValue(*settings.arr_cents) : SqlValue(nullptr),
        SqlValue(absl::StrJoin(settings.segments, "\n"))};
    absl::StatusOr<int64_t> put = sql.Execute(
        "INSERT INTO account_settings (account_id, seats, renewal_day, key_milestones, "
        "updated_at_ms, owner, plan, arr_cents, segments) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (account_id) DO UPDATE SET "
        "seats = excluded.seats, renewal_day = excluded.renewal_day, "
        "key_milestones = excluded.key_milestones, updated_at_ms = excluded.updated_at_ms, "
        "owner = excluded.owner, plan = excluded.plan, arr_cents = excluded.arr_cents, "
        "segments = excluded.segments",
        params);
    if (!put.ok()) return put.status();
    // The tag rows follow the settings row in the same transaction.
    const std::array<SqlValue, 1> account = {Text(settings.account_id)};
    if (absl::StatusOr<int64_t> cleared =
            sql.Execute("DELETE FROM account_segments WHERE account_id = ?1", account);
        !cleared.ok()) {
      return cleared.status();
    }
    for (const std::string& segment : settings.segments) {
      const std::array<SqlValue, 2> tag = {Text(settings.account_id), Text(segment)};
      if (absl::StatusOr<int64_t> added = sql.Execute(
              "INSERT INTO account_segments (account_id, segment) VALUES (?1, ?2)", tag);
          !added.ok()) {
        return added.status();
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<StoredGoal> EngagementStore::CreateGoal(const engagement::Goal& goal,
                                                       absl::Time now) {
  if (absl::Status s = engagement::ValidateGoal(goal); !s.ok()) return s;
  StoredGoal stored;
  stored.goal_id = RandomHexId();
  stored.goal = goal;
  stored.created_at = absl::FromUnixMillis(absl::ToUnixMillis(now));
  absl::Status s = store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 8> params = {Text(stored.goal_id),
                                            Text(goal.account_id),
                                            Text(goal.name),
                                            Text(goal.milestone_name),
                                            SqlValue(goal.target_count),
                                            SqlValue(goal.start),
                                            goal.due ? SqlValue(*goal.due) : SqlValue(nullptr),
                                            Ms(stored.created_at)};
    return sql
        .Execute(absl::StrCat("INSERT INTO goals (", kGoalColumns,
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                 params)
        .status();
  });
  if (!s.ok()) return s;
  return stored;
}

absl::StatusOr<std::vector<StoredGoal>> EngagementStore::ListGoals(std::string_view account_id) {
  const std::array<SqlValue, 1> account = {Text(account_id)};
  return ReadRows(store_,
                  absl::StrCat("SELECT ", kGoalColumns,
                               " FROM goals WHERE account_id = ?1 ORDER BY created_at_ms, goal_id"),
                  account, ParseGoal);
}

absl::StatusOr<bool> EngagementStore::DeleteGoal(std::string_view account_id,
                                                 std::string_view goal_id) {
  bool deleted = false;
  absl::Status s = store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 2> params = {Text(account_id), Text(goal_id)};
    absl::StatusOr<int64_t> n =
        sql.Execute("DELETE FROM goals WHERE account_id = ?1 AND goal_id = ?2", params);
    if (!n.ok()) return n.status();
    deleted = *n > 0;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return deleted;
}

absl::StatusOr<AccountEpisode> EngagementStore::ReadEpisode(std::string_view account_id) {
  AccountEpisode out;
  absl::Status s = store_->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 1> account = {Text(account_id)};
    absl::StatusOr<std::vector<SqlRow>> rows = sql.Query(
        "SELECT open, severity, opened_at_ms, escalated_at_ms, closed_at_ms, episodes, alert_id "
        "FROM alert_episodes WHERE account_id = ?1",
        account);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return absl::OkStatus();
    Reader r{rows->front()};
    out.episode.open = r.Int(0) != 0;
    out.episode.severity = SeverityOf(r.Int(1));
    out.episode.opened_at = FromOptMs(r.OptTime(2));
    out.episode.escalated_at = FromOptMs(r.OptTime(3));
    out.episode.closed_at = FromOptMs(r.OptTime(4));
    out.episode.episodes = r.Int(5);
    out.alert_id = r.Text(6);
    out.persisted = true;
    if (!r.ok) return UnreadableRow("alert episode row");
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status EngagementStore::SaveAlertStep(std::string_view account_id,
                                            const AccountEpisode& previous,
                                            const AccountEpisode& episode,
                                            engagement::AlertAction action,
                                            const StoredAlert& alert) {
  using engagement::AlertAction;
  return store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const engagement::AlertEpisode& e = episode.episode;
    const engagement::AlertEpisode& p = previous.episode;
    const std::array<SqlValue, 11> params = {Text(account_id),
                                             SqlValue(int64_t{e.open ? 1 : 0}),
                                             SqlValue(static_cast<int64_t>(e.severity)),
                                             OptMs(e.opened_at),
                                             OptMs(e.escalated_at),
                                             OptMs(e.closed_at),
                                             SqlValue(e.episodes),
                                             Text(episode.alert_id),
                                             SqlValue(p.episodes),
                                             SqlValue(int64_t{p.open ? 1 : 0}),
                                             SqlValue(static_cast<int64_t>(p.severity))};
    // Insert if there was no row, else update only the row the step was
    // computed from.
    absl::StatusOr<int64_t> saved =
        previous.persisted
            ? sql.Execute(
                  "UPDATE alert_episodes SET open = ?2, severity = ?3, opened_at_ms = ?4, "
                  "escalated_at_ms = ?5, closed_at_ms = ?6, episodes = ?7, alert_id = ?8 "
                  "WHERE account_id = ?1 AND episodes = ?9 AND open = ?10 AND severity = ?11",
                  params)
            : sql.Execute(
                  "INSERT INTO alert_episodes (account_id, open, severity, opened_at_ms, "
                  "escalated_at_ms, closed_at_ms, episodes, alert_id) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (account_id) DO NOTHING",
                  std::span<const SqlValue>(params).subspan(0, 8));
    if (!saved.ok()) return saved.status();
    if (*saved != 1) {
      return absl::FailedPreconditionError("the alert episode changed meanwhile");
    }
    switch (action) {
      case AlertAction::kOpen: {
        const std::array<SqlValue, 19> row = {
            Text(alert.alert_id),
            Text(account_id),
            SqlValue(static_cast<int64_t>(alert.severity)),
            SqlValue(int64_t{1}),
            Ms(alert.opened_at),
            SqlValue(nullptr),
            SqlValue(nullptr),
            SqlValue(alert.this_week),
            SqlValue(alert.baseline_mean),
            SqlValue(alert.ratio),
            Text(alert.payload),
            SqlValue(DeliveryCode(alert.delivery)),
            SqlValue(alert.attempts),
            Text(alert.last_error),
            Ms(alert.next_attempt_at),
            Text(alert.kind),
            alert.loss_12w ? SqlValue(*alert.loss_12w) : SqlValue(nullptr),
            SqlValue(nullptr),
            SqlValue(nullptr)};
        return sql
            .Execute(absl::StrCat("INSERT INTO alerts (", kAlertColumns,
                                  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                                  "?13, ?14, ?15, ?16, ?17, ?18, ?19)"),
                     row)
            .status();
      }
      case AlertAction::kEscalate: {
        const std::array<SqlValue, 3> row = {Text(episode.alert_id),
                                             SqlValue(static_cast<int64_t>(e.severity)),
                                             OptMs(e.escalated_at)};
        return sql
            .Execute("UPDATE alerts SET severity = ?2, escalated_at_ms = ?3 WHERE alert_id = ?1",
                     row)
            .status();
      }
      case AlertAction::kClose: {
        const std::array<SqlValue, 2> row = {Text(episode.alert_id), OptMs(e.closed_at)};
        return sql
            .Execute("UPDATE alerts SET open = 0, resolved_at_ms = ?2 WHERE alert_id = ?1", row)
            .status();
      }
      case AlertAction::kNone:
        break;
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<StoredAlert>> EngagementStore::QueryAlerts(
    std::string_view where_order_limit, std::span<const SqlValue> params) {
  return ReadRows(
      store_, absl::StrCat("SELECT ", kAlertColumns, " FROM alerts ", ToAbsl(where_order_limit)),
      params, ParseAlert);
}

absl::StatusOr<std::vector<StoredAlert>> EngagementStore::ListAlerts(
    bool open_only, size_t limit, std::optional<absl::Time> hide_snoozed_at) {
  if (open_only && hide_snoozed_at) {
    const std::array<SqlValue, 2> params = {Ms(*hide_snoozed_at),
                                            SqlValue(static_cast<int64_t>(limit))};
    return QueryAlerts(
        "WHERE open = 1 AND (snoozed_until_ms IS NULL OR snoozed_until_ms <= ?1) "
        "ORDER BY opened_at_ms DESC, alert_id LIMIT ?2",
        params);
  }
  const std::array<SqlValue, 2> params = {SqlValue(int64_t{open_only ? 1 : 0}),
                                          SqlValue(static_cast<int64_t>(limit))};
  return QueryAlerts("WHERE open >= ?1 ORDER BY opened_at_ms DESC, alert_id LIMIT ?2", params);
}

absl::StatusOr<std::optional<StoredAlert>> EngagementStore::OpenAlertOf(
    std::string_view account_id) {
  const std::array<SqlValue, 1> params = {SqlValue(std::string(account_id))};
  absl::StatusOr<std::vector<StoredAlert>> alerts = QueryAlerts(
      "WHERE alert_id = (SELECT alert_id FROM alert_episodes WHERE account_id = ?1 AND open = 1) "
      "AND open = 1",
      params);
  if (!alerts.ok()) return alerts.status();
  if (alerts->empty()) return std::optional<StoredAlert>();
  return std::optional<StoredAlert>(std::move(alerts->front()));
}

absl::StatusOr<std::vector<StoredAlert>> EngagementStore::DueDeliveries(absl::Time now,
                                                                        size_t limit) {
  const std::array<SqlValue, 3> params = {SqlValue(DeliveryCode(DeliveryState::kPending)), Ms(now),
                                          SqlValue(static_cast<int64_t>(limit))};
  return QueryAlerts(
      "WHERE delivery_state = ?1 AND next_attempt_ms <= ?2 ORDER BY next_attempt_ms, alert_id "
      "LIMIT ?3",
      params);
}

absl::StatusOr<bool> EngagementStore::ClaimDelivery(std::string_view alert_id, absl::Time due_at,
                                                    absl::Time lease_until) {
  bool claimed = false;
  absl::Status s = store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 4> params = {Text(alert_id), Ms(due_at), Ms(lease_until),
                                            SqlValue(DeliveryCode(DeliveryState::kPending))};
    absl::StatusOr<int64_t> n = sql.Execute(
        "UPDATE alerts SET next_attempt_ms = ?3 WHERE alert_id = ?1 AND next_attempt_ms = ?2 "
        "AND delivery_state = ?4",
        params);
    if (!n.ok()) return n.status();
    claimed = *n == 1;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return claimed;
}

absl::Status EngagementStore::RecordDelivery(std::string_view alert_id, DeliveryState state,
                                             int64_t attempts, std::string_view last_error,
                                             absl::Time next_attempt_at) {
  return store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 6> params = {
        Text(alert_id),      SqlValue(DeliveryCode(state)),
        SqlValue(attempts),  Text(last_error),
        Ms(next_attempt_at), SqlValue(DeliveryCode(DeliveryState::kDelivered))};
    return sql
        .Execute(
            "UPDATE alerts SET delivery_state = ?2, attempts = ?3, last_error = ?4, "
            "next_attempt_ms = ?5 WHERE alert_id = ?1 AND delivery_state <> ?6",
            params)
        .status();
  });
}

}  // namespace cairn::collector
