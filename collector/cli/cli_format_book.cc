#include "cli_format_book.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli_format.h"

namespace cairn::cli {
namespace {

std::string Text(const std::string& s) { return s.empty() ? "-" : TerminalSafe(s); }

std::string Text(const google::protobuf::Value& v) {
  return v.has_string_value() && !v.string_value().empty() ? TerminalSafe(v.string_value()) : "-";
}

std::string Money(double amount) { return absl::StrFormat("%.2f", amount); }

std::string Money(const google::protobuf::Value& v) {
  return v.has_number_value() ? Money(v.number_value()) : "-";
}

std::string Segments(const google::protobuf::RepeatedPtrField<std::string>& tags) {
  if (tags.empty()) return "-";
  std::vector<std::string> safe;
  for (const std::string& t : tags) safe.push_back(TerminalSafe(t));
  return absl::StrJoin(safe, ",");
}

}  // namespace

std::string FormatAccountPage(const admin::v1::AccountPage& page) {
  if (page.accounts().empty()) return "no accounts match\n";
  TextTable table({"ACCOUNT", "HEALTH", "OWNER", "PLAN", "ARR", "SEGMENTS", "RENEWAL", "ALERT"},
                  {false, false, false, false, true, false, false, false});
  for (const admin::v1::Account& a : page.accounts()) {
    table.AddRow({Text(a.account_id()),
                  absl::StrCat(Text(a.health().band()), " ", a.health().score()), Text(a.owner()),
                  Text(a.plan()), Money(a.arr()), Segments(a.segments()), Text(a.renewal_date()),
                  a.has_open_alert() ? Text(a.open_alert().severity()) : "-"});
  }
  std::string out = table.Render();
  absl::StrAppend(&out, page.accounts_size(), " of ", page.total(), " accounts, evaluated ",
                  Text(page.as_of()), "\n");
  if (!page.next_page_token().empty()) absl::StrAppend(&out, "more: raise --limit\n");
  return out;
}

std::string FormatAccountGroups(const admin::v1::AccountSummary& summary) {
  if (summary.groups().empty()) return "no accounts match\n";
  std::string key = summary.group_by().empty() ? "GROUP" : summary.group_by();
  for (char& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  TextTable table(
      {TerminalSafe(key), "ACCOUNTS", "POOR", "WATCH", "GOOD", "ARR", "AT RISK", "MEAN SCORE"},
      {false, true, true, true, true, true, true, true});
  for (const admin::v1::AccountGroup& g : summary.groups()) {
    table.AddRow({g.key().empty() ? "(none)" : TerminalSafe(g.key()), absl::StrCat(g.accounts()),
                  absl::StrCat(g.poor()), absl::StrCat(g.watch()), absl::StrCat(g.good()),
                  Money(g.arr()), Money(g.arr_at_risk()), absl::StrFormat("%.1f", g.mean_score())});
  }
  return table.Render();
}

std::string FormatForecast(const admin::v1::RenewalForecast& forecast) {
  TextTable table({"MONTH", "ACCOUNTS", "ARR", "POOR", "WATCH", "GOOD", "ARR AT RISK"},
                  {false, true, true, true, true, true, true});
  for (const admin::v1::ForecastMonth& m : forecast.months()) {
    table.AddRow({Text(m.month()), absl::StrCat(m.accounts()), Money(m.arr()),
                  absl::StrCat(m.poor()), absl::StrCat(m.watch()), absl::StrCat(m.good()),
                  Money(m.arr_poor() + m.arr_watch())});
  }
  return absl::StrCat(table.Render(),
                      "ARR at risk (poor and watch): ", Money(forecast.arr_at_risk()), "\n");
}

std::string FormatAccountUsers(const admin::v1::AccountUserList& users) {
  std::string out = absl::StrCat(Text(users.account_id()), " users, ", Text(users.from_day()),
                                 " to ", Text(users.to_day()), " (", users.days(), " days)\n");
  if (users.users().empty()) return absl::StrCat(out, "no user logged in in the window\n");
  const std::string& champion = users.has_champion() ? users.champion().user_id() : "";
  TextTable table({"USER", "ACTIVE DAYS", "LOGINS", "SHARE", "LAST SEEN", "MILESTONES"},
                  {false, true, true, true, false, true});
  for (const admin::v1::AccountUser& u : users.users()) {
    table.AddRow({absl::StrCat(Text(u.user_id()), u.user_id() == champion ? " *" : ""),
                  absl::StrCat(u.active_days()), absl::StrCat(u.logins()),
                  absl::StrFormat("%.0f%%", 100 * u.login_share()), Text(u.last_seen()),
                  absl::StrCat(u.milestones_reached())});
  }
  absl::StrAppend(&out, table.Render(), users.users_size(), " of ", users.total(), " users, ",
                  users.logins(), " logins\n");
  if (users.has_champion()) {
    absl::StrAppend(&out, "* champion: ", Text(champion), " (", users.champion().active_days_28(),
                    " active days, ", users.champion().logins_28(), " logins in 28 days)\n");
  }
  if (users.single_user_dependence()) {
    absl::StrAppend(&out, "WARNING: single-user dependence: one user holds ",
                    absl::StrFormat("%.0f%%", 100 * users.top_user_share_28().number_value()),
                    " of the last 28 days' logins\n");
  }
  return out;
}

std::string FormatHistory(const admin::v1::HealthHistory& history) {
  if (history.days().empty()) return "no health history yet (run: cairnctl evaluate)\n";
  TextTable table({"DATE", "SCORE", "BAND", "LOGINS 7D", "ACTIVE USERS"},
                  {false, true, false, true, true});
  std::vector<double> scores;
  for (const admin::v1::HealthDay& d : history.days()) {
    table.AddRow({Text(d.date()), absl::StrCat(d.score()), Text(d.band()),
                  absl::StrCat(d.logins_week()), absl::StrCat(d.active_users())});
    scores.push_back(d.score());
  }
  return absl::StrCat(Text(history.account_id()), " health ", Sparkline(scores), "\n",
                      table.Render());
}

namespace {

// A ratio as a percentage to a tenth ("96.5%"): retention figures differ
// by less than a whole percent.
std::string PercentTenths(const google::protobuf::Value& v) {
  return v.has_number_value() ? absl::StrFormat("%.1f%%", 100 * v.number_value()) : "-";
}

void AddRetentionRow(const admin::v1::RetentionFigures& f, TextTable& table) {
  table.AddRow({Text(f.month()), absl::StrCat(f.renewals()), absl::StrCat(f.renewed()),
                absl::StrCat(f.churned()), absl::StrCat(f.downgraded()), absl::StrCat(f.expanded()),
                Money(f.arr_before()), Money(f.arr_after()), PercentTenths(f.gross_retention()),
                PercentTenths(f.net_retention()), PercentTenths(f.churn_rate())});
}

}  // namespace

std::string FormatRetention(const admin::v1::RetentionReport& report) {
  TextTable table({"MONTH", "RENEWALS", "RENEWED", "CHURNED", "DOWNGRADED", "EXPANDED",
                   "ARR BEFORE", "ARR AFTER", "GROSS", "NET", "CHURN"},
                  {false, true, true, true, true, true, true, true, true, true, true});
  for (const admin::v1::RetentionFigures& f : report.months()) AddRetentionRow(f, table);
  AddRetentionRow(report.total(), table);
  return table.Render();
}

std::string FormatBacktest(const admin::v1::BacktestReport& report) {
  TextTable table({"HEALTH BEFORE", "RENEWALS", "RENEWED", "CHURNED", "DOWNGRADED", "EXPANDED"},
                  {false, true, true, true, true, true});
  for (const admin::v1::BacktestBand& b : report.bands()) {
    table.AddRow({Text(b.band()), absl::StrCat(b.renewals()), absl::StrCat(b.renewed()),
                  absl::StrCat(b.churned()), absl::StrCat(b.downgraded()),
                  absl::StrCat(b.expanded())});
  }
  return absl::StrCat("health ", report.days_before(), " days before renewal\n", table.Render(),
                      "precision (lost among poor/watch): ", PercentTenths(report.precision()),
                      "; recall (poor/watch among lost): ", PercentTenths(report.recall()), "\n");
}

std::string FormatOutcome(const admin::v1::RenewalOutcome& o) {
  return absl::StrCat("account ", Text(o.account_id()), ": renewal ", Text(o.renewal_date()), " ",
                      Text(o.outcome()), ", ARR ", Money(o.arr_before()), " -> ",
                      Money(o.arr_after()), "\n");
}

}  // namespace cairn::cli
