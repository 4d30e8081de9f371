#ifndef CAIRN_COLLECTOR_CLI_CLI_ARGS_H_
#define CAIRN_COLLECTOR_CLI_CLI_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cairn::cli {

// cairnctl's command line after parsing: the command path and its ids as
// positionals ("goals", "delete", "acme", "g1"), options with their values,
// switches given.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> options;  // "--limit" -> "5"
  std::set<std::string, std::less<>> flags;                 // "--all", "--help", ...
};

// Parses argv with CLI11 against cairnctl's commands: each command and
// sub-command takes only its own options (plus the global --url,
// --admin-token-file, --json and --help, accepted anywhere), a value option
// without a value or an unknown option or command is an error. nullopt with
// a one-line reason in *error (and the command named, if any, in *command)
// on a usage error. Cost: linear in argv.
std::optional<Args> ParseArgs(int argc, char** argv, std::string* error, std::string* command);

}  // namespace cairn::cli

#endif  // CAIRN_COLLECTOR_CLI_CLI_ARGS_H_
