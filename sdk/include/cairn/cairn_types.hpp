// Cairn SDK, C++ wrapper: the value types of cairn::Telemetry (part of
// cairn/cairn.hpp): options, consent requests and choices, counters.
// Standard library and cairn.h only.
#ifndef CAIRN_CAIRN_TYPES_HPP_
#define CAIRN_CAIRN_TYPES_HPP_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "cairn/cairn.h"
#include "cairn/cairn_result.hpp"

namespace cairn {

// What a consent decision is about.
enum class ConsentPurpose : int {
  kUsageAnalytics = CAIRN_PURPOSE_USAGE_ANALYTICS,              // logins, logouts, sessions
  kMilestones = CAIRN_PURPOSE_MILESTONES,                       // value moments
  kRenewalNotifications = CAIRN_PURPOSE_RENEWAL_NOTIFICATIONS,  // opt-out
  kFeedback = CAIRN_PURPOSE_FEEDBACK,                           // survey answers
};

// The kind of an in-app survey answer (Telemetry::RecordFeedback). Named
// apart from cairn/client.h's FeedbackKind so both headers fit in one app.
enum class TelemetryFeedbackKind : int {
  kNps = CAIRN_FEEDBACK_NPS,    // 0-10
  kCsat = CAIRN_FEEDBACK_CSAT,  // 1-5
};

// A user's decision; kUnknown is "never asked" (and reads as a denial).
enum class ConsentDecision : int {
  kUnknown = CAIRN_DECISION_UNKNOWN,
  kGranted = CAIRN_DECISION_GRANTED,
  kDenied = CAIRN_DECISION_DENIED,
};

// Why events were dropped on the device (index into TelemetryStats::dropped).
enum class DropReason : int {
  kQueueFull = CAIRN_DROP_QUEUE_FULL,
  kBufferBytes = CAIRN_DROP_BUFFER_BYTES,
  kBufferRows = CAIRN_DROP_BUFFER_ROWS,
  kExpired = CAIRN_DROP_EXPIRED,
  kRejected = CAIRN_DROP_REJECTED,
  kCorruptBuffer = CAIRN_DROP_CORRUPT_BUFFER,
  kDiskFull = CAIRN_DROP_DISK_FULL,
  kConsentWithdrawn = CAIRN_DROP_CONSENT_WITHDRAWN,
  kAttributeFiltered = CAIRN_DROP_ATTRIBUTE_FILTERED,
};

// A delivery problem, passed to TelemetryOptions::on_delivery_status on the
// SDK's delivery thread. No personal data.
struct TelemetryDeliveryStatus {
  Error error;          // e.g. kUnavailable (network), kPermissionDenied (key)
  int http_status = 0;  // 0 when no response came back
  uint64_t buffered_rows = 0;
  std::chrono::milliseconds next_attempt_in{0};
};

// Everything Telemetry::Create needs. The defaults are the SDK's own (those
// of cairn::Options, docs/sdk.md); the library checks the whole at Create.
struct TelemetryOptions {
  // What a record call does when the in-memory queue is full.
  enum class QueueFullPolicy {
    kBlockWithDeadline = CAIRN_QUEUE_FULL_BLOCK_WITH_DEADLINE,  // wait enqueue_timeout
    kDropNewest = CAIRN_QUEUE_FULL_DROP_NEWEST,
  };
  // How batches are compressed on the wire.
  enum class Compression {
    kZstd = CAIRN_COMPRESSION_ZSTD,
    kGzip = CAIRN_COMPRESSION_GZIP,
    kNone = CAIRN_COMPRESSION_NONE,
  };
  // What a user never asked about renewal notifications gets.
  enum class RenewalDefault {
    kNotAsked = CAIRN_RENEWAL_NOT_ASKED,
    kSoftOptIn = CAIRN_RENEWAL_SOFT_OPT_IN,  // existing customers; the opt-out wins
  };

  // Required: collector base URL (https://, or http:// to loopback), the
  // app's write key, the directory of the on-device buffer.
  std::string collector_url;
  std::string write_key;
  std::string storage_dir;
  // The app's name and version, sent in every batch.
  std::string app_name;
  std::string app_version;

