#include "cli_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cairn/common/strings.h"

namespace cairn::cli {
namespace {

constexpr std::string_view kNone = "-";

using google::protobuf::Value;

// Server text made safe for the terminal; "-" when there is none.
std::string Str(const std::string& text) {
  return text.empty() ? std::string(kNone) : TerminalSafe(text);
}

// A nullable value: a string, a number (integers without a fraction), or "-".
std::string Str(const Value& value) {
  if (value.has_string_value()) return TerminalSafe(value.string_value());
  if (value.has_number_value()) {
    const double n = value.number_value();
    if (std::floor(n) == n && std::fabs(n) < 1e15) return absl::StrCat(static_cast<int64_t>(n));
    return absl::StrFormat("%.3g", n);
  }
  if (value.has_bool_value()) return value.bool_value() ? "yes" : "no";
  return std::string(kNone);
}

std::optional<double> Number(const Value& value) {
  if (!value.has_number_value()) return std::nullopt;
  return value.number_value();
}

std::string Percent(std::optional<double> ratio) {
  if (!ratio) return std::string(kNone);
  return absl::StrCat(static_cast<int64_t>(std::llround(*ratio * 100)), "%");
}
std::string Percent(const Value& ratio) { return Percent(Number(ratio)); }

std::string Fixed1(const Value& value) {
  std::optional<double> n = Number(value);
  if (!n) return std::string(kNone);
  return absl::StrFormat("%.1f", *n);
}

// "2026-11-23T15:04:05Z" -> "2026-11-23 15:04 UTC".
std::string Time(const std::string& value) {
  if (value.empty()) return std::string(kNone);
  std::string text = TerminalSafe(value);
  if (text.size() >= 16 && text[10] == 'T')
    return absl::StrCat(text.substr(0, 10), " ", text.substr(11, 5), " UTC");
  return text;
}

std::string Health(const admin::v1::Health& health) {
  return absl::StrCat(Str(health.band()), " ", health.score());
}

std::string Breadth(const admin::v1::Breadth& breadth) {
  if (breadth.denominator() == 0) return absl::StrCat(breadth.active_users_14(), " users");
  return absl::StrCat(breadth.active_users_14(), "/", breadth.denominator(),
                      breadth.basis() == "seats" ? " seats" : " peak");
}

// The parts an answer may lack: "-" when absent.
template <typename M>
std::string HealthOf(const M& m) {
  return m.has_health() ? Health(m.health()) : std::string(kNone);
}
template <typename M>
std::string BreadthOf(const M& m) {
  return m.has_breadth() ? Breadth(m.breadth()) : std::string(kNone);
}
template <typename M>
std::string TrendOf(const M& m) {
  return m.has_trend() ? TrendText(m.trend()) : std::string(kNone);
}

std::string Alert(const admin::v1::Account& account) {
  if (!account.has_open_alert()) return std::string(kNone);
  return absl::StrCat("! ", Str(account.open_alert().severity()));
}

std::vector<double> Weekly(const google::protobuf::RepeatedField<uint32_t>& weeks) {
  return std::vector<double>(weeks.begin(), weeks.end());
}

}  // namespace

TextTable::TextTable(std::vector<std::string> header, std::vector<bool> right_aligned)
    : header_(std::move(header)), right_(std::move(right_aligned)) {
  right_.resize(header_.size(), false);
}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

std::string TextTable::Render() const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], DisplayWidth(row[i]));
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) text += "  ";
      std::string pad(width[i] - DisplayWidth(row[i]), ' ');
      text += right_[i] ? pad + row[i] : row[i] + pad;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text;
    out += '\n';
  };
  line(header_);
  for (const auto& row : rows_) line(row);
  return out;
}

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string TerminalSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      out.push_back('?');
    } else if (c == 0xC2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      out.push_back('?');  // a C1 control such as CSI (U+009B)
      ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string Sparkline(const std::vector<double>& values) {
  static constexpr std::string_view kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  double max = 0;
  for (double v : values) max = std::max(max, v);
  std::string out;
  for (double v : values) {
    int level = 0;
    if (max > 0 && v > 0) level = static_cast<int>(std::lround(v / max * 7));
    out += kBlocks[std::clamp(level, 0, 7)];
  }
  return out;
}

std::string TrendText(const admin::v1::Trend& trend) {
  std::optional<double> ratio = Number(trend.ratio());
  std::string arrow = "→";
  if (ratio && *ratio < 0.75) arrow = "↓";
  if (ratio && *ratio > 1.25) arrow = "↑";
  std::string text =
      absl::StrCat(arrow, " ", trend.this_week(), " vs ", Fixed1(trend.baseline_mean()));
  if (ratio)
    absl::StrAppend(&text, " (", Percent(ratio), ")");
  else
    absl::StrAppend(&text, " (no baseline)");
  return text;
}

bool IsAtRisk(const admin::v1::Account& account) {
  const std::string& band = account.health().band();
  return band == "poor" || band == "watch" || account.has_open_alert();
}

std::string FormatAtRisk(const std::vector<admin::v1::Account>& accounts, std::string_view as_of,
                         const AtRiskOptions& options, bool more_on_server) {
  TextTable table({"ACCOUNT", "HEALTH", "LOGIN DAYS", "TREND (WEEK VS 4-WK MEAN)", "BREADTH",
                   "ADOPTION", "ALERT", "RENEWAL", "WEEKLY LOGINS (12 WK)"},
                  {false, false, true, false, false, true, false, false, false});
  size_t risky = 0;
  size_t listed = 0;
  for (const admin::v1::Account& account : accounts) {
    bool at_risk = IsAtRisk(account);
    if (at_risk) ++risky;
    if (!options.all && !at_risk) continue;
    ++listed;
    if (table.rows() >= options.limit) continue;
    std::vector<double> weekly = Weekly(account.weekly_logins());
    table.AddRow(
        {Str(account.account_id()), HealthOf(account), absl::StrCat(account.login_days_14(), "/14"),
         TrendOf(account), BreadthOf(account), Percent(account.adoption()), Alert(account),
         Str(account.renewal_date()), weekly.empty() ? std::string(kNone) : Sparkline(weekly)});
  }
  std::string out;
  std::string when = as_of.empty() ? "" : absl::StrCat(" (as of ", Time(std::string(as_of)), ")");
  std::string plus = more_on_server ? "+" : "";
  if (options.all) {
    absl::StrAppend(&out, accounts.size(), plus,
                    accounts.size() == 1 ? " account, " : " accounts, ", risky,
                    " at risk, riskiest first", when, "\n");
  } else {
    absl::StrAppend(&out, risky, plus, risky == 1 ? " account" : " accounts",
                    " at risk, riskiest first", when, "\n");
  }
  if (table.rows() == 0) {
    absl::StrAppend(&out, options.all ? "no accounts yet\n" : "no account is at risk\n");
    return out;
  }
  absl::StrAppend(&out, "\n", table.Render());
  if (table.rows() < listed || more_on_server) {
    absl::StrAppend(&out, "(", table.rows(), " shown; --limit N for more)\n");
  }
  absl::StrAppend(&out,
                  "\nHEALTH: band and score 0-100 (good >= 70, watch >= 40, poor below or when any "
                  "factor is poor).\nTREND: logins in the last 7 days vs the weekly mean of the 4 "
                  "weeks before (↓ below 75%).\nBREADTH: users active in 14 days vs seats (or the "
                  "90-day peak).\n");
  return out;
}

std::string FormatAlerts(const admin::v1::AlertList& answer) {
  if (answer.alerts().empty()) return "no alerts\n";
  TextTable table({"ALERT", "ACCOUNT", "SEVERITY", "STATE", "OPENED", "THIS WEEK", "4-WK MEAN",
                   "RATIO", "WEBHOOK", "NOTE"},
                  {false, false, false, false, false, true, true, true, false, false});
  for (const admin::v1::Alert& alert : answer.alerts()) {
    const admin::v1::Delivery& delivery = alert.delivery();
    std::string webhook = Str(delivery.state());
    if (alert.has_delivery()) absl::StrAppend(&webhook, " (", delivery.attempts(), " tries)");
    if (delivery.state() == "failed" && !delivery.last_error().empty()) {
      absl::StrAppend(&webhook, ": ", Str(delivery.last_error()));
    }
    // What a person did with it, and a decline's fitted 12-week loss.
    std::vector<std::string> notes;
    if (alert.kind() == "declining" && alert.loss_12w().has_number_value()) {
      notes.push_back(absl::StrCat("declining ", Percent(alert.loss_12w()), " in 12 wk"));
    }
    if (alert.acknowledged_at().has_string_value()) notes.push_back("acknowledged");
    if (alert.snoozed_until().has_string_value()) {
      notes.push_back(absl::StrCat("snoozed to ", Time(alert.snoozed_until().string_value())));
    }
    table.AddRow({Str(alert.alert_id()), Str(alert.account_id()), Str(alert.severity()),
                  Str(alert.state()), Time(alert.opened_at()), absl::StrCat(alert.this_week()),
                  Fixed1(alert.baseline_mean()), Percent(alert.ratio()), webhook,
                  absl::StrJoin(notes, "; ")});
  }
  return table.Render();
}

std::string FormatAlert(const admin::v1::Alert& answer) {
  admin::v1::AlertList list;
  *list.add_alerts() = answer;
  return FormatAlerts(list);
}

std::string FormatEvaluation(const admin::v1::EvaluationCounts& answer) {
  return absl::StrCat("evaluated ", answer.evaluated(), " accounts: ", answer.opened(),
                      " alerts opened, ", answer.escalated(), " escalated, ", answer.closed(),
                      " closed\n");
}

std::string FormatRenewals(const admin::v1::RenewalList& answer) {
  if (answer.renewals().empty()) return "no renewals in that window\n";
  TextTable table({"ACCOUNT", "RENEWAL", "DAYS LEFT", "HEALTH", "MAY BE NOTIFIED"},
                  {false, false, true, false, false});
  for (const admin::v1::Renewal& renewal : answer.renewals()) {
    std::vector<std::string> users;
    for (const std::string& user : renewal.notification_recipients()) users.push_back(Str(user));
    std::string recipients = users.empty() ? "nobody" : absl::StrJoin(users, ", ");
    if (users.size() > 3) {
      recipients = absl::StrCat(users[0], ", ", users[1], ", ", users[2], " and ", users.size() - 3,
                                " more");
    }
    if (renewal.recipients_truncated()) recipients += " (truncated)";
    table.AddRow({Str(renewal.account_id()), Str(renewal.renewal_date()),
                  absl::StrCat(renewal.days_left()), HealthOf(renewal), recipients});
  }
  return table.Render();
}

std::string FormatGoal(const admin::v1::Goal& goal) {
  std::string out = absl::StrCat("goal ", Str(goal.goal_id()), ": ", Str(goal.name()), "\n");
  absl::StrAppend(&out, "  milestone ", Str(goal.milestone_name()), ", target ",
                  goal.target_count(), ", since ", Str(goal.start()), ", due ",
                  goal.due().has_string_value() ? Str(goal.due()) : "none", "\n");
  absl::StrAppend(&out, "  progress ", goal.count(), "/", goal.target_count(), " (",
                  Percent(goal.fraction()), "), ", Str(goal.status()), "\n");
  return out;
}

std::string FormatGoals(const google::protobuf::RepeatedPtrField<admin::v1::Goal>& goals) {
  if (goals.empty()) return "no goals\n";
  TextTable table({"GOAL", "NAME", "MILESTONE", "PROGRESS", "EXPECTED", "STATUS", "START", "DUE"},
                  {false, false, false, false, true, false, false, false});
  for (const admin::v1::Goal& goal : goals) {
    std::optional<double> fraction = Number(goal.fraction());
    std::string bar;
    if (fraction) {
      int filled = static_cast<int>(std::lround(std::clamp(*fraction, 0.0, 1.0) * 10));
      for (int i = 0; i < 10; ++i) bar += i < filled ? "█" : "░";
      bar += " ";
    }
    table.AddRow({Str(goal.goal_id()), Str(goal.name()), Str(goal.milestone_name()),
                  absl::StrCat(bar, goal.count(), "/", goal.target_count()),
                  Fixed1(goal.expected()), Str(goal.status()), Str(goal.start()), Str(goal.due())});
  }
  return table.Render();
}

std::string FormatGoals(const admin::v1::GoalList& answer) { return FormatGoals(answer.goals()); }

std::string FormatAccount(const admin::v1::AccountDetail& account) {
  std::string out = absl::StrCat("account ", Str(account.account_id()), "\n");
  const admin::v1::Health& health = account.health();
  absl::StrAppend(&out, "  health     ", Health(health),
                  health.capped() ? " (capped: a factor is poor)" : "",
                  health.profile() == "onboarding" ? " [onboarding profile]" : "", "\n");
  const admin::v1::Factors& factors = health.factors();
  const std::pair<std::string_view, const admin::v1::Factor*> named[] = {
      {"frequency", &factors.frequency()},
      {"trend", &factors.trend()},
      {"breadth", &factors.breadth()},
      {"time_to_value", &factors.time_to_value()},
      {"dependence", factors.has_dependence() ? &factors.dependence() : nullptr},
      {"nps", factors.has_nps() ? &factors.nps() : nullptr}};
  for (const auto& [name, factor] : named) {
    if (factor == nullptr) continue;  // an older server
    absl::StrAppend(
        &out, "    ", absl::StrFormat("%-14s", ToAbsl(name)),
        factor->applicable() ? absl::StrCat(Str(factor->band()), " ", Percent(factor->score()),
                                            " (weight ", factor->weight(), ")")
                             : std::string("not applicable"),
        factor->reason().empty() ? "" : absl::StrCat("  ", Str(factor->reason())), "\n");
  }
  std::vector<double> weekly = Weekly(account.weekly_logins());
  absl::StrAppend(&out, "  logins     ", account.login_days_14(), "/14 days (",
                  Str(account.frequency_band()), "), trend ", TrendOf(account), "\n");
  std::vector<std::string> weeks;
  for (double w : weekly) weeks.push_back(absl::StrCat(static_cast<int64_t>(w)));
  absl::StrAppend(&out, "  weekly     ", Sparkline(weekly), "  ", absl::StrJoin(weeks, " "), "\n");
  absl::StrAppend(&out, "  breadth    ", BreadthOf(account), "\n");
  absl::StrAppend(&out, "  adoption   ", Percent(account.adoption()), "\n");
  absl::StrAppend(&out, "  seats      ", Str(account.seats()), "\n");
  absl::StrAppend(&out, "  renewal    ", Str(account.renewal_date()), "\n");
  absl::StrAppend(&out, "  alert      ",
                  account.has_open_alert()
                      ? absl::StrCat(Str(account.open_alert().severity()), " since ",
                                     Time(account.open_alert().opened_at()))
                      : std::string("none"),
                  "\n");
  absl::StrAppend(&out, "\nmilestones (", account.milestones_size(), ")\n");
  if (!account.milestones().empty()) {
    TextTable table({"  NAME", "FIRST REACHED", "TIME TO VALUE", "KEY"});
    for (const admin::v1::MilestoneReached& m : account.milestones()) {
      std::string ttv = std::string(kNone);
      if (std::optional<double> s = Number(m.time_to_value_seconds())) {
        ttv = *s >= 86400 ? absl::StrFormat("%.1f days", *s / 86400)
                          : absl::StrFormat("%.1f hours", *s / 3600);
      }
      table.AddRow({"  " + Str(m.name()), Time(m.first_reached()), ttv, m.key() ? "key" : ""});
    }
    out += table.Render();
  }
  absl::StrAppend(&out, "\ngoals\n", FormatGoals(account.goals()));
  return out;
}

std::string FormatAccountSettings(const admin::v1::AccountSettings& settings) {
  std::vector<std::string> keys;
  for (const std::string& k : settings.key_milestones()) keys.push_back(Str(k));
  return absl::StrCat("account ", Str(settings.account_id()), ": seats ", Str(settings.seats()),
                      ", renewal ", Str(settings.renewal_date()), ", key milestones ",
                      keys.empty() ? std::string(kNone) : absl::StrJoin(keys, ","), "\n");
}

std::string FormatCustomerLink(const admin::v1::CustomerLink& answer, std::string_view base_url) {
  std::string base(base_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return absl::StrCat(base, Str(answer.url()), "\n", "  for account ", Str(answer.account_id()),
                      ", expires ", Time(answer.expires_at()),
                      "\n  anyone with this link sees this account's milestones and goals\n");
}

std::string FormatErasure(const admin::v1::ErasureResult& answer) {
  if (answer.already_erased()) {
    return absl::StrCat("user ", Str(answer.user_id()), " was already erased\n");
  }
  return absl::StrCat("user ", Str(answer.user_id()), " erased: ", answer.events_deleted(),
                      " events deleted, ", answer.consent_states_deleted(),
                      " consent states deleted, ", answer.consent_records_pseudonymised(),
                      " consent records pseudonymised\n");
}

bool IsLoopbackHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return false;
  std::string_view rest = url.substr(kScheme.size());
  std::string_view host;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    host = rest.substr(0, close + 1);
    rest = rest.substr(close + 1);
  } else {
    size_t end = rest.find_first_of(":/?#");
    host = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  if (!rest.empty() && rest[0] != ':' && rest[0] != '/') return false;
  if (host == "localhost" || host == "[::1]") return true;
  // 127.a.b.c: four dot-separated numbers 0-255, the first 127.
  int parts = 0;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    std::string_view part = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || part.size() > 3) return false;
    int value = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255 || (parts == 0 && value != 127)) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4;
}

}  // namespace cairn::cli
