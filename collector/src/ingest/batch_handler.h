#ifndef CAIRN_COLLECTOR_INGEST_BATCH_HANDLER_H_
#define CAIRN_COLLECTOR_INGEST_BATCH_HANDLER_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "auth/rate_limiter.h"
#include "auth/write_key_set.h"
#include "cairn/common/clock.h"
#include "http/http_types.h"
#include "ingest/attribute_allowlist.h"
#include "ingest/batch_decoder.h"
#include "ingest/batch_writer.h"
#include "ingest/rejection_counters.h"
#include "ops/metrics.h"

namespace cairn::collector {

// How POST /v1/batch reads and keeps a batch.
struct BatchOptions {
  // Bound on the request body as sent (before decompression).
  size_t max_body_bytes = 4 << 20;
  DecodeLimits decode;
  // Keep the peer's IP address / User-Agent header with each batch row.
  // Off by default (data minimisation); --store-client-ip, --store-user-agent.
  bool store_client_ip = false;
  bool store_user_agent = false;
  // Attribute keys kept in stored events (--attribute-allowlist); the
  // others are removed and counted, the events kept.
  AttributeAllowlist attribute_allowlist;
  // Per-write-key token bucket on POST /v1/batch (off by default).
  RateLimitOptions rate_limit;
  // The vendor's consent-signing secret (--consent-signing-key-file): a
  // renewal grant lifts an opt-out only with a valid signature under it.
  // Empty: no grant lifts one through /v1/batch (the admin API still can).
  std::string consent_signing_secret;
};

// Bound on a stored User-Agent header.
inline constexpr size_t kMaxStoredUserAgentBytes = 256;

// An error answer, logged without personal data (route name, status,
// reason: the raw path is client-chosen text and never logged).
HttpResponse RejectRequest(std::string_view route, int status, std::string_view reason);

// The same with a Retry-After of `retry_after_seconds`; a 429 is counted by
// the caller, not logged (a client over its rate would buy a line each).
HttpResponse RetryLater(std::string_view route, int status, std::string_view reason,
                        int64_t retry_after_seconds = 1);

// POST /v1/batch: authenticates the write key, applies its rate limit,
// checks type, encoding and declared length from the head; then decodes and
// validates the batch and hands it to the BatchWriter, answering once the
// events are durable. Thread-safe; holds no per-request state.
//   200 BatchResponse | 400 | 401 | 413 | 415 | 429 | 503
//   (protobuf or proto3 JSON in, the same format out)
// A 200 lists every refused event with its batch index: those refused by
// validation (CheckEvent) and those the store refused (no consent, erased).
class BatchHandler {
 public:
  using Respond = absl::AnyInvocable<void(HttpResponse) &&>;

  // All pointers must outlive the handler; `rejections` and `metrics` are
  // where it counts what it refused and stored.
  BatchHandler(const WriteKeySet* keys, BatchWriter* writer, Clock* clock,
               const BatchOptions& options, RejectionCounters* rejections,
               CollectorMetrics* metrics);

  // The head checks in this order: write key (401), rate limit (429 with
  // Retry-After), Content-Type (415), Content-Encoding (415), declared
  // length (413). nullopt to go on. Takes a rate-limit token when it passes.
  // Cost: one SHA-256.
  std::optional<HttpResponse> CheckHead(const HttpRequest& head);

  // Decodes, validates and queues a complete batch whose head passed.
  // Errors answer at once on the calling thread; an accepted batch is
  // answered from the writer thread after its commit (so a 200 means the
  // events are durable). Cost: one decompression and parse of the body.
  void Handle(HttpRequest request, Respond respond);

 private:
  const WriteKeySet* const keys_;
  BatchWriter* const writer_;
  Clock* const clock_;
  const BatchOptions options_;
  RejectionCounters* const rejections_;
  CollectorMetrics* const metrics_;
  RateLimiter rate_limiter_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_INGEST_BATCH_HANDLER_H_
