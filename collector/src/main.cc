// cairn-collector: receives telemetry batches over HTTP and stores them in
// SQLite. `cairn-collector --help` lists the flags; docs/collector.md has more.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cairn/collector/admin_api.h"
#include "cairn/collector/batch_writer.h"
#include "cairn/collector/http_server.h"
#include "cairn/collector/log.h"
#include "cairn/collector/request_handler.h"
#include "cairn/collector/retention_purger.h"
#include "cairn/collector/store_factory.h"
#include "cairn/collector/summary_format.h"
#include "cairn/collector/write_key_set.h"
#include "cairn/common/clock.h"
#include "cairn/common/strings.h"
#include "google/protobuf/stubs/logging.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8080",
          "HOST:PORT to listen on (numeric address; port 0 picks a free port)");
ABSL_FLAG(std::string, db, "",
          "where events go: a SQLite file (PATH or sqlite:PATH) or PostgreSQL "
          "(postgresql://USER@HOST:PORT/DB; password via PGPASSWORD or ~/.pgpass); required");
ABSL_FLAG(std::string, write_key, "",
          "write key apps must present as 'Authorization: Bearer KEY' (visible in the process "
          "list: prefer --write-key-file)");
ABSL_FLAG(std::string, write_key_file, "", "file with write keys, one per line ('#' comments)");
ABSL_FLAG(int32_t, io_threads, 2, "threads serving connections");
ABSL_FLAG(uint64_t, max_body_bytes, 4 << 20, "largest request body accepted, as sent (413 above)");
ABSL_FLAG(uint64_t, max_decompressed_bytes, 16 << 20,
          "largest batch after decompression (413 above)");
ABSL_FLAG(int32_t, max_events_per_batch, 5000, "most events in one batch (413 above)");
ABSL_FLAG(std::string, admin_token, "",
          "bearer token for the admin API (export, erasure, recipients, purge); never the write "
          "key. Without one the admin API is off (404). Prefer --admin-token-file");
ABSL_FLAG(std::string, admin_token_file, "", "file with admin tokens, one per line ('#' comments)");
ABSL_FLAG(std::string, hash_key_file, "",
          "file with the secret (>= 16 bytes, trailing whitespace ignored) keying the hashes of "
          "erased and opted-out users; default: a random key kept in the database");
ABSL_FLAG(int32_t, retention_days, 0,
          "delete events that occurred more than N days ago (0: keep forever)");
ABSL_FLAG(int32_t, purge_interval_minutes, 60, "how often the retention purge runs");
ABSL_FLAG(bool, store_client_ip, false, "store the client IP address with each batch");
ABSL_FLAG(bool, store_user_agent, false, "store the User-Agent header with each batch");
ABSL_FLAG(int32_t, sqlite_cache_mib, 64,
          "SQLite store: page cache of the writer connection in MiB (its memory bound)");
ABSL_FLAG(int32_t, writer_queue, 1024,
          "requests waiting for the storage writer (503 with Retry-After above)");

namespace cairn::collector {
namespace {

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};

// "HOST:PORT" or "[V6HOST]:PORT".
absl::StatusOr<ListenAddress> ParseListen(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError("--listen must be HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return absl::InvalidArgumentError("--listen port must be 0-65535");
  }
  return ListenAddress{std::string(host), static_cast<uint16_t>(port)};
}

std::string DbPath() {
  std::string db = absl::GetFlag(FLAGS_db);
  return db == "sqlite:" ? "" : db;
}

int Fail(int code, std::string_view what, const absl::Status& status) {
  Log(LogLevel::kError, what, {{"error", std::string(status.message())}});
  return code;
}

// Routes protobuf's own diagnostics (e.g. invalid UTF-8 in a string field,
// which names the field, never its value) into the key=value log.
void ProtobufLogHandler(google::protobuf::LogLevel level, const char*, int,
                        const std::string& message) {
  Log(level >= google::protobuf::LOGLEVEL_ERROR ? LogLevel::kWarning : LogLevel::kInfo,
      "protobuf", {{"message", message}});
}

int Summary() {
  std::string db = DbPath();
  if (db.empty()) {
    return Fail(kExitUsage, "usage_error", absl::InvalidArgumentError("--db is required"));
  }
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db, {.read_only = true});
  if (!store.ok()) return Fail(kExitFailure, "summary_failed", store.status());
  absl::StatusOr<StoreSummary> summary = (*store)->Summarize();
  if (!summary.ok()) return Fail(kExitFailure, "summary_failed", summary.status());
  std::string text = FormatSummary(*summary);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return 0;
}

absl::StatusOr<WriteKeySet> LoadWriteKeys() {
  std::string key = absl::GetFlag(FLAGS_write_key);
  std::string key_file = absl::GetFlag(FLAGS_write_key_file);
  if (!key.empty() && !key_file.empty()) {
    return absl::InvalidArgumentError("give --write-key or --write-key-file, not both");
  }
  if (!key_file.empty()) return WriteKeySet::FromFile(key_file);
  if (key.empty()) return absl::InvalidArgumentError("--write-key or --write-key-file is required");
  return WriteKeySet::FromKeys({key});
}

