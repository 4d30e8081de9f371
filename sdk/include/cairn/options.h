#ifndef CAIRN_OPTIONS_H_
#define CAIRN_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cairn/common/clock.h"
#include "cairn/common/codec.h"
#include "cairn/transport.h"

namespace cairn {

// Identifies the vendor's application in every batch.
struct AppInfo {
  std::string name;
  std::string version;
};

// A delivery problem, reported to Options::on_delivery_status. Carries no
// personal data: only the status and how many events wait in the buffer.
struct DeliveryStatus {
  absl::Status status;  // e.g. Unavailable (network), PermissionDenied (401/403)
  int http_status = 0;  // 0 when no response came back
  uint64_t buffered_rows = 0;
  absl::Duration next_attempt_in = absl::ZeroDuration();
};

// Everything a Client needs. Defaults suit a desktop or mobile app.
struct Options {
  // Collector base URL, e.g. "https://telemetry.vendor.example". Required.
  // https:// always; http:// only to a loopback host unless
  // allow_insecure_http is set.
  std::string collector_url;
  // The app's write key (sent as a Bearer token). Required.
  std::string write_key;
  // Directory for the on-device buffer; created if missing. Required.
  std::string storage_dir;
  AppInfo app;

  // --- Record path ---
  // Events held in memory before the writer persists them, counting those
  // the writer has taken but not yet committed. About 450 bytes each for a
  // typical milestone, so the default bounds this memory near 15 MB.
  size_t queue_capacity = 32768;
  // What a record call does when that queue is full.
  enum class QueueFullPolicy {
    // Drop the new event at once, count it (QUEUE_FULL), return ResourceExhausted.
    // For callers that must never wait, at the price of losing bursts.
    kDropNewest,
    // Wait up to enqueue_timeout for room, then drop and count as above.
    // The default: a burst an app can produce (a thread recording in a
    // tight loop) is slowed to the writer's pace instead of losing events.
    kBlockWithDeadline,
  };
  QueueFullPolicy queue_full_policy = QueueFullPolicy::kBlockWithDeadline;
  // The longest a record call waits for room under kBlockWithDeadline. The
  // writer frees room every commit (commit_max_events events, a few ms), so
  // a caller usually waits about one commit; the margin covers a writer
  // starved of CPU on a loaded device, and only a stalled disk reaches it.
  absl::Duration enqueue_timeout = absl::Milliseconds(250);
  // When true, a record call returns only once its event is committed to the
  // buffer (the writer commits many callers' events in one transaction).
  // Waits at most durable_timeout, then returns DeadlineExceeded with the
  // event still queued. Costs one commit latency (~50-200 us) per call.
  bool durable_records = false;
  absl::Duration durable_timeout = absl::Seconds(1);

  // --- Durable buffer ---
  // The writer commits whatever is queued in one transaction, at most this
  // many events per transaction.
  size_t commit_max_events = 4096;
  // How long the writer waits for more events before a commit (0: commit as
  // soon as it is free; under load that still groups many events). At a
  // trickle it turns a transaction per event into one per interval. A
  // SIGKILL loses at most the events of one interval plus one commit;
  // Flush and durable_records commit at once regardless.
  absl::Duration commit_interval = absl::Milliseconds(50);
  // Bounds of the on-device buffer (0: unbounded). When one is exceeded the
  // oldest events not in flight are dropped and counted (BUFFER_ROWS,
  // BUFFER_BYTES); events older than event_ttl are dropped (EXPIRED).
  uint64_t max_buffer_rows = 500000;
  uint64_t max_buffer_bytes = 64ull << 20;
  absl::Duration event_ttl = absl::Hours(24 * 14);
  // Hard cap on the buffer file itself (0: none), like a storage quota: a
  // write that would grow the file past it fails exactly as on a full disk,
  // and its events are dropped and counted (DISK_FULL). The app keeps
  // running; space freed by delivery is reused.
  uint64_t max_buffer_file_bytes = 0;

