#ifndef CAIRN_COLLECTOR_INGEST_REQUEST_HANDLER_H_
#define CAIRN_COLLECTOR_INGEST_REQUEST_HANDLER_H_

#include <cstddef>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "gdpr/admin_api.h"
#include "ingest/batch_decoder.h"
#include "ingest/batch_writer.h"
#include "http/http_types.h"
#include "ops/metrics.h"
#include "auth/rate_limiter.h"
#include "ingest/rejection_counters.h"
#include "store/store_probe.h"
#include "auth/write_key_set.h"
#include "cairn/common/clock.h"

namespace cairn::collector {

struct RequestHandlerOptions {
  // Bound on the request body as sent (before decompression).
  size_t max_body_bytes = 4 << 20;
  DecodeLimits decode;
  // Keep the peer's IP address / User-Agent header with each batch row.
  // Off by default (data minimisation); --store-client-ip, --store-user-agent.
  bool store_client_ip = false;
  bool store_user_agent = false;
  // Per-write-key token bucket on POST /v1/batch (off by default).
  RateLimitOptions rate_limit;
  // The store check behind /readyz (not owned; null: /readyz does not ask
  // about the store).
  const StoreProbe* store_probe = nullptr;
  // How long a group commit that stored nothing keeps /readyz at 503.
  absl::Duration write_failure_hold = absl::Seconds(10);
};

// Bound on a stored User-Agent header.
inline constexpr size_t kMaxStoredUserAgentBytes = 256;

// The collector's HTTP API, independent of the server library: routes a
// request, authenticates it, decodes and validates the batch, hands it to the
// BatchWriter and turns the outcome into a response. Thread-safe; holds no
// per-request state.
//
//   POST /v1/batch  200 BatchResponse | 400 | 401 | 413 | 415 | 429 | 503
//                   (protobuf or proto3 JSON in, the same format out)
//   GET  /healthz   200 "ok"
//   GET  /readyz    200 "ready" | 503 (store unreachable, writer queue full,
//                   last store write failed)
//   GET  /metrics   200 Prometheus text
//   admin paths     handed to AdminApi (404 if there is none)
//   other methods on those paths 405, other paths 404.
// A 200 lists every refused event with its batch index: those refused by
// validation (CheckEvent) and those the store refused (no consent, erased).
class RequestHandler {
 public:
  // Receives the response exactly once.
  using Respond = absl::AnyInvocable<void(HttpResponse) &&>;

  // All pointers must outlive the handler. `admin` may be null (admin paths
  // then answer 404).
  RequestHandler(const WriteKeySet* keys, BatchWriter* writer, Clock* clock,
                 const RequestHandlerOptions& options, AdminApi* admin = nullptr);

  // Checks what can be checked from the request line and headers alone
  // (route, method, write key, rate limit, content type and encoding,
  // declared length), so a request that will fail is refused before its body
  // is read. Returns the error response, or nullopt to go on. Takes a rate
  // limit token for a batch that passes. Cost: one SHA-256 for batches.
  std::optional<HttpResponse> CheckHead(const HttpRequest& head);

  // Handles a complete request. Errors and /healthz answer at once on the
  // calling thread; an accepted batch is answered from the writer thread
  // after its commit (so a 200 means the events are durable). Cost: one
  // decompression and parse of the body on the calling thread.
  void Handle(HttpRequest request, Respond respond);

  // Events refused since start, by reason, counted once per batch_id (a
  // retried batch does not count again), as in the store's durable counts.
  const RejectionCounters& rejections() const { return rejections_; }

  // Counters and latency histograms for GET /metrics; the server records
  // every response here. Thread-safe.
  CollectorMetrics& metrics() { return metrics_; }

  // The whole GET /metrics text. Cost: about 200 lines of formatting.
  std::string RenderMetrics() const;

 private:
  void HandleBatch(HttpRequest request, Respond respond);
  HttpResponse Readiness() const;

  const WriteKeySet* const keys_;
  BatchWriter* const writer_;
  Clock* const clock_;
  const RequestHandlerOptions options_;
  AdminApi* const admin_;
  RejectionCounters rejections_;
  CollectorMetrics metrics_;
  RateLimiter rate_limiter_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_INGEST_REQUEST_HANDLER_H_
