#ifndef CAIRN_COLLECTOR_CLI_CLI_ACCESS_H_
#define CAIRN_COLLECTOR_CLI_CLI_ACCESS_H_

#include <string_view>

#include "cli_args.h"
#include "cli_command.h"

namespace cairn::cli {

// The help texts of the access and workflow commands.
inline constexpr std::string_view kTasksHelp =
    "usage: cairnctl tasks list [ID] [--owner NAME] [--status open|done|all]\n"
    "                            [--due-before YYYY-MM-DD] [--limit N] [--page-token T]\n"
    "       cairnctl tasks add ID --title TEXT [--owner NAME] [--due YYYY-MM-DD] [--alert ID]\n"
    "       cairnctl tasks done ID TASK_ID\n"
    "  list with ID: that account's tasks, newest first; without: every account's, soonest\n"
    "  due first, filtered by owner (a token name), status (default open) and due date.\n";
inline constexpr std::string_view kNotesHelp =
    "usage: cairnctl notes list ID\n"
    "       cairnctl notes add ID --text TEXT\n"
    "  Free-text notes on an account, newest first. Never write a user's identifier in\n"
    "  a note: erasure does not reach notes.\n";
inline constexpr std::string_view kAuditHelp =
    "usage: cairnctl audit [--actor NAME] [--since YYYY-MM-DD] [--limit N] [--page-token T]\n"
    "  The admin audit log, newest first (admin role): who changed what, when.\n";
inline constexpr std::string_view kTokenHelp =
    "usage: cairnctl token new --name NAME --role admin|csm|read [--key-file FILE]\n"
    "       cairnctl token list\n"
    "       cairnctl token revoke NAME --key-file FILE\n"
    "  new prints a fresh token (once: keep it) and its key-file line, which holds only the\n"
    "  token's SHA-256; with --key-file it appends the line to FILE. revoke removes NAME's\n"
    "  lines from FILE. Then reload the collector's keys (kill -HUP). list asks the\n"
    "  collector (admin role) and never shows a token.\n";

inline constexpr std::string_view kWhoamiHelp =
    "usage: cairnctl whoami\n"
    "  The name and role the collector knows the admin token by (any role).\n";

// True for `token new` and `token revoke`, which work on a key file and
// need no collector.
bool IsLocalTokenCommand(const Args& args);
// Runs `token new` or `token revoke`; the exit code.
int RunLocalTokenCommand(const Args& args);
// Runs tasks, notes, audit, whoami or `token list` against the collector through
// `command`; the exit code.
int RunAccessCommand(Command& command, const Args& args);

}  // namespace cairn::cli

#endif  // CAIRN_COLLECTOR_CLI_CLI_ACCESS_H_
