#ifndef CAIRN_COLLECTOR_CLI_CLI_FORMAT_H_
#define CAIRN_COLLECTOR_CLI_CLI_FORMAT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/admin/v1/alerts.pb.h"
#include "cairn/admin/v1/gdpr.pb.h"

namespace cairn::cli {

// Pure text formatting of the collector's answers (cairn.admin.v1 messages)
// for cairnctl: no I/O, so tests pin the output on fixed input. Every string
// from the server goes through TerminalSafe (no escape sequences reach the
// terminal). Missing values (null, absent, empty text) print as "-". Cost:
// linear in the input.

// Columns left-aligned by display width (UTF-8 code points), two spaces
// apart; `right_aligned[i]` right-aligns column i. Trailing spaces trimmed.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header, std::vector<bool> right_aligned = {});
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text: one per code point.
size_t DisplayWidth(std::string_view text);

// `text` with control characters (C0, DEL, C1 as UTF-8) replaced by '?'.
std::string TerminalSafe(std::string_view text);

// Unicode block sparkline ("▁▂▃▄▅▆▇█"), one character per value, scaled to
// the largest (all "▁" when every value is 0 or there is none).
std::string Sparkline(const std::vector<double>& values);

// "↓ 3 vs 21.0 (14%)": this week's logins against the 4-week mean, arrow
// down below 75%, up above 125%. `trend` is the accounts API's trend object.
std::string TrendText(const admin::v1::Trend& trend);

// True when an account (accounts API object) needs attention: band poor or
// watch, or an open alert.
bool IsAtRisk(const admin::v1::Account& account);

struct AtRiskOptions {
  bool all = false;   // also the good accounts
  size_t limit = 50;  // most rows
};

// The at-risk table: a title line, one row per account in the given
// (riskiest first) order, a legend. `accounts` are accounts API objects;
// `more_on_server` says the listing was cut short.
std::string FormatAtRisk(const std::vector<admin::v1::Account>& accounts, std::string_view as_of,
                         const AtRiskOptions& options, bool more_on_server);

// GET /v1/alerts answer as a table.
std::string FormatAlerts(const admin::v1::AlertList& answer);
// POST /v1/alerts/evaluate answer, one line.
std::string FormatEvaluation(const admin::v1::EvaluationCounts& answer);
// One alert (the answer of acknowledge and snooze), as a one-row alerts table.
std::string FormatAlert(const admin::v1::Alert& answer);
// GET /v1/renewals/upcoming answer as a table.
std::string FormatRenewals(const admin::v1::RenewalList& answer);
// GET /v1/accounts/{id} answer: health, factors, milestones, goals.
std::string FormatAccount(const admin::v1::AccountDetail& account);
// PUT /v1/accounts/{id} answer (the settings).
std::string FormatAccountSettings(const admin::v1::AccountSettings& settings);
// Goals as a table (GET .../goals, and the goals of an account view).
std::string FormatGoals(const admin::v1::GoalList& answer);
std::string FormatGoals(const google::protobuf::RepeatedPtrField<admin::v1::Goal>& goals);
// One goal progress object, a few lines.
std::string FormatGoal(const admin::v1::Goal& goal);
// POST customer-link answer: the full URL (base_url + url) and expiry.
std::string FormatCustomerLink(const admin::v1::CustomerLink& answer, std::string_view base_url);
// DELETE /v1/users/{id} answer, counts.
std::string FormatErasure(const admin::v1::ErasureResult& answer);

// True for an http:// URL whose host is a loopback address: localhost,
// 127.x.y.z (four numbers) or [::1]. The only plain-HTTP URLs cairnctl sends
// a token to. "http://127.0.0.1.example.com" is not one.
bool IsLoopbackHttpUrl(std::string_view url);

}  // namespace cairn::cli

#endif  // CAIRN_COLLECTOR_CLI_CLI_FORMAT_H_
