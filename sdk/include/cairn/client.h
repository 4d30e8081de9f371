#ifndef CAIRN_CLIENT_H_
#define CAIRN_CLIENT_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/consent/consent_state.h"
#include "cairn/consent/purpose.h"
#include "cairn/options.h"
#include "cairn/record_result.h"
#include "cairn/stats.h"

namespace cairn {

// Version of this SDK, sent in every batch.
inline constexpr std::string_view kSdkVersion = "0.1.0";

// Vendor-defined event context; bounded (see docs/protocol.md).
using Attributes = std::map<std::string, std::string>;

// The kind of an in-app survey answer (values as on the wire).
enum class FeedbackKind {
  kNps = 1,   // "how likely are you to recommend us", 0-10
  kCsat = 2,  // satisfaction, 1 (very unsatisfied) to 5 (very satisfied)
};

// A consent decision as the user made it in the vendor's UI.
struct ConsentRequest {
  std::string account_id;  // the user's account: the proof event carries it
  std::string user_id;     // plain id; pseudonymised on the device if configured
  consent::Purpose purpose = consent::Purpose::kUsageAnalytics;
  consent::Decision decision = consent::Decision::kUnknown;  // kGranted or kDenied
  std::string policy_id;                                     // optional: which policy document
  std::string policy_version;                                // required: the version the user saw
  std::string source_surface;            // which UI asked, e.g. "onboarding", "settings"
  std::optional<absl::Time> expires_at;  // optional end of a grant
  // Optional: the vendor backend's signature of this explicit grant
  // (cairn/consent/grant_signature.h, SignGrant of the account, WireUserId
  // of the user, purpose, decision and signed_at), passed through unread.
  // Only a signed grant lifts an earlier renewal opt-out at the collector;
  // other decisions need none. Both fields or neither.
  std::string grant_signature;
  std::optional<absl::Time> signed_at;
};

// One purpose's current decision for a user, as a consent switch shows it.
struct ConsentChoice {
  consent::Purpose purpose = consent::Purpose::kUsageAnalytics;
  consent::PurposeState state;  // decision kUnknown when the user was never asked
};

// The Cairn SDK. Records login, session, milestone and feedback events for the purposes
// the user consented to, keeps them in an on-device SQLite buffer, and ships
// them in batches to the collector from a background thread.
//
// Thread-safe: every method may be called from any thread. No method throws.
// Record calls never touch disk or network on the caller's thread: they
// serialize the event and queue it (about a microsecond).
class Client {
 public:
  // Loads the consent decisions kept in options.storage_dir, reopens the
  // buffer if one exists (resuming delivery of whatever an earlier run left
  // there) and starts the background threads. On a fresh install it creates
  // only the directory: the buffer file and the install id appear with the
  // first grant of usage analytics, milestones or feedback, consent.db with the first
  // decision. A damaged buffer or consent file is moved aside (its loss
  // counted as CORRUPT_BUFFER). Fails with InvalidArgument for bad options
  // (missing URL/key/dir, http:// to a non-loopback host, an allowlist over
  // its bounds, soft opt-in without a policy version) and with the storage
  // error if a file cannot be opened.
  //
  // storage_dir is made 0700 and every file in it 0600, whatever the
  // umask; an existing directory or file of this user with a wider mode is
  // tightened (see docs/sdk.md).
  //
  // A client holds storage_dir exclusively (an advisory lock on the
  // directory itself, so no extra file appears there) from Create until
  // Shutdown or destruction; the kernel drops it if the process dies. Fails
  // with FailedPrecondition ("storage_dir ... is in use by another Cairn
  // client") while another client, in this process or another, holds the
  // same storage_dir: two writers would reuse sequence numbers and lose each
  // other's events. Give each client its own storage_dir, or shut the other
  // one down first.
  static absl::StatusOr<std::unique_ptr<Client>> Create(Options options);

  // Shuts down with Options::shutdown_timeout (default 1 s) as the deadline
  // if Shutdown was not called.
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Records a consent decision (grant or withdrawal) for one purpose. Call
  // it before anything else: until some purpose is granted nothing is
  // recorded and no buffer file or device identifier exists.
  // Before it returns:
  //  - the decision is durable in <storage_dir>/consent.db and queued to be
  //    sent as a ConsentChange event (whatever else is consented: it is the
  //    proof of consent), exactly once;
  //  - later record calls follow it;
  //  - a withdrawal (kDenied) has deleted every unsent event of that user
  //    and purpose from the buffer and the queue (counted CONSENT_WITHDRAWN).
  //    Only a request already on the network cannot be recalled.
  // Cost: one SQLite commit, plus for a withdrawal a scan of the buffer.
  // InvalidArgument for missing or malformed fields (account, user, policy
  // version, a purpose that is not consentable, kUnknown); the storage error
  // if the decision cannot be persisted (then nothing changed).
  absl::Status SetConsent(const ConsentRequest& request);

  // The user's choice about renewal notifications (their Art. 21 opt-out
  // when `allowed` is false): SetConsent for kRenewalNotifications.
  absl::Status SetRenewalNotifications(std::string_view account_id, std::string_view user_id,
                                       bool allowed, std::string_view policy_version,
                                       std::string_view source_surface = "settings");

  // The user's decision for `purpose` now (kUnknown if never decided or if
  // a grant has expired). Cheap: a hash lookup (plus the HMAC if configured).
  consent::Decision GetConsent(std::string_view user_id, consent::Purpose purpose) const;

