#include "cli_args.h"

#include <list>
#include <utility>

#include "CLI/CLI.hpp"

namespace cairn::cli {
namespace {

// Where CLI11 writes what it parsed, one slot per option of every command;
// std::list keeps the slots' addresses stable while options are added.
struct Slots {
  struct Valued {
    std::string name;
    std::string value;
    CLI::Option* option = nullptr;
  };
  struct Switch {
    std::string name;
    CLI::Option* option = nullptr;
  };
  std::list<Valued> valued;
  std::list<Switch> switches;
};

void AddValued(CLI::App* app, Slots* slots, const std::string& name) {
  Slots::Valued& slot = slots->valued.emplace_back();
  slot.name = name;
  slot.option = app->add_option(name, slot.value);
}

void AddSwitch(CLI::App* app, Slots* slots, const std::string& name) {
  Slots::Switch& slot = slots->switches.emplace_back();
  slot.name = name;
  // "--all=5" is an error, as a switch takes no value.
  slot.option = app->add_flag(name)->disable_flag_override();
}

// A command (or sub-command) whose unknown options go to the parent, so the
// global ones work after it too.
CLI::App* Subcommand(CLI::App* parent, const std::string& name) {
  CLI::App* command = parent->add_subcommand(name);
  command->fallthrough();
  command->set_help_flag();
  return command;
}

// Positional ids of a command, in order.
void AddIds(CLI::App* app, std::vector<std::string>* ids) {
  app->add_option("ids", *ids)->expected(0, 2);
}

}  // namespace

std::optional<Args> ParseArgs(int argc, char** argv, std::string* error, std::string* command) {
  CLI::App app("cairnctl");
  // The help texts are cairnctl's own (Main prints them for --help).
  app.set_help_flag();
  Slots slots;
  AddValued(&app, &slots, "--url");
  AddValued(&app, &slots, "--admin-token-file");
  AddSwitch(&app, &slots, "--json");
  AddSwitch(&app, &slots, "--help,-h");

  std::vector<std::string> ids;
  auto leaf = [&](CLI::App* parent, const std::string& name,
                  std::initializer_list<const char*> valued,
                  std::initializer_list<const char*> switches) {
    CLI::App* c = Subcommand(parent, name);
    for (const char* v : valued) AddValued(c, &slots, v);
    for (const char* s : switches) AddSwitch(c, &slots, s);
    AddIds(c, &ids);
    return c;
  };
  leaf(&app, "at-risk", {"--limit"}, {"--all"});
  leaf(&app, "alerts", {"--days", "--until"}, {"--open"});
  leaf(&app, "evaluate", {}, {});
  leaf(&app, "renewals", {"--within-days"}, {});
  leaf(&app, "accounts",
       {"--owner", "--plan", "--segment", "--band", "--search", "--sort", "--limit"}, {"--csv"});
  leaf(&app, "groups", {"--by", "--owner", "--plan", "--segment", "--band"}, {"--csv"});
  leaf(&app, "forecast", {"--months", "--owner", "--plan", "--segment"}, {});
  leaf(&app, "history", {"--days"}, {});
  leaf(&app, "retention", {"--months"}, {});
  leaf(&app, "backtest", {"--months", "--days-before"}, {});
  leaf(&app, "outcome", {"--renewal-date", "--outcome", "--arr-before", "--arr-after"}, {});
  CLI::App* account = Subcommand(&app, "account");
  leaf(account, "show", {}, {});
  leaf(account, "users", {"--days"}, {});
  leaf(account, "set",
       {"--seats", "--renewal-date", "--key-milestones", "--owner", "--plan", "--arr", "--mrr",
        "--segments"},
       {});
  CLI::App* goals = Subcommand(&app, "goals");
  leaf(goals, "list", {}, {});
  leaf(goals, "add", {"--name", "--milestone", "--target", "--due"}, {});
  leaf(goals, "delete", {}, {});
  leaf(&app, "customer-link", {"--ttl-hours"}, {});
  CLI::App* user = Subcommand(&app, "user");
  leaf(user, "export", {}, {});
  leaf(user, "erase", {}, {"--yes"});
  CLI::App* tasks = Subcommand(&app, "tasks");
  leaf(tasks, "list", {"--owner", "--status", "--due-before", "--limit", "--page-token"}, {});
  leaf(tasks, "add", {"--title", "--owner", "--due", "--alert"}, {});
  leaf(tasks, "done", {}, {});
  CLI::App* notes = Subcommand(&app, "notes");
  leaf(notes, "list", {}, {});
  leaf(notes, "add", {"--text"}, {});
  leaf(&app, "audit", {"--actor", "--since", "--limit", "--page-token"}, {});
  CLI::App* token = Subcommand(&app, "token");
  leaf(token, "new", {"--name", "--role", "--key-file"}, {});
  leaf(token, "list", {}, {});
  leaf(token, "revoke", {"--key-file"}, {});
  leaf(&app, "whoami", {}, {});
  CLI::App* model = Subcommand(&app, "health-model");
  leaf(model, "show", {}, {});
  leaf(model, "set",
       {"--weights", "--onboarding-weights", "--onboarding-days", "--good-at", "--watch-at",
        "--poor-factor-caps", "--nps-min-responses"},
       {});
  leaf(model, "reset", {}, {"--yes"});

  Args args;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // The command (the first bare word that is no option's value) picks
    // the help shown with the error.
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.empty() || arg[0] != '-') {
        *command = arg;
        break;
      }
      for (const Slots::Valued& slot : slots.valued) {
        if (arg == slot.name) ++i;  // its value follows
      }
    }
    *error = e.what();
    return std::nullopt;
  }
  for (CLI::App* parsed = &app; parsed != nullptr;) {
    std::vector<CLI::App*> chosen = parsed->get_subcommands();
    if (chosen.empty()) break;
    parsed = chosen.front();
    args.positional.push_back(parsed->get_name());
  }
  args.positional.insert(args.positional.end(), ids.begin(), ids.end());
  for (const Slots::Valued& slot : slots.valued) {
    if (slot.option->count() > 0) args.options[slot.name] = slot.value;
  }
  for (const Slots::Switch& slot : slots.switches) {
    if (slot.option->count() > 0) {
      // "--help,-h" is one switch, known by its long name.
      args.flags.insert(slot.name.substr(0, slot.name.find(',')));
    }
  }
  return args;
}

}  // namespace cairn::cli
