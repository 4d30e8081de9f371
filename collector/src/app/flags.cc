// The collector's command-line flags and the one function that turns them
// into a checked CollectorConfig. --help lists the flags of this file.

#include "app/flags.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "absl/flags/flag.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/strings.h"

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
ABSL_FLAG(std::string, consent_signing_key_file, "",
          "file with the vendor's consent-signing secret (>= 16 bytes, held by the vendor's "
          "backend, never in the app): a renewal grant lifts a user's opt-out only when signed "
          "with it (docs/privacy.md); default: no grant through /v1/batch lifts one");
ABSL_FLAG(int32_t, retention_days, 0,
          "delete events that occurred more than N days ago (0: keep forever)");
ABSL_FLAG(int32_t, purge_interval_minutes, 60, "how often the retention purge runs");
ABSL_FLAG(bool, store_client_ip, false, "store the client IP address with each batch");
ABSL_FLAG(bool, store_user_agent, false, "store the User-Agent header with each batch");
ABSL_FLAG(std::string, attribute_allowlist, "",
          "attribute keys kept in stored events, comma-separated; others are removed and "
          "counted (default: none kept; \"*\": all)");
ABSL_FLAG(int32_t, sqlite_cache_mib, 64,
          "SQLite store: page cache of the writer connection in MiB (its memory bound)");
ABSL_FLAG(int32_t, writer_queue, 1024,
          "requests waiting for the storage writer (503 with Retry-After above)");
// Limits, rate limit, key reload, connections.
ABSL_FLAG(int32_t, max_attributes, static_cast<int32_t>(cairn::kMaxAttributes),
          "most attributes per event (0-32; over it the event is rejected)");
ABSL_FLAG(int32_t, max_attribute_key_bytes, static_cast<int32_t>(cairn::kMaxAttributeKeyBytes),
          "longest attribute key (1-64 bytes; over it the event is rejected)");
ABSL_FLAG(int32_t, max_attribute_value_bytes, static_cast<int32_t>(cairn::kMaxAttributeValueBytes),
          "longest attribute value (0-256 bytes; over it the event is rejected)");
ABSL_FLAG(double, rate_limit_rps, 0,
          "requests per second each write key may send to /v1/batch (0: no limit; 429 above)");
ABSL_FLAG(double, rate_limit_burst, 0,
          "requests a write key may send at once (token bucket size; 0: one second's worth)");
ABSL_FLAG(int32_t, key_file_poll_seconds, 0,
          "also reload the key files when they change, checked this often (0: only on SIGHUP)");
ABSL_FLAG(int32_t, max_connections, 10000, "open connections at once; more are closed on accept");
ABSL_FLAG(int32_t, pg_writers, 2,
          "PostgreSQL only: writer sessions committing batches in parallel");
ABSL_FLAG(int32_t, ready_probe_seconds, 2, "how often /readyz's store check pings the database");
// Customer success: usage-drop alerts and their webhook.
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

// "HOST:PORT" or "[V6HOST]:PORT".
absl::StatusOr<ServerOptions> ParseListen(std::string_view text) {
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
  ServerOptions server;
  server.host = std::string(host);
  server.port = static_cast<uint16_t>(port);
  return server;
}

// The keys of --FLAG (one) or --FLAG-file (one a line), never both; nullopt
// if neither is given. A key's or file's error is prefixed with `what`.
absl::StatusOr<std::optional<WriteKeySet>> LoadKeyFlags(std::string_view flag,
                                                        std::string_view what,
                                                        const std::string& key,
                                                        const std::string& key_file) {
  if (!key.empty() && !key_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("give --", ToAbsl(flag), " or --", ToAbsl(flag), "-file, not both"));
  }
  absl::StatusOr<WriteKeySet> keys = absl::InvalidArgumentError("");
  if (!key_file.empty()) {
    keys = WriteKeySet::FromFile(key_file);
  } else if (!key.empty()) {
    keys = WriteKeySet::FromKeys({key});
  } else {
    return std::optional<WriteKeySet>();
  }
  if (!keys.ok()) {
    return absl::Status(keys.status().code(), absl::StrCat(ToAbsl(what), keys.status().message()));
  }
  return std::optional<WriteKeySet>(*std::move(keys));
}

absl::StatusOr<WriteKeySet> LoadWriteKeys() {
  absl::StatusOr<std::optional<WriteKeySet>> keys = LoadKeyFlags(
      "write-key", "", absl::GetFlag(FLAGS_write_key), absl::GetFlag(FLAGS_write_key_file));
  if (!keys.ok()) return keys.status();
  if (!keys->has_value()) {
    return absl::InvalidArgumentError("--write-key or --write-key-file is required");
  }
  return **std::move(keys);
}

// The admin tokens, or nullopt if none is configured (admin API off).
absl::StatusOr<std::optional<WriteKeySet>> LoadAdminTokens() {
  return LoadKeyFlags("admin-token", "admin token: ", absl::GetFlag(FLAGS_admin_token),
                      absl::GetFlag(FLAGS_admin_token_file));
}

