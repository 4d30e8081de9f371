// cairn-collector: receives telemetry batches over HTTP and stores them in
// SQLite. `cairn-collector --help` lists the flags; docs/collector.md has more.

#include <signal.h>
#include <sys/resource.h>
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
#include "gdpr/admin_api.h"
#include "success/alert_evaluator.h"
#include "success/engagement_api.h"
#include "ingest/batch_writer.h"
#include "app/flag_args.h"
#include "http/http_server.h"
#include "auth/key_reloader.h"
#include "ops/log.h"
#include "ingest/request_handler.h"
#include "store/retention_purger.h"
#include "store/store_probe.h"
#include "store/store_factory.h"
#include "app/summary_format.h"
#include "auth/write_key_set.h"
#include "cairn/common/clock.h"
#include "cairn/common/event_rules.h"
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
// Operations (issue 5): limits, rate limit, key reload, connections.
ABSL_FLAG(int32_t, max_attributes, static_cast<int32_t>(cairn::kMaxAttributes),
          "most attributes per event (0-32; over it the event is rejected)");
ABSL_FLAG(int32_t, max_attribute_key_bytes, static_cast<int32_t>(cairn::kMaxAttributeKeyBytes),
          "longest attribute key (1-64 bytes; over it the event is rejected)");
ABSL_FLAG(int32_t, max_attribute_value_bytes,
          static_cast<int32_t>(cairn::kMaxAttributeValueBytes),
          "longest attribute value (0-256 bytes; over it the event is rejected)");
ABSL_FLAG(double, rate_limit_rps, 0,
          "requests per second each write key may send to /v1/batch (0: no limit; 429 above)");
ABSL_FLAG(double, rate_limit_burst, 0,
          "requests a write key may send at once (token bucket size; 0: one second's worth)");
ABSL_FLAG(int32_t, key_file_poll_seconds, 0,
          "also reload the key files when they change, checked this often (0: only on SIGHUP)");
ABSL_FLAG(int32_t, max_connections, 10000,
          "open connections at once; more are closed on accept");
ABSL_FLAG(int32_t, pg_writers, 2,
          "PostgreSQL only: writer sessions committing batches in parallel");
ABSL_FLAG(int32_t, ready_probe_seconds, 2,
          "how often /readyz's store check pings the database");
// Customer success (issue 6): usage-drop alerts and their webhook.
ABSL_FLAG(std::string, alert_webhook_url, "",
          "POST usage-drop alerts here as signed JSON (http:// or https://); empty: alerts are "
          "only listed at GET /v1/alerts");
ABSL_FLAG(std::string, alert_webhook_secret_file, "",
          "file with the secret (>= 16 bytes, trailing whitespace ignored) signing the "
          "Cairn-Signature header of alert webhooks; required with --alert-webhook-url");
ABSL_FLAG(int32_t, alert_interval_minutes, 60,
          "evaluate usage-drop alerts every N minutes (0: only on POST /v1/alerts/evaluate)");
ABSL_FLAG(double, drop_ratio, 0.75,
          "usage drop: logins this week below this share of the previous 4 weeks' mean");
ABSL_FLAG(double, severe_ratio, 0.5,
          "severe drop: below this share of the baseline for --severe-weeks weeks running");
ABSL_FLAG(int32_t, severe_weeks, 2, "weeks running below --severe-ratio for a severe drop (1-8)");
ABSL_FLAG(double, min_baseline_weekly_logins, 5,
          "judge a week only when its 4-week baseline mean has at least this many logins");

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

