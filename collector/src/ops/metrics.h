#ifndef CAIRN_COLLECTOR_OPS_METRICS_H_
#define CAIRN_COLLECTOR_OPS_METRICS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "ops/histogram.h"

namespace cairn::collector {

// The routes metrics are kept for; paths themselves are client-chosen text
// and never become label values.
enum class Route { kBatch, kHealthz, kReadyz, kMetrics, kAdmin, kOther };
inline constexpr size_t kRouteCount = 6;

// "batch", "healthz", "readyz", "metrics", "admin", "other".
std::string_view RouteName(Route route);

// In-process counters and histograms since start, for GET /metrics. Every
// update is a relaxed atomic add (no lock on the request path); a scrape may
// see one counter a moment ahead of another. Thread-safe.
class CollectorMetrics {
 public:
  // The HTTP status codes counted on their own; anything else counts as
  // code="other".
  static constexpr std::array<int, 12> kCodes = {200, 400, 401, 403, 404, 405,
                                                 408, 413, 415, 429, 431, 503};

  // One response on `route` with `status`; `latency` (header received to
  // response handed to the socket) if a request header was read.
  void RecordResponse(Route route, int status, std::optional<absl::Duration> latency);
  // Events a 200 answered as stored now / as already stored.
  void AddEvents(uint64_t accepted, uint64_t duplicates);
  // Attributes removed from events because their key is not on the
  // collector's allowlist.
  void AddAttributesDropped(uint64_t n) {
    attributes_dropped_.fetch_add(n, std::memory_order_relaxed);
  }
  // A request refused with 429.
  void AddRateLimited() { rate_limited_.fetch_add(1, std::memory_order_relaxed); }
  // A reload of the key files (SIGHUP or a changed file) that took effect or
  // was refused (the old keys stay).
  void AddKeyReload(bool ok) {
    (ok ? key_reloads_ok_ : key_reloads_failed_).fetch_add(1, std::memory_order_relaxed);
  }

  // Renewal grants stored as proof that left an opt-out in place (vendor
  // defaults, grants without a valid signature), and grant signatures that
  // did not verify (the grant is then treated as unsigned).
  void AddSuppressionsKept(uint64_t n) {
    suppressions_kept_.fetch_add(n, std::memory_order_relaxed);
  }
  void AddInvalidGrantSignature() {
    invalid_grant_signatures_.fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t suppressions_kept() const { return suppressions_kept_.load(std::memory_order_relaxed); }
  uint64_t invalid_grant_signatures() const {
    return invalid_grant_signatures_.load(std::memory_order_relaxed);
  }

  uint64_t events_accepted() const { return accepted_.load(std::memory_order_relaxed); }
  uint64_t events_duplicate() const { return duplicates_.load(std::memory_order_relaxed); }
  uint64_t attributes_dropped() const {
    return attributes_dropped_.load(std::memory_order_relaxed);
  }
  uint64_t rate_limited() const { return rate_limited_.load(std::memory_order_relaxed); }
  uint64_t key_reloads(bool ok) const {
    return (ok ? key_reloads_ok_ : key_reloads_failed_).load(std::memory_order_relaxed);
  }
  uint64_t responses(Route route, int status) const;

  // Appends this object's series in the Prometheus text format (with HELP
  // and TYPE lines). Cost: linear in the number of series, about 150.
  void AppendPrometheus(std::string* out) const;

 private:
  static size_t CodeSlot(int status);

  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> duplicates_{0};
  std::atomic<uint64_t> rate_limited_{0};
  std::atomic<uint64_t> attributes_dropped_{0};
  std::atomic<uint64_t> key_reloads_ok_{0};
  std::atomic<uint64_t> key_reloads_failed_{0};
  std::atomic<uint64_t> suppressions_kept_{0};
  std::atomic<uint64_t> invalid_grant_signatures_{0};
  // [route][code slot]; the last slot is "other".
  std::array<std::array<std::atomic<uint64_t>, kCodes.size() + 1>, kRouteCount> responses_{};
  std::array<Histogram, kRouteCount> latency_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_OPS_METRICS_H_
