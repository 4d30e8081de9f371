#include "store/account_snapshots.h"

#include <algorithm>
#include <array>
#include <map>
#include <type_traits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"
#include "store/sql_rows.h"

namespace cairn::collector {
namespace {

SqlValue OptReal(const std::optional<double>& v) { return v ? SqlValue(*v) : SqlValue(nullptr); }

std::optional<double> OptDouble(SqlRowReader& r, size_t col) {
  if (col < r.row.size() && !r.row[col]) return std::nullopt;
  return r.Double(col);
}

constexpr char kSnapshotColumns[] =
    "s.account_id, s.evaluated_at_ms, s.band_rank, s.score, s.trend_ratio, s.active_users, "
    "s.logins_week, s.alert_severity, s.view";
constexpr size_t kSnapshotColumnCount = 9;
// The same columns without the view (read by key after the sort).
constexpr char kListColumns[] =
    "s.account_id, s.evaluated_at_ms, s.band_rank, s.score, s.trend_ratio, s.active_users, "
    "s.logins_week, s.alert_severity, ''";

// Fills the views of `rows` (read without them), by key, in chunks that stay
// below both databases' parameter limits.
absl::Status ReadViews(SqlRunner& sql, std::vector<SnapshotListRow>& rows) {
  constexpr size_t kChunk = 500;
  for (size_t first = 0; first < rows.size(); first += kChunk) {
    const size_t end = std::min(rows.size(), first + kChunk);
    std::vector<SqlValue> ids;
    std::string text = "SELECT account_id, view FROM account_snapshot WHERE account_id IN (";
    std::map<std::string, size_t> where;
    for (size_t i = first; i < end; ++i) {
      ids.emplace_back(std::in_place_type<std::string>, rows[i].snapshot.account_id);
      absl::StrAppend(&text, i == first ? "?" : ", ?", ids.size());
      where.emplace(rows[i].snapshot.account_id, i);
    }
    text += ")";
    absl::StatusOr<std::vector<SqlRow>> views = sql.Query(text, ids);
    if (!views.ok()) return views.status();
    for (const SqlRow& row : *views) {
      if (row.size() < 2 || !row[0] || !row[1]) return UnreadableRow("account view");
      auto it = where.find(*row[0]);
      if (it != where.end()) rows[it->second].snapshot.view = *row[1];
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AccountSnapshot> ParseSnapshot(const SqlRow& row) {
  SqlRowReader r{row};
  AccountSnapshot s;
  s.account_id = r.Text(0);
  s.evaluated_at = absl::FromUnixMillis(r.Int(1));
  s.day = engagement::DayOf(s.evaluated_at);
  s.band_rank = static_cast<int>(r.Int(2));
  s.score = static_cast<int>(r.Int(3));
  s.trend_ratio = OptDouble(r, 4);
  s.active_users = r.Int(5);
  s.logins_week = r.Int(6);
  if (row.size() > 7 && row[7]) s.alert_severity = *row[7];
  s.view = r.Text(8);
  if (!r.ok) return UnreadableRow("account snapshot row");
  return s;
}

absl::StatusOr<SnapshotListRow> ParseListRow(const SqlRow& row) {
  SnapshotListRow out;
  absl::StatusOr<AccountSnapshot> snapshot = ParseSnapshot(row);
  if (!snapshot.ok()) return snapshot.status();
  out.snapshot = *std::move(snapshot);
  // The settings columns follow; a NULL account id: no settings row.
  if (row.size() > kSnapshotColumnCount && row[kSnapshotColumnCount]) {
    SqlRow settings(row.begin() + kSnapshotColumnCount, row.end());
    absl::StatusOr<AccountSettings> parsed = ParseAccountSettings(settings);
    if (!parsed.ok()) return parsed.status();
    out.settings = *std::move(parsed);
  }
  return out;
}

absl::StatusOr<AccountSnapshot> ParseHistory(const SqlRow& row) {
  SqlRowReader r{row};
  AccountSnapshot s;
  s.account_id = r.Text(0);
  s.day = r.Int(1);
  s.score = static_cast<int>(r.Int(2));
  s.band_rank = static_cast<int>(r.Int(3));
  s.frequency = OptDouble(r, 4);
  s.trend = OptDouble(r, 5);
  s.breadth = OptDouble(r, 6);
  s.time_to_value = OptDouble(r, 7);
  s.logins_week = r.Int(8);
  s.active_users = r.Int(9);
  if (!r.ok) return UnreadableRow("health history row");
  return s;
}

// LIKE pattern of a case-insensitive substring search ('\' escapes).
std::string ContainsPattern(std::string_view text) {
  std::string out = "%";
  for (char c : absl::AsciiStrToLower(ToAbsl(text))) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

// The WHERE clause of `filter` over "s" (snapshot) and "st" (settings),
// its values appended to `params` as ?N placeholders.
std::string WhereOf(const AccountFilter& filter, std::vector<SqlValue>& params) {
  std::vector<std::string> terms;
  // Typed, so each value is built in place (GCC warns of a moved variant).
  auto bind = [&params](const auto& v) {
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) {
      params.emplace_back(std::in_place_type<std::string>, v);
    } else {
      params.emplace_back(std::in_place_type<int64_t>, v);
    }
    return absl::StrCat("?", params.size());
  };
  if (filter.band_rank) terms.push_back("s.band_rank = " + bind(int64_t{*filter.band_rank}));
  if (filter.owner) terms.push_back("st.owner = " + bind(*filter.owner));
  if (filter.plan) terms.push_back("st.plan = " + bind(*filter.plan));
  if (filter.segment) {
    terms.push_back(absl::StrCat(
        "EXISTS (SELECT 1 FROM account_segments g WHERE g.account_id = s.account_id AND "
        "g.segment = ",
        bind(*filter.segment), ")"));
  }
  if (filter.search) {
    const std::string p = bind(ContainsPattern(*filter.search));
    terms.push_back(absl::StrCat(
        "(lower(s.account_id) LIKE ", p, " ESCAPE '\\' OR lower(COALESCE(st.owner, '')) LIKE ", p,
        " ESCAPE '\\' OR lower(COALESCE(st.plan, '')) LIKE ", p, " ESCAPE '\\')"));
  }
  if (filter.open_alert_only) terms.push_back("s.alert_severity IS NOT NULL");
  if (filter.renewal_from) {
    terms.push_back("st.renewal_day >= " + bind(int64_t{*filter.renewal_from}));
  }
  if (filter.renewal_to) terms.push_back("st.renewal_day <= " + bind(int64_t{*filter.renewal_to}));
  if (terms.empty()) return "";
  std::string out = " WHERE ";
  for (size_t i = 0; i < terms.size(); ++i) {
    if (i > 0) out += " AND ";
    out += terms[i];
  }
  return out;
}

const char* OrderOf(AccountSort sort) {
  switch (sort) {
    case AccountSort::kRisk:
      return "s.band_rank, s.score, s.account_id";
    case AccountSort::kScore:
      return "s.score, s.account_id";
    case AccountSort::kScoreDesc:
      return "s.score DESC, s.account_id";
    case AccountSort::kAccountId:
      return "s.account_id";
    case AccountSort::kRenewal:
      return "(st.renewal_day IS NULL), st.renewal_day, s.account_id";
    case AccountSort::kArrDesc:
      return "(st.arr_cents IS NULL), st.arr_cents DESC, s.account_id";
    case AccountSort::kTrend:
      return "(s.trend_ratio IS NULL), s.trend_ratio, s.account_id";
    case AccountSort::kActiveUsers:
      return "s.active_users, s.account_id";
  }
  return "s.account_id";
}

constexpr char kJoin[] =
    " FROM account_snapshot s LEFT JOIN account_settings st ON st.account_id = s.account_id";

}  // namespace

std::optional<AccountSort> ParseAccountSort(std::string_view name) {
  static constexpr std::pair<std::string_view, AccountSort> kNames[] = {
      {"risk", AccountSort::kRisk},
      {"score", AccountSort::kScore},
      {"-score", AccountSort::kScoreDesc},
      {"account_id", AccountSort::kAccountId},
      {"renewal_date", AccountSort::kRenewal},
      {"-arr", AccountSort::kArrDesc},
      {"trend", AccountSort::kTrend},
      {"active_users", AccountSort::kActiveUsers},
  };
  for (const auto& [text, sort] : kNames) {
    if (text == name) return sort;
  }
  return std::nullopt;
}

absl::Status AccountSnapshots::Put(std::span<const AccountSnapshot> snapshots) {
  return store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    for (const AccountSnapshot& s : snapshots) {
      const std::array<SqlValue, 9> row = {
          SqlValue(s.account_id),
          SqlValue(int64_t{absl::ToUnixMillis(s.evaluated_at)}),
          SqlValue(int64_t{s.band_rank}),
          SqlValue(int64_t{s.score}),
          OptReal(s.trend_ratio),
          SqlValue(s.active_users),
          SqlValue(s.logins_week),
          s.alert_severity ? SqlValue(*s.alert_severity) : SqlValue(nullptr),
          SqlValue(s.view)};
      absl::StatusOr<int64_t> put = sql.Execute(
          "INSERT INTO account_snapshot (account_id, evaluated_at_ms, band_rank, score, "
          "trend_ratio, active_users, logins_week, alert_severity, view) VALUES "
          "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (account_id) DO UPDATE SET "
          "evaluated_at_ms = excluded.evaluated_at_ms, band_rank = excluded.band_rank, "
          "score = excluded.score, trend_ratio = excluded.trend_ratio, "
          "active_users = excluded.active_users, logins_week = excluded.logins_week, "
          "alert_severity = excluded.alert_severity, view = excluded.view",
          row);
      if (!put.ok()) return put.status();
      const std::array<SqlValue, 10> day = {
          SqlValue(s.account_id),     SqlValue(int64_t{s.day}),
          SqlValue(int64_t{s.score}), SqlValue(int64_t{s.band_rank}),
          OptReal(s.frequency),       OptReal(s.trend),
          OptReal(s.breadth),         OptReal(s.time_to_value),
          SqlValue(s.logins_week),    SqlValue(s.active_users)};
      absl::StatusOr<int64_t> history = sql.Execute(
          "INSERT INTO account_health_daily (account_id, day, score, band_rank, frequency, "
          "trend, breadth, time_to_value, logins_week, active_users) VALUES "
          "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (account_id, day) DO UPDATE "
          "SET score = excluded.score, band_rank = excluded.band_rank, "
          "frequency = excluded.frequency, trend = excluded.trend, breadth = excluded.breadth, "
          "time_to_value = excluded.time_to_value, logins_week = excluded.logins_week, "
          "active_users = excluded.active_users",
          day);
      if (!history.ok()) return history.status();
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<SnapshotPage> AccountSnapshots::List(const AccountFilter& filter, AccountSort sort,
                                                    size_t offset, size_t limit, bool with_views) {
  std::vector<SqlValue> params;
  const std::string where = WhereOf(filter, params);
  std::vector<SqlValue> page_params = params;
  page_params.emplace_back(static_cast<int64_t>(limit));
  page_params.emplace_back(static_cast<int64_t>(offset));
  // The sort carries the narrow columns only (the rendered view is about a
  // kilobyte a row: sorting it would copy the whole table); the views of
  // the page are read after, by key.
  const std::string page_sql = absl::StrCat(
      "SELECT ", kListColumns, ", ", AccountSettingsColumns("st"), kJoin, where, " ORDER BY ",
      OrderOf(sort), " LIMIT ?", params.size() + 1, " OFFSET ?", params.size() + 2);
  const std::string count_sql = absl::StrCat("SELECT count(*)", kJoin, where);
  SnapshotPage out;
  absl::Status s = store_->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    absl::StatusOr<std::vector<SqlRow>> rows = sql.Query(page_sql, page_params);
    if (!rows.ok()) return rows.status();
    for (const SqlRow& row : *rows) {
      absl::StatusOr<SnapshotListRow> parsed = ParseListRow(row);
      if (!parsed.ok()) return parsed.status();
      out.rows.push_back(*std::move(parsed));
    }
    if (with_views) {
      if (absl::Status v = ReadViews(sql, out.rows); !v.ok()) return v;
    }
    absl::StatusOr<std::vector<SqlRow>> count = sql.Query(count_sql, params);
    if (!count.ok()) return count.status();
    SqlRowReader c{count->front()};
    out.total = c.Int(0);
    if (!c.ok) return UnreadableRow("count");
    absl::StatusOr<std::vector<SqlRow>> newest =
        sql.Query("SELECT max(evaluated_at_ms) FROM account_snapshot", {});
    if (!newest.ok()) return newest.status();
    if (!newest->empty() && newest->front()[0]) {
      SqlRowReader n{newest->front()};
      out.evaluated_at = absl::FromUnixMillis(n.Int(0));
      if (!n.ok) return UnreadableRow("evaluation time");
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<AccountGroup>> AccountSnapshots::Group(const AccountFilter& filter,
                                                                  AccountGrouping grouping) {
  std::vector<SqlValue> params;
  const std::string where = WhereOf(filter, params);
  std::string key;
  std::string join = kJoin;
  switch (grouping) {
    case AccountGrouping::kOwner:
      key = "COALESCE(st.owner, '')";
      break;
    case AccountGrouping::kPlan:
      key = "COALESCE(st.plan, '')";
      break;
    case AccountGrouping::kBand:
      key = "s.band_rank";
      break;
    case AccountGrouping::kSegment:
      // An account counts once in each of its segments.
      key = "COALESCE(sg.segment, '')";
      join += " LEFT JOIN account_segments sg ON sg.account_id = s.account_id";
      break;
  }
  const std::string query = absl::StrCat(
      "SELECT ", key,
      ", count(*), SUM(CASE WHEN s.band_rank = 0 THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN s.band_rank = 1 THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN s.band_rank = 2 THEN 1 ELSE 0 END), COALESCE(SUM(st.arr_cents), 0), "
      "COALESCE(SUM(CASE WHEN s.band_rank < 2 THEN st.arr_cents ELSE 0 END), 0), "
      "AVG(s.score)",
      join, where, " GROUP BY 1 ORDER BY 1");
  return ReadSqlRows<AccountGroup>(store_, query, params,
                                   [](const SqlRow& row) -> absl::StatusOr<AccountGroup> {
                                     SqlRowReader r{row};
                                     AccountGroup g;
                                     g.key = r.Text(0);
                                     g.accounts = r.Int(1);
                                     g.poor = r.Int(2);
                                     g.watch = r.Int(3);
                                     g.good = r.Int(4);
                                     g.arr_cents = r.Int(5);
                                     g.arr_at_risk_cents = r.Int(6);
                                     g.mean_score = r.Double(7);
                                     if (!r.ok) return UnreadableRow("group row");
                                     return g;
                                   });
}

absl::StatusOr<std::vector<RenewalTotal>> AccountSnapshots::RenewalTotals(
    const AccountFilter& filter) {
  std::vector<SqlValue> params;
  std::string where = WhereOf(filter, params);
  where += where.empty() ? " WHERE " : " AND ";
  where += "st.renewal_day IS NOT NULL";
  return ReadSqlRows<RenewalTotal>(
      store_,
      absl::StrCat("SELECT st.renewal_day, s.band_rank, count(*), COALESCE(SUM(st.arr_cents), 0)",
                   kJoin, where, " GROUP BY st.renewal_day, s.band_rank ORDER BY 1, 2"),
      params, [](const SqlRow& row) -> absl::StatusOr<RenewalTotal> {
        SqlRowReader r{row};
        RenewalTotal t;
        t.day = r.Int(0);
        t.band_rank = static_cast<int>(r.Int(1));
        t.accounts = r.Int(2);
        t.arr_cents = r.Int(3);
        if (!r.ok) return UnreadableRow("renewal total row");
        return t;
      });
}

absl::StatusOr<bool> AccountSnapshots::AnyEvaluated() {
  absl::StatusOr<std::vector<int64_t>> rows =
      ReadSqlRows<int64_t>(store_, "SELECT 1 FROM account_snapshot LIMIT 1", {},
                           [](const SqlRow&) -> absl::StatusOr<int64_t> { return 1; });
  if (!rows.ok()) return rows.status();
  return !rows->empty();
}

absl::StatusOr<std::optional<AccountSnapshot>> AccountSnapshots::Get(std::string_view account_id) {
  const std::array<SqlValue, 1> key = {SqlValue(std::string(account_id))};
  absl::StatusOr<std::vector<AccountSnapshot>> rows = ReadSqlRows<AccountSnapshot>(
      store_,
      absl::StrCat("SELECT ", kSnapshotColumns, " FROM account_snapshot s WHERE s.account_id = ?1"),
      key, ParseSnapshot);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<AccountSnapshot>();
  return std::optional<AccountSnapshot>(std::move(rows->front()));
}

absl::StatusOr<std::vector<AccountSnapshot>> AccountSnapshots::History(
    std::string_view account_id, engagement::DayIndex from_day) {
  const std::array<SqlValue, 2> key = {SqlValue(std::string(account_id)),
                                       SqlValue(int64_t{from_day})};
  return ReadSqlRows<AccountSnapshot>(
      store_,
      "SELECT account_id, day, score, band_rank, frequency, trend, breadth, time_to_value, "
      "logins_week, active_users FROM account_health_daily WHERE account_id = ?1 AND day >= ?2 "
      "ORDER BY day",
      key, ParseHistory);
}

absl::StatusOr<int64_t> AccountSnapshots::PurgeHistoryBefore(engagement::DayIndex day) {
  int64_t deleted = 0;
  absl::Status s = store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 1> cutoff = {SqlValue(int64_t{day})};
    absl::StatusOr<int64_t> n =
        sql.Execute("DELETE FROM account_health_daily WHERE day < ?1", cutoff);
    if (!n.ok()) return n.status();
    deleted = *n;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return deleted;
}

namespace {

// Deletes one account's snapshot and history; true when it had a snapshot.
absl::StatusOr<bool> DropAccount(SqlRunner& sql, const std::string& account_id) {
  const std::array<SqlValue, 1> key = {SqlValue(account_id)};
  bool had_snapshot = false;
  for (std::string_view table : {"account_snapshot", "account_health_daily"}) {
    absl::StatusOr<int64_t> n =
        sql.Execute(absl::StrCat("DELETE FROM ", ToAbsl(table), " WHERE account_id = ?1"), key);
    if (!n.ok()) return n.status();
    if (table == "account_snapshot") had_snapshot = *n > 0;
  }
  return had_snapshot;
}

}  // namespace

absl::StatusOr<int64_t> AccountSnapshots::DropAccountsNotIn(std::span<const std::string> live) {
  std::vector<std::string> sorted(live.begin(), live.end());
  std::sort(sorted.begin(), sorted.end());
  int64_t dropped = 0;
  absl::Status s = store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    absl::StatusOr<std::vector<SqlRow>> rows =
        sql.Query("SELECT account_id FROM account_snapshot", {});
    if (!rows.ok()) return rows.status();
    for (const SqlRow& row : *rows) {
      if (!row[0]) return UnreadableRow("account id");
      if (std::binary_search(sorted.begin(), sorted.end(), *row[0])) continue;
      absl::StatusOr<bool> had = DropAccount(sql, *row[0]);
      if (!had.ok()) return had.status();
      ++dropped;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return dropped;
}

absl::StatusOr<int64_t> AccountSnapshots::DropAccounts(std::span<const std::string> gone) {
  int64_t dropped = 0;
  if (gone.empty()) return dropped;
  absl::Status s = store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    for (const std::string& id : gone) {
      absl::StatusOr<bool> had = DropAccount(sql, id);
      if (!had.ok()) return had.status();
      dropped += *had ? 1 : 0;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return dropped;
}

}  // namespace cairn::collector
