#ifndef CAIRN_COLLECTOR_CLI_CLI_FORMAT_BOOK_H_
#define CAIRN_COLLECTOR_CLI_CLI_FORMAT_BOOK_H_

#include <string>

#include "cairn/admin/v1/accounts.pb.h"

namespace cairn::cli {

// Text forms of the book-wide answers (the account list with its context,
// groups, the renewal forecast, an account's health history), pure like
// cli_format.h: every server string through TerminalSafe, "-" for none.
// Cost: linear in the answer.

// GET /v1/accounts answer: one row per account and a "N of TOTAL" line.
std::string FormatAccountPage(const admin::v1::AccountPage& page);
// GET /v1/account-groups answer as a table.
std::string FormatAccountGroups(const admin::v1::AccountSummary& summary);
// GET /v1/renewals/forecast answer: a row per month and the ARR at risk.
std::string FormatForecast(const admin::v1::RenewalForecast& forecast);
// GET /v1/accounts/{id}/history answer: a row per day and a sparkline.
std::string FormatHistory(const admin::v1::HealthHistory& history);

// GET /v1/accounts/{id}/users answer: a row per user (the champion
// starred), the champion and the single-user-dependence warning.
std::string FormatAccountUsers(const admin::v1::AccountUserList& users);

// GET /v1/retention answer: a row per month and the total.
std::string FormatRetention(const admin::v1::RetentionReport& report);
// GET /v1/backtest answer: outcomes per band before renewal, precision, recall.
std::string FormatBacktest(const admin::v1::BacktestReport& report);
// POST /v1/accounts/{id}/outcomes answer, one line.
std::string FormatOutcome(const admin::v1::RenewalOutcome& outcome);

}  // namespace cairn::cli

#endif  // CAIRN_COLLECTOR_CLI_CLI_FORMAT_BOOK_H_
