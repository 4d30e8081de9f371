#ifndef CAIRN_SDK_DEVICE_CONSENT_KEEPER_H_
#define CAIRN_SDK_DEVICE_CONSENT_KEEPER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cairn/client.h"
#include "cairn/common/clock.h"
#include "cairn/common/uuid.h"
#include "cairn/consent/consent_log.h"
#include "sdk/src/counters.h"
#include "sdk/src/device/consent_gate.h"
#include "sdk/src/device/writer.h"
#include "sdk/src/progress.h"
#include "sdk/src/stamp_clock.h"

namespace cairn::sdk {

// InvalidArgument for a consent request with missing or malformed fields
// (account, user, policy version, a purpose that is not consentable,
// kUnknown, fields over 128 bytes or not UTF-8). Pure.
absl::Status ValidateConsentRequest(const ConsentRequest& request);

// The user's decisions: persists each one in consent.db (the outbox the
// sender delivers from, as ConsentChange events), applies it to the consent
// gate once durable, records the vendor's renewal default, and on a
// withdrawal purges the user's unsent events. consent.db is created at the
// first decision, the buffer at the first grant of an event purpose.
//
// Used by caller threads (decisions, reads) and the sender thread (outbox).
// Locks, in order: decide_mu_ serializes decisions and the local-data calls
// and comes first of all the client's locks (then the writer's, then the
// leaves); log_mu_ guards the log's one connection and is a leaf.
class ConsentKeeper {
 public:
  // Everything passed must outlive this. Opens nothing.
  ConsentKeeper(const Options& options, StampClock* clock, UuidV7Generator& ids,
                std::string consent_path, ConsentGate& gate, Writer& writer, Progress& progress,
                DropCounters& drops);

  // Loads consent.db if it exists into the gate and the progress. A damaged
  // file is moved aside (decisions lost, every purpose reads as unknown,
  // counted CORRUPT_BUFFER). Before the threads start. Fails with the
  // storage error.
  absl::Status Open();

  // Client::SetConsent (see there). Cost: one SQLite commit, plus for a
  // withdrawal a scan of the buffer.
  absl::Status SetConsent(const ConsentRequest& request);
  // A user was identified at login: with RenewalDefault::kSoftOptIn, records
  // the vendor default if they were never asked. Cost: a lookup, plus one
  // commit the first time. Fails with the storage error.
  absl::Status OnIdentified(const std::string& account_id, const std::string& subject);
  // The decision of plain `user_id` for `purpose` now. A lookup (plus the HMAC).
  consent::Decision GetConsent(std::string_view user_id, consent::Purpose purpose) const;
  // Every consentable purpose's latest decision for plain `user_id`.
  std::vector<ConsentChoice> GetConsentChoices(std::string_view user_id) const;
  // `user_id` as stored and sent (see WireSubject).
  std::string Subject(std::string_view user_id) const;

  // Serializes the caller with every decision (the local-data calls hold it
  // across their reads and deletions). Blocks while a decision is made.
  [[nodiscard]] std::unique_lock<std::mutex> HoldDecisions() {
    return std::unique_lock(decide_mu_);
  }
  // The consent.db entries of `subject` (empty without consent.db). Cost:
  // a read of the whole log. Fails with the storage error.
  absl::StatusOr<std::vector<consent::LogEntry>> RecordsOf(const std::string& subject);

  // --- the sender thread ---
  // Up to `max` entries not yet delivered, oldest first (none without consent.db).
  absl::StatusOr<std::vector<consent::LogEntry>> Undelivered(size_t max);
  // Marks entries delivered; they are never sent again.
  absl::Status MarkDelivered(std::span<const int64_t> positions);

 private:
  // consent.db opened, once. decide_mu_ held.
  absl::Status EnsureLog();
  // Persists, queues for delivery and applies one validated record. decide_mu_ held.
  absl::Status AppendDecision(consent::ConsentRecord record, const std::string& account_id);
  // With RenewalDefault::kSoftOptIn: records the vendor default for a user
  // never asked about renewal notifications. decide_mu_ held.
  absl::Status ApplyRenewalDefault(const std::string& account_id, const std::string& subject);

  const Options& options_;
  StampClock* const clock_;
  UuidV7Generator& ids_;
  const std::string consent_path_;
  ConsentGate& gate_;
  Writer& writer_;
  Progress& progress_;
  DropCounters& drops_;

  std::mutex decide_mu_;
  std::mutex log_mu_;
  std::unique_ptr<consent::ConsentLog> log_;  // guarded by log_mu_; null until the first decision
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_DEVICE_CONSENT_KEEPER_H_
