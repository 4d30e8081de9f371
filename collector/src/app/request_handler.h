#ifndef CAIRN_COLLECTOR_APP_REQUEST_HANDLER_H_
#define CAIRN_COLLECTOR_APP_REQUEST_HANDLER_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "auth/write_key_set.h"
#include "cairn/common/clock.h"
#include "gdpr/admin_api.h"
#include "http/http_service.h"
#include "http/route_table.h"
#include "ingest/batch_handler.h"
#include "ingest/batch_writer.h"
#include "ingest/rejection_counters.h"
#include "ops/metrics.h"
#include "store/store_probe.h"

namespace cairn::collector {

// The collector's whole HTTP API: BatchOptions plus what the status
// endpoints need.
struct RequestHandlerOptions : BatchOptions {
  // The store check behind /readyz (not owned; null: /readyz does not ask
  // about the store).
  const StoreProbe* store_probe = nullptr;
  // How long a group commit that stored nothing keeps /readyz at 503.
  absl::Duration write_failure_hold = absl::Seconds(10);
};

// The route `path` is counted under in the metrics. Cost: a route-table
// lookup.
Route RouteOf(std::string_view path);

// The collector's HTTP API, independent of the server library: one route
// table sends each request to its endpoint.
//
//   POST /v1/batch  BatchHandler (ingest/)
//   GET  /healthz   200 "ok"
//   GET  /readyz    200 "ready" | 503 (store unreachable, writer queue full,
//                   last store write failed)
//   GET  /metrics   200 Prometheus text
//   admin paths     AdminApi (404 if there is none)
//   /dashboard/, /customer/, /assets/  the embedded dashboard files
//   other methods on those paths 405 with Allow, other paths 404.
// Thread-safe; holds no per-request state.
class RequestHandler : public HttpService {
 public:
  // All pointers must outlive the handler. `admin` may be null (admin paths
  // then answer 404).
  RequestHandler(const WriteKeySet* keys, BatchWriter* writer, Clock* clock,
                 const RequestHandlerOptions& options, AdminApi* admin = nullptr);

  // Route and method first (404, 405 with Allow), then the endpoint's own
  // head checks (see BatchHandler::CheckHead, AdminApi::CheckHead); static
  // files are answered from the head alone. Cost: one SHA-256 for batches
  // and admin requests.
  std::optional<HttpResponse> CheckHead(const HttpRequest& head) override;

  // Handles a complete request (checking its head first if the server did
  // not). Errors and the status endpoints answer at once on the calling
  // thread; batches from the writer thread after their commit; admin
  // requests from the admin worker.
  void Handle(HttpRequest request, Respond respond) override;

  Route MetricRoute(std::string_view path) const override { return RouteOf(path); }
  CollectorMetrics& metrics() override { return metrics_; }

  // Events refused since start, by reason, counted once per batch_id (a
  // retried batch does not count again), as in the store's durable counts.
  const RejectionCounters& rejections() const { return rejections_; }

  // The whole GET /metrics text. Cost: about 200 lines of formatting.
  std::string RenderMetrics() const;

 private:
  HttpResponse Readiness() const;

  BatchWriter* const writer_;
  const RequestHandlerOptions options_;
  AdminApi* const admin_;
  RejectionCounters rejections_;
  CollectorMetrics metrics_;
  BatchHandler batch_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_APP_REQUEST_HANDLER_H_
