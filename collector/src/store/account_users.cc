#include "store/account_users.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"
#include "store/sql_rows.h"
#include "store/sql_runner.h"

namespace cairn::collector {
namespace {

constexpr char kWindow[] = "FROM user_day WHERE account_id = ?1 AND day >= ?2 AND day <= ?3";

// Rows of "user_id, COUNT(*), SUM(logins)[, MAX(day)]".
absl::StatusOr<AccountUserLogins> ParseLogins(const SqlRow& row, bool with_last_seen) {
  SqlRowReader r{row};
  AccountUserLogins u;
  u.user_id = r.Text(0);
  u.active_days = r.Int(1);
  u.logins = r.Int(2);
  if (with_last_seen) u.last_seen = r.Int(3);
  if (!r.ok) return UnreadableRow("user_day row");
  return u;
}

// The single integer of a one-row, one-column answer (0 without a row).
absl::StatusOr<int64_t> ScalarOf(const std::vector<SqlRow>& rows) {
  if (rows.empty()) return 0;
  SqlRowReader r{rows.front()};
  int64_t v = r.Int(0);
  if (!r.ok) return UnreadableRow("aggregate");
  return v;
}

}  // namespace

absl::StatusOr<AccountUsersPage> AccountUsers::Read(std::string_view account_id,
                                                    const AccountUsersQuery& query) {
  AccountUsersPage page;
  absl::Status s = store_->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    page = {};
    const std::vector<SqlValue> window = {SqlText(account_id), SqlValue(int64_t{query.from}),
                                          SqlValue(int64_t{query.to})};
    std::vector<SqlValue> paged = window;
    paged.emplace_back(static_cast<int64_t>(query.limit));
    paged.emplace_back(static_cast<int64_t>(query.offset));
    absl::StatusOr<std::vector<SqlRow>> rows =
        sql.Query(absl::StrCat("SELECT user_id, COUNT(*), SUM(logins), MAX(day) ", kWindow,
                               " GROUP BY user_id ORDER BY SUM(logins) DESC, user_id "
                               "LIMIT ?4 OFFSET ?5"),
                  paged);
    if (!rows.ok()) return rows.status();
    for (const SqlRow& row : *rows) {
      absl::StatusOr<AccountUserLogins> u = ParseLogins(row, true);
      if (!u.ok()) return u.status();
      page.users.push_back(*std::move(u));
    }
    rows = sql.Query(
        absl::StrCat("SELECT COUNT(DISTINCT user_id), COALESCE(SUM(logins), 0) ", kWindow), window);
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) {
      SqlRowReader r{rows->front()};
      page.total_users = r.Int(0);
      page.total_logins = r.Int(1);
      if (!r.ok) return UnreadableRow("user_day totals");
    }
    const std::vector<SqlValue> account = {SqlText(account_id)};
    rows = sql.Query(
        "SELECT COUNT(*) FROM (SELECT user_id FROM user_first_login WHERE account_id = ?1 "
        "UNION SELECT user_id FROM user_day WHERE account_id = ?1) AS known",
        account);
    if (!rows.ok()) return rows.status();
    absl::StatusOr<int64_t> known = ScalarOf(*rows);
    if (!known.ok()) return known.status();
    page.known_users = *known;

    const std::vector<SqlValue> recent = {SqlText(account_id), SqlValue(int64_t{query.recent_from}),
                                          SqlValue(int64_t{query.to})};
    rows = sql.Query(absl::StrCat("SELECT user_id, COUNT(*), SUM(logins) ", kWindow,
                                  " GROUP BY user_id ORDER BY COUNT(*) DESC, SUM(logins) DESC, "
                                  "user_id LIMIT 1"),
                     recent);
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) {
      absl::StatusOr<AccountUserLogins> champion = ParseLogins(rows->front(), false);
      if (!champion.ok()) return champion.status();
      page.champion = *std::move(champion);
    }
    rows = sql.Query(absl::StrCat("SELECT COALESCE(SUM(logins), 0) ", kWindow), recent);
    if (!rows.ok()) return rows.status();
    absl::StatusOr<int64_t> recent_logins = ScalarOf(*rows);
    if (!recent_logins.ok()) return recent_logins.status();
    page.recent_logins = *recent_logins;
    rows = sql.Query(absl::StrCat("SELECT SUM(logins) AS total ", kWindow,
                                  " GROUP BY user_id ORDER BY total DESC LIMIT 1"),
                     recent);
    if (!rows.ok()) return rows.status();
    absl::StatusOr<int64_t> top = ScalarOf(*rows);
    if (!top.ok()) return top.status();
    page.recent_top_user_logins = *top;

    if (page.users.empty()) return absl::OkStatus();
    // The page's users as bound values, one placeholder each.
    std::vector<SqlValue> users = {SqlText(account_id)};
    std::string placeholders;
    for (const AccountUserLogins& u : page.users) {
      users.push_back(SqlText(u.user_id));
      absl::StrAppend(&placeholders, placeholders.empty() ? "" : ", ", "?", users.size());
    }
    rows = sql.Query(absl::StrCat("SELECT user_id, name, first_reached_ms FROM user_milestone "
                                  "WHERE account_id = ?1 AND user_id IN (",
                                  placeholders, ") ORDER BY user_id, first_reached_ms, name"),
                     users);
    if (!rows.ok()) return rows.status();
    return AppendUserMilestones(*rows, page.milestones);
  });
  if (!s.ok()) return s;
  return page;
}

}  // namespace cairn::collector
