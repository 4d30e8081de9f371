#ifndef CAIRN_CLIENT_H_
#define CAIRN_CLIENT_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/consent/consent_state.h"
#include "cairn/consent/purpose.h"
#include "cairn/options.h"
#include "cairn/stats.h"

namespace cairn {

// Version of this SDK, sent in every batch.
inline constexpr std::string_view kSdkVersion = "0.1.0";

// Vendor-defined event context; bounded (see docs/protocol.md).
using Attributes = std::map<std::string, std::string>;

// The Cairn SDK. Records login, session and milestone events for the purposes
// the user consented to, keeps them in an on-device SQLite buffer, and ships
// them in batches to the collector from a background thread.
//
// Thread-safe: every method may be called from any thread. No method throws.
// Record calls never touch disk or network on the caller's thread: they
// serialize the event and queue it (about a microsecond).
class Client {
 public:
  // Opens (or creates) the buffer in options.storage_dir, resumes delivery of
  // whatever an earlier run left there, and starts the background threads.
  // Fails with InvalidArgument for bad options (missing URL/key/dir, http://
  // to a non-loopback host) and with the storage error if the buffer cannot
  // be opened.
  static absl::StatusOr<std::unique_ptr<Client>> Create(Options options);

  // Shuts down with a 5-second deadline if Shutdown was not called.
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Records the user's consent decision for one purpose under the policy
  // version they saw. Takes effect at once for later record calls. Fails with
  // InvalidArgument for an empty user or policy version, or for a purpose
  // that is not consentable.
  absl::Status SetConsent(std::string_view user_id, consent::Purpose purpose,
                          consent::Decision decision, std::string_view policy_version);

  // The user's current decision for `purpose` (kUnknown if never decided).
  consent::Decision GetConsent(std::string_view user_id, consent::Purpose purpose) const;

  // The user signed in: starts a session and makes (account, user) the
  // identity of later events. The identity is kept even when the login event
  // itself is refused for lack of usage-analytics consent (PermissionDenied).
  // InvalidArgument for ids that are empty, over 128 bytes or not printable.
  absl::Status RecordLogin(std::string_view account_id, std::string_view user_id,
                           std::string_view method = {});

  // The user signed out: ends the session and clears the identity.
  // FailedPrecondition without a signed-in user; PermissionDenied without
  // usage-analytics consent (the identity is cleared all the same).
  absl::Status RecordLogout();

  // The session ended without a logout (e.g. the app closes); the duration
  // is measured from the login. The identity is kept. Same errors as Logout.
  absl::Status RecordSessionEnd();

  // The signed-in user reached a milestone, e.g. ("invoice_sent", 10).
  // FailedPrecondition without a signed-in user; PermissionDenied without
  // milestones consent; InvalidArgument for a name outside [A-Za-z0-9_.:-]
  // (1-128 bytes) or attributes over their bounds.
  absl::Status RecordMilestone(std::string_view name,
                               std::optional<double> value = std::nullopt,
                               const Attributes& attributes = {});

  // Waits until every event recorded before this call is durable in the
  // buffer and acknowledged by the collector. Returns OK when delivered;
  // Unavailable when the events are durable but the collector cannot be
  // reached now (they stay buffered and delivery goes on); PermissionDenied
  // when the collector refuses the write key; DeadlineExceeded otherwise.
  absl::Status Flush(absl::Time deadline);

  // Stops recording, persists everything queued, tries to deliver until the
  // deadline, then aborts any transfer and stops the threads. Returns by the
  // deadline (plus the time to abort a transfer, well under a second) even
  // if the collector stalls. What was not delivered stays in the buffer for
  // the next start. Later calls return the first call's result.
  absl::Status Shutdown(absl::Time deadline);

  // Counters and buffer size now. Cheap: a few atomic loads and a lock.
  Stats GetStats() const;

  class Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn

#endif  // CAIRN_CLIENT_H_
