// Wiring: which part gets which, and the stop order.

#include "app/collector_app.h"

#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "app/request_handler.h"
#include "cairn/common/clock.h"
#include "gdpr/admin_api.h"
#include "http/http_server.h"
#include "ingest/batch_writer.h"
#include "ops/log.h"
#include "store/retention_purger.h"
#include "store/store_factory.h"
#include "store/store_probe.h"
#include "success/alert_evaluator.h"
#include "success/engagement_api.h"
#include "success/workflow_api.h"

namespace cairn::collector {
namespace {

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

}  // namespace

int RunCollector(CollectorConfig& config, const sigset_t& signals) {
  const uint64_t file_limit = RaiseFileLimit();
  const std::string& db = config.db;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db, config.store);
  if (!store.ok()) return LogFailure(kExitFailure, "startup_failed", store.status());
  // PostgreSQL takes concurrent writers: more sessions, each its own group
  // commits, as if that many collectors ran. SQLite keeps its one writer.
  std::vector<std::unique_ptr<Store>> extra_writer_stores;
  std::vector<Store*> writer_stores = {store->get()};
  if (ParseStoreSpec(db)->kind == StoreSpec::Kind::kPostgres) {
    for (int i = 1; i < config.pg_writers; ++i) {
      absl::StatusOr<std::unique_ptr<Store>> extra = OpenStore(db, config.store);
      if (!extra.ok()) return LogFailure(kExitFailure, "startup_failed", extra.status());
      writer_stores.push_back(extra->get());
      extra_writer_stores.push_back(*std::move(extra));
    }
  }

  auto writer = std::make_unique<BatchWriter>(writer_stores, config.writer);

  const RetentionOptions& retention = config.admin.retention;
  WriteKeySet* admin_tokens = config.admin_tokens ? &*config.admin_tokens : nullptr;
  auto admin = std::make_unique<AdminApi>(admin_tokens, store->get(), SystemClock(), config.admin);
  // Purge once before serving, so what starts serving is within retention;
  // then every interval in the background.
  if (retention.keep > absl::ZeroDuration()) {
    LogRetention(PurgeExpired(**store, absl::Now(), retention));
  }
  auto purger = std::make_unique<RetentionPurger>(store->get(), SystemClock(), retention);

  StoreProbe store_probe(store->get(), config.ready_probe_interval);
  // Customer success: engagement endpoints, usage-drop alerts, webhooks.
  const bool webhook_on = !config.alerts.webhook.url.empty();
  auto evaluator =
      std::make_unique<AlertEvaluator>(store->get(), SystemClock(), config.alerts.rule, webhook_on);
  std::unique_ptr<WebhookSender> sender;
  if (webhook_on) {
    sender = std::make_unique<WebhookSender>(store->get(), SystemClock(), config.alerts.webhook);
  }
  // What the account lists read: each scheduled evaluation steps the alerts
  // and refreshes the snapshots in one pass over the accounts.
  auto snapshots = std::make_unique<HealthSnapshots>(store->get());
  HealthSnapshots* snapshots_ptr = snapshots.get();
  AlertEvaluator* evaluator_ptr = evaluator.get();
  auto scheduler = std::make_unique<AlertScheduler>(
      evaluator.get(), sender.get(), SystemClock(), config.alerts.interval, absl::Seconds(5),
      [snapshots_ptr, evaluator_ptr] {
        absl::StatusOr<AlertEvaluationCounts> counts =
            snapshots_ptr->EvaluateAndRefreshAll(*evaluator_ptr, SystemClock()->Now());
        if (!counts.ok()) {
          Log(LogLevel::kError, "alerts_evaluation_failed",
              {{"code", absl::StatusCodeToString(counts.status().code())}});
        }
      });
  AlertScheduler* scheduler_ptr = scheduler.get();
  auto engagement_api = std::make_unique<EngagementApi>(
      store->get(), SystemClock(), evaluator.get(), std::string((*store)->KeyedHashKey()),
      [scheduler_ptr] { scheduler_ptr->Wake(); }, snapshots_ptr);
  admin->SetEngagementApi(engagement_api.get());
  auto workflow_api = std::make_unique<WorkflowApi>(store->get(), SystemClock());
  admin->SetWorkflowApi(workflow_api.get());

  RequestHandlerOptions handler_options = config.handler;
  handler_options.store_probe = &store_probe;
  RequestHandler handler(&config.write_keys, writer.get(), SystemClock(), handler_options,
                         admin.get());

  const ServerOptions& server_options = config.server;
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(server_options, &handler);
  if (!server.ok()) {
    store_probe.Stop();
    purger->Stop();
    admin->Stop();
    scheduler->Stop();
    writer->Stop();
    return LogFailure(kExitFailure, "startup_failed", server.status());
  }

  std::string host = (*server)->host();
  if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
  // The one line on stdout: scripts and tests read the real port from it.
  std::printf("cairn-collector listening on %s:%u\n", host.c_str(), (*server)->port());
  std::fflush(stdout);
  Log(LogLevel::kInfo, "collector_started",
      {{"port", std::to_string((*server)->port())},
       {"io_threads", std::to_string(server_options.io_threads)},
       {"write_keys", std::to_string(config.write_keys.size())},
       {"admin_api", admin_tokens != nullptr ? "on" : "off"},
       {"retention_days", std::to_string(absl::ToInt64Hours(retention.keep) / 24)},
       {"store_client_ip", handler_options.store_client_ip ? "on" : "off"},
       {"store_user_agent", handler_options.store_user_agent ? "on" : "off"},
       {"attribute_allowlist",
        handler_options.attribute_allowlist.keep_all
            ? "all"
            : std::to_string(handler_options.attribute_allowlist.keys.size()) + " keys"},
       {"max_connections", std::to_string(server_options.max_connections)},
       {"file_limit", std::to_string(file_limit)},
       {"rate_limit_rps", absl::StrCat(handler_options.rate_limit.requests_per_second)},
       {"alert_webhook", webhook_on ? "on" : "off"},
       {"alert_interval_minutes", std::to_string(absl::ToInt64Minutes(config.alerts.interval))}});

  KeyReloader reloader(config.key_files, &config.write_keys, admin_tokens, &handler.metrics());
  const int poll_seconds = config.key_file_poll_seconds;
  int signal_number = 0;
  while (true) {
    if (poll_seconds > 0) {
      timespec wait{poll_seconds, 0};
      signal_number = sigtimedwait(&signals, nullptr, &wait);
      if (signal_number < 0) {
        if (reloader.FilesChanged()) reloader.Reload().IgnoreError();  // logged inside
        continue;
      }
    } else if (sigwait(&signals, &signal_number) != 0) {
      continue;
    }
    if (signal_number != SIGHUP) break;
    reloader.FilesChanged();          // what is loaded now is the baseline for polling
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
  workflow_api.reset();
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

}  // namespace cairn::collector