  // The user's latest decision for every consentable purpose, with the
  // policy version it was made under, in display order.
  std::vector<ConsentChoice> GetConsentChoices(std::string_view user_id) const;

  // Everything the device holds about the user (Art. 15, 20), as JSON:
  //   {"user_id": "<id as stored>", "pseudonymised": bool,
  //    "consent_records": [{"event_id", "account_id", "purpose", "decision",
  //       "policy_id", "policy_version", "device_time", "source_sdk_version",
  //       "source_surface", "expires_at"?, "delivered"}],
  //    "events": [<cairn.v1.Event in protobuf's JSON mapping, proto field names>]}
  // Includes events still queued in memory. Cost: a scan of the buffer.
  // Fails with the storage error if the buffer cannot be read.
  absl::StatusOr<std::string> ExportLocalData(std::string_view user_id);

  // Deletes every event of the user held on the device, buffered or queued
  // and not yet sent (Art. 17), counted in Stats::erased. Consent records
  // are kept: they are the proof the vendor must keep and what lets the
  // device keep honouring the user's choices. Erasure at the collector is
  // the vendor's admin API. Cost: a scan of the buffer.
  absl::Status EraseLocalData(std::string_view user_id);

  // The user id as it is stored and sent: the HMAC when pseudonymisation is
  // on, else `user_id` itself. What the collector's admin API needs.
  std::string WireUserId(std::string_view user_id) const;

  // The record calls below return a RecordResult the app may ignore without
  // a compiler warning; each refusal is also counted in Stats by cause.
  //
  // The user signed in: starts a session and makes (account, user) the
  // identity of later events. The identity is kept even when the login event
  // itself is refused for lack of usage-analytics consent (PermissionDenied).
  // Every login opens a new session: if one is open (another identity's, an
  // account switch, or the same identity's, a login again) it ends first,
  // with a SessionEnd event carrying that earlier identity's ids and its
  // duration, recorded only if that earlier user granted usage analytics.
  // InvalidArgument for ids that are empty, over 128 bytes or not printable.
  RecordResult RecordLogin(std::string_view account_id, std::string_view user_id,
                           std::string_view method = {});

  // The user signed out: ends the session and clears the identity.
  // FailedPrecondition without a signed-in user; PermissionDenied without
  // usage-analytics consent (the identity is cleared all the same).
  RecordResult RecordLogout();

  // The session ended without a logout (e.g. the app closes); the duration
  // is measured from the login. The identity is kept. Same errors as Logout.
  RecordResult RecordSessionEnd();

  // The signed-in user reached a milestone, e.g. ("invoice_sent", 10).
  // FailedPrecondition without a signed-in user; PermissionDenied without
  // milestones consent; InvalidArgument for a name outside [A-Za-z0-9_.:-]
  // (1-128 bytes) or attributes over their bounds.
  RecordResult RecordMilestone(std::string_view name, std::optional<double> value = std::nullopt,
                               const Attributes& attributes = {});

  // The signed-in user answered an in-app survey: an NPS score (0-10) or a
  // CSAT score (1-5), an optional comment (at most 500 bytes of UTF-8; it is
  // personal data, kept by the collector only in the event itself) and an
  // optional survey id ([A-Za-z0-9_.:-], 1-128 bytes). Needs the feedback
  // purpose's consent, which is separate from the others.
  // InvalidArgument for a kind other than the two, a score outside the
  // kind's range, an overlong or non-UTF-8 comment or a bad survey id
  // (checked first: nothing is recorded); FailedPrecondition without a
  // signed-in user; PermissionDenied without feedback consent.
  RecordResult RecordFeedback(FeedbackKind kind, int score, std::string_view comment = {},
                              std::string_view survey_id = {});

  // Waits until every event recorded before this call is durable in the
  // buffer and acknowledged by the collector. While backing off after
  // failures it asks for a delivery attempt now (never sooner than
  // Options::network_retry_floor after the previous one, nor before the end
  // of a Retry-After the collector sent) and waits for it.
  // Returns OK when delivered; Unavailable when the events are durable but
  // that attempt failed, or the floor keeps the next one past the deadline
  // (they stay buffered and delivery goes on); PermissionDenied when the
  // collector refuses the write key; DeadlineExceeded otherwise. The
  // deadline is read against the clock's wall time once, at the call; the
  // wait itself runs on the monotonic clock, so setting the device clock
  // meanwhile neither stretches nor cuts it.
  absl::Status Flush(absl::Time deadline);

  // The app saw connectivity come back (e.g. a network-change callback):
  // the backoff starts over and a delivery attempt is made now, or
  // Options::network_retry_floor after the previous attempt if that is
  // later, so calling it on every change is safe. A Retry-After the
  // collector sent is still honoured: an overloaded collector that asked
  // for quiet gets it. Does nothing when nothing
  // waits to be sent. Cheap: a lock and a wake-up; never blocks or fails.
  void OnNetworkAvailable();

  // Stops recording, persists everything queued, tries to deliver until the
  // deadline, then aborts any transfer and stops the threads. Returns by the
  // deadline (plus the time to abort a transfer, well under a second) even
  // if the collector stalls. What was not delivered stays in the buffer for
  // the next start. Later calls return the first call's result. The
  // deadline is read like Flush's.
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
