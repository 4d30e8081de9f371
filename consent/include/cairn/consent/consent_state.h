#ifndef CAIRN_CONSENT_CONSENT_STATE_H_
#define CAIRN_CONSENT_CONSENT_STATE_H_

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/consent/purpose.h"
#include "cairn/v1/event.pb.h"

namespace cairn::consent {

enum class Decision { kUnknown, kGranted, kDenied };

// One consent decision as the user made it: what, when, under which policy,
// from where. Records are appended, never edited (Art. 7(1) proof).
struct ConsentRecord {
  std::string subject;  // user id the decision belongs to
  Purpose purpose = Purpose::kUsageAnalytics;
  Decision decision = Decision::kUnknown;
  std::string policy_id;                          // which policy document
  std::string policy_version;                     // required: the version the user saw
  absl::Time device_time = absl::InfinitePast();  // when, by the device clock
  std::optional<absl::Time> collector_time;       // when the collector got it
  std::string source_sdk_version;                 // which SDK recorded it
  std::string source_surface;                     // which UI asked
  std::optional<absl::Time> expires_at;           // end of a grant's validity
  // The vendor backend's signature of an explicit grant and when it signed
  // (cairn/consent/grant_signature.h); empty and nullopt when there is none.
  std::string grant_signature;
  std::optional<absl::Time> signed_at;
};

// The source surface of a decision the vendor's configured default made,
// not the user: sent as CONSENT_ORIGIN_VENDOR_DEFAULT. Reserved: an app's
// own SetConsent may not use it.
inline constexpr std::string_view kVendorDefaultSurface = "vendor_default";

// True if `change` is a vendor default rather than the user's own act: its
// origin says so, or (clients older than the origin field) its surface is
// kVendorDefaultSurface. A default never lifts an objection. Pure.
bool IsVendorDefault(const cairn::v1::ConsentChange& change);

// Checks a record before it is applied: a consentable purpose, a granted or
// denied decision, a non-empty subject and policy version (InvalidArgument).
absl::Status ValidateRecord(const ConsentRecord& record);

// Wire names of decisions: "granted", "denied", "unknown".
std::string_view DecisionName(Decision decision);
cairn::v1::ConsentDecision ToWire(Decision decision);
// kUnknown for CONSENT_DECISION_UNSPECIFIED and values this build does not know.
Decision DecisionFromWire(int wire_value);

// The ConsentChange event body for `record` (purpose, decision, policy,
// surface, expiry, origin, grant signature). The origin is VENDOR_DEFAULT
// for the surface kVendorDefaultSurface, else USER_ACTION. The caller fills
// the event envelope.
void ToConsentChange(const ConsentRecord& record, cairn::v1::ConsentChange* out);

// The record carried by an event with a ConsentChange body: subject is the
// event's user_id, device_time its occurred_at; `sdk_version` comes from the
// batch. InvalidArgument for another body or a record ValidateRecord refuses
// (e.g. a missing policy version).
absl::StatusOr<ConsentRecord> RecordFromEvent(const cairn::v1::Event& event,
                                              std::string_view sdk_version = {});

// The current decision of one user for one purpose.
struct PurposeState {
  Decision decision = Decision::kUnknown;
  std::string policy_version;
  absl::Time decided_at = absl::InfinitePast();
  std::optional<absl::Time> expires_at;
};

// The decision in force at `at` among `history`, one user's decisions for
// one purpose sorted by decided_at, oldest first, where of two entries with
// the same decided_at the later one was made (or stored) later: the latest
// decision made at or before `at`, the later entry winning a tie; unknown if
// there is none; a grant whose expiry is at or before `at` reads as unknown.
// The one selection both ConsentState and the collector's stores use (the
// collector's full rule is in collector/src/store/consent_rule.h). Cost: a
// backward scan of `history`.
Decision DecisionInForce(std::span<const PurposeState> history, absl::Time at);

// Consent per user and purpose, folded from ConsentRecords: the latest
// decision, and a short history so a question about a past moment ("was
// this event, which happened at t, granted at t?") gets the answer that held
// at t even after a later withdrawal. Records may be applied in any order;
// the result depends only on their device times. Pure logic, no IO; not
// thread-safe (callers lock).
// Memory: one entry per decision kept, at most kMaxHistory per (user,
// purpose); beyond that the oldest are forgotten, so a moment older than the
// oldest kept decision reads as unknown (deny).
class ConsentState {
 public:
  static constexpr size_t kMaxHistory = 16;

  // Applies a validated record. A record with the same device time as one
  // already applied for the user and purpose replaces it (a replay is a
  // no-op). Returns InvalidArgument (and changes nothing) for a record
  // ValidateRecord refuses.
  absl::Status Apply(const ConsentRecord& record);

  // The decision for `subject` and `purpose` that held at `at`: the latest
  // decision made at or before `at`; unknown if none; a grant whose expiry
  // is at or before `at` reads as unknown. Cost: a hash lookup and a scan of
  // at most kMaxHistory entries.
  Decision DecisionAt(std::string_view subject, Purpose purpose, absl::Time at) const;

  // True if `purpose` may be processed for `subject` at `at`: always for
  // purposes that need no consent, otherwise only with a live grant.
  bool Allows(std::string_view subject, Purpose purpose, absl::Time at) const;

  // The latest decision (whatever its time), kUnknown if none or if it is a
  // grant that expired at or before `now`: what the user chose last, so a
  // device clock set back after a decision does not hide it. Cost: a hash
  // lookup.
  Decision CurrentDecision(std::string_view subject, Purpose purpose, absl::Time now) const;

  // True if the latest decision (whatever its time) is a grant that has not
  // expired at `now`. The SDK asks this before sending: a withdrawal made
  // after an event still stops that event from leaving the device.
  bool CurrentlyAllows(std::string_view subject, Purpose purpose, absl::Time now) const;

  // The latest decision (unknown if none), ignoring expiry.
  PurposeState Get(std::string_view subject, Purpose purpose) const;

  // Every subject with at least one decision, in no particular order.
  std::vector<std::string> Subjects() const;

  // Forgets every decision of `subject`.
  void Forget(std::string_view subject);

 private:
  // Decisions of one (user, purpose), oldest first.
  using History = std::vector<PurposeState>;
  // One history per purpose, indexed by the Purpose value.
  using PerPurpose = std::array<History, static_cast<size_t>(Purpose::kFeedback) + 1>;
  const History* Find(std::string_view subject, Purpose purpose) const;
  // Keyed by subject so a lookup by string_view copies nothing.
  absl::flat_hash_map<std::string, PerPurpose> states_;
};

}  // namespace cairn::consent

#endif  // CAIRN_CONSENT_CONSENT_STATE_H_