// A secret kept in a file (`flag` names it in messages): at most 4 KiB,
// trailing whitespace dropped, at least 16 bytes; "" when `path` is empty.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path, std::string_view flag) {
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read --", ToAbsl(flag)));
  constexpr std::streamsize kMaxSecretFileBytes = 4096;
  std::string secret(kMaxSecretFileBytes + 1, '\0');
  in.read(secret.data(), kMaxSecretFileBytes + 1);
  if (in.gcount() > kMaxSecretFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat("--", ToAbsl(flag), " is larger than 4 KiB"));
  }
  secret.resize(static_cast<size_t>(in.gcount()));
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' ||
                             secret.back() == ' ' || secret.back() == '\t')) {
    secret.pop_back();
  }
  if (secret.size() < 16) {
    return absl::InvalidArgumentError(absl::StrCat("--", ToAbsl(flag), " must hold >= 16 bytes"));
  }
  return secret;
}

// The hash key from --hash-key-file, or "" (the store then uses its own).
absl::StatusOr<std::string> LoadHashKey() {
  return ReadSecretFile(absl::GetFlag(FLAGS_hash_key_file), "hash-key-file");
}

// The webhook secret, or "" without --alert-webhook-secret-file.
absl::StatusOr<std::string> LoadWebhookSecret() {
  return ReadSecretFile(absl::GetFlag(FLAGS_alert_webhook_secret_file),
                        "alert-webhook-secret-file");
}

// The alert settings from the flags, validated.
struct AlertSettings {
  engagement::DropRule rule;
  WebhookOptions webhook;
  absl::Duration interval;
};

absl::StatusOr<AlertSettings> LoadAlertSettings() {
  AlertSettings settings;
  settings.rule.drop_ratio = absl::GetFlag(FLAGS_drop_ratio);
  settings.rule.severe_ratio = absl::GetFlag(FLAGS_severe_ratio);
  settings.rule.severe_weeks = absl::GetFlag(FLAGS_severe_weeks);
  settings.rule.min_baseline_weekly_logins = absl::GetFlag(FLAGS_min_baseline_weekly_logins);
  if (absl::Status s = engagement::ValidateDropRule(settings.rule); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("drop rule flags: ", s.message()));
  }
  const int32_t minutes = absl::GetFlag(FLAGS_alert_interval_minutes);
  if (minutes < 0 || minutes > 7 * 24 * 60) {
    return absl::InvalidArgumentError("--alert-interval-minutes must be 0-10080");
  }
  settings.interval = absl::Minutes(minutes);
  settings.webhook.url = absl::GetFlag(FLAGS_alert_webhook_url);
  absl::StatusOr<std::string> secret = LoadWebhookSecret();
  if (!secret.ok()) return secret.status();
  settings.webhook.secret = *std::move(secret);
  if (!settings.webhook.url.empty()) {
    if (!absl::StartsWith(settings.webhook.url, "http://") &&
        !absl::StartsWith(settings.webhook.url, "https://")) {
      return absl::InvalidArgumentError("--alert-webhook-url must be http:// or https://");
    }
    if (settings.webhook.secret.empty()) {
      return absl::InvalidArgumentError(
          "--alert-webhook-url needs --alert-webhook-secret-file (alerts are signed)");
    }
  }
  return settings;
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
      // The collector's limits may be tighter than the contract's, not looser.
      {"max-attributes", absl::GetFlag(FLAGS_max_attributes), 0, kMaxAttributes},
      {"max-attribute-key-bytes", absl::GetFlag(FLAGS_max_attribute_key_bytes), 1,
       kMaxAttributeKeyBytes},
      {"max-attribute-value-bytes", absl::GetFlag(FLAGS_max_attribute_value_bytes), 0,
       kMaxAttributeValueBytes},
      {"key-file-poll-seconds", absl::GetFlag(FLAGS_key_file_poll_seconds), 0, 3600},
      {"max-connections", absl::GetFlag(FLAGS_max_connections), 1, 1000000},
      {"ready-probe-seconds", absl::GetFlag(FLAGS_ready_probe_seconds), 1, 3600},
      {"pg-writers", absl::GetFlag(FLAGS_pg_writers), 1, 16},
  };
  for (const Bound& bound : bounds) {
    if (bound.value < bound.low || bound.value > bound.high) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", ToAbsl(bound.flag), " must be between ", bound.low, " and ", bound.high));
    }
  }
  double rps = absl::GetFlag(FLAGS_rate_limit_rps);
  double burst = absl::GetFlag(FLAGS_rate_limit_burst);
  if (!(rps >= 0 && rps <= 1e6) || !(burst >= 0 && burst <= 1e6)) {
    return absl::InvalidArgumentError("--rate-limit-rps and --rate-limit-burst must be 0-1e6");
  }
  return absl::OkStatus();
}

