// Client creation, the public API, and the record path (caller threads).
#include "cairn/client.h"
#include "absl/time/clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cairn/common/crypto.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/strings.h"
#include "sdk/src/upload/batch_encoder.h"
#include "sdk/src/client_impl.h"
#include "sdk/src/upload/curl_transport.h"

namespace cairn {
namespace {

using cairn::v1::DropReason;

// Host part of an http(s) URL, lowercased, without port or brackets.
std::string UrlHost(std::string_view url) {
  size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  std::string_view rest = url.substr(start);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    rest = rest.substr(1, rest.find(']') - 1);
  } else {
    rest = rest.substr(0, rest.find(':'));
  }
  return absl::AsciiStrToLower(ToAbsl(rest));
}

// Loopback means a literal 127.0.0.0/8 or ::1 address, or "localhost"; a
// name like "127.0.0.1.example.com" is not.
bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

absl::Status ValidateOptions(const Options& options) {
  if (options.collector_url.empty()) return absl::InvalidArgumentError("collector_url is required");
  if (options.write_key.empty()) return absl::InvalidArgumentError("write_key is required");
  if (options.storage_dir.empty()) return absl::InvalidArgumentError("storage_dir is required");
  std::string scheme = absl::AsciiStrToLower(
      options.collector_url.substr(0, options.collector_url.find("://")));
  if (scheme == "http") {
    if (!options.allow_insecure_http && !IsLoopbackHost(UrlHost(options.collector_url))) {
      return absl::InvalidArgumentError(
          "plain http:// is refused except to a loopback host; use https:// "
          "(or set allow_insecure_http, never in production)");
    }
  } else if (scheme != "https") {
    return absl::InvalidArgumentError("collector_url must start with https:// or http://");
  }
  if (options.max_batch_events == 0 || options.max_batch_bytes == 0 ||
      options.queue_capacity == 0 || options.commit_max_events == 0) {
    return absl::InvalidArgumentError("batch, queue and commit bounds must be positive");
  }
  if (options.min_backoff <= absl::ZeroDuration() || options.max_backoff < options.min_backoff) {
    return absl::InvalidArgumentError("need 0 < min_backoff <= max_backoff");
  }
  if (options.attribute_allowlist.size() > kMaxAttributes) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute_allowlist: at most ", kMaxAttributes, " keys"));
  }
  for (const std::string& key : options.attribute_allowlist) {
    if (!IsValidId(key, kMaxAttributeKeyBytes)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "attribute_allowlist: keys are 1-", kMaxAttributeKeyBytes, " printable bytes"));
    }
  }
  if (options.renewal_notifications_default == Options::RenewalDefault::kSoftOptIn &&
      (options.renewal_default_policy_version.empty() ||
       options.renewal_default_policy_version.size() > kMaxPolicyFieldBytes ||
       options.renewal_default_policy_id.size() > kMaxPolicyFieldBytes)) {
    return absl::InvalidArgumentError(
        "renewal soft opt-in needs renewal_default_policy_version (at most 128 bytes)");
  }
  return absl::OkStatus();
}

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
  for (const std::string* field : {&r.policy_id, &r.policy_version, &r.source_surface}) {
    if (field->size() > kMaxPolicyFieldBytes || !IsValidUtf8(*field)) {
      return absl::InvalidArgumentError(
          "policy id, policy version and source surface: at most 128 bytes of UTF-8");
    }
  }
  return absl::OkStatus();
}

// Purposes whose events the SDK records: a grant of one of them is what
// brings the buffer and the install id into existence.
bool RecordsEvents(consent::Purpose purpose) {
  return purpose == consent::Purpose::kUsageAnalytics || purpose == consent::Purpose::kMilestones;
}

// One Event per thread, cleared and refilled by each record call: Clear keeps
// the allocated submessages and string capacity, so a steady stream of record
// calls allocates almost nothing for the message itself.
cairn::v1::Event& ScratchEvent() {
  thread_local cairn::v1::Event event;
  event.Clear();
  return event;
}

// `s` as a JSON string literal. Control characters are escaped; other bytes
// pass through (every string the SDK stores is valid UTF-8).
std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out.push_back(c);
        }
    }
  }
  out += "\"";
  return out;
}