  // Record path.
  size_t queue_capacity = 32768;
  QueueFullPolicy queue_full_policy = QueueFullPolicy::kBlockWithDeadline;
  std::chrono::milliseconds enqueue_timeout{250};
  bool durable_records = false;
  std::chrono::milliseconds durable_timeout{1000};
  // Durable buffer.
  size_t commit_max_events = 4096;
  std::chrono::milliseconds commit_interval{50};
  uint64_t max_buffer_rows = 500000;  // 0: unbounded, like the byte bounds
  uint64_t max_buffer_bytes = 64ull << 20;
  uint64_t max_buffer_file_bytes = 0;
  std::chrono::milliseconds event_ttl = std::chrono::hours(24 * 14);
  // Delivery.
  size_t max_batch_events = 500;
  size_t max_batch_bytes = 512 * 1024;
  std::chrono::milliseconds upload_interval{2000};
  size_t max_requests_in_flight = 2;  // 1 or 2
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds min_backoff{1000};
  std::chrono::milliseconds max_backoff = std::chrono::minutes(5);
  uint64_t jitter_seed = 0;  // 0 seeds from the OS
  std::chrono::milliseconds network_retry_floor{1000};
  Compression compression = Compression::kZstd;
  // How long destroying a Telemetry that was not shut down may take.
  std::chrono::milliseconds shutdown_timeout{1000};
  // Transport security: plain http to a non-loopback host (never in
  // production); a PEM file of CAs to trust instead of the system store.
  bool allow_insecure_http = false;
  std::string ca_bundle_path;
  // Privacy: the pseudonymisation key (bytes; empty: off) and the attribute
  // keys the SDK keeps (empty: none).
  std::string user_id_hmac_key;
  std::set<std::string> attribute_allowlist;
  RenewalDefault renewal_notifications_default = RenewalDefault::kNotAsked;
  std::string renewal_default_policy_id;
  std::string renewal_default_policy_version;  // required with kSoftOptIn

  // Called on the SDK's delivery thread after each failed attempt. Must be
  // quick and must not call back into the Telemetry. The Telemetry keeps a
  // copy alive; an exception it throws is caught and dropped.
  std::function<void(const TelemetryDeliveryStatus&)> on_delivery_status;
};

// A consent decision as the user made it (see cairn_consent_request).
// account_id, user_id, purpose, decision (kGranted or kDenied) and
// policy_version are required; empty optional strings are "none".
struct TelemetryConsentRequest {
  std::string_view account_id;
  std::string_view user_id;
  ConsentPurpose purpose = ConsentPurpose::kUsageAnalytics;
  ConsentDecision decision = ConsentDecision::kUnknown;
  std::string_view policy_id;
  std::string_view policy_version;
  std::string_view source_surface;
  std::optional<std::chrono::system_clock::time_point> expires_at;
  // A vendor-signed grant that lifts a renewal opt-out: both or neither.
  std::string_view grant_signature;
  std::optional<std::chrono::system_clock::time_point> signed_at;
};

// One purpose's decision as a consent switch shows it.
struct TelemetryConsentChoice {
  ConsentPurpose purpose = ConsentPurpose::kUsageAnalytics;
  ConsentDecision decision = ConsentDecision::kUnknown;
  std::string policy_version;                                       // "" when never asked
  std::optional<std::chrono::system_clock::time_point> decided_at;  // none: never asked
  std::optional<std::chrono::system_clock::time_point> expires_at;  // none: no end
};

// A milestone attribute (kept only if allow-listed).
struct TelemetryAttribute {
  std::string_view key;
  std::string_view value;
};

// The SDK's counters (see cairn::Stats in docs/sdk.md).
struct TelemetryStats {
  uint64_t recorded = 0;
  uint64_t refused_no_consent = 0;
  uint64_t refused_invalid = 0;
  uint64_t refused_no_session = 0;
  uint64_t refused_shut_down = 0;
  uint64_t refused_storage = 0;
  uint64_t durable_timeouts = 0;
  uint64_t persisted = 0;
  uint64_t sent = 0;
  uint64_t acknowledged = 0;
  uint64_t duplicates = 0;
  uint64_t retries = 0;
  uint64_t batches_acknowledged = 0;
  uint64_t consent_changes_pending = 0;
  uint64_t erased = 0;
  uint64_t buffered_rows = 0;
  uint64_t buffered_bytes = 0;
  std::array<uint64_t, CAIRN_DROP_REASON_SLOTS> dropped{};  // by DropReason
  std::string last_error;                                   // "" if none

  // Events dropped for `reason`.
  uint64_t dropped_for(DropReason reason) const { return dropped[static_cast<size_t>(reason)]; }
};

}  // namespace cairn

#endif  // CAIRN_CAIRN_TYPES_HPP_
