#ifndef CAIRN_COLLECTOR_STORE_CONSENT_RULE_H_
#define CAIRN_COLLECTOR_STORE_CONSENT_RULE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "cairn/consent/consent_state.h"
#include "cairn/v1/batch.pb.h"
#include "cairn/v1/event.pb.h"

namespace cairn::collector {

// The collector's consent rule, stated here and nowhere else. Both stores
// read the facts it needs with set-based queries and let JudgeEvent decide.
//
// An event is stored only if
//  0. it is not a malformed consent change (checked first, from the event
//     alone, so the answer never depends on the user's status);
//  1. its user has no erasure tombstone: a tombstone wins over any grant,
//     and over consent changes too;
//  2. it is a well-formed consent change (consent::RecordFromEvent accepts
//     it; the proof is kept whatever was decided), or it is another event,
//     its purpose is known and either needs no consent or had a live grant
//     when the event occurred:
//     - "when it occurred" is the event's occurred_at on the device clock,
//       in whole microseconds (ConsentMomentMicros), the clock and unit the
//       consent records are dated in;
//     - the decision in force then is the latest (user, purpose) decision
//       dated at or before that moment, whatever order the decisions
//       arrived in; of decisions dated alike, the one stored last wins;
//     - a grant whose expiry is at or before the moment counts as no
//       decision, and no decision means no consent.
// The selection in the last two points is consent::DecisionInForce, which
// the SDK's ConsentState uses too, so device and collector cannot disagree.
//
// What a backend must hand JudgeEvent for an event that NeedsDecisions:
// the (user, purpose) decisions sorted by (device time, stored order),
// containing at least every decision from the latest one dated at or
// before the earliest moment it judges through the latest such moment (a
// superset is fine). DecisionFromRow turns a stored row into one.

// What the rule says about one event.
enum class ConsentVerdict {
  kAllowed,
  kUserErased,  // REJECT_REASON_USER_ERASED
  kNoConsent,   // REJECT_REASON_NO_CONSENT
  // A consent change RecordFromEvent refuses: REJECT_REASON_MISSING_POLICY_VERSION
  // without a policy version, else REJECT_REASON_INVALID_CONSENT.
  kMalformedConsent,
};

// The moment consent is judged at: occurred_at in whole microseconds since
// the Unix epoch (rounded down), as consent records are stored. Free.
int64_t ConsentMomentMicros(const cairn::v1::Event& event);

// True if judging `event` needs its (user, purpose) decisions: not a
// consent change, and a known purpose that needs consent. Free.
bool NeedsDecisions(const cairn::v1::Event& event);

// One stored decision row (consent_records: device_time_us, decision as
// stored by StoredDecision, expires_at_us or NULL) as the rule reads it.
// An unknown stored decision reads as kUnknown. Free.
consent::PurposeState DecisionFromRow(int64_t device_time_us, int64_t stored_decision,
                                      std::optional<int64_t> expires_at_us);

// Applies the rule to `event`. `erased`: the user has a tombstone.
// `decisions`: as described above when NeedsDecisions(event), else ignored
// (may be empty). Pure; cost: one backward scan of `decisions`.
ConsentVerdict JudgeEvent(const cairn::v1::Event& event, bool erased,
                          std::span<const consent::PurposeState> decisions);

// Whether a stored renewal_notifications grant may lift its (account,
// user) suppression entry (the user's Art. 21 objection): only the user's
// own act (not consent::IsVendorDefault) that the vendor's backend vouched
// for (`signature_verified`: consent::HasValidGrantSignature, checked at
// ingest, where the signing secret is). Other grants are kept as proof and
// leave the objection in place. Grants where there is no objection need no
// signature. Pure.
bool MayLiftSuppression(const cairn::v1::Event& event, bool signature_verified);

// The rejection reason and the short, fixed detail (free of personal data)
// a store reports for `verdict` (not kAllowed) about `event`. Free.
struct ConsentRefusal {
  cairn::v1::RejectReason reason;
  std::string_view detail;
};
ConsentRefusal RefusalOf(ConsentVerdict verdict, const cairn::v1::Event& event);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_CONSENT_RULE_H_
