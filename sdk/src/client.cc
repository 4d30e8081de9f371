// Client creation and the public API, and Client::Impl: the owner that wires
// the parts (see sdk/src/README.md) and keeps their start and stop order.
#include "cairn/client.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "sdk/src/client_impl.h"
#include "sdk/src/device/private_files.h"
#include "sdk/src/upload/curl_transport.h"

namespace cairn {

// ---------------------------------------------------------------- Client ---

absl::StatusOr<std::unique_ptr<Client>> Client::Create(Options options) {
  if (absl::Status s = sdk::ValidateOptions(options); !s.ok()) return s;
  if (absl::Status s = sdk::PrepareStorageDir(options.storage_dir); !s.ok()) return s;
  Clock* clock = options.clock ? options.clock : SystemClock();
  std::shared_ptr<Transport> transport = options.transport;
  if (!transport) transport = std::make_shared<sdk::CurlTransport>(options.ca_bundle_path);
  auto impl = std::make_unique<Impl>(std::move(options), clock, std::move(transport));
  if (absl::Status s = impl->Open(); !s.ok()) return s;
  impl->Start();
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() { impl_->ShutdownWithin(impl_->shutdown_timeout()).IgnoreError(); }

absl::Status Client::SetConsent(const ConsentRequest& request) {
  return impl_->SetConsent(request);
}

absl::Status Client::SetRenewalNotifications(std::string_view account_id, std::string_view user_id,
                                             bool allowed, std::string_view policy_version,
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

RecordResult Client::RecordLogin(std::string_view account_id, std::string_view user_id,
                                 std::string_view method) {
  return impl_->RecordLogin(account_id, user_id, method);
}

RecordResult Client::RecordLogout() { return impl_->RecordLogout(); }
RecordResult Client::RecordSessionEnd() { return impl_->RecordSessionEnd(); }

RecordResult Client::RecordMilestone(std::string_view name, std::optional<double> value,
                                     const Attributes& attributes) {
  return impl_->RecordMilestone(name, value, attributes);
}

RecordResult Client::RecordFeedback(FeedbackKind kind, int score, std::string_view comment,
                                    std::string_view survey_id) {
  return impl_->RecordFeedback(kind, score, comment, survey_id);
}

absl::Status Client::Flush(absl::Time deadline) { return impl_->Flush(deadline); }
void Client::OnNetworkAvailable() { impl_->OnNetworkAvailable(); }
absl::Status Client::Shutdown(absl::Time deadline) { return impl_->Shutdown(deadline); }
Stats Client::GetStats() const { return impl_->GetStats(); }

// --------------------------------------------------------------- Impl ---

Client::Impl::Impl(Options options, Clock* clock, std::shared_ptr<Transport> transport)
    : options_(std::move(options)),
      app_clock_(clock),
      stamp_clock_(clock),
      clock_(&stamp_clock_),
      paths_(sdk::ResolvePaths(options_)),
      progress_(clock_, options_.network_retry_floor),
      queue_(options_, clock_),
      writer_(options_, clock_, paths_.buffer_path, queue_, gate_, progress_, counters_, drops_),
      keeper_(options_, &stamp_clock_, ids_, paths_.consent_path, gate_, writer_, progress_,
              drops_),
      local_data_(options_, keeper_, gate_, writer_, counters_),
      record_path_(options_, clock_, ids_, gate_, keeper_, queue_, progress_, counters_, drops_),
      sender_(options_, clock_, std::move(transport), paths_.endpoint, ids_, writer_, keeper_,
              gate_, progress_, counters_, drops_) {}

Client::Impl::~Impl() {
  if (started_) ShutdownWithin(absl::ZeroDuration()).IgnoreError();
}

absl::Status Client::Impl::Open() {
  if (absl::Status s = writer_.LockStorage(); !s.ok()) return s;  // before any file opens
  if (absl::Status s = keeper_.Open(); !s.ok()) return s;
  // No stamp of this run before the last decision of an earlier one, even
  // with the device clock set back in between.
  stamp_clock_.NotBefore(gate_.LatestDecisionTime());
  std::error_code ec;
  bool needs_buffer = std::filesystem::exists(paths_.buffer_path, ec);
  if (gate_.AnyoneMayBeRecorded(clock_->Now())) needs_buffer = true;
  if (needs_buffer) return writer_.EnsureStorage();
  return absl::OkStatus();
}

void Client::Impl::Start() {
  started_ = true;
  writer_.Start();
  sender_.Start();
}

absl::Status Client::Impl::Flush(absl::Time deadline) {
  return FlushWithin(deadline - app_clock_->Now());
}

absl::Status Client::Impl::FlushWithin(absl::Duration timeout) {
  const int64_t target = queue_.MarkUrgent();
  return progress_.AwaitDelivered(target, timeout);
}

absl::Status Client::Impl::Shutdown(absl::Time deadline) {
  return ShutdownWithin(deadline - app_clock_->Now());
}

absl::Status Client::Impl::ShutdownWithin(absl::Duration timeout) {
  std::lock_guard lock(shutdown_mu_);
  if (shutdown_result_) return *shutdown_result_;
  progress_.Close();
  // Leave a little time to abort a transfer and join the threads.
  absl::Duration margin = std::clamp(timeout / 10, absl::ZeroDuration(), absl::Milliseconds(200));
  absl::Status result = FlushWithin(timeout - margin);
  // The sender first: it reads what the writer wrote. The writer then
  // commits whatever is still queued before it ends.
  sender_.Stop();
  writer_.Stop();
  shutdown_result_ = result;
  return result;
}

Stats Client::Impl::GetStats() const {
  Stats stats;
  stats.recorded = counters_.recorded.load();
  stats.refused_no_consent = counters_.refused.load();
  stats.persisted = counters_.persisted.load();
  stats.sent = counters_.sent.load();
  stats.acknowledged = counters_.acknowledged.load();
  stats.duplicates = counters_.duplicates.load();
  stats.retries = counters_.retries.load();
  stats.batches_acknowledged = counters_.batches_acknowledged.load();
  stats.erased = counters_.erased.load();
  stats.refused_invalid = counters_.refused_invalid.load();
  stats.refused_no_session = counters_.refused_no_session.load();
  stats.refused_shut_down = counters_.refused_shut_down.load();
  stats.refused_storage = counters_.refused_storage.load();
  stats.durable_timeouts = counters_.durable_timeouts.load();
  const sdk::BufferSize buffered = counters_.Buffered();
  stats.buffered_rows = buffered.rows;
  stats.buffered_bytes = buffered.bytes;
  stats.dropped = drops_.Totals();
  progress_.FillStats(stats);
  return stats;
}

}  // namespace cairn