// A secret kept in a file (`flag` names it in messages): at most 4 KiB,
// trailing whitespace dropped, at least 16 bytes; "" when `path` is empty.
// The messages name the flag, never the secret.
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
  absl::StatusOr<std::string> secret =
      ReadSecretFile(absl::GetFlag(FLAGS_alert_webhook_secret_file), "alert-webhook-secret-file");
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
      return absl::InvalidArgumentError(absl::StrCat("--", ToAbsl(bound.flag), " must be between ",
                                                     bound.low, " and ", bound.high));
    }
  }
  double rps = absl::GetFlag(FLAGS_rate_limit_rps);
  double burst = absl::GetFlag(FLAGS_rate_limit_burst);
  if (!(rps >= 0 && rps <= 1e6) || !(burst >= 0 && burst <= 1e6)) {
    return absl::InvalidArgumentError("--rate-limit-rps and --rate-limit-burst must be 0-1e6");
  }
  return absl::OkStatus();
}

}  // namespace

void ConfigureFlagUsage() {
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::EndsWith(path, "collector/src/app/flags.cc");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
}

std::string DbFlag() {
  std::string db = absl::GetFlag(FLAGS_db);
  return db == "sqlite:" ? "" : db;
}

absl::StatusOr<CollectorConfig> ConfigFromFlags() {
  if (absl::Status s = CheckFlags(); !s.ok()) return s;
  absl::StatusOr<ServerOptions> listen = ParseListen(absl::GetFlag(FLAGS_listen));
  if (!listen.ok()) return listen.status();
  std::string db = DbFlag();
  if (db.empty()) return absl::InvalidArgumentError("--db is required");
  absl::StatusOr<WriteKeySet> keys = LoadWriteKeys();
  if (!keys.ok()) return keys.status();
  absl::StatusOr<std::optional<WriteKeySet>> admin_tokens = LoadAdminTokens();
  if (!admin_tokens.ok()) return admin_tokens.status();
  if (admin_tokens->has_value() && (*admin_tokens)->SharesAKeyWith(*keys)) {
    return absl::InvalidArgumentError("the admin token must differ from every write key");
  }
  CollectorConfig config{.write_keys = *std::move(keys)};
  config.server = *listen;
  config.db = std::move(db);
  config.admin_tokens = *std::move(admin_tokens);
  config.key_files = {absl::GetFlag(FLAGS_write_key_file), absl::GetFlag(FLAGS_admin_token_file)};
  config.key_file_poll_seconds = absl::GetFlag(FLAGS_key_file_poll_seconds);
  absl::StatusOr<std::string> hash_key =
      ReadSecretFile(absl::GetFlag(FLAGS_hash_key_file), "hash-key-file");
  if (!hash_key.ok()) return hash_key.status();
  absl::StatusOr<std::string> consent_signing_secret =
      ReadSecretFile(absl::GetFlag(FLAGS_consent_signing_key_file), "consent-signing-key-file");
  if (!consent_signing_secret.ok()) return consent_signing_secret.status();
  absl::StatusOr<AlertSettings> alerts = LoadAlertSettings();
  if (!alerts.ok()) return alerts.status();
  config.alerts = *std::move(alerts);

  config.store = {.read_only = false,
                  .hash_key = *std::move(hash_key),
                  .sqlite_cache_mib = absl::GetFlag(FLAGS_sqlite_cache_mib)};
  config.pg_writers = absl::GetFlag(FLAGS_pg_writers);
  config.writer.queue_capacity = static_cast<size_t>(absl::GetFlag(FLAGS_writer_queue));
  config.admin.retention.keep = absl::Hours(24) * absl::GetFlag(FLAGS_retention_days);
  config.admin.retention.interval = absl::Minutes(absl::GetFlag(FLAGS_purge_interval_minutes));
  config.ready_probe_interval = absl::Seconds(absl::GetFlag(FLAGS_ready_probe_seconds));

  RequestHandlerOptions& handler = config.handler;
  handler.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  handler.decode.max_decompressed_bytes = absl::GetFlag(FLAGS_max_decompressed_bytes);
  handler.decode.max_events_per_batch = absl::GetFlag(FLAGS_max_events_per_batch);
  handler.store_client_ip = absl::GetFlag(FLAGS_store_client_ip);
  handler.store_user_agent = absl::GetFlag(FLAGS_store_user_agent);
  handler.consent_signing_secret = *std::move(consent_signing_secret);
  absl::StatusOr<AttributeAllowlist> allowlist =
      ParseAttributeAllowlist(absl::GetFlag(FLAGS_attribute_allowlist));
  if (!allowlist.ok()) return allowlist.status();
  handler.attribute_allowlist = *std::move(allowlist);
  handler.decode.max_attributes = static_cast<size_t>(absl::GetFlag(FLAGS_max_attributes));
  handler.decode.max_attribute_key_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_attribute_key_bytes));
  handler.decode.max_attribute_value_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_attribute_value_bytes));
  handler.rate_limit.requests_per_second = absl::GetFlag(FLAGS_rate_limit_rps);
  handler.rate_limit.burst = absl::GetFlag(FLAGS_rate_limit_burst) > 0
                                 ? absl::GetFlag(FLAGS_rate_limit_burst)
                                 : absl::GetFlag(FLAGS_rate_limit_rps);

  config.server.io_threads = absl::GetFlag(FLAGS_io_threads);
  config.server.max_body_bytes = handler.max_body_bytes;
  config.server.max_connections = static_cast<size_t>(absl::GetFlag(FLAGS_max_connections));
  return config;
}

}  // namespace cairn::collector
