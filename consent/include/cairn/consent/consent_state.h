#ifndef CAIRN_CONSENT_CONSENT_STATE_H_
#define CAIRN_CONSENT_CONSENT_STATE_H_

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cairn/consent/purpose.h"

namespace cairn::consent {

enum class Decision { kUnknown, kGranted, kDenied };

// One consent decision as the user made it: what, when, under which policy,
// from where. Records are appended, never edited (Art. 7(1) proof).
struct ConsentRecord {
  std::string subject;         // user id the decision belongs to
  Purpose purpose = Purpose::kUsageAnalytics;
  Decision decision = Decision::kUnknown;
  std::string policy_id;       // which policy document
  std::string policy_version;  // required: the version the user saw
  absl::Time device_time = absl::InfinitePast();     // when, by the device clock
  std::optional<absl::Time> collector_time;          // when the collector got it
  std::string source_sdk_version;                    // which SDK recorded it
  std::string source_surface;                        // which UI asked
  std::optional<absl::Time> expires_at;              // end of a grant's validity
};

// Checks a record before it is applied: a consentable purpose, a granted or
// denied decision, a non-empty subject and policy version (InvalidArgument).
absl::Status ValidateRecord(const ConsentRecord& record);

// The current decision of one user for one purpose.
struct PurposeState {
  Decision decision = Decision::kUnknown;
  std::string policy_version;
  absl::Time decided_at = absl::InfinitePast();
  std::optional<absl::Time> expires_at;
};

// Current consent per user and purpose, folded from ConsentRecords in the
// order they were made. Pure logic, no IO; not thread-safe (callers lock).
// Memory: one small entry per (user, purpose) decided.
class ConsentState {
 public:
  // Applies a validated record. A record older (by device_time) than the one
  // already applied for the same user and purpose is ignored, so replaying
  // records out of order converges to the same state. Returns InvalidArgument
  // (and changes nothing) for a record ValidateRecord refuses.
  absl::Status Apply(const ConsentRecord& record);

  // The decision for `subject` and `purpose` as of `at`: unknown if never
  // decided; an expired grant reads as unknown.
  Decision DecisionAt(std::string_view subject, Purpose purpose, absl::Time at) const;

  // True if `purpose` may be processed for `subject` at `at`: always for
  // purposes that need no consent, otherwise only with a live grant.
  bool Allows(std::string_view subject, Purpose purpose, absl::Time at) const;

  // The stored state (unknown if none), ignoring expiry.
  PurposeState Get(std::string_view subject, Purpose purpose) const;

  // Forgets every decision of `subject`.
  void Forget(std::string_view subject);

 private:
  // One slot per purpose, indexed by the Purpose value.
  using PerPurpose = std::array<PurposeState, 4>;
  const PurposeState* Find(std::string_view subject, Purpose purpose) const;
  // Keyed by subject so a lookup by string_view copies nothing.
  absl::flat_hash_map<std::string, PerPurpose> states_;
};

}  // namespace cairn::consent

#endif  // CAIRN_CONSENT_CONSENT_STATE_H_
