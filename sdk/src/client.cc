// Client creation, the public API, and the record path (caller threads).
#include "cairn/client.h"
#include "absl/time/clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <filesystem>
#include <vector>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/strings.h"
#include "sdk/src/batch_encoder.h"
#include "sdk/src/client_impl.h"
#include "sdk/src/curl_transport.h"

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
  return absl::OkStatus();
}

// One Event per thread, cleared and refilled by each record call: Clear keeps
// the allocated submessages and string capacity, so a steady stream of record
// calls allocates almost nothing for the message itself.
cairn::v1::Event& ScratchEvent() {
  thread_local cairn::v1::Event event;
  event.Clear();
  return event;
}

absl::Status ValidateAttributes(const Attributes& attributes) {
  if (attributes.size() > kMaxAttributes) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxAttributes, " attributes"));
  }
  for (const auto& [key, value] : attributes) {
    if (!IsValidId(key, kMaxAttributeKeyBytes) || value.size() > kMaxAttributeValueBytes ||
        !IsValidUtf8(value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "attribute keys are 1-", kMaxAttributeKeyBytes, " printable bytes, values at most ",
          kMaxAttributeValueBytes, " bytes of UTF-8"));
    }
  }
  return absl::OkStatus();
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
  std::string path = (std::filesystem::path(options.storage_dir) / "cairn-buffer.db").string();
  uint64_t quarantined = 0;
  absl::StatusOr<std::unique_ptr<sdk::EventBuffer>> writer =
      OpenOrQuarantine(path, options.max_buffer_file_bytes, quarantined);
  if (!writer.ok()) return writer.status();
  absl::StatusOr<std::unique_ptr<sdk::EventBuffer>> sender =
      sdk::EventBuffer::Open(path, options.max_buffer_file_bytes);
  if (!sender.ok()) return sender.status();
  absl::StatusOr<std::string> install_id = (*writer)->InstallId();
  if (!install_id.ok()) return install_id.status();
  absl::StatusOr<int64_t> last = (*writer)->LastSequence();
  if (!last.ok()) return last.status();
  absl::StatusOr<std::optional<int64_t>> oldest = (*writer)->OldestSequence();
  if (!oldest.ok()) return oldest.status();
  absl::StatusOr<sdk::BufferSize> size = (*writer)->Size();
  if (!size.ok()) return size.status();

  Clock* clock = options.clock ? options.clock : SystemClock();
  std::shared_ptr<Transport> transport = options.transport;
  if (!transport) transport = std::make_shared<sdk::CurlTransport>(options.ca_bundle_path);
  auto impl = std::make_unique<Impl>(std::move(options), clock, std::move(transport),
                                     std::move(*writer), std::move(*sender), *install_id, *last,
                                     *oldest, *size, quarantined);
  impl->Start();
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() { impl_->Shutdown(absl::Now() + absl::Seconds(5)).IgnoreError(); }

absl::Status Client::SetConsent(std::string_view user_id, consent::Purpose purpose,
                                consent::Decision decision, std::string_view policy_version) {
  return impl_->SetConsent(user_id, purpose, decision, policy_version);
}

consent::Decision Client::GetConsent(std::string_view user_id, consent::Purpose purpose) const {
  return impl_->GetConsent(user_id, purpose);
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

Client::Impl::Impl(Options options, Clock* clock, std::shared_ptr<Transport> transport,
                   std::unique_ptr<sdk::EventBuffer> writer_buffer,
                   std::unique_ptr<sdk::EventBuffer> sender_buffer, std::string install_id,
                   int64_t last_sequence, std::optional<int64_t> oldest_buffered,
                   sdk::BufferSize size, uint64_t quarantined_files)
    : options_(std::move(options)),
      clock_(clock),
      transport_(std::move(transport)),
      endpoint_(absl::StrCat(absl::StripSuffix(options_.collector_url, "/"), "/v1/batch")),
      install_id_(std::move(install_id)),
      writer_buffer_(std::move(writer_buffer)),
      sender_buffer_(std::move(sender_buffer)),
      backoff_(options_.min_backoff, options_.max_backoff, options_.jitter_seed),
      next_sequence_(last_sequence + 1),
      persisted_through_(last_sequence),
      settled_through_(oldest_buffered ? *oldest_buffered - 1 : last_sequence) {
  buffered_rows_ = static_cast<int64_t>(size.rows);
  buffered_bytes_ = static_cast<int64_t>(size.bytes);
  // The events in a damaged buffer cannot be counted; each file moved aside
  // is reported once so the loss is visible at the collector.
  CountDrop(cairn::v1::DROP_REASON_CORRUPT_BUFFER, quarantined_files);
}

absl::Status Client::Impl::SetConsent(std::string_view user_id, consent::Purpose purpose,
                                      consent::Decision decision,
                                      std::string_view policy_version) {
  consent::ConsentRecord record;
  record.subject = std::string(user_id);
  record.purpose = purpose;
  record.decision = decision;
  record.policy_version = std::string(policy_version);
  record.device_time = clock_->Now();
  record.source_sdk_version = std::string(kSdkVersion);
  std::unique_lock lock(identity_mu_);
  return consent_.Apply(record);
}

consent::Decision Client::Impl::GetConsent(std::string_view user_id,
                                           consent::Purpose purpose) const {
  std::shared_lock lock(identity_mu_);
  return consent_.DecisionAt(user_id, purpose, clock_->Now());
}

absl::Status Client::Impl::CheckIdentityConsent(const Identity& identity,
                                                cairn::v1::Purpose purpose,
                                                absl::Time now) const {
  std::optional<consent::Purpose> p = consent::FromWire(purpose);
  std::shared_lock lock(identity_mu_);  // consent_ shares the identity lock
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
      Identity{std::string(account_id), std::string(user_id), ids_.Next(now), now});
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
  if (absl::Status s = ValidateAttributes(attributes); !s.ok()) return s;
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
  for (const auto& [key, val] : attributes) (*event.mutable_attributes())[key] = val;
  return Enqueue(*identity, event);
}

absl::Status Client::Impl::Enqueue(const Identity& identity, cairn::v1::Event& event) {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("the client is shut down");
  }
  absl::Time now = clock_->Now();
  cairn::v1::Purpose purpose = RequiredPurpose(event);
  if (absl::Status s = CheckIdentityConsent(identity, purpose, now); !s.ok()) {
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
  stats.buffered_rows = static_cast<uint64_t>(std::max<int64_t>(0, buffered_rows_.load()));
  stats.buffered_bytes = static_cast<uint64_t>(std::max<int64_t>(0, buffered_bytes_.load()));
  {
    std::lock_guard lock(drops_mu_);
    stats.dropped = total_drops_;
  }
  std::lock_guard lock(progress_mu_);
  stats.last_error = last_error_;
  return stats;
}

}  // namespace cairn
