// cairnctl: the customer-success team's command line for a Cairn collector's
// admin API. See `cairnctl --help` and docs/collector.md.
//
// Exit codes: 0 done, 1 the server refused or could not be reached (its
// message on stderr), 2 usage.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/admin/v1/alerts.pb.h"
#include "cairn/admin/v1/gdpr.pb.h"
#include "cairn/common/strings.h"
#include "cli_access.h"
#include "cli_args.h"
#include "cli_book_query.h"
#include "cli_command.h"
#include "cli_format.h"
#include "cli_format_book.h"
#include "cli_health_model.h"
#include "cli_http.h"
#include "google/protobuf/util/json_util.h"

namespace cairn::cli {
namespace {

constexpr std::string_view kUsageText = R"(cairnctl: the admin command line of a Cairn collector

usage: cairnctl [--url URL] [--admin-token-file FILE] [--json] COMMAND [ARGS]

  --url URL                 the collector, e.g. https://cairn.internal:8080 (env CAIRN_URL;
                            default http://127.0.0.1:8080). Plain http only to a loopback host
  --admin-token-file FILE   the admin token, first line of FILE (env CAIRN_ADMIN_TOKEN_FILE)
  --json                    print the server's JSON answer as it is
  --help                    this text; COMMAND --help for one command

commands:
  at-risk [--all] [--limit N]        accounts needing attention, riskiest first
  alerts [--open]                    usage alerts (drop, severe, declining), newest first
  alerts ack ID                      acknowledge an alert
  alerts snooze ID (--days N | --until RFC3339)
                                     hide an open alert from --open until then (at most 90 days)
  evaluate                           evaluate the usage-drop rule now
  renewals [--within-days N]         renewals in the next N days (default 30)
  accounts [--owner O] [--plan P] [--segment S] [--band B] [--search Q] [--sort K]
           [--limit N] [--csv]       the evaluated book, filtered and sorted
  groups [--by owner|plan|segment|band] [filters] [--csv]
                                     accounts, ARR and ARR at risk per group
  forecast [--months N] [filters]    ARR renewing per month, by health band
  history ID [--days N]              an account's daily health
  outcome ID --renewal-date D --outcome renewed|churned|downgraded|expanded
             [--arr-before X] [--arr-after X]   record what became of a renewal
  retention [--months N]             gross/net retention and churn by month
  backtest [--days-before N] [--months N]  health before renewal against outcomes
  account show ID                    one account: health, factors, milestones, goals
  account users ID [--days N]        who uses the account: logins, active days, milestones,
                                     its champion and any single-user dependence
  account set ID [--seats N] [--renewal-date YYYY-MM-DD] [--key-milestones a,b]
                 [--owner O] [--plan P] [--arr X | --mrr X] [--segments a,b]
                                     ("none" clears a value)
  goals list ID                      an account's goals and their progress
  goals add ID --name TEXT --milestone NAME --target N [--due YYYY-MM-DD]
  goals delete ID GOAL_ID
  customer-link ID [--ttl-hours N]   a signed link to the account's customer view
  user export ID                     everything stored about a user (JSON)
  user erase ID --yes                erase a user (GDPR Art. 17)
  tasks list [ID] [--owner NAME] [--status open|done|all] [--due-before YYYY-MM-DD]
  tasks add ID --title TEXT [--owner NAME] [--due YYYY-MM-DD] [--alert ALERT_ID]
  tasks done ID TASK_ID              mark a task done
  notes list ID / notes add ID --text TEXT
  audit [--actor NAME] [--since YYYY-MM-DD] [--limit N]   the admin audit log, newest first
  token new --name NAME --role admin|csm|read [--key-file FILE]
  token list                         the collector's admin tokens (names, roles, fingerprints)
  whoami                             the name and role the collector knows your token by
  health-model show                  the weights and thresholds health is scored with
  health-model set [--weights F=N,...] [--onboarding-weights F=N,...] [--onboarding-days N]
                   [--good-at N] [--watch-at N] [--poor-factor-caps yes|no]
                   [--nps-min-responses N]   change them (admin) and rescore every account
  health-model reset --yes           back to the built-in model
  token revoke NAME --key-file FILE  remove a token's lines from a key file

exit codes: 0 done, 1 server or network error, 2 usage
)";

const std::map<std::string, std::string, std::less<>>& CommandHelp() {
  static const auto* const help = new std::map<std::string, std::string, std::less<>>{
      {"at-risk",
       "usage: cairnctl at-risk [--all] [--limit N]\n"
       "  Accounts in band poor or watch, or with an open alert, riskiest first, as a table:\n"
       "  health band and score, login days of the last 14, this week's logins against the\n"
       "  4-week mean, breadth, adoption, open alert, renewal date and a sparkline of 12 weeks\n"
       "  of logins. --all lists every account; --limit N shows at most N rows (default 50).\n"
       "  With --json: each API answer read (pages, open alerts, accounts) on its own line.\n"},
      {"alerts",
       "usage: cairnctl alerts [--open]\n"
       "       cairnctl alerts ack ID\n"
       "       cairnctl alerts snooze ID (--days N | --until RFC3339)\n"
       "  Usage alerts (drop, severe, declining), newest first; --open: only open ones not\n"
       "  snoozed. ack records that someone has seen the alert; snooze hides an open alert\n"
       "  from --open for 1-90 days (or until a time in them), then it shows again.\n"},
      {"evaluate",
       "usage: cairnctl evaluate\n  Evaluates the usage-drop rule for every account now.\n"},
      {"renewals",
       "usage: cairnctl renewals [--within-days N]\n"
       "  Accounts renewing in the next N days (1-366, default 30) with their health and the\n"
       "  users who may receive renewal notifications.\n"},
      {"account",
       "usage: cairnctl account show ID\n"
       "       cairnctl account users ID [--days N]\n"
       "       cairnctl account set ID [--seats N] [--renewal-date YYYY-MM-DD] [--key-milestones "
       "a,b]\n"
       "                [--owner NAME] [--plan NAME] [--arr X | --mrr X] [--segments a,b]\n"
       "  set changes only the values given; \"none\" clears one.\n"
       "  users lists the users with a login in the last N days (1-456, default 90), most\n"
       "  logins first, by their pseudonymised ids: active days, logins, share, last seen,\n"
       "  milestones; * marks the champion (most active days of the last 28), and a warning\n"
       "  shows when one user holds 60% or more of the last 28 days' logins.\n"},
      {"accounts",
       "usage: cairnctl accounts [--owner O] [--plan P] [--segment S] [--band poor|watch|good]\n"
       "                         [--search TEXT] [--sort K] [--limit N] [--csv]\n"
       "  The accounts as of the last evaluation with their context. --sort: risk (default),\n"
       "  score, -score, account_id, renewal_date, -arr, trend, active_users. --limit: 1-1000\n"
       "  (default 100). --csv prints every matching account as CSV.\n"},
      {"groups",
       "usage: cairnctl groups [--by owner|plan|segment|band] [--owner O] [--plan P]\n"
       "                       [--segment S] [--band B] [--csv]\n"
       "  Accounts per group (default: by owner) with their bands, ARR and ARR at risk.\n"},
      {"forecast",
       "usage: cairnctl forecast [--months N] [--owner O] [--plan P] [--segment S]\n"
       "  ARR renewing this month and the N-1 after it (1-24, default 12) by health band.\n"},
      {"outcome",
       "usage: cairnctl outcome ID --renewal-date YYYY-MM-DD --outcome renewed|churned|"
       "downgraded|expanded\n                [--arr-before X] [--arr-after X]\n"
       "  arr-before defaults to the account's ARR; a churned account's ARR after is 0.\n"},
      {"retention",
       "usage: cairnctl retention [--months N]\n"
       "  Recorded renewal outcomes of the last N months (1-36, default 12): gross and net\n"
       "  ARR retention and churn rate per month and in total.\n"},
      {"backtest",
       "usage: cairnctl backtest [--days-before N] [--months N]\n"
       "  Outcomes by the health band N days (0-365, default 30) before each renewal.\n"},
      {"history",
       "usage: cairnctl history ID [--days N]\n"
       "  The account's health per day, the last N days (1-456, default 120).\n"},
      {"goals",
       "usage: cairnctl goals list ID\n"
       "       cairnctl goals add ID --name TEXT --milestone NAME --target N [--due YYYY-MM-DD]\n"
       "       cairnctl goals delete ID GOAL_ID\n"},
      {"customer-link",
       "usage: cairnctl customer-link ID [--ttl-hours N]\n"
       "  A signed link (default 168 hours, at most 2160) to the account's own view: its\n"
       "  milestones and goals, nothing else. Anyone holding it can open it until it expires.\n"},
      {"user",
       "usage: cairnctl user export ID\n"
       "       cairnctl user erase ID --yes\n"
       "  export prints everything stored about the user as JSON; erase deletes it.\n"},
      {"tasks", std::string(kTasksHelp)},
      {"notes", std::string(kNotesHelp)},
      {"audit", std::string(kAuditHelp)},
      {"token", std::string(kTokenHelp)},
      {"whoami", std::string(kWhoamiHelp)},
      {"health-model", std::string(kHealthModelHelp)},
  };
  return *help;
}

}  // namespace

