#ifndef CAIRN_SDK_RECORD_PATH_H_
#define CAIRN_SDK_RECORD_PATH_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cairn/client.h"
#include "cairn/common/clock.h"
#include "cairn/common/uuid.h"
#include "cairn/v1/batch.pb.h"
#include "sdk/src/counters.h"
#include "sdk/src/device/consent_gate.h"
#include "sdk/src/device/consent_keeper.h"
#include "sdk/src/device/event_queue.h"
#include "sdk/src/progress.h"

namespace cairn::sdk {

// Who events are about, set by RecordLogin.
struct Identity {
  std::string account_id;
  std::string user_id;  // as stored and sent (pseudonymised if configured)
  std::string session_id;
  absl::Time login_time;
};

// The record calls, on the caller's thread: keeps the signed-in identity,
// checks consent, stamps and serializes the event, and queues it for the
// writer. Never touches disk or network (except the one commit of a soft
// opt-in default at a user's first login, and the wait of a durable call).
//
// Owns the identity and its reader-writer lock, a leaf in the lock order:
// nothing else is locked while it is held. The consent keeper's decision
// lock (soft opt-in at login) is taken and released before it.
class RecordPath {
 public:
  // Everything passed must outlive this.
  RecordPath(const Options& options, Clock* clock, UuidV7Generator& ids, const ConsentGate& gate,
             ConsentKeeper& keeper, EventQueue& queue, Progress& progress, Counters& counters,
             DropCounters& drops)
      : options_(options),
        clock_(clock),
        ids_(ids),
        gate_(gate),
        keeper_(keeper),
        queue_(queue),
        progress_(progress),
        counters_(counters),
        drops_(drops) {}

  // Client::RecordLogin, RecordLogout, RecordSessionEnd, RecordMilestone
  // and RecordFeedback (see there for the errors). Cost: about a microsecond (serialize and
  // queue), plus one commit latency with durable_records.
  absl::Status Login(std::string_view account_id, std::string_view user_id,
                     std::string_view method);
  absl::Status Logout();
  absl::Status SessionEnd();
  absl::Status Milestone(std::string_view name, std::optional<double> value,
                         const Attributes& attributes);
  absl::Status Feedback(FeedbackKind kind, int score, std::string_view comment,
                        std::string_view survey_id);

 private:
  // The signed-in identity, or null. A shared lock, no copy of strings.
  std::shared_ptr<const Identity> SignedIn() const;
  // Stamps, serializes and queues `event` for `identity` if its purpose is
  // consented. The body is already set. `count_refusal`: a consent refusal
  // counts in Stats (false for events the SDK records on its own).
  absl::Status Enqueue(const Identity& identity, cairn::v1::Event& event,
                       bool count_refusal = true);
  // Counts a refusal in `counter` and returns `status`.
  static absl::Status Refuse(std::atomic<uint64_t>& counter, absl::Status status);
  // FailedPrecondition with `message`, counted as a call without a session.
  absl::Status NoSession(const char* message);

  const Options& options_;
  Clock* const clock_;
  UuidV7Generator& ids_;
  const ConsentGate& gate_;
  ConsentKeeper& keeper_;
  EventQueue& queue_;
  Progress& progress_;
  Counters& counters_;
  DropCounters& drops_;

  // Plain std:: primitives: they are pthread-based, so ThreadSanitizer sees
  // them (Debian's abseil is not built with TSan annotations).
  mutable std::shared_mutex identity_mu_;
  // Immutable once made: record calls share it instead of copying strings.
  std::shared_ptr<const Identity> identity_;  // guarded by identity_mu_
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_RECORD_PATH_H_