std::string JsonTime(absl::Time t) {
  return JsonString(ToStd(absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone())));
}

// Keeps the newest few damaged buffers for inspection, never an unbounded pile.
constexpr int kKeptQuarantinedFiles = 2;

void MoveAside(const std::string& path, absl::Time now) {
  std::string suffix = absl::StrCat(".corrupt-", absl::ToUnixMillis(now));
  std::error_code ec;
  for (const char* part : {"", "-wal", "-shm"}) {
    std::string from = path + part;
    if (std::filesystem::exists(from, ec)) {
      std::filesystem::rename(from, absl::StrCat(path, suffix, part), ec);
      if (ec) std::filesystem::remove(from, ec);
    }
  }
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::string prefix = std::filesystem::path(path).filename().string() + ".corrupt-";
  std::vector<std::filesystem::path> kept;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.find('-', prefix.size()) == std::string::npos) {
      kept.push_back(entry.path());
    }
  }
  std::sort(kept.begin(), kept.end());  // same-width millisecond stamps: oldest first
  for (size_t i = 0; i + kKeptQuarantinedFiles < kept.size(); ++i) {
    for (const char* part : {"", "-wal", "-shm"}) {
      std::filesystem::remove(kept[i].string() + part, ec);
    }
  }
}

// Opens the buffer; a damaged file is moved aside (and counted in
// `quarantined`) and a fresh one started, so the app keeps working.
absl::StatusOr<std::unique_ptr<sdk::EventBuffer>> OpenOrQuarantine(const std::string& path,
                                                                   uint64_t max_file_bytes,
                                                                   uint64_t& quarantined) {
  absl::StatusOr<std::unique_ptr<sdk::EventBuffer>> buffer =
      sdk::EventBuffer::Open(path, max_file_bytes);
  absl::Status status = buffer.ok() ? (*buffer)->Check() : buffer.status();
  if (status.ok()) return buffer;
  if (!absl::IsDataLoss(status)) return status;
  buffer = absl::StatusOr<std::unique_ptr<sdk::EventBuffer>>();  // closes the file
  MoveAside(path, absl::Now());
  ++quarantined;
  return sdk::EventBuffer::Open(path, max_file_bytes);
}

}  // namespace

// ---------------------------------------------------------------- Client ---