// The admin tokens, or nullopt if none is configured (admin API off).
absl::StatusOr<std::optional<WriteKeySet>> LoadAdminTokens() {
  std::string token = absl::GetFlag(FLAGS_admin_token);
  std::string token_file = absl::GetFlag(FLAGS_admin_token_file);
  if (!token.empty() && !token_file.empty()) {
    return absl::InvalidArgumentError("give --admin-token or --admin-token-file, not both");
  }
  absl::StatusOr<WriteKeySet> tokens = absl::InvalidArgumentError("");
  if (!token_file.empty()) {
    tokens = WriteKeySet::FromFile(token_file);
  } else if (!token.empty()) {
    tokens = WriteKeySet::FromKeys({token});
  } else {
    return std::optional<WriteKeySet>();
  }
  if (!tokens.ok()) {
    return absl::Status(tokens.status().code(),
                        absl::StrCat("admin token: ", tokens.status().message()));
  }
  return std::optional<WriteKeySet>(*std::move(tokens));
}

// The hash key from --hash-key-file, or "" (the store then uses its own).
absl::StatusOr<std::string> LoadHashKey() {
  std::string path = absl::GetFlag(FLAGS_hash_key_file);
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read --hash-key-file");
  constexpr std::streamsize kMaxKeyFileBytes = 4096;
  std::string key(kMaxKeyFileBytes + 1, '\0');
  in.read(key.data(), kMaxKeyFileBytes + 1);
  if (in.gcount() > kMaxKeyFileBytes) {
    return absl::InvalidArgumentError("--hash-key-file is larger than 4 KiB");
  }
  key.resize(static_cast<size_t>(in.gcount()));
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ' ||
                          key.back() == '\t')) {
    key.pop_back();
  }
  if (key.size() < 16) return absl::InvalidArgumentError("--hash-key-file must hold >= 16 bytes");
  return key;
}

constexpr int64_t kGiB = int64_t{1} << 30;

// A byte flag as int64, anything above 1 GiB folded to just above it.
int64_t ClampedBytes(uint64_t value) {
  return static_cast<int64_t>(std::min<uint64_t>(value, kGiB + 1));
}

absl::Status CheckFlags() {
  struct Bound {
    std::string_view flag;
    int64_t value, low, high;
  };
  const Bound bounds[] = {
      {"io-threads", absl::GetFlag(FLAGS_io_threads), 1, 64},
      {"max-body-bytes", ClampedBytes(absl::GetFlag(FLAGS_max_body_bytes)), 1, kGiB},
      {"max-decompressed-bytes", ClampedBytes(absl::GetFlag(FLAGS_max_decompressed_bytes)), 1,
       kGiB},
      {"max-events-per-batch", absl::GetFlag(FLAGS_max_events_per_batch), 1, 1000000},
      {"writer-queue", absl::GetFlag(FLAGS_writer_queue), 1, 1000000},
      {"sqlite-cache-mib", absl::GetFlag(FLAGS_sqlite_cache_mib), 1, 1 << 20},
      {"retention-days", absl::GetFlag(FLAGS_retention_days), 0, 36500},
      {"purge-interval-minutes", absl::GetFlag(FLAGS_purge_interval_minutes), 1, 7 * 24 * 60},
  };
  for (const Bound& bound : bounds) {
    if (bound.value < bound.low || bound.value > bound.high) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", ToAbsl(bound.flag), " must be between ", bound.low, " and ", bound.high));
    }
  }
  return absl::OkStatus();
}

