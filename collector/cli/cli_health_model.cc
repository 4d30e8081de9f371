#include "cli_health_model.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cairn/admin/v1/health_model.pb.h"
#include "cli_format_health_model.h"
#include "cli_http.h"

namespace cairn::cli {
namespace {

constexpr std::string_view kCommand = "health-model";

// "frequency=30,trend=0" into `weights`; the first problem, if any. Range
// checks are the server's, so the rule lives in one place.
std::optional<std::string> ParseWeights(std::string_view option, const std::string& text,
                                        admin::v1::FactorWeights* weights) {
  for (absl::string_view part : absl::StrSplit(ToAbsl(text), ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    int32_t value = 0;
    if (kv.size() != 2 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(kv[1]), &value)) {
      return absl::StrCat(ToAbsl(option), " takes FACTOR=N,...");
    }
    const absl::string_view name = absl::StripAsciiWhitespace(kv[0]);
    if (name == "frequency") {
      weights->set_frequency(value);
    } else if (name == "trend") {
      weights->set_trend(value);
    } else if (name == "breadth") {
      weights->set_breadth(value);
    } else if (name == "time_to_value") {
      weights->set_time_to_value(value);
    } else if (name == "dependence") {
      weights->set_dependence(value);
    } else if (name == "nps") {
      weights->set_nps(value);
    } else {
      return absl::StrCat(ToAbsl(option), ": no factor ", name);
    }
  }
  return std::nullopt;
}

// The request body of `set`; the first problem, if any.
std::optional<std::string> SetBody(const Args& args, admin::v1::HealthModel* body) {
  if (std::optional<std::string> w = TextOption(args, "--weights")) {
    if (auto wrong = ParseWeights("--weights", *w, body->mutable_weights())) return wrong;
  }
  if (std::optional<std::string> w = TextOption(args, "--onboarding-weights")) {
    if (auto wrong = ParseWeights("--onboarding-weights", *w, body->mutable_onboarding_weights())) {
      return wrong;
    }
  }
  struct IntField {
    std::string_view option;
    void (admin::v1::HealthModel::*set)(int32_t);
  };
  for (const IntField& f :
       {IntField{"--onboarding-days", &admin::v1::HealthModel::set_onboarding_days},
        IntField{"--good-at", &admin::v1::HealthModel::set_good_at},
        IntField{"--watch-at", &admin::v1::HealthModel::set_watch_at},
        IntField{"--nps-min-responses", &admin::v1::HealthModel::set_nps_min_responses}}) {
    std::optional<std::string> text = TextOption(args, f.option);
    if (!text) continue;
    int32_t value = 0;
    if (!absl::SimpleAtoi(ToAbsl(*text), &value)) {
      return absl::StrCat(ToAbsl(f.option), " must be a number");
    }
    (body->*f.set)(value);
  }
  if (std::optional<std::string> caps = TextOption(args, "--poor-factor-caps")) {
    if (*caps != "yes" && *caps != "no") return "--poor-factor-caps must be yes or no";
    body->set_poor_factor_caps(*caps == "yes");
  }
  if (body->ByteSizeLong() == 0) return "set needs at least one option";
  return std::nullopt;
}

}  // namespace

int RunHealthModelCommand(Command& command, const Args& args) {
  const std::vector<std::string>& pos = args.positional;
  std::string bad;
  if (pos.size() != 2) return Usage("health-model show|set|reset", kCommand);
  if (pos[1] == "show") {
    if (!OnlyOptions(args, {}, &bad)) return Usage("unknown option " + bad, kCommand);
    return command.Run<admin::v1::HealthModel>("GET", "/v1/health-model", nullptr,
                                               FormatHealthModel);
  }
  if (pos[1] == "set") {
    if (!OnlyOptions(args,
                     {"--weights", "--onboarding-weights", "--onboarding-days", "--good-at",
                      "--watch-at", "--poor-factor-caps", "--nps-min-responses"},
                     &bad)) {
      return Usage("unknown option " + bad, kCommand);
    }
    admin::v1::HealthModel body;
    if (std::optional<std::string> wrong = SetBody(args, &body)) return Usage(*wrong, kCommand);
    const std::string text = BodyJson(body);
    return command.Run<admin::v1::HealthModel>("PUT", "/v1/health-model", &text, FormatHealthModel);
  }
  if (pos[1] == "reset") {
    if (!OnlyOptions(args, {"--yes"}, &bad)) return Usage("unknown option " + bad, kCommand);
    if (!args.flags.contains("--yes")) {
      return Usage("reset replaces the vendor's model with the built-in one: add --yes", kCommand);
    }
    return command.Run<admin::v1::HealthModel>("DELETE", "/v1/health-model", nullptr,
                                               FormatHealthModel);
  }
  return Usage("health-model show|set|reset", kCommand);
}

}  // namespace cairn::cli
