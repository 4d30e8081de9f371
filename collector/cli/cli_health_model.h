#ifndef CAIRN_COLLECTOR_CLI_CLI_HEALTH_MODEL_H_
#define CAIRN_COLLECTOR_CLI_CLI_HEALTH_MODEL_H_

#include <string_view>

#include "cli_args.h"
#include "cli_command.h"

namespace cairn::cli {

inline constexpr std::string_view kHealthModelHelp =
    "usage: cairnctl health-model show\n"
    "       cairnctl health-model set [--weights F=N,...] [--onboarding-weights F=N,...]\n"
    "                                 [--onboarding-days N] [--good-at N] [--watch-at N]\n"
    "                                 [--poor-factor-caps yes|no] [--nps-min-responses N]\n"
    "       cairnctl health-model reset --yes\n"
    "  Factors F: frequency, trend, breadth, time_to_value, dependence, nps; weights 0-100.\n"
    "  set changes only what it names (admin role) and rescores every account at once;\n"
    "  reset goes back to the built-in model.\n";

// Runs `health-model show|set|reset` through `command`; the exit code.
int RunHealthModelCommand(Command& command, const Args& args);

}  // namespace cairn::cli

#endif  // CAIRN_COLLECTOR_CLI_CLI_HEALTH_MODEL_H_
