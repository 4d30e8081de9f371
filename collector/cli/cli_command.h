#ifndef CAIRN_COLLECTOR_CLI_CLI_COMMAND_H_
#define CAIRN_COLLECTOR_CLI_CLI_COMMAND_H_

#include <cstdint>
#include <initializer_list>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "cairn/common/strings.h"
#include "cli_args.h"
#include "cli_format.h"
#include "cli_http.h"
#include "google/protobuf/util/json_util.h"

namespace cairn::cli {

// What every cairnctl command shares: the exit codes, the request-and-print
// helper and the option checks.
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;
inline constexpr int kUsage = 2;

// Prints `message` and the help of `command` (or a pointer to --help) on
// stderr; returns kUsage. Defined in cairnctl.cc, next to the help texts.
int Usage(std::string_view message, std::string_view command = "");

// The text of option `name`; nullopt if not given.
std::optional<std::string> TextOption(const Args& args, std::string_view name);

// The value of option `name` as an integer in [min, max]: nullopt if not
// given, min - 1 if given but not a number in range.
std::optional<int64_t> IntOption(const Args& args, std::string_view name, int64_t min, int64_t max);

// True for text shaped "YYYY-MM-DD" (the server checks the calendar).
bool IsDate(std::string_view text);

// Checks that only `allowed` options (and the global ones) were given;
// else false with the first other one in *bad.
bool OnlyOptions(const Args& args, std::initializer_list<std::string_view> allowed,
                 std::string* bad);

// The command being run, with its output streams and the common handling of
// answers: raw with --json, formatted otherwise, errors with exit 1.
class Command {
 public:
  Command(const Client& client, bool json) : client_(client), json_(json) {}

  // Sends the request; on a 2xx answer prints it (raw with --json, else
  // format(answer read as an `Answer` message)) and returns 0. Otherwise
  // prints the server's message and returns 1.
  template <typename Answer, typename Format>
  int Run(const char* method, const std::string& path, const std::string* body, Format format) {
    std::optional<Answer> answer = Fetch<Answer>(method, path, body);
    if (!answer) return kFailed;
    if (json_) {
      std::cout << raw_ << (absl::EndsWith(raw_, "\n") ? "" : "\n");
    } else {
      std::cout << format(*answer);
    }
    return kOk;
  }

  // The 2xx answer read into its message, or nullopt after printing why not.
  // Fields this cairnctl does not know (a newer server) are skipped.
  template <typename Answer>
  std::optional<Answer> Fetch(const char* method, const std::string& path,
                              const std::string* body) {
    if (!CallOk(method, path, body)) return std::nullopt;
    Answer answer;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    const auto parsed = google::protobuf::util::JsonStringToMessage(raw_, &answer, options);
    if (!parsed.ok()) {
      std::cerr << "cairnctl: the server's answer is not the expected JSON: "
                << TerminalSafe(std::string(parsed.message().data(), parsed.message().size()))
                << "\n";
      return std::nullopt;
    }
    return answer;
  }

  // Sends the request and prints a 2xx answer as it is (CSV exports);
  // returns 0, or 1 after printing why not.
  int RunRaw(const char* method, const std::string& path) {
    if (!CallOk(method, path, nullptr)) return kFailed;
    std::cout << raw_;
    return kOk;
  }

  bool json() const { return json_; }
  const std::string& raw() const { return raw_; }

 private:
  // Sends the request; true on a 2xx answer (its body in raw_), else false
  // after printing the server's message.
  bool CallOk(const char* method, const std::string& path, const std::string* body) {
    std::string error;
    std::optional<Response> response = client_.Call(method, path, body, &error);
    if (!response) {
      std::cerr << "cairnctl: " << error << "\n";
      return false;
    }
    raw_ = response->body;
    if (response->status >= 200 && response->status <= 299) return true;
    std::string message(absl::StripAsciiWhitespace(response->body));
    std::cerr << "cairnctl: HTTP " << response->status << " from " << method << " "
              << PathForMessages(path) << ": "
              << TerminalSafe(message.empty() ? "(no message)" : message) << "\n";
    if (response->status == 401) std::cerr << "cairnctl: the admin token was refused\n";
    if (response->status == 404 && message == "not found") {
      std::cerr << "cairnctl: (the admin API may be off: start the collector with "
                   "--admin-token-file)\n";
    }
    return false;
  }

  const Client& client_;
  bool json_;
  std::string raw_;
};

}  // namespace cairn::cli

#endif  // CAIRN_COLLECTOR_CLI_CLI_COMMAND_H_