absl::StatusOr<std::unique_ptr<Client>> Client::Create(Options options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(options.storage_dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create storage_dir: ", ec.message()));
  }
  Clock* clock = options.clock ? options.clock : SystemClock();
  std::shared_ptr<Transport> transport = options.transport;
  if (!transport) transport = std::make_shared<sdk::CurlTransport>(options.ca_bundle_path);
  auto impl = std::make_unique<Impl>(std::move(options), clock, std::move(transport));
  if (absl::Status s = impl->Open(); !s.ok()) return s;
  impl->Start();
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() { impl_->Shutdown(absl::Now() + absl::Seconds(5)).IgnoreError(); }

absl::Status Client::SetConsent(const ConsentRequest& request) {
  return impl_->SetConsent(request);
}

absl::Status Client::SetRenewalNotifications(std::string_view account_id,
                                             std::string_view user_id, bool allowed,
                                             std::string_view policy_version,
                                             std::string_view source_surface) {
  ConsentRequest request;
  request.account_id = std::string(account_id);
  request.user_id = std::string(user_id);
  request.purpose = consent::Purpose::kRenewalNotifications;
  request.decision = allowed ? consent::Decision::kGranted : consent::Decision::kDenied;
  request.policy_version = std::string(policy_version);
  request.source_surface = std::string(source_surface);
  return impl_->SetConsent(request);
}

consent::Decision Client::GetConsent(std::string_view user_id, consent::Purpose purpose) const {
  return impl_->GetConsent(user_id, purpose);
}

std::vector<ConsentChoice> Client::GetConsentChoices(std::string_view user_id) const {
  return impl_->GetConsentChoices(user_id);
}

absl::StatusOr<std::string> Client::ExportLocalData(std::string_view user_id) {
  return impl_->ExportLocalData(user_id);
}

absl::Status Client::EraseLocalData(std::string_view user_id) {
  return impl_->EraseLocalData(user_id);
}

std::string Client::WireUserId(std::string_view user_id) const {
  return impl_->WireUserId(user_id);
}

absl::Status Client::RecordLogin(std::string_view account_id, std::string_view user_id,
                                 std::string_view method) {
  return impl_->RecordLogin(account_id, user_id, method);
}

absl::Status Client::RecordLogout() { return impl_->RecordLogout(); }
absl::Status Client::RecordSessionEnd() { return impl_->RecordSessionEnd(); }

absl::Status Client::RecordMilestone(std::string_view name, std::optional<double> value,
                                     const Attributes& attributes) {
  return impl_->RecordMilestone(name, value, attributes);
}

absl::Status Client::Flush(absl::Time deadline) { return impl_->Flush(deadline); }
absl::Status Client::Shutdown(absl::Time deadline) { return impl_->Shutdown(deadline); }
Stats Client::GetStats() const { return impl_->GetStats(); }

// ---------------------------------------------------------- record path ---

Client::Impl::Impl(Options options, Clock* clock, std::shared_ptr<Transport> transport)
    : options_(std::move(options)),
      clock_(clock),
      transport_(std::move(transport)),
      endpoint_(absl::StrCat(absl::StripSuffix(options_.collector_url, "/"), "/v1/batch")),
      buffer_path_((std::filesystem::path(options_.storage_dir) / "cairn-buffer.db").string()),
      consent_path_((std::filesystem::path(options_.storage_dir) / "consent.db").string()),
      backoff_(options_.min_backoff, options_.max_backoff, options_.jitter_seed) {}

absl::Status Client::Impl::Open() {
  std::error_code ec;
  if (std::filesystem::exists(consent_path_, ec)) {
    absl::StatusOr<std::unique_ptr<consent::SqliteConsentLog>> log =
        consent::SqliteConsentLog::Open(consent_path_);
    if (!log.ok() && !absl::IsDataLoss(log.status())) return log.status();
    if (log.ok()) {
      absl::StatusOr<std::vector<consent::LogEntry>> entries = (*log)->LoadAll();
      if (!entries.ok()) return entries.status();
      for (const consent::LogEntry& e : *entries) {
        // A record this build refuses cannot grant anything: skip it.
        consent_.Apply(e.record).IgnoreError();
        if (e.delivered && consent_settled_through_ == consent_last_position_) {
          consent_settled_through_ = e.position;
        }
        consent_last_position_ = e.position;
      }
      consent_log_ = std::move(*log);
    } else {
      // The decisions are lost: every purpose reads as unknown (deny) until
      // the user decides again. The loss is counted like a damaged buffer.
      MoveAside(consent_path_, absl::Now());
      CountDrop(cairn::v1::DROP_REASON_CORRUPT_BUFFER, 1);
    }
  }
  bool needs_buffer = std::filesystem::exists(buffer_path_, ec);
  const absl::Time now = clock_->Now();
  for (const std::string& subject : consent_.Subjects()) {
    for (consent::Purpose p : consent::kConsentablePurposes) {
      if (RecordsEvents(p) && consent_.CurrentlyAllows(subject, p, now)) needs_buffer = true;
    }
  }
  if (needs_buffer) return EnsureStorage();
  return absl::OkStatus();
}

absl::Status Client::Impl::EnsureStorage() {
  std::lock_guard lock(storage_mu_);
  if (storage_ready_.load(std::memory_order_acquire)) return absl::OkStatus();
  uint64_t quarantined = 0;
  absl::StatusOr<std::unique_ptr<sdk::EventBuffer>> writer =
      OpenOrQuarantine(buffer_path_, options_.max_buffer_file_bytes, quarantined);
  if (!writer.ok()) return writer.status();
  absl::StatusOr<std::unique_ptr<sdk::EventBuffer>> sender =
      sdk::EventBuffer::Open(buffer_path_, options_.max_buffer_file_bytes);
  if (!sender.ok()) return sender.status();
  absl::StatusOr<std::string> install_id = (*writer)->InstallId();
  if (!install_id.ok()) return install_id.status();
  absl::StatusOr<int64_t> last = (*writer)->LastSequence();
  if (!last.ok()) return last.status();
  absl::StatusOr<std::optional<int64_t>> oldest = (*writer)->OldestSequence();
  if (!oldest.ok()) return oldest.status();
  absl::StatusOr<sdk::BufferSize> size = (*writer)->Size();
  if (!size.ok()) return size.status();
  {
    std::lock_guard write(write_mu_);
    buffer_ = std::move(*writer);
  }
  sender_buffer_ = std::move(*sender);  // the sender waits for storage_ready_
  install_id_ = std::move(*install_id);
  {
    std::lock_guard queue(queue_mu_);
    next_sequence_ = *last + 1;
  }
  {
    std::lock_guard progress(progress_mu_);
    persisted_through_ = *last;
    settled_through_ = *oldest ? **oldest - 1 : *last;
  }
  buffered_rows_ = static_cast<int64_t>(size->rows);
  buffered_bytes_ = static_cast<int64_t>(size->bytes);
  // The events in a damaged buffer cannot be counted; each file moved aside
  // is reported once so the loss is visible at the collector.
  CountDrop(cairn::v1::DROP_REASON_CORRUPT_BUFFER, quarantined);
  storage_ready_.store(true, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status Client::Impl::EnsureConsentLog() {
  std::lock_guard lock(log_mu_);
  if (consent_log_) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<consent::SqliteConsentLog>> log =
      consent::SqliteConsentLog::Open(consent_path_);
  if (!log.ok()) return log.status();
  consent_log_ = std::move(*log);
  return absl::OkStatus();
}

std::string Client::Impl::Subject(std::string_view user_id) const {
  if (options_.user_id_hmac_key.empty()) return std::string(user_id);
  return ToHex(HmacSha256(options_.user_id_hmac_key, user_id));
}

std::string Client::Impl::WireUserId(std::string_view user_id) const { return Subject(user_id); }

absl::Status Client::Impl::SetConsent(const ConsentRequest& request) {
  if (absl::Status s = ValidateConsentRequest(request); !s.ok()) return s;
  if (closed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("the client is shut down");
  }
  consent::ConsentRecord record;
  record.subject = Subject(request.user_id);
  record.purpose = request.purpose;
  record.decision = request.decision;
  record.policy_id = request.policy_id;
  record.policy_version = request.policy_version;
  record.source_sdk_version = std::string(kSdkVersion);
  record.source_surface = request.source_surface;
  record.expires_at = request.expires_at;

  std::lock_guard lock(consent_mu_);
  if (record.decision == consent::Decision::kGranted && RecordsEvents(record.purpose)) {
    if (absl::Status s = EnsureStorage(); !s.ok()) return s;
  }
  if (record.purpose != consent::Purpose::kRenewalNotifications) {
    if (absl::Status s = ApplyRenewalDefault(request.account_id, record.subject); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = AppendDecision(record, request.account_id); !s.ok()) return s;
  if (record.decision == consent::Decision::kDenied) {
    absl::StatusOr<uint64_t> purged =
        PurgeUser(record.subject, static_cast<int>(consent::ToWire(record.purpose)));
    if (!purged.ok()) return purged.status();
    CountDrop(cairn::v1::DROP_REASON_CONSENT_WITHDRAWN, *purged);
  }
  return absl::OkStatus();
}

absl::Status Client::Impl::AppendDecision(consent::ConsentRecord record,
                                          const std::string& account_id) {
  if (absl::Status s = EnsureConsentLog(); !s.ok()) return s;
  absl::Time now = clock_->Now();
  {
    // Decisions of one user and purpose are ordered by device time: a clock
    // set back must not put a withdrawal before the grant it withdraws.
    std::shared_lock lock(identity_mu_);
    consent::PurposeState previous = consent_.Get(record.subject, record.purpose);
    if (previous.decision != consent::Decision::kUnknown && now <= previous.decided_at) {
      now = previous.decided_at + absl::Microseconds(1);
    }
  }
  record.device_time = now;
  consent::LogEntry entry;
  entry.record = record;
  entry.account_id = account_id;
  entry.event_id = ids_.Next(now);
  absl::StatusOr<int64_t> position;
  {
    std::lock_guard lock(log_mu_);
    position = consent_log_->Append(entry);
  }
  if (!position.ok()) return position.status();
  {
    // Applied after it is durable: a grant is in the outbox before any event
    // it allows can be recorded, so it always travels first.
    std::unique_lock lock(identity_mu_);
    if (absl::Status s = consent_.Apply(record); !s.ok()) return s;
    if (record.decision == consent::Decision::kDenied) purge_epoch_.fetch_add(1);
  }
  {
    std::lock_guard lock(progress_mu_);
    consent_last_position_ = std::max(consent_last_position_, *position);
  }
  sender_wake_.notify_one();
  return absl::OkStatus();
}

absl::Status Client::Impl::ApplyRenewalDefault(const std::string& account_id,
                                               const std::string& subject) {
  if (options_.renewal_notifications_default != Options::RenewalDefault::kSoftOptIn) {
    return absl::OkStatus();
  }
  {
    std::shared_lock lock(identity_mu_);
    if (consent_.Get(subject, consent::Purpose::kRenewalNotifications).decision !=
        consent::Decision::kUnknown) {
      return absl::OkStatus();  // decided before, by the vendor default or the user
    }
  }
  consent::ConsentRecord record;
  record.subject = subject;
  record.purpose = consent::Purpose::kRenewalNotifications;
  record.decision = consent::Decision::kGranted;
  record.policy_id = options_.renewal_default_policy_id;
  record.policy_version = options_.renewal_default_policy_version;
  record.source_sdk_version = std::string(kSdkVersion);
  record.source_surface = "vendor_default";
  return AppendDecision(std::move(record), account_id);
}

absl::StatusOr<uint64_t> Client::Impl::PurgeUser(const std::string& subject,
                                                  std::optional<int> purpose) {
  uint64_t purged = 0;
  std::lock_guard write(write_mu_);
  {
    // Queued events stay in place as tombstones, so the writer still
    // publishes their sequence numbers and Flush is not left waiting.
    std::lock_guard queue(queue_mu_);
    for (sdk::BufferedEvent& e : queue_) {
      if (e.tombstone || e.user_id != subject || (purpose && e.purpose != *purpose)) continue;
      e.tombstone = true;
      std::string().swap(e.payload);
      ++purged;
    }
  }
  if (storage_ready_.load(std::memory_order_acquire)) {
    absl::StatusOr<sdk::BufferSize> removed = buffer_->RemoveUser(subject, purpose);
    if (!removed.ok()) return removed.status();
    buffered_rows_.fetch_sub(static_cast<int64_t>(removed->rows));
    buffered_bytes_.fetch_sub(static_cast<int64_t>(removed->bytes));
    purged += removed->rows;
    if (removed->rows > 0) sender_wake_.notify_one();  // settled-through moves
  }
  return purged;
}

consent::Decision Client::Impl::GetConsent(std::string_view user_id,
                                           consent::Purpose purpose) const {
  const std::string subject = Subject(user_id);
  std::shared_lock lock(identity_mu_);
  return consent_.DecisionAt(subject, purpose, clock_->Now());
}

std::vector<ConsentChoice> Client::Impl::GetConsentChoices(std::string_view user_id) const {
  const std::string subject = Subject(user_id);
  std::vector<ConsentChoice> choices;
  std::shared_lock lock(identity_mu_);
  for (consent::Purpose p : consent::kConsentablePurposes) {
    choices.push_back(ConsentChoice{p, consent_.Get(subject, p)});
  }
  return choices;
}

// ---------------------------------------------------------- local rights ---

void Client::Impl::ToEvent(const consent::LogEntry& entry, cairn::v1::Event* event) {
  event->set_event_id(entry.event_id);
  event->set_account_id(entry.account_id);
  event->set_user_id(entry.record.subject);
  ToProto(entry.record.device_time, event->mutable_occurred_at());
  event->set_purpose(cairn::v1::PURPOSE_CONSENT_RECORD);
  consent::ToConsentChange(entry.record, event->mutable_consent_change());
}

absl::StatusOr<std::string> Client::Impl::ExportLocalData(std::string_view user_id) {
  const std::string subject = Subject(user_id);
  std::lock_guard lock(consent_mu_);
  std::vector<consent::LogEntry> records;
  {
    std::lock_guard log(log_mu_);
    if (consent_log_) {
      absl::StatusOr<std::vector<consent::LogEntry>> all = consent_log_->LoadAll();
      if (!all.ok()) return all.status();
      for (consent::LogEntry& e : *all) {
        if (e.record.subject == subject) records.push_back(std::move(e));
      }
    }
  }
  std::vector<sdk::BufferedEvent> events;
  {
    // With write_mu_ held the writer is between commits: every event of the
    // user is either durable or still queued.
    std::lock_guard write(write_mu_);
    if (storage_ready_.load(std::memory_order_acquire)) {
      absl::StatusOr<std::vector<sdk::BufferedEvent>> durable = buffer_->ReadUser(subject);
      if (!durable.ok()) return durable.status();
      events = std::move(*durable);
    }
    std::lock_guard queue(queue_mu_);
    for (const sdk::BufferedEvent& e : queue_) {
      if (!e.tombstone && e.user_id == subject) events.push_back(e);
    }
  }
  std::string out = absl::StrCat("{\"user_id\":", JsonString(subject), ",\"pseudonymised\":",
                                 options_.user_id_hmac_key.empty() ? "false" : "true",
                                 ",\"consent_records\":[");
  for (size_t i = 0; i < records.size(); ++i) {
    const consent::LogEntry& e = records[i];
    const consent::ConsentRecord& r = e.record;
    absl::StrAppend(&out, i ? "," : "", "{\"event_id\":", JsonString(e.event_id),
                    ",\"account_id\":", JsonString(e.account_id),
                    ",\"purpose\":", JsonString(consent::PurposeName(r.purpose)),
                    ",\"decision\":", JsonString(consent::DecisionName(r.decision)),
                    ",\"policy_id\":", JsonString(r.policy_id),
                    ",\"policy_version\":", JsonString(r.policy_version),
                    ",\"device_time\":", JsonTime(r.device_time),
                    ",\"source_sdk_version\":", JsonString(r.source_sdk_version),
                    ",\"source_surface\":", JsonString(r.source_surface));
    if (r.expires_at) absl::StrAppend(&out, ",\"expires_at\":", JsonTime(*r.expires_at));
    absl::StrAppend(&out, ",\"delivered\":", e.delivered ? "true" : "false", "}");
  }
  absl::StrAppend(&out, "],\"events\":[");
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.preserve_proto_field_names = true;
  cairn::v1::Event event;
  for (size_t i = 0; i < events.size(); ++i) {
    if (!event.ParseFromString(events[i].payload)) {
      return absl::DataLossError("a buffered event cannot be read");
    }
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(event, &json, json_options).ok()) {
      return absl::InternalError("an event cannot be rendered as JSON");
    }
    absl::StrAppend(&out, i ? "," : "", json);
  }
  absl::StrAppend(&out, "]}");
  return out;
}

absl::Status Client::Impl::EraseLocalData(std::string_view user_id) {
  const std::string subject = Subject(user_id);
  std::lock_guard lock(consent_mu_);
  absl::StatusOr<uint64_t> erased = PurgeUser(subject, std::nullopt);
  if (!erased.ok()) return erased.status();
  erased_.fetch_add(*erased);
  {
    // After the delete: an in-flight batch built before it is rebuilt from
    // what is left before it goes out again.
    std::unique_lock identity(identity_mu_);
    purge_epoch_.fetch_add(1);
  }
  return absl::OkStatus();
}

absl::Status Client::Impl::CheckIdentityConsent(const Identity& identity,
                                                cairn::v1::Purpose purpose, absl::Time now,
                                                uint64_t& epoch) const {
  std::optional<consent::Purpose> p = consent::FromWire(purpose);
  std::shared_lock lock(identity_mu_);  // consent_ shares the identity lock
  epoch = purge_epoch_.load();
  if (!p || !consent_.Allows(identity.user_id, *p, now)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "no consent for purpose ", ToAbsl(p ? consent::PurposeName(*p) : "unknown"),
        ": nothing was recorded"));
  }
  return absl::OkStatus();
}

absl::Status Client::Impl::RecordLogin(std::string_view account_id, std::string_view user_id,
                                       std::string_view method) {
  if (!IsValidId(account_id) || !IsValidId(user_id)) {
    return absl::InvalidArgumentError("account and user ids must be 1-128 printable bytes");
  }
  if (method.size() > kMaxIdBytes || !IsValidUtf8(method)) {
    return absl::InvalidArgumentError("login method: at most 128 bytes of UTF-8");
  }
  absl::Time now = clock_->Now();
  auto identity = std::make_shared<const Identity>(
      Identity{std::string(account_id), Subject(user_id), ids_.Next(now), now});
  if (options_.renewal_notifications_default == Options::RenewalDefault::kSoftOptIn &&
      !closed_.load(std::memory_order_acquire)) {
    std::lock_guard lock(consent_mu_);
    if (absl::Status s = ApplyRenewalDefault(identity->account_id, identity->user_id); !s.ok()) {
      return s;
    }
  }
  {
    std::unique_lock lock(identity_mu_);
    identity_ = identity;
  }
  cairn::v1::Event& event = ScratchEvent();
  event.mutable_login()->set_method(method.data(), method.size());
  return Enqueue(*identity, event);
}

absl::Status Client::Impl::RecordLogout() {
  std::shared_ptr<const Identity> identity;
  {
    std::unique_lock lock(identity_mu_);
    identity.swap(identity_);
  }
  if (!identity) return absl::FailedPreconditionError("no user is signed in");
  cairn::v1::Event& event = ScratchEvent();
  event.mutable_logout();
  return Enqueue(*identity, event);
}

absl::Status Client::Impl::RecordSessionEnd() {
  std::shared_ptr<const Identity> identity;
  {
    std::unique_lock lock(identity_mu_);
    identity = identity_;
    if (identity_ && !identity_->session_id.empty()) {
      Identity without_session = *identity_;  // later events have no session
      without_session.session_id.clear();
      identity_ = std::make_shared<const Identity>(std::move(without_session));
    }
  }
  if (!identity) return absl::FailedPreconditionError("no user is signed in");
  if (identity->session_id.empty()) return absl::FailedPreconditionError("no open session");
  cairn::v1::Event& event = ScratchEvent();
  ToProto(std::max(absl::ZeroDuration(), clock_->Now() - identity->login_time),
          event.mutable_session_end()->mutable_duration());
  return Enqueue(*identity, event);
}

absl::Status Client::Impl::RecordMilestone(std::string_view name, std::optional<double> value,
                                           const Attributes& attributes) {
  if (!IsValidMilestoneName(name)) {
    return absl::InvalidArgumentError("milestone names are 1-128 of [A-Za-z0-9_.:-]");
  }
  std::shared_ptr<const Identity> identity;
  {
    std::shared_lock lock(identity_mu_);
    identity = identity_;
  }
  if (!identity) return absl::FailedPreconditionError("no user is signed in");
  cairn::v1::Event& event = ScratchEvent();
  cairn::v1::Milestone* milestone = event.mutable_milestone();
  milestone->set_name(name.data(), name.size());
  if (value) milestone->set_value(*value);
  // Minimisation: only allowlisted attributes within their bounds are kept.
  uint64_t filtered = 0;
  for (const auto& [key, val] : attributes) {
    if (!options_.attribute_allowlist.contains(key) || val.size() > kMaxAttributeValueBytes ||
        !IsValidUtf8(val) || static_cast<size_t>(event.attributes_size()) >= kMaxAttributes) {
      ++filtered;
      continue;
    }
    (*event.mutable_attributes())[key] = val;
  }
  absl::Status status = Enqueue(*identity, event);
  if (status.ok()) CountDrop(cairn::v1::DROP_REASON_ATTRIBUTE_FILTERED, filtered);
  return status;
}

absl::Status Client::Impl::Enqueue(const Identity& identity, cairn::v1::Event& event) {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("the client is shut down");
  }
  absl::Time now = clock_->Now();
  cairn::v1::Purpose purpose = RequiredPurpose(event);
  uint64_t epoch = 0;
  if (absl::Status s = CheckIdentityConsent(identity, purpose, now, epoch); !s.ok()) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  event.set_event_id(ids_.Next(now));
  event.set_account_id(identity.account_id);
  event.set_user_id(identity.user_id);
  event.set_session_id(identity.session_id);
  event.set_purpose(purpose);
  ToProto(now, event.mutable_occurred_at());
  sdk::BufferedEvent buffered;
  buffered.user_id = identity.user_id;
  buffered.purpose = purpose;
  buffered.created_ms = absl::ToUnixMillis(now);
  buffered.epoch = epoch;
  // Sized once, with room for the sequence stamped under the queue lock: no
  // second size pass and no reallocation when it is appended.
  const size_t size = event.ByteSizeLong();
  buffered.payload.reserve(size + sdk::kMaxSequenceFieldBytes);
  buffered.payload.resize(size);
  event.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(buffered.payload.data()));
  bool full = false;
  bool wake_writer = false;
  int64_t sequence = 0;
  {
    std::unique_lock lock(queue_mu_);
    // Events the writer holds but has not committed count too: the bound is
    // on memory, wherever the events sit.
    auto has_room = [this] { return queue_.size() + in_writer_ < options_.queue_capacity; };
    if (!has_room() &&
        options_.queue_full_policy == Options::QueueFullPolicy::kBlockWithDeadline) {
      queue_space_.wait_for(lock, absl::ToChronoNanoseconds(options_.enqueue_timeout), has_room);
    }
    full = !has_room();
    if (!full) {
      // The first event of a drain wakes the writer (it takes all that
      // follow), and so does a full commit's worth or a durable caller.
      wake_writer = queue_.empty() || queue_.size() + 1 == options_.commit_max_events ||
                    options_.durable_records;
      sequence = buffered.sequence = next_sequence_++;
      sdk::AppendSequenceField(buffered.payload, static_cast<uint64_t>(buffered.sequence));
      queue_.push_back(std::move(buffered));
      if (options_.durable_records) writer_urgent_through_ = sequence;
    }
  }
  if (wake_writer) writer_wake_.notify_one();
  if (full) {
    CountDrop(cairn::v1::DROP_REASON_QUEUE_FULL, 1);
    return absl::ResourceExhaustedError("event queue full: event dropped and counted");
  }
  recorded_.fetch_add(1, std::memory_order_relaxed);
  if (options_.durable_records) {
    std::unique_lock lock(progress_mu_);
    if (!progress_changed_.wait_for(lock, absl::ToChronoNanoseconds(options_.durable_timeout),
                                    [&] { return persisted_through_ >= sequence; })) {
      return absl::DeadlineExceededError("event queued but not yet durable");
    }
    for (const auto& [first, last] : failed_writes_) {
      if (sequence >= first && sequence <= last) {
        return absl::ResourceExhaustedError("the device could not write the event: dropped and counted");
      }
    }
  }
  return absl::OkStatus();
}

void Client::Impl::CountDrop(DropReason reason, uint64_t n) {
  if (n == 0) return;
  std::lock_guard lock(drops_mu_);
  unreported_drops_[reason] += n;
  total_drops_[reason] += n;
}

Stats Client::Impl::GetStats() const {
  Stats stats;
  stats.recorded = recorded_.load();
  stats.refused_no_consent = refused_.load();
  stats.persisted = persisted_.load();
  stats.sent = sent_.load();
  stats.acknowledged = acknowledged_.load();
  stats.duplicates = duplicates_.load();
  stats.retries = retries_.load();
  stats.batches_acknowledged = batches_acknowledged_.load();
  stats.erased = erased_.load();
  stats.buffered_rows = static_cast<uint64_t>(std::max<int64_t>(0, buffered_rows_.load()));
  stats.buffered_bytes = static_cast<uint64_t>(std::max<int64_t>(0, buffered_bytes_.load()));
  {
    std::lock_guard lock(drops_mu_);
    stats.dropped = total_drops_;
  }
  std::lock_guard lock(progress_mu_);
  stats.last_error = last_error_;
  stats.consent_changes_pending =
      static_cast<uint64_t>(consent_last_position_ - consent_settled_through_);
  return stats;
}

}  // namespace cairn
