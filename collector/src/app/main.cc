// cairn-collector: receives telemetry batches over HTTP and stores them in
// SQLite or PostgreSQL. `cairn-collector --help` lists the flags (app/flags.cc);
// docs/collector.md has more.

#include <signal.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "app/collector_app.h"
#include "app/flag_args.h"
#include "app/flags.h"
#include "app/summary_format.h"
#include "google/protobuf/stubs/logging.h"
#include "ops/log.h"
#include "store/store_factory.h"

namespace cairn::collector {
namespace {

// Routes protobuf's own diagnostics (e.g. invalid UTF-8 in a string field,
// which names the field, never its value) into the key=value log.
void ProtobufLogHandler(google::protobuf::LogLevel level, const char*, int,
                        const std::string& message) {
  Log(level >= google::protobuf::LOGLEVEL_ERROR ? LogLevel::kWarning : LogLevel::kInfo, "protobuf",
      {{"message", message}});
}

int Summary() {
  std::string db = DbFlag();
  if (db.empty()) {
    return LogFailure(kExitUsage, "usage_error", absl::InvalidArgumentError("--db is required"));
  }
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db, {.read_only = true});
  if (!store.ok()) return LogFailure(kExitFailure, "summary_failed", store.status());
  absl::StatusOr<StoreSummary> summary = (*store)->Summarize();
  if (!summary.ok()) return LogFailure(kExitFailure, "summary_failed", summary.status());
  std::string text = FormatSummary(*summary);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return 0;
}

int Serve() {
  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and only the signal wait receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);  // not a stop: reloads the key files
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  absl::StatusOr<CollectorConfig> config = ConfigFromFlags();
  if (!config.ok()) return LogFailure(kExitUsage, "usage_error", config.status());
  return RunCollector(*config, signals);
}

}  // namespace
}  // namespace cairn::collector

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "receives Cairn telemetry batches and stores them in SQLite.\n"
      "  cairn-collector --db=PATH --write-key-file=PATH [--listen=HOST:PORT] [flags]\n"
      "  (flags may be spelled with '-' or '_'; --flagfile=PATH reads more, one per line)\n"
      "  cairn-collector summary --db=PATH    print what the database holds");
  cairn::collector::ConfigureFlagUsage();
  // Both flag spellings (--write-key, --write_key), and --flagfile with
  // either spelling inside.
  absl::StatusOr<std::vector<std::string>> expanded =
      cairn::collector::ExpandFlagArgs(std::vector<std::string>(argv, argv + argc));
  if (!expanded.ok()) {
    std::fprintf(stderr, "%s\n", std::string(expanded.status().message()).c_str());
    return cairn::collector::kExitUsage;
  }
  std::vector<std::string>& normalized = *expanded;
  std::vector<char*> normalized_argv;
  for (std::string& arg : normalized) normalized_argv.push_back(arg.data());
  normalized_argv.push_back(nullptr);
  std::vector<char*> args =
      absl::ParseCommandLine(static_cast<int>(normalized.size()), normalized_argv.data());
  google::protobuf::SetLogHandler(&cairn::collector::ProtobufLogHandler);
  if (args.size() >= 2 && std::string_view(args[1]) == "summary" && args.size() == 2) {
    return cairn::collector::Summary();
  }
  if (args.size() > 1) {
    std::fprintf(stderr, "unknown argument '%s'; see --help\n", args[1]);
    return cairn::collector::kExitUsage;
  }
  try {
    return cairn::collector::Serve();
  } catch (const std::exception& e) {
    cairn::collector::Log(cairn::collector::LogLevel::kError, "fatal", {{"error", e.what()}});
    return cairn::collector::kExitFailure;
  }
}
