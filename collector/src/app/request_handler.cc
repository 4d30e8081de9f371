#include "app/request_handler.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cairn/v1/batch.pb.h"
#include "http/dashboard_assets.h"

namespace cairn::collector {
namespace {

constexpr std::string_view kPrometheusType = "text/plain; version=0.0.4; charset=utf-8";

enum RouteId : int { kBatchRoute, kHealthRoute, kReadyRoute, kMetricsRoute, kDashboardRoute };

const RouteTable& Routes() {
  static const RouteTable* const table = [] {
    auto* routes = new RouteTable;
    routes->Add("/v1/batch", "POST", kBatchRoute);
    routes->Add("/healthz", "GET", kHealthRoute);
    routes->Add("/readyz", "GET", kReadyRoute);
    routes->Add("/metrics", "GET", kMetricsRoute);
    // The dashboard files answer every method themselves (GET, HEAD, 405).
    for (std::string_view root : kDashboardRoots) {
      routes->Add(std::string(root) + "/**", "", kDashboardRoute);
    }
    return routes;
  }();
  return *table;
}

Route MetricRouteOf(int id) {
  switch (id) {
    case kBatchRoute:
      return Route::kBatch;
    case kHealthRoute:
      return Route::kHealthz;
    case kReadyRoute:
      return Route::kReadyz;
    case kMetricsRoute:
      return Route::kMetrics;
    default:
      return Route::kOther;
  }
}

}  // namespace

Route RouteOf(std::string_view path) {
  if (std::optional<RouteMatch> match = Routes().Match(path)) return MetricRouteOf(match->id);
  if (AdminApi::IsAdminPath(path)) return Route::kAdmin;
  return Route::kOther;
}

RequestHandler::RequestHandler(const WriteKeySet* keys, BatchWriter* writer, Clock* clock,
                               const RequestHandlerOptions& options, AdminApi* admin)
    : writer_(writer),
      options_(options),
      admin_(admin),
      batch_(keys, writer, clock, options, &rejections_, &metrics_) {}

std::optional<HttpResponse> RequestHandler::CheckHead(const HttpRequest& head) {
  std::string_view path = head.Path();
  if (AdminApi::IsAdminPath(path)) {
    if (admin_ == nullptr) return RejectRequest(RouteName(Route::kAdmin), 404, "not found");
    return admin_->CheckHead(head);
  }
  std::optional<RouteMatch> match = Routes().Match(path);
  if (!match) return RejectRequest(RouteName(Route::kOther), 404, "not found");
  // Static files need no body: answered from the header alone.
  if (match->id == kDashboardRoute) return ServeDashboard(head);
  if (!match->Allows(head.method)) {
    HttpResponse response =
        RejectRequest(RouteName(MetricRouteOf(match->id)), 405, "method not allowed");
    response.headers.emplace_back("Allow", std::string(match->methods));
    return response;
  }
  if (match->id == kBatchRoute) return batch_.CheckHead(head);
  return std::nullopt;
}

void RequestHandler::Handle(HttpRequest request, Respond respond) {
  if (!request.head_checked) {
    if (std::optional<HttpResponse> refused = CheckHead(request)) {
      std::move(respond)(*std::move(refused));
      return;
    }
  }
  if (AdminApi::IsAdminPath(request.Path())) {
    // CheckHead passed, so there is an AdminApi.
    admin_->Handle(std::move(request), std::move(respond));
    return;
  }
  // CheckHead passed, so the path has a route, and static files never get here.
  switch (Routes().Match(request.Path())->id) {
    case kHealthRoute:
      std::move(respond)(TextResponse(200, "ok"));
      return;
    case kReadyRoute:
      std::move(respond)(Readiness());
      return;
    case kMetricsRoute: {
      HttpResponse response;
      response.content_type = std::string(kPrometheusType);
      response.body = RenderMetrics();
      std::move(respond)(std::move(response));
      return;
    }
    default:
      batch_.Handle(std::move(request), std::move(respond));
      return;
  }
}

HttpResponse RequestHandler::Readiness() const {
  if (options_.store_probe != nullptr && !options_.store_probe->Reachable()) {
    return TextResponse(503, "not ready: the store is unreachable");
  }
  if (writer_->QueueDepth() >= writer_->queue_capacity()) {
    return TextResponse(503, "not ready: storage writer queue is full");
  }
  if (writer_->FailingWithin(options_.write_failure_hold)) {
    return TextResponse(503, "not ready: the last store write failed");
  }
  return TextResponse(200, "ready");
}

std::string RequestHandler::RenderMetrics() const {
  std::string out;
  metrics_.AppendPrometheus(&out);
  absl::StrAppend(&out,
                  "# HELP cairn_events_rejected_total Events refused (validation or store), by "
                  "reason; a retried batch does not count again.\n"
                  "# TYPE cairn_events_rejected_total counter\n");
  const google::protobuf::EnumDescriptor* reasons = cairn::v1::RejectReason_descriptor();
  for (int i = 0; i < reasons->value_count(); ++i) {
    auto reason = static_cast<cairn::v1::RejectReason>(reasons->value(i)->number());
    if (reason == cairn::v1::REJECT_REASON_UNSPECIFIED) continue;
    // REJECT_REASON_NO_CONSENT -> no_consent
    std::string name = absl::AsciiStrToLower(reasons->value(i)->name());
    absl::string_view label = name;
    absl::ConsumePrefix(&label, "reject_reason_");
    absl::StrAppend(&out, "cairn_events_rejected_total{reason=\"", label, "\"} ",
                    rejections_.Get(reason), "\n");
  }
  absl::StrAppend(&out,
                  "# HELP cairn_writer_queue_depth Requests waiting for the storage writer.\n"
                  "# TYPE cairn_writer_queue_depth gauge\n"
                  "cairn_writer_queue_depth ",
                  writer_->QueueDepth(), "\n",
                  "# HELP cairn_writer_busy 1 while the storage writer is in a store write.\n"
                  "# TYPE cairn_writer_busy gauge\n"
                  "cairn_writer_busy ",
                  writer_->writing() ? 1 : 0, "\n",
                  "# HELP cairn_writer_queue_capacity Requests the writer queue holds before "
                  "503.\n"
                  "# TYPE cairn_writer_queue_capacity gauge\n"
                  "cairn_writer_queue_capacity ",
                  writer_->queue_capacity(), "\n",
                  "# HELP cairn_store_write_failures_total Store writes that failed.\n"
                  "# TYPE cairn_store_write_failures_total counter\n"
                  "cairn_store_write_failures_total ",
                  writer_->write_failures(), "\n",
                  "# HELP cairn_batch_commit_seconds Duration of each store write (one group "
                  "commit).\n"
                  "# TYPE cairn_batch_commit_seconds histogram\n");
  writer_->commit_seconds().AppendPrometheus("cairn_batch_commit_seconds", "", &out);
  return out;
}

}  // namespace cairn::collector