int Usage(std::string_view message, std::string_view command) {
  std::cerr << "cairnctl: " << message << "\n";
  auto help = CommandHelp().find(command);
  if (help != CommandHelp().end())
    std::cerr << help->second;
  else
    std::cerr << "run cairnctl --help for the commands\n";
  return kUsage;
}

namespace {

std::optional<std::string> ReadToken(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = absl::StrCat("cannot read the admin token file ", path);
    return std::nullopt;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::string token(absl::StripAsciiWhitespace(line));
    if (token.empty() || token[0] == '#') continue;
    return token;
  }
  *error = absl::StrCat("no token in ", path);
  return std::nullopt;
}

// accounts, groups, forecast, history: the book-wide reads.
int BookCommand(Command& command, const Args& args, const std::string& name) {
  std::string bad;
  if (!OnlyOptions(args,
                   {"--owner", "--plan", "--segment", "--band", "--search", "--sort", "--limit",
                    "--csv", "--by", "--months", "--days", "--days-before"},
                   &bad)) {
    return Usage("unknown option " + bad, name);
  }
  std::string error;
  const std::string path = BookPath(args, name, &error);
  if (path.empty()) return Usage(error, name);
  if (args.flags.contains("--csv")) return command.RunRaw("GET", path);
  if (name == "accounts") {
    return command.Run<admin::v1::AccountPage>("GET", path, nullptr, FormatAccountPage);
  }
  if (name == "groups") {
    return command.Run<admin::v1::AccountSummary>("GET", path, nullptr, FormatAccountGroups);
  }
  if (name == "forecast") {
    return command.Run<admin::v1::RenewalForecast>("GET", path, nullptr, FormatForecast);
  }
  if (name == "retention") {
    return command.Run<admin::v1::RetentionReport>("GET", path, nullptr, FormatRetention);
  }
  if (name == "backtest") {
    return command.Run<admin::v1::BacktestReport>("GET", path, nullptr, FormatBacktest);
  }
  return command.Run<admin::v1::HealthHistory>("GET", path, nullptr, FormatHistory);
}

