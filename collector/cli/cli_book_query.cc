#include "cli_book_query.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cairn/common/strings.h"
#include "cli_command.h"
#include "cli_http.h"

namespace cairn::cli {
namespace {

// A whole number option within [min, max]; false with *error otherwise.
bool Bounded(const Args& args, std::string_view name, int64_t min, int64_t max, int64_t* out,
             std::string* error) {
  std::optional<std::string> text = TextOption(args, name);
  if (!text) return true;
  if (!absl::SimpleAtoi(ToAbsl(*text), out) || *out < min || *out > max) {
    *error = absl::StrCat(ToAbsl(name), " must be ", min, "-", max);
    return false;
  }
  return true;
}

}  // namespace

std::string BookPath(const Args& args, std::string_view command, std::string* error) {
  std::string query;
  auto add = [&query](std::string_view key, const std::string& value) {
    absl::StrAppend(&query, query.empty() ? "?" : "&", ToAbsl(key), "=", Encode(value));
  };
  // Filters shared by the lists: option name -> query parameter.
  for (auto [option, param] : {std::pair{"--owner", "owner"}, std::pair{"--plan", "plan"},
                               std::pair{"--segment", "segment"}, std::pair{"--band", "band"},
                               std::pair{"--search", "q"}, std::pair{"--sort", "sort"}}) {
    if (std::optional<std::string> v = TextOption(args, option)) add(param, *v);
  }
  const bool csv = args.flags.contains("--csv");
  int64_t n = 0;
  if (command == "accounts") {
    if (!Bounded(args, "--limit", 1, 1000, &n, error)) return "";
    if (n > 0 && !csv) add("limit", absl::StrCat(n));
    if (csv) add("format", "csv");
    return "/v1/accounts" + query;
  }
  if (command == "groups") {
    add("group_by", TextOption(args, "--by").value_or("owner"));
    if (csv) add("format", "csv");
    return "/v1/account-groups" + query;
  }
  if (command == "forecast") {
    if (!Bounded(args, "--months", 1, 24, &n, error)) return "";
    if (n > 0) add("months", absl::StrCat(n));
    return "/v1/renewals/forecast" + query;
  }
  if (command == "retention" || command == "backtest") {
    if (!Bounded(args, "--months", 1, 36, &n, error)) return "";
    if (n > 0) add("months", absl::StrCat(n));
    if (command == "retention") return "/v1/retention" + query;
    if (!Bounded(args, "--days-before", 0, 365, &n, error)) return "";
    if (TextOption(args, "--days-before")) add("days_before", absl::StrCat(n));
    return "/v1/backtest" + query;
  }
  if (command == "history") {
    if (args.positional.size() != 2) {
      *error = "history takes one account id";
      return "";
    }
    if (!Bounded(args, "--days", 1, 456, &n, error)) return "";
    if (n > 0) add("days", absl::StrCat(n));
    return absl::StrCat("/v1/accounts/", Encode(args.positional[1]), "/history", query);
  }
  if (command == "account users") {
    if (args.positional.size() != 3) {
      *error = "account users takes one account id";
      return "";
    }
    if (!Bounded(args, "--days", 1, 456, &n, error)) return "";
    if (n > 0) add("days", absl::StrCat(n));
    return absl::StrCat("/v1/accounts/", Encode(args.positional[2]), "/users", query);
  }
  *error = "unknown command";
  return "";
}

std::optional<std::string> OutcomeBody(const Args& args, admin::v1::RecordOutcomeRequest* body) {
  std::optional<std::string> date = TextOption(args, "--renewal-date");
  std::optional<std::string> outcome = TextOption(args, "--outcome");
  if (!date || !outcome) return "outcome needs --renewal-date and --outcome";
  body->set_renewal_date(*date);
  body->set_outcome(*outcome);
  for (auto [name, field] : {std::pair{"--arr-before", body->mutable_arr_before()},
                             std::pair{"--arr-after", body->mutable_arr_after()}}) {
    std::optional<std::string> v = TextOption(args, name);
    if (!v) continue;
    double amount = 0;
    if (!absl::SimpleAtod(ToAbsl(*v), &amount) || amount < 0) {
      return absl::StrCat(name, " must be an amount >= 0");
    }
    field->set_number_value(amount);
  }
  if (!TextOption(args, "--arr-before")) body->clear_arr_before();
  if (!TextOption(args, "--arr-after")) body->clear_arr_after();
  return std::nullopt;
}

std::optional<std::string> ApplyContextOptions(const Args& args,
                                               admin::v1::UpdateAccountRequest* update) {
  auto clear_or = [](const std::string& v, google::protobuf::Value* out) {
    if (v == "none") {
      out->set_null_value(google::protobuf::NULL_VALUE);
      return true;
    }
    return false;
  };
  if (std::optional<std::string> v = TextOption(args, "--owner")) {
    if (!clear_or(*v, update->mutable_owner())) update->mutable_owner()->set_string_value(*v);
  }
  if (std::optional<std::string> v = TextOption(args, "--plan")) {
    if (!clear_or(*v, update->mutable_plan())) update->mutable_plan()->set_string_value(*v);
  }
  if (TextOption(args, "--arr") && TextOption(args, "--mrr"))
    return "give --arr or --mrr, not both";
  for (auto [name, field] :
       {std::pair{"--arr", update->mutable_arr()}, std::pair{"--mrr", update->mutable_mrr()}}) {
    std::optional<std::string> v = TextOption(args, name);
    if (!v || clear_or(*v, field)) continue;
    double amount = 0;
    if (!absl::SimpleAtod(ToAbsl(*v), &amount) || amount < 0) {
      return absl::StrCat(name, " must be an amount >= 0 or none");
    }
    field->set_number_value(amount);
  }
  // An option never given leaves its (default) Value unset.
  if (!TextOption(args, "--arr")) update->clear_arr();
  if (!TextOption(args, "--mrr")) update->clear_mrr();
  if (std::optional<std::string> v = TextOption(args, "--segments")) {
    if (!clear_or(*v, update->mutable_segments())) {
      google::protobuf::ListValue* tags = update->mutable_segments()->mutable_list_value();
      for (absl::string_view part : absl::StrSplit(ToAbsl(*v), ',', absl::SkipWhitespace())) {
        tags->add_values()->set_string_value(std::string(absl::StripAsciiWhitespace(part)));
      }
    }
  }
  return std::nullopt;
}

}  // namespace cairn::cli
