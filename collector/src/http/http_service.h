#ifndef CAIRN_COLLECTOR_HTTP_HTTP_SERVICE_H_
#define CAIRN_COLLECTOR_HTTP_HTTP_SERVICE_H_

#include <optional>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "http/http_types.h"
#include "ops/metrics.h"

namespace cairn::collector {

// What the HTTP server asks of the application behind it, so the server
// knows nothing of batches, stores or consent.
class HttpService {
 public:
  // Receives the response exactly once.
  using Respond = absl::AnyInvocable<void(HttpResponse) &&>;

  virtual ~HttpService() = default;

  // Checks what the request line and headers alone decide (route, method,
  // credentials, declared length), before any body byte is read. The error
  // response, or nullopt to go on and read the body.
  virtual std::optional<HttpResponse> CheckHead(const HttpRequest& head) = 0;

  // Handles a complete request; `respond` may be called on another thread.
  virtual void Handle(HttpRequest request, Respond respond) = 0;

  // The route a path is counted under in the metrics (never the raw path:
  // it is client-chosen text). Cost: a route-table lookup.
  virtual Route MetricRoute(std::string_view path) const = 0;

  // Where the server records every response. Thread-safe.
  virtual CollectorMetrics& metrics() = 0;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_HTTP_HTTP_SERVICE_H_
