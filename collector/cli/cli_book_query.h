#ifndef CAIRN_COLLECTOR_CLI_CLI_BOOK_QUERY_H_
#define CAIRN_COLLECTOR_CLI_CLI_BOOK_QUERY_H_

#include <optional>
#include <string>
#include <string_view>

#include "cairn/admin/v1/accounts.pb.h"
#include "cli_args.h"

namespace cairn::cli {

// The request path of a book-wide command ("accounts", "groups",
// "forecast", "retention", "backtest", "history ID", "account users ID")
// from its options, every value percent-encoded;
// `*error` says what is wrong with them (a usage error) and the result is
// empty then. Cost: linear in the options.
std::string BookPath(const Args& args, std::string_view command, std::string* error);

// Adds the context options of `account set` (--owner, --plan, --arr, --mrr,
// --segments; "none" clears) to `update`. Returns a usage error, or
// nullopt. Cost: linear in the options.
std::optional<std::string> ApplyContextOptions(const Args& args,
                                               admin::v1::UpdateAccountRequest* update);

// The body of `outcome ID --renewal-date D --outcome X [--arr-before N]
// [--arr-after N]`. Returns a usage error, or nullopt. Free.
std::optional<std::string> OutcomeBody(const Args& args, admin::v1::RecordOutcomeRequest* body);

}  // namespace cairn::cli

#endif  // CAIRN_COLLECTOR_CLI_CLI_BOOK_QUERY_H_
