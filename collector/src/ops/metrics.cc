#include "ops/metrics.h"

#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"

namespace cairn::collector {

std::string_view RouteName(Route route) {
  switch (route) {
    case Route::kBatch:
      return "batch";
    case Route::kHealthz:
      return "healthz";
    case Route::kReadyz:
      return "readyz";
    case Route::kMetrics:
      return "metrics";
    case Route::kAdmin:
      return "admin";
    case Route::kOther:
      break;
  }
  return "other";
}

size_t CollectorMetrics::CodeSlot(int status) {
  for (size_t i = 0; i < kCodes.size(); ++i) {
    if (kCodes[i] == status) return i;
  }
  return kCodes.size();
}

void CollectorMetrics::RecordResponse(Route route, int status,
                                      std::optional<absl::Duration> latency) {
  size_t r = static_cast<size_t>(route);
  responses_[r][CodeSlot(status)].fetch_add(1, std::memory_order_relaxed);
  if (latency) latency_[r].Observe(*latency);
}

void CollectorMetrics::AddEvents(uint64_t accepted, uint64_t duplicates) {
  accepted_.fetch_add(accepted, std::memory_order_relaxed);
  duplicates_.fetch_add(duplicates, std::memory_order_relaxed);
}

uint64_t CollectorMetrics::responses(Route route, int status) const {
  return responses_[static_cast<size_t>(route)][CodeSlot(status)].load(std::memory_order_relaxed);
}

void CollectorMetrics::AppendPrometheus(std::string* out) const {
  absl::StrAppend(out,
                  "# HELP cairn_events_accepted_total Events stored (answered as accepted).\n"
                  "# TYPE cairn_events_accepted_total counter\n"
                  "cairn_events_accepted_total ",
                  events_accepted(), "\n",
                  "# HELP cairn_events_duplicate_total Events already stored (answered as "
                  "duplicates).\n"
                  "# TYPE cairn_events_duplicate_total counter\n"
                  "cairn_events_duplicate_total ",
                  events_duplicate(), "\n",
                  "# HELP cairn_attributes_dropped_total Attributes removed from stored "
                  "events: their key is not on --attribute-allowlist.\n"
                  "# TYPE cairn_attributes_dropped_total counter\n"
                  "cairn_attributes_dropped_total ",
                  attributes_dropped(), "\n",
                  "# HELP cairn_rate_limited_total Requests refused with 429 by the per-key "
                  "rate limit.\n"
                  "# TYPE cairn_rate_limited_total counter\n"
                  "cairn_rate_limited_total ",
                  rate_limited(), "\n",
                  "# HELP cairn_key_reloads_total Reloads of the key files, by result.\n"
                  "# TYPE cairn_key_reloads_total counter\n"
                  "cairn_key_reloads_total{result=\"ok\"} ",
                  key_reloads(true), "\n", "cairn_key_reloads_total{result=\"error\"} ",
                  key_reloads(false), "\n");
  absl::StrAppend(out,
                  "# HELP cairn_renewal_grants_kept_suppressed_total Renewal grants stored as "
                  "proof that did not lift an opt-out (vendor defaults, unsigned grants).\n"
                  "# TYPE cairn_renewal_grants_kept_suppressed_total counter\n"
                  "cairn_renewal_grants_kept_suppressed_total ",
                  suppressions_kept(), "\n",
                  "# HELP cairn_grant_signatures_invalid_total Consent grant signatures that "
                  "did not verify.\n"
                  "# TYPE cairn_grant_signatures_invalid_total counter\n"
                  "cairn_grant_signatures_invalid_total ",
                  invalid_grant_signatures(), "\n");
  absl::StrAppend(out,
                  "# HELP cairn_http_requests_total HTTP responses sent, by route and status.\n"
                  "# TYPE cairn_http_requests_total counter\n");
  for (size_t r = 0; r < kRouteCount; ++r) {
    std::string_view route = RouteName(static_cast<Route>(r));
    for (size_t c = 0; c <= kCodes.size(); ++c) {
      uint64_t n = responses_[r][c].load(std::memory_order_relaxed);
      // Zero series of codes a route never sent would only add noise; the
      // 200 series of each route is always there.
      if (n == 0 && !(c < kCodes.size() && kCodes[c] == 200)) continue;
      std::string code = c < kCodes.size() ? absl::StrCat(kCodes[c]) : "other";
      absl::StrAppend(out, "cairn_http_requests_total{route=\"", ToAbsl(route), "\",code=\"", code,
                      "\"} ", n, "\n");
    }
  }
  absl::StrAppend(out,
                  "# HELP cairn_http_request_duration_seconds Time from request header "
                  "received to response ready, by route.\n"
                  "# TYPE cairn_http_request_duration_seconds histogram\n");
  for (size_t r = 0; r < kRouteCount; ++r) {
    latency_[r].AppendPrometheus(
        "cairn_http_request_duration_seconds",
        absl::StrCat("route=\"", ToAbsl(RouteName(static_cast<Route>(r))), "\""), out);
  }
}

}  // namespace cairn::collector