int AtRisk(Command& command, const Args& args) {
  AtRiskOptions options;
  options.all = args.flags.contains("--all");
  if (std::optional<int64_t> limit = IntOption(args, "--limit", 1, 100000)) {
    if (*limit < 1) return Usage("--limit must be 1-100000", "at-risk");
    options.limit = static_cast<size_t>(*limit);
  }
  // The listing is riskiest first (poor, watch, then good), so pages are read
  // until there are enough rows or, without --all, until the first good
  // account. A good account can still have an open alert: those on the pages
  // read are kept; the others come from the open alerts, read one by one.
  std::vector<admin::v1::Account> accounts;
  std::vector<std::string> raw_answers;
  std::set<std::string, std::less<>> seen;
  std::string as_of;
  std::string page_token;
  bool more = false;
  bool reached_good = false;
  for (int pages = 0; pages < 1000; ++pages) {
    std::string path = "/v1/accounts?limit=100";
    if (!page_token.empty()) absl::StrAppend(&path, "&page_token=", Encode(page_token));
    std::optional<admin::v1::AccountPage> page =
        command.Fetch<admin::v1::AccountPage>("GET", path, nullptr);
    if (!page) return kFailed;
    raw_answers.push_back(command.raw());
    if (as_of.empty()) as_of = page->as_of();
    for (const admin::v1::Account& account : page->accounts()) {
      const std::string& band = account.health().band();
      if (band != "poor" && band != "watch") reached_good = true;
      // A good account already read that has an open alert is kept here,
      // not fetched again below.
      if (!options.all && !IsAtRisk(account)) continue;
      seen.insert(account.account_id());
      accounts.push_back(account);
    }
    page_token = page->next_page_token();
    if (page_token.empty()) break;
    if (accounts.size() >= options.limit || (!options.all && reached_good)) {
      more = options.all || accounts.size() >= options.limit;
      break;
    }
  }
  // Good accounts with an open alert beyond the pages read.
  if (!options.all && accounts.size() < options.limit && !page_token.empty()) {
    std::optional<admin::v1::AlertList> alerts =
        command.Fetch<admin::v1::AlertList>("GET", "/v1/alerts?state=open", nullptr);
    if (!alerts) return kFailed;
    raw_answers.push_back(command.raw());
    for (const admin::v1::Alert& alert : alerts->alerts()) {
      const std::string& id = alert.account_id();
      if (id.empty() || seen.contains(id) || accounts.size() >= options.limit) continue;
      // The account view read as a listed account (its milestones and goals
      // are not needed for the table).
      std::optional<admin::v1::Account> account =
          command.Fetch<admin::v1::Account>("GET", "/v1/accounts/" + Encode(id), nullptr);
      if (!account) return kFailed;
      raw_answers.push_back(command.raw());
      seen.insert(id);
      accounts.push_back(*std::move(account));
    }
  }
  if (command.json()) {
    // One JSON answer a line, in the order they were fetched.
    for (const std::string& raw : raw_answers) {
      std::cout << absl::StripTrailingAsciiWhitespace(raw) << "\n";
    }
    return kOk;
  }
  std::cout << FormatAtRisk(accounts, as_of, options, more);
  return kOk;
}