  // --- Delivery ---
  size_t max_batch_events = 500;        // events per request
  size_t max_batch_bytes = 512 * 1024;  // serialized bytes per request
  // The batch linger: how long a partly filled batch may wait before it is
  // sent (a full one, a Flush or a shutdown send at once). The sender
  // sleeps meanwhile; idle, it sleeps until events come.
  absl::Duration upload_interval = absl::Seconds(2);
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration request_timeout = absl::Seconds(30);
  // Retry backoff: exponential with full jitter between these bounds. A
  // Retry-After from the collector is honoured up to max_backoff.
  absl::Duration min_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  // Requests to the collector at once: 1 or 2. Either way the sender
  // reads, encodes and compresses the next batch, and settles the last
  // one, while a request is in flight. With 2, a full batch also goes out
  // before the previous answer is back, so the collector can store both in
  // one transaction. The second request needs a transport that runs two at
  // once (Transport::MaxConcurrentPosts; the default libcurl one does, with
  // a connection each); any other gets 1. After a failed attempt the sender
  // sends one request at a time until a batch is acknowledged again.
  size_t max_requests_in_flight = 2;
  Codec compression = Codec::kZstd;
  // Seed of the backoff jitter; 0 (the default) seeds from the OS. A fixed
  // seed makes retry timing repeatable, for tests.
  uint64_t jitter_seed = 0;
  // The least time between two delivery attempts when one is asked for
  // early (Client::OnNetworkAvailable, Flush while backing off), so an app
  // that reports every connectivity change cannot hammer the collector.
  // 0 to 1 hour; zero asks for no floor.
  absl::Duration network_retry_floor = absl::Seconds(1);

  // --- Exit ---
  // How long destroying a Client without calling Shutdown may take: its
  // destructor calls Shutdown(now + shutdown_timeout), so a stalled or
  // unreachable collector delays the app's exit by at most this (plus the
  // time to abort a transfer). Events not delivered by then stay durable on
  // the device for the next run. 0 to 1 minute.
  absl::Duration shutdown_timeout = absl::Seconds(1);

  // --- Transport security ---
  // Allows plain http:// to a non-loopback host. Never do this in production.
  bool allow_insecure_http = false;
  // PEM file of CAs to trust instead of the system store (e.g. a pinned CA).
  // TLS certificate and host verification are always on.
  std::string ca_bundle_path;

  // --- Privacy (see docs/sdk.md) ---
  // Pseudonymisation: when not empty, user ids leave the record and consent
  // calls as lowercase hex HMAC-SHA256(user_id_hmac_key, user_id), before
  // anything is stored, so neither the device files nor the collector hold
  // the plain id. Keep the key secret and stable: a new key makes new ids.
  // The API still takes plain ids (export, erase, consent). Cost: about a
  // microsecond per login or consent call.
  std::string user_id_hmac_key;
  // Minimisation: the attribute keys the SDK keeps (at most 32, each a valid
  // key). Any other attribute, or a value over 256 bytes or not UTF-8, is
  // removed before the event is stored and counted, one ATTRIBUTE_FILTERED
  // per attribute removed; the event itself is kept. Empty (the default)
  // keeps no attribute at all.
  std::set<std::string> attribute_allowlist;
  // What a user who was never asked about renewal notifications gets.
  enum class RenewalDefault {
    // Nothing: no renewal notifications until the user grants them.
    kNotAsked,
    // Soft opt-in for existing customers (ePrivacy Art. 13(2)): the first
    // time a user is identified (login or a consent call), the SDK records
    // and sends a grant with source_surface "vendor_default" under
    // renewal_default_policy_version. The user's opt-out always overrides it.
    kSoftOptIn,
  };
  RenewalDefault renewal_notifications_default = RenewalDefault::kNotAsked;
  std::string renewal_default_policy_id;
  // Required with kSoftOptIn: the policy text that announces the opt-out.
  std::string renewal_default_policy_version;

  // --- Seams ---
  // Time source; SystemClock() when null. Must outlive the Client.
  Clock* clock = nullptr;
  // HTTP transport; libcurl when null.
  std::shared_ptr<Transport> transport;
  // Called from the SDK's delivery thread on each failed delivery attempt.
  // Must be quick and must not call back into the Client.
  std::function<void(const DeliveryStatus&)> on_delivery_status;
};

}  // namespace cairn

#endif  // CAIRN_OPTIONS_H_
