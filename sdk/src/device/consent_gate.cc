#include "sdk/src/device/consent_gate.h"

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "cairn/common/crypto.h"
#include "cairn/common/strings.h"

namespace cairn::sdk {

std::string WireSubject(const std::string& hmac_key, std::string_view user_id) {
  if (hmac_key.empty()) return std::string(user_id);
  return ToHex(HmacSha256(hmac_key, user_id));
}

bool RecordsEvents(consent::Purpose purpose) {
  return purpose == consent::Purpose::kUsageAnalytics || purpose == consent::Purpose::kMilestones ||
         purpose == consent::Purpose::kFeedback;
}

absl::Status ConsentGate::Check(const std::string& subject, cairn::v1::Purpose purpose,
                                absl::Time now, uint64_t& epoch) const {
  std::optional<consent::Purpose> p = consent::FromWire(purpose);
  std::shared_lock lock(mu_);
  epoch = epoch_.load();
  // The latest decision, not the one dated at or before `now`: it is the
  // one the user made last, whatever the device clock says meanwhile.
  if (!p || !state_.CurrentlyAllows(subject, *p, now)) {
    return absl::PermissionDeniedError(
        absl::StrCat("no consent for purpose ", ToAbsl(p ? consent::PurposeName(*p) : "unknown"),
                     ": nothing was recorded"));
  }
  return absl::OkStatus();
}

uint64_t ConsentGate::RemoveDisallowed(std::vector<BufferedEvent>& events, absl::Time now,
                                       std::optional<uint64_t> trusted_epoch,
                                       std::vector<int64_t>* refused) const {
  uint64_t removed = 0;
  std::shared_lock lock(mu_);
  std::erase_if(events, [&](const BufferedEvent& e) {
    if (e.tombstone) return true;
    if (trusted_epoch && e.epoch == *trusted_epoch) return false;
    std::optional<consent::Purpose> purpose = consent::FromWire(e.purpose);
    if (purpose && state_.CurrentlyAllows(e.user_id, *purpose, now)) return false;
    ++removed;
    if (refused) refused->push_back(e.sequence);
    return true;
  });
  return removed;
}

consent::PurposeState ConsentGate::Get(const std::string& subject, consent::Purpose purpose) const {
  std::shared_lock lock(mu_);
  return state_.Get(subject, purpose);
}

consent::Decision ConsentGate::Current(const std::string& subject, consent::Purpose purpose,
                                       absl::Time now) const {
  std::shared_lock lock(mu_);
  return state_.CurrentDecision(subject, purpose, now);
}

absl::Time ConsentGate::LatestDecisionTime() const {
  absl::Time latest = absl::InfinitePast();
  std::shared_lock lock(mu_);
  for (const std::string& subject : state_.Subjects()) {
    for (consent::Purpose p : consent::kConsentablePurposes) {
      latest = std::max(latest, state_.Get(subject, p).decided_at);
    }
  }
  return latest;
}

std::vector<ConsentChoice> ConsentGate::Choices(const std::string& subject) const {
  std::vector<ConsentChoice> choices;
  std::shared_lock lock(mu_);
  for (consent::Purpose p : consent::kConsentablePurposes) {
    choices.push_back(ConsentChoice{p, state_.Get(subject, p)});
  }
  return choices;
}

bool ConsentGate::AnyoneMayBeRecorded(absl::Time now) const {
  std::shared_lock lock(mu_);
  for (const std::string& subject : state_.Subjects()) {
    for (consent::Purpose p : consent::kConsentablePurposes) {
      if (RecordsEvents(p) && state_.CurrentlyAllows(subject, p, now)) return true;
    }
  }
  return false;
}

absl::Status ConsentGate::Apply(const consent::ConsentRecord& record) {
  std::unique_lock lock(mu_);
  if (absl::Status s = state_.Apply(record); !s.ok()) return s;
  if (record.decision == consent::Decision::kDenied) epoch_.fetch_add(1);
  return absl::OkStatus();
}

void ConsentGate::Load(const consent::ConsentRecord& record) {
  std::unique_lock lock(mu_);
  state_.Apply(record).IgnoreError();
}

void ConsentGate::BumpEpoch() {
  std::unique_lock lock(mu_);
  epoch_.fetch_add(1);
}

}  // namespace cairn::sdk