int Main(int argc, char** argv) {
  std::string parse_error;
  std::string parsed_command;
  std::optional<Args> parsed = ParseArgs(argc, argv, &parse_error, &parsed_command);
  if (!parsed) {
    if (!parsed_command.empty() && !CommandHelp().contains(parsed_command)) {
      return Usage(absl::StrCat("unknown command ", parsed_command));
    }
    return Usage(parse_error, parsed_command);
  }
  Args& args = *parsed;
  std::string name = args.positional.empty() ? "" : args.positional[0];
  if (args.flags.contains("--help")) {
    auto help = CommandHelp().find(name);
    std::cout << (help != CommandHelp().end() ? help->second : std::string(kUsageText));
    return kOk;
  }
  if (name.empty()) {
    std::cerr << kUsageText;
    return kUsage;
  }
  if (!CommandHelp().contains(name)) return Usage(absl::StrCat("unknown command ", name));

  // Making and revoking a key-file line needs no collector.
  if (IsLocalTokenCommand(args)) return RunLocalTokenCommand(args);
  std::string url = "http://127.0.0.1:8080";
  if (const char* env = std::getenv("CAIRN_URL"); env != nullptr && *env != 0) url = env;
  if (auto it = args.options.find("--url"); it != args.options.end()) url = it->second;
  if (!absl::StartsWith(url, "https://") && !IsLoopbackHttpUrl(url)) {
    return Usage(
        "--url must be https:// (plain http:// only to a loopback host: the token would travel in "
        "clear)");
  }
  std::string token_file;
  if (const char* env = std::getenv("CAIRN_ADMIN_TOKEN_FILE"); env != nullptr) token_file = env;
  if (auto it = args.options.find("--admin-token-file"); it != args.options.end())
    token_file = it->second;
  if (token_file.empty())
    return Usage("no admin token: give --admin-token-file FILE or set CAIRN_ADMIN_TOKEN_FILE");
  std::string error;
  std::optional<std::string> token = ReadToken(token_file, &error);
  if (!token) return Usage(error);

  Client client(url, *token);
  Command command(client, args.flags.contains("--json"));
  const std::vector<std::string>& pos = args.positional;
  std::string bad;

  if (name == "at-risk") {
    if (pos.size() != 1 || !OnlyOptions(args, {"--all", "--limit"}, &bad)) {
      return Usage(bad.empty() ? "at-risk takes no arguments" : "unknown option " + bad, name);
    }
    return AtRisk(command, args);
  }
  if (name == "alerts" && pos.size() == 3 && pos[1] == "ack") {
    if (!OnlyOptions(args, {}, &bad)) return Usage("unknown option " + bad, name);
    std::string body = "{}";
    return command.Run<admin::v1::Alert>(
        "POST", absl::StrCat("/v1/alerts/", Encode(pos[2]), "/acknowledge"), &body, FormatAlert);
  }
  if (name == "alerts" && pos.size() == 3 && pos[1] == "snooze") {
    if (!OnlyOptions(args, {"--days", "--until"}, &bad))
      return Usage("unknown option " + bad, name);
    const auto until = args.options.find("--until");
    std::optional<int64_t> days = IntOption(args, "--days", 1, 90);
    if (days.has_value() == (until != args.options.end()))
      return Usage("give one of --days N or --until RFC3339", name);
    if (days && *days < 1) return Usage("--days must be 1-90", name);
    admin::v1::SnoozeRequest snooze;
    if (days) snooze.set_days(static_cast<uint32_t>(*days));
    if (until != args.options.end()) snooze.set_until(until->second);
    std::string body;
    (void)google::protobuf::util::MessageToJsonString(snooze, &body);
    return command.Run<admin::v1::Alert>(
        "POST", absl::StrCat("/v1/alerts/", Encode(pos[2]), "/snooze"), &body, FormatAlert);
  }
  if (name == "alerts") {
    if (pos.size() != 1 || !OnlyOptions(args, {"--open"}, &bad))
      return Usage("bad arguments", name);
    std::string path =
        absl::StrCat("/v1/alerts?state=", args.flags.contains("--open") ? "open" : "all");
    return command.Run<admin::v1::AlertList>("GET", path, nullptr, FormatAlerts);
  }
  if (name == "evaluate") {
    if (pos.size() != 1 || !OnlyOptions(args, {}, &bad))
      return Usage("evaluate takes no arguments", name);
    std::string body = "{}";  // evaluate takes no request body
    return command.Run<admin::v1::EvaluationCounts>("POST", "/v1/alerts/evaluate", &body,
                                                    FormatEvaluation);
  }
  if (name == "renewals") {
    if (pos.size() != 1 || !OnlyOptions(args, {"--within-days"}, &bad))
      return Usage("bad arguments", name);
    int64_t days = 30;
    if (std::optional<int64_t> d = IntOption(args, "--within-days", 1, 366)) {
      if (*d < 1) return Usage("--within-days must be 1-366", name);
      days = *d;
    }
    return command.Run<admin::v1::RenewalList>(
        "GET", absl::StrCat("/v1/renewals/upcoming?within_days=", days), nullptr, FormatRenewals);
  }
  if (name == "accounts" || name == "groups" || name == "forecast" || name == "history" ||
      name == "retention" || name == "backtest") {
    return BookCommand(command, args, name);
  }
  if (name == "outcome") {
    admin::v1::RecordOutcomeRequest body;
    if (pos.size() != 2) return Usage("outcome takes one account id", name);
    if (std::optional<std::string> wrong = OutcomeBody(args, &body)) return Usage(*wrong, name);
    std::string text = BodyJson(body);
    return command.Run<admin::v1::RenewalOutcome>(
        "POST", "/v1/accounts/" + Encode(pos[1]) + "/outcomes", &text, FormatOutcome);
  }
  if (name == "account") {
    if (pos.size() != 3 || (pos[1] != "show" && pos[1] != "set" && pos[1] != "users"))
      return Usage("account show|set|users ID", name);
    if (pos[1] == "users") {
      if (!OnlyOptions(args, {"--days"}, &bad)) return Usage("unknown option " + bad, name);
      std::string wrong;
      const std::string path = BookPath(args, "account users", &wrong);
      if (path.empty()) return Usage(wrong, name);
      return command.Run<admin::v1::AccountUserList>("GET", path, nullptr, FormatAccountUsers);
    }
    std::string path = "/v1/accounts/" + Encode(pos[2]);
    if (pos[1] == "show") {
      if (!OnlyOptions(args, {}, &bad)) return Usage("unknown option " + bad, name);
      return command.Run<admin::v1::AccountDetail>("GET", path, nullptr, FormatAccount);
    }
    if (!OnlyOptions(args,
                     {"--seats", "--renewal-date", "--key-milestones", "--owner", "--plan", "--arr",
                      "--mrr", "--segments"},
                     &bad)) {
      return Usage("unknown option " + bad, name);
    }
    admin::v1::UpdateAccountRequest update;
    if (auto it = args.options.find("--seats"); it != args.options.end()) {
      int64_t seats = 0;
      if (it->second == "none")
        update.mutable_seats()->set_null_value(google::protobuf::NULL_VALUE);
      else if (absl::SimpleAtoi(ToAbsl(it->second), &seats) && seats >= 0 && seats <= 100000000)
        update.mutable_seats()->set_number_value(static_cast<double>(seats));
      else
        return Usage("--seats must be a number >= 0 or none", name);
    }
    if (auto it = args.options.find("--renewal-date"); it != args.options.end()) {
      if (it->second == "none")
        update.mutable_renewal_date()->set_null_value(google::protobuf::NULL_VALUE);
      else if (IsDate(it->second))
        update.mutable_renewal_date()->set_string_value(it->second);
      else
        return Usage("--renewal-date must be YYYY-MM-DD or none", name);
    }
    if (auto it = args.options.find("--key-milestones"); it != args.options.end()) {
      if (it->second == "none") {
        update.mutable_key_milestones()->set_null_value(google::protobuf::NULL_VALUE);
      } else {
        google::protobuf::ListValue* names = update.mutable_key_milestones()->mutable_list_value();
        for (absl::string_view part :
             absl::StrSplit(ToAbsl(it->second), ',', absl::SkipWhitespace())) {
          names->add_values()->set_string_value(std::string(absl::StripAsciiWhitespace(part)));
        }
      }
    }
    if (std::optional<std::string> wrong = ApplyContextOptions(args, &update)) {
      return Usage(*wrong, name);
    }
    if (update.ByteSizeLong() == 0) return Usage("account set needs a value to set", name);
    std::string body = BodyJson(update);
    return command.Run<admin::v1::AccountSettings>("PUT", path, &body, FormatAccountSettings);
  }
  if (name == "goals") {
    if (pos.size() < 3) return Usage("goals list|add|delete ID", name);
    std::string path = "/v1/accounts/" + Encode(pos[2]) + "/goals";
    if (pos[1] == "list" && pos.size() == 3 && OnlyOptions(args, {}, &bad)) {
      return command.Run<admin::v1::GoalList>(
          "GET", path, nullptr,
          [](const admin::v1::GoalList& goals) { return FormatGoals(goals); });
    }
    if (pos[1] == "delete" && pos.size() == 4 && OnlyOptions(args, {}, &bad)) {
      return command.Run<admin::v1::GoalDeleted>(
          "DELETE", path + "/" + Encode(pos[3]), nullptr, [&](const admin::v1::GoalDeleted&) {
            return absl::StrCat("goal ", TerminalSafe(pos[3]), " deleted\n");
          });
    }
    if (pos[1] == "add" && pos.size() == 3 &&
        OnlyOptions(args, {"--name", "--milestone", "--target", "--due"}, &bad)) {
      auto goal_name = args.options.find("--name");
      auto milestone = args.options.find("--milestone");
      std::optional<int64_t> target = IntOption(args, "--target", 1, 1000000000);
      if (goal_name == args.options.end() || milestone == args.options.end() || !target) {
        return Usage("goals add needs --name, --milestone and --target", name);
      }
      if (*target < 1) return Usage("--target must be a number >= 1", name);
      admin::v1::CreateGoalRequest goal;
      goal.set_name(goal_name->second);
      goal.set_milestone_name(milestone->second);
      goal.set_target_count(*target);
      if (auto it = args.options.find("--due"); it != args.options.end()) {
        if (!IsDate(it->second)) return Usage("--due must be YYYY-MM-DD", name);
        goal.set_due(it->second);
      }
      std::string body = BodyJson(goal);
      return command.Run<admin::v1::Goal>("POST", path, &body, FormatGoal);
    }
    return Usage(bad.empty() ? "bad arguments" : "unknown option " + bad, name);
  }
  if (name == "customer-link") {
    if (pos.size() != 2 || !OnlyOptions(args, {"--ttl-hours"}, &bad))
      return Usage("customer-link ID", name);
    int64_t ttl = 168;
    if (std::optional<int64_t> t = IntOption(args, "--ttl-hours", 1, 2160)) {
      if (*t < 1) return Usage("--ttl-hours must be 1-2160", name);
      ttl = *t;
    }
    admin::v1::CustomerLinkRequest request;
    request.set_ttl_hours(ttl);
    std::string body = BodyJson(request);
    return command.Run<admin::v1::CustomerLink>(
        "POST", "/v1/accounts/" + Encode(pos[1]) + "/customer-link", &body,
        [&](const admin::v1::CustomerLink& answer) {
          return FormatCustomerLink(answer, client.base_url());
        });
  }
  if (name == "user") {
    if (pos.size() != 3 || (pos[1] != "export" && pos[1] != "erase"))
      return Usage("user export|erase ID", name);
    std::string path = "/v1/users/" + Encode(pos[2]);
    if (pos[1] == "export") {
      if (!OnlyOptions(args, {}, &bad)) return Usage("unknown option " + bad, name);
      // An export is JSON by nature: printed as the server sent it.
      return command.Run<admin::v1::UserExport>(
          "GET", path + "/export", nullptr, [&](const admin::v1::UserExport&) {
            std::string raw = command.raw();
            return absl::EndsWith(raw, "\n") ? raw : raw + "\n";
          });
    }
    if (!OnlyOptions(args, {"--yes"}, &bad)) return Usage("unknown option " + bad, name);
    if (!args.flags.contains("--yes")) {
      return Usage("erasure deletes the user's events for good: add --yes to go ahead", name);
    }
    return command.Run<admin::v1::ErasureResult>("DELETE", path, nullptr, FormatErasure);
  }
  if (name == "tasks" || name == "notes" || name == "audit" || name == "token" ||
      name == "whoami") {
    return RunAccessCommand(command, args);
  }
  if (name == "health-model") return RunHealthModelCommand(command, args);
  return Usage(absl::StrCat("unknown command ", name));
}

}  // namespace
}  // namespace cairn::cli

int main(int argc, char** argv) { return cairn::cli::Main(argc, argv); }
