#ifndef CAIRN_SDK_DEVICE_CONSENT_GATE_H_
#define CAIRN_SDK_DEVICE_CONSENT_GATE_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cairn/client.h"
#include "cairn/consent/consent_state.h"
#include "cairn/v1/batch.pb.h"
#include "sdk/src/device/event_buffer.h"

namespace cairn::sdk {

// The id a user's events and decisions are kept and sent under: the hex
// HMAC-SHA256 under `hmac_key` when pseudonymisation is on, else `user_id`.
// Cost: about a microsecond with a key, a copy without.
std::string WireSubject(const std::string& hmac_key, std::string_view user_id);

// Purposes whose events the SDK records: a grant of one of them is what
// brings the buffer and the install id into existence.
bool RecordsEvents(consent::Purpose purpose);

// The consent state every thread asks (may this user be recorded for this
// purpose now?) and the purge epoch, bumped by every withdrawal and erasure
// so queued events and an in-flight batch from an older epoch are checked
// again. Only the consent keeper and local data change it.
//
// Owns a reader-writer lock: record calls, the writer and the sender read in
// parallel. Lock order: a leaf; callers may hold the keeper's decision lock
// or the writer's write lock, and nothing is locked while it is held.
class ConsentGate {
 public:
  // --- readers (any thread; shared lock) ---
  // OK if `subject` may be recorded for `purpose` now, by their latest
  // decision (a grant not expired at `now`), else PermissionDenied. `epoch` gets the purge epoch
  // read under the same lock, so a withdrawal after the check is seen by the writer. A hash lookup.
  absl::Status Check(const std::string& subject, cairn::v1::Purpose purpose, absl::Time now,
                     uint64_t& epoch) const;
  // The purge epoch now. One atomic load.
  uint64_t Epoch() const { return epoch_.load(); }
  // Removes from `events` the tombstones and the events their user's consent
  // no longer allows at `now`; an event stamped with `trusted_epoch` is kept
  // unchecked (nothing was withdrawn since its check). Returns how many were
  // refused (tombstones are not counted: their purge counted them) and
  // appends their sequences to `refused` if given. One lookup per event.
  uint64_t RemoveDisallowed(std::vector<BufferedEvent>& events, absl::Time now,
                            std::optional<uint64_t> trusted_epoch,
                            std::vector<int64_t>* refused) const;
  // The latest decision of `subject` for `purpose` (kUnknown if none).
  consent::PurposeState Get(const std::string& subject, consent::Purpose purpose) const;
  // The latest decision, kUnknown once it is a grant expired at `now`.
  consent::Decision Current(const std::string& subject, consent::Purpose purpose,
                            absl::Time now) const;
  // The device time of the latest decision of anyone (InfinitePast if none).
  // Cost: a lookup per user and purpose.
  absl::Time LatestDecisionTime() const;
  // `subject`'s latest decision for every consentable purpose, in display order.
  std::vector<ConsentChoice> Choices(const std::string& subject) const;
  // True if some user's consent lets events be recorded at `now` (the
  // buffer must then exist). Cost: a lookup per user and purpose.
  bool AnyoneMayBeRecorded(absl::Time now) const;

  // --- writers (exclusive lock) ---
  // Applies a decision made now; a withdrawal bumps the epoch. Fails, with
  // nothing changed, if the state refuses the record.
  absl::Status Apply(const consent::ConsentRecord& record);
  // Applies a decision read back from consent.db at open; a record this
  // build refuses is skipped, as it cannot grant anything.
  void Load(const consent::ConsentRecord& record);
  // Bumps the epoch after an erasure: an in-flight batch is rebuilt.
  void BumpEpoch();

 private:
  // Plain std:: primitives: they are pthread-based, so ThreadSanitizer sees
  // them (Debian's abseil is not built with TSan annotations).
  mutable std::shared_mutex mu_;
  consent::ConsentState state_;  // guarded by mu_
  // Written under the exclusive lock, read under the shared one or alone.
  std::atomic<uint64_t> epoch_{0};
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_DEVICE_CONSENT_GATE_H_
