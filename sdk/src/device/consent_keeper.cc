#include "sdk/src/device/consent_keeper.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/time/clock.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/strings.h"
#include "sdk/src/device/private_files.h"
#include "sdk/src/device/quarantine.h"

namespace cairn::sdk {

absl::Status ValidateConsentRequest(const ConsentRequest& r) {
  if (!IsValidId(r.account_id) || !IsValidId(r.user_id)) {
    return absl::InvalidArgumentError("account and user ids must be 1-128 printable bytes");
  }
  if (!consent::NeedsConsent(r.purpose) ||
      std::find(consent::kConsentablePurposes.begin(), consent::kConsentablePurposes.end(),
                r.purpose) == consent::kConsentablePurposes.end()) {
    return absl::InvalidArgumentError("not a consentable purpose");
  }
  if (r.decision == consent::Decision::kUnknown) {
    return absl::InvalidArgumentError("a consent decision must grant or deny");
  }
  if (r.policy_version.empty()) {
    return absl::InvalidArgumentError("a consent decision needs the policy version");
  }
  if (r.source_surface == consent::kVendorDefaultSurface) {
    // Reserved for the SDK's own default: a user's act must not read as one.
    return absl::InvalidArgumentError("the source surface \"vendor_default\" is reserved");
  }
  if (r.grant_signature.empty() != !r.signed_at.has_value() ||
      r.grant_signature.size() > kMaxPolicyFieldBytes ||
      !std::all_of(r.grant_signature.begin(), r.grant_signature.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return absl::InvalidArgumentError(
        "a grant signature is lowercase hex of at most 128 bytes and comes with signed_at");
  }
  for (const std::string* field : {&r.policy_id, &r.policy_version, &r.source_surface}) {
    if (field->size() > kMaxPolicyFieldBytes || !IsValidUtf8(*field)) {
      return absl::InvalidArgumentError(
          "policy id, policy version and source surface: at most 128 bytes of UTF-8");
    }
  }
  return absl::OkStatus();
}

ConsentKeeper::ConsentKeeper(const Options& options, StampClock* clock, UuidV7Generator& ids,
                             std::string consent_path, ConsentGate& gate, Writer& writer,
                             Progress& progress, DropCounters& drops)
    : options_(options),
      clock_(clock),
      ids_(ids),
      consent_path_(std::move(consent_path)),
      gate_(gate),
      writer_(writer),
      progress_(progress),
      drops_(drops) {}

absl::Status ConsentKeeper::Open() {
  std::error_code ec;
  if (!std::filesystem::exists(consent_path_, ec)) return absl::OkStatus();
  if (absl::Status s = MakePrivateFile(consent_path_); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<consent::SqliteConsentLog>> log =
      consent::SqliteConsentLog::Open(consent_path_);
  if (!log.ok() && !absl::IsDataLoss(log.status())) return log.status();
  if (!log.ok()) {
    // The decisions are lost: every purpose reads as unknown (deny) until
    // the user decides again. The loss is counted like a damaged buffer.
    MoveAside(consent_path_, absl::Now());
    drops_.Count(cairn::v1::DROP_REASON_CORRUPT_BUFFER, 1);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<consent::LogEntry>> entries = (*log)->LoadAll();
  if (!entries.ok()) return entries.status();
  int64_t last_position = 0;
  int64_t settled_through = 0;
  for (const consent::LogEntry& e : *entries) {
    gate_.Load(e.record);
    if (e.delivered && settled_through == last_position) settled_through = e.position;
    last_position = e.position;
  }
  progress_.RestoreConsent(last_position, settled_through);
  std::lock_guard lock(log_mu_);
  log_ = std::move(*log);
  return absl::OkStatus();
}

absl::Status ConsentKeeper::EnsureLog() {
  std::lock_guard lock(log_mu_);
  if (log_) return absl::OkStatus();
  if (absl::Status s = MakePrivateFile(consent_path_); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<consent::SqliteConsentLog>> log =
      consent::SqliteConsentLog::Open(consent_path_);
  if (!log.ok()) return log.status();
  log_ = std::move(*log);
  return absl::OkStatus();
}

std::string ConsentKeeper::Subject(std::string_view user_id) const {
  return WireSubject(options_.user_id_hmac_key, user_id);
}

absl::Status ConsentKeeper::SetConsent(const ConsentRequest& request) {
  if (absl::Status s = ValidateConsentRequest(request); !s.ok()) return s;
  if (progress_.closed()) return absl::FailedPreconditionError("the client is shut down");
  consent::ConsentRecord record;
  record.subject = Subject(request.user_id);
  record.purpose = request.purpose;
  record.decision = request.decision;
  record.policy_id = request.policy_id;
  record.policy_version = request.policy_version;
  record.source_sdk_version = std::string(kSdkVersion);
  record.source_surface = request.source_surface;
  record.expires_at = request.expires_at;
  record.grant_signature = request.grant_signature;
  record.signed_at = request.signed_at;

  std::lock_guard lock(decide_mu_);
  if (record.decision == consent::Decision::kGranted && RecordsEvents(record.purpose)) {
    if (absl::Status s = writer_.EnsureStorage(); !s.ok()) return s;
  }
  if (record.purpose != consent::Purpose::kRenewalNotifications) {
    if (absl::Status s = ApplyRenewalDefault(request.account_id, record.subject); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = AppendDecision(record, request.account_id); !s.ok()) return s;
  if (record.decision == consent::Decision::kDenied) {
    absl::StatusOr<uint64_t> purged =
        writer_.Purge(record.subject, static_cast<int>(consent::ToWire(record.purpose)));
    if (!purged.ok()) return purged.status();
    drops_.Count(cairn::v1::DROP_REASON_CONSENT_WITHDRAWN, *purged);
  }
  return absl::OkStatus();
}

absl::Status ConsentKeeper::OnIdentified(const std::string& account_id,
                                         const std::string& subject) {
  if (options_.renewal_notifications_default != Options::RenewalDefault::kSoftOptIn ||
      progress_.closed()) {
    return absl::OkStatus();
  }
  std::lock_guard lock(decide_mu_);
  return ApplyRenewalDefault(account_id, subject);
}

absl::Status ConsentKeeper::AppendDecision(consent::ConsentRecord record,
                                           const std::string& account_id) {
  if (absl::Status s = EnsureLog(); !s.ok()) return s;
  absl::Time now = clock_->Now();
  // The device time of a user's decisions for a purpose follows the order
  // they were made in (the consent log's), as the collector orders them by
  // it: a clock set back must not put a withdrawal before the grant it
  // withdraws. The client's clock already never runs back within a run or
  // behind an earlier run's decisions; this covers the rest.
  consent::PurposeState previous = gate_.Get(record.subject, record.purpose);
  if (previous.decision != consent::Decision::kUnknown && now <= previous.decided_at) {
    now = previous.decided_at + absl::Microseconds(1);
    clock_->NotBefore(now);  // and no event it allows is dated before it
  }
  record.device_time = now;
  consent::LogEntry entry;
  entry.record = record;
  entry.account_id = account_id;
  entry.event_id = ids_.Next(now);
  absl::StatusOr<int64_t> position;
  {
    std::lock_guard lock(log_mu_);
    position = log_->Append(entry);
  }
  if (!position.ok()) return position.status();
  // Applied after it is durable and published: a grant is in the outbox,
  // and the sender knows it is pending, before any event it allows can be
  // recorded, so it always travels first.
  progress_.ConsentAppended(*position);
  return gate_.Apply(record);
}

absl::Status ConsentKeeper::ApplyRenewalDefault(const std::string& account_id,
                                                const std::string& subject) {
  if (options_.renewal_notifications_default != Options::RenewalDefault::kSoftOptIn) {
    return absl::OkStatus();
  }
  if (gate_.Get(subject, consent::Purpose::kRenewalNotifications).decision !=
      consent::Decision::kUnknown) {
    return absl::OkStatus();  // decided before, by the vendor default or the user
  }
  consent::ConsentRecord record;
  record.subject = subject;
  record.purpose = consent::Purpose::kRenewalNotifications;
  record.decision = consent::Decision::kGranted;
  record.policy_id = options_.renewal_default_policy_id;
  record.policy_version = options_.renewal_default_policy_version;
  record.source_sdk_version = std::string(kSdkVersion);
  record.source_surface = std::string(consent::kVendorDefaultSurface);
  return AppendDecision(std::move(record), account_id);
}

consent::Decision ConsentKeeper::GetConsent(std::string_view user_id,
                                            consent::Purpose purpose) const {
  return gate_.Current(Subject(user_id), purpose, clock_->Now());
}

std::vector<ConsentChoice> ConsentKeeper::GetConsentChoices(std::string_view user_id) const {
  return gate_.Choices(Subject(user_id));
}

absl::StatusOr<std::vector<consent::LogEntry>> ConsentKeeper::RecordsOf(
    const std::string& subject) {
  std::vector<consent::LogEntry> records;
  std::lock_guard lock(log_mu_);
  if (!log_) return records;
  absl::StatusOr<std::vector<consent::LogEntry>> all = log_->LoadAll();
  if (!all.ok()) return all.status();
  for (consent::LogEntry& e : *all) {
    if (e.record.subject == subject) records.push_back(std::move(e));
  }
  return records;
}

absl::StatusOr<std::vector<consent::LogEntry>> ConsentKeeper::Undelivered(size_t max) {
  std::lock_guard lock(log_mu_);
  if (!log_) return std::vector<consent::LogEntry>();
  return log_->Undelivered(max);
}

absl::Status ConsentKeeper::MarkDelivered(std::span<const int64_t> positions) {
  std::lock_guard lock(log_mu_);
  return log_->MarkDelivered(positions);
}

}  // namespace cairn::sdk
