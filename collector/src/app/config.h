#ifndef CAIRN_COLLECTOR_APP_CONFIG_H_
#define CAIRN_COLLECTOR_APP_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "app/request_handler.h"
#include "auth/key_reloader.h"
#include "auth/write_key_set.h"
#include "cairn/engagement/drop_rule.h"
#include "gdpr/admin_api.h"
#include "http/http_server.h"
#include "ingest/batch_writer.h"
#include "store/retention_purger.h"
#include "store/store_factory.h"
#include "success/alert_evaluator.h"

namespace cairn::collector {

// Exit codes of cairn-collector.
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 1;

// The alert settings, validated.
struct AlertSettings {
  engagement::DropRule rule;
  WebhookOptions webhook;
  absl::Duration interval;
};

// Everything the collector runs with, checked as a whole before any part
// starts: a config that exists is one the collector can serve with.
struct CollectorConfig {
  WriteKeySet write_keys;  // first: it has no empty state
  std::string db = {};     // the --db spec (SQLite path or postgresql:// URI)
  StoreOpenOptions store = {};
  int pg_writers = 1;                            // PostgreSQL only: writer sessions
  std::optional<WriteKeySet> admin_tokens = {};  // none: the admin API is off
  KeyFilePaths key_files = {};
  int key_file_poll_seconds = 0;
  ServerOptions server = {};
  RequestHandlerOptions handler = {};  // store_probe is set when wiring
  BatchWriterOptions writer = {};
  AdminApiOptions admin = {};  // its retention is the collector's
  absl::Duration ready_probe_interval = absl::Seconds(2);
  AlertSettings alerts = {};
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_APP_CONFIG_H_