int Serve() {
  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (absl::Status s = CheckFlags(); !s.ok()) return Fail(kExitUsage, "usage_error", s);
  absl::StatusOr<ListenAddress> listen = ParseListen(absl::GetFlag(FLAGS_listen));
  if (!listen.ok()) return Fail(kExitUsage, "usage_error", listen.status());
  std::string db = DbPath();
  if (db.empty()) {
    return Fail(kExitUsage, "usage_error", absl::InvalidArgumentError("--db is required"));
  }
  absl::StatusOr<WriteKeySet> keys = LoadWriteKeys();
  if (!keys.ok()) return Fail(kExitUsage, "usage_error", keys.status());
  absl::StatusOr<std::optional<WriteKeySet>> admin_tokens = LoadAdminTokens();
  if (!admin_tokens.ok()) return Fail(kExitUsage, "usage_error", admin_tokens.status());
  if (admin_tokens->has_value() && (*admin_tokens)->SharesAKeyWith(*keys)) {
    return Fail(kExitUsage, "usage_error",
                absl::InvalidArgumentError("the admin token must differ from every write key"));
  }
  absl::StatusOr<std::string> hash_key = LoadHashKey();
  if (!hash_key.ok()) return Fail(kExitUsage, "usage_error", hash_key.status());

  absl::StatusOr<std::unique_ptr<Store>> store =
      OpenStore(db, {.read_only = false,
                     .hash_key = *std::move(hash_key),
                     .sqlite_cache_mib = absl::GetFlag(FLAGS_sqlite_cache_mib)});
  if (!store.ok()) return Fail(kExitFailure, "startup_failed", store.status());

  BatchWriterOptions writer_options;
  writer_options.queue_capacity = static_cast<size_t>(absl::GetFlag(FLAGS_writer_queue));
  auto writer = std::make_unique<BatchWriter>(store->get(), writer_options);

  RetentionOptions retention;
  retention.keep = absl::Hours(24) * absl::GetFlag(FLAGS_retention_days);
  retention.interval = absl::Minutes(absl::GetFlag(FLAGS_purge_interval_minutes));
  AdminApiOptions admin_options;
  admin_options.retention = retention;
  auto admin = std::make_unique<AdminApi>(
      admin_tokens->has_value() ? &**admin_tokens : nullptr, store->get(), SystemClock(),
      admin_options);
  // Purge once before serving, so what starts serving is within retention;
  // then every interval in the background.
  if (retention.keep > absl::ZeroDuration()) {
    absl::StatusOr<int64_t> purged = PurgeExpiredEvents(**store, absl::Now(), retention);
    if (purged.ok()) {
      Log(LogLevel::kInfo, "retention_purge", {{"events_deleted", std::to_string(*purged)}});
    } else {
      Log(LogLevel::kError, "retention_purge_failed",
          {{"code", absl::StatusCodeToString(purged.status().code())}});
    }
  }
  auto purger = std::make_unique<RetentionPurger>(store->get(), SystemClock(), retention);

  RequestHandlerOptions handler_options;
  handler_options.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  handler_options.decode.max_decompressed_bytes = absl::GetFlag(FLAGS_max_decompressed_bytes);
  handler_options.decode.max_events_per_batch = absl::GetFlag(FLAGS_max_events_per_batch);
  handler_options.store_client_ip = absl::GetFlag(FLAGS_store_client_ip);
  handler_options.store_user_agent = absl::GetFlag(FLAGS_store_user_agent);
  RequestHandler handler(&*keys, writer.get(), SystemClock(), handler_options, admin.get());

  ServerOptions server_options;
  server_options.host = listen->host;
  server_options.port = listen->port;
  server_options.io_threads = absl::GetFlag(FLAGS_io_threads);
  server_options.max_body_bytes = handler_options.max_body_bytes;
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(server_options, &handler);
  if (!server.ok()) {
    purger->Stop();
    admin->Stop();
    writer->Stop();
    return Fail(kExitFailure, "startup_failed", server.status());
  }

  std::string host = (*server)->host();
  if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
  // The one line on stdout: scripts and tests read the real port from it.
  std::printf("cairn-collector listening on %s:%u\n", host.c_str(), (*server)->port());
  std::fflush(stdout);
  Log(LogLevel::kInfo, "collector_started",
      {{"port", std::to_string((*server)->port())},
       {"io_threads", std::to_string(server_options.io_threads)},
       {"write_keys", std::to_string(keys->size())},
       {"admin_api", admin_tokens->has_value() ? "on" : "off"},
       {"retention_days", std::to_string(absl::GetFlag(FLAGS_retention_days))},
       {"store_client_ip", handler_options.store_client_ip ? "on" : "off"},
       {"store_user_agent", handler_options.store_user_agent ? "on" : "off"}});

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  Log(LogLevel::kInfo, "collector_stopping",
      {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});

  // Order matters: in-flight requests finish (the writer still commits for
  // them), then the writer drains, then the server's loop goes, then the DB.
  (*server)->Shutdown(absl::Seconds(10));
  admin->Stop();
  purger->Stop();
  writer->Stop();
  server->reset();
  admin.reset();
  purger.reset();
  writer.reset();
  store->reset();
  Log(LogLevel::kInfo, "collector_stopped");
  return 0;
}

}  // namespace
}  // namespace cairn::collector

namespace {

// Flags are spelled with hyphens (--write-key) in Cairn's docs and scripts;
// absl names them with underscores. Rewrite the name part of each "--flag"
// argument so both spellings work.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& arg = args[i];
    if (arg == "--") break;
    if (arg.size() < 3 || arg[0] != '-' || arg[1] != '-') continue;
    size_t end = arg.find('=');
    if (end == std::string::npos) end = arg.size();
    for (size_t j = 2; j < end; ++j) {
      if (arg[j] == '-') arg[j] = '_';
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "receives Cairn telemetry batches and stores them in SQLite.\n"
      "  cairn-collector --db=PATH --write-key-file=PATH [--listen=HOST:PORT] [flags]\n"
      "  (flags may be spelled with '-' or '_')\n"
      "  cairn-collector summary --db=PATH    print what the database holds");
  // --help lists the flags of this file (absl's default looks for a file
  // named after the program).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::EndsWith(path, "collector/src/main.cc");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  std::vector<std::string> normalized = NormalizeFlagNames(argc, argv);
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