// Thousands of keep-alive connections need as many descriptors: raise the
// soft limit to the hard one. Returns the limit now in force.
uint64_t RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<uint64_t>(limit.rlim_cur);
}

int Serve() {
  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);  // not a stop: reloads the key files
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (absl::Status s = CheckFlags(); !s.ok()) return Fail(kExitUsage, "usage_error", s);
  const uint64_t file_limit = RaiseFileLimit();
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
  absl::StatusOr<AlertSettings> alert_settings = LoadAlertSettings();
  if (!alert_settings.ok()) return Fail(kExitUsage, "usage_error", alert_settings.status());

  const StoreOpenOptions open_options = {.read_only = false,
                                         .hash_key = *std::move(hash_key),
                                         .sqlite_cache_mib = absl::GetFlag(FLAGS_sqlite_cache_mib)};
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db, open_options);
  if (!store.ok()) return Fail(kExitFailure, "startup_failed", store.status());
  // PostgreSQL takes concurrent writers: more sessions, each its own group
  // commits, as if that many collectors ran. SQLite keeps its one writer.
  std::vector<std::unique_ptr<Store>> extra_writer_stores;
  std::vector<Store*> writer_stores = {store->get()};
  if (ParseStoreSpec(db)->kind == StoreSpec::Kind::kPostgres) {
    for (int i = 1; i < absl::GetFlag(FLAGS_pg_writers); ++i) {
      absl::StatusOr<std::unique_ptr<Store>> extra = OpenStore(db, open_options);
      if (!extra.ok()) return Fail(kExitFailure, "startup_failed", extra.status());
      writer_stores.push_back(extra->get());
      extra_writer_stores.push_back(*std::move(extra));
    }
  }

  BatchWriterOptions writer_options;
  writer_options.queue_capacity = static_cast<size_t>(absl::GetFlag(FLAGS_writer_queue));
  auto writer = std::make_unique<BatchWriter>(writer_stores, writer_options);

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

  StoreProbe store_probe(store->get(), absl::Seconds(absl::GetFlag(FLAGS_ready_probe_seconds)));
  // Customer success: engagement endpoints, usage-drop alerts, webhooks.
  const bool webhook_on = !alert_settings->webhook.url.empty();
  auto evaluator = std::make_unique<AlertEvaluator>(store->get(), SystemClock(),
                                                    alert_settings->rule, webhook_on);
  std::unique_ptr<WebhookSender> sender;
  if (webhook_on) {
    sender = std::make_unique<WebhookSender>(store->get(), SystemClock(), alert_settings->webhook);
  }
  auto scheduler = std::make_unique<AlertScheduler>(evaluator.get(), sender.get(), SystemClock(),
                                                    alert_settings->interval);
  AlertScheduler* scheduler_ptr = scheduler.get();
  auto engagement_api = std::make_unique<EngagementApi>(
      store->get(), SystemClock(), evaluator.get(), std::string((*store)->KeyedHashKey()),
      [scheduler_ptr] { scheduler_ptr->Wake(); });
  admin->SetEngagementApi(engagement_api.get());

  RequestHandlerOptions handler_options;
  handler_options.store_probe = &store_probe;
  handler_options.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  handler_options.decode.max_decompressed_bytes = absl::GetFlag(FLAGS_max_decompressed_bytes);
  handler_options.decode.max_events_per_batch = absl::GetFlag(FLAGS_max_events_per_batch);
  handler_options.store_client_ip = absl::GetFlag(FLAGS_store_client_ip);
  handler_options.store_user_agent = absl::GetFlag(FLAGS_store_user_agent);
  handler_options.decode.max_attributes = static_cast<size_t>(absl::GetFlag(FLAGS_max_attributes));
  handler_options.decode.max_attribute_key_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_attribute_key_bytes));
  handler_options.decode.max_attribute_value_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_attribute_value_bytes));
  handler_options.rate_limit.requests_per_second = absl::GetFlag(FLAGS_rate_limit_rps);
  handler_options.rate_limit.burst = absl::GetFlag(FLAGS_rate_limit_burst) > 0
                                         ? absl::GetFlag(FLAGS_rate_limit_burst)
                                         : absl::GetFlag(FLAGS_rate_limit_rps);
  RequestHandler handler(&*keys, writer.get(), SystemClock(), handler_options, admin.get());

  ServerOptions server_options;
  server_options.host = listen->host;
  server_options.port = listen->port;
  server_options.io_threads = absl::GetFlag(FLAGS_io_threads);
  server_options.max_body_bytes = handler_options.max_body_bytes;
  server_options.max_connections = static_cast<size_t>(absl::GetFlag(FLAGS_max_connections));
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(server_options, &handler);
  if (!server.ok()) {
    store_probe.Stop();
    purger->Stop();
    admin->Stop();
    scheduler->Stop();
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
       {"store_user_agent", handler_options.store_user_agent ? "on" : "off"},
       {"max_connections", std::to_string(server_options.max_connections)},
       {"file_limit", std::to_string(file_limit)},
       {"rate_limit_rps", absl::StrCat(handler_options.rate_limit.requests_per_second)},
       {"alert_webhook", webhook_on ? "on" : "off"},
       {"alert_interval_minutes", std::to_string(absl::GetFlag(FLAGS_alert_interval_minutes))}});

  KeyReloader reloader({absl::GetFlag(FLAGS_write_key_file), absl::GetFlag(FLAGS_admin_token_file)},
                       &*keys, admin_tokens->has_value() ? &**admin_tokens : nullptr,
                       &handler.metrics());
  const int poll_seconds = absl::GetFlag(FLAGS_key_file_poll_seconds);
  int signal_number = 0;
  while (true) {
    if (poll_seconds > 0) {
      timespec wait{poll_seconds, 0};
      signal_number = sigtimedwait(&stop_signals, nullptr, &wait);
      if (signal_number < 0) {
        if (reloader.FilesChanged()) reloader.Reload().IgnoreError();  // logged inside
        continue;
      }
    } else if (sigwait(&stop_signals, &signal_number) != 0) {
      continue;
    }
    if (signal_number != SIGHUP) break;
    reloader.FilesChanged();  // what is loaded now is the baseline for polling
    reloader.Reload().IgnoreError();  // logged inside
  }
  Log(LogLevel::kInfo, "collector_stopping",
      {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});

  // Order matters: in-flight requests finish (the writer still commits for
  // them), then the writer drains, then the server's loop goes, then the DB.
  (*server)->Shutdown(absl::Seconds(10));
  admin->Stop();
  scheduler->Stop();
  purger->Stop();
  writer->Stop();
  store_probe.Stop();
  server->reset();
  admin.reset();
  engagement_api.reset();
  scheduler.reset();
  sender.reset();
  evaluator.reset();
  purger.reset();
  writer.reset();
  extra_writer_stores.clear();
  store->reset();
  Log(LogLevel::kInfo, "collector_stopped");
  return 0;
}

}  // namespace
}  // namespace cairn::collector

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "receives Cairn telemetry batches and stores them in SQLite.\n"
      "  cairn-collector --db=PATH --write-key-file=PATH [--listen=HOST:PORT] [flags]\n"
      "  (flags may be spelled with '-' or '_'; --flagfile=PATH reads more, one per line)\n"
      "  cairn-collector summary --db=PATH    print what the database holds");
  // --help lists the flags of this file (absl's default looks for a file
  // named after the program).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::EndsWith(path, "collector/src/main.cc");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
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
