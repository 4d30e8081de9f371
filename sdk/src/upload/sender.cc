#include "sdk/src/upload/sender.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cairn/client.h"
#include "cairn/common/codec.h"
#include "cairn/common/proto_time.h"
#include "common/src/platform/platform.h"
#include "sdk/src/upload/batch_encoder.h"

namespace cairn::sdk {
namespace {

// The ConsentChange event a consent.db entry is sent as.
void ToEvent(const consent::LogEntry& entry, cairn::v1::Event* event) {
  event->set_event_id(entry.event_id);
  event->set_account_id(entry.account_id);
  event->set_user_id(entry.record.subject);
  ToProto(entry.record.device_time, event->mutable_occurred_at());
  event->set_purpose(cairn::v1::PURPOSE_CONSENT_RECORD);
  consent::ToConsentChange(entry.record, event->mutable_consent_change());
}

}  // namespace

Sender::Sender(const Options& options, Clock* clock, std::shared_ptr<Transport> transport,
               std::string endpoint, UuidV7Generator& ids, Writer& writer, ConsentKeeper& keeper,
               const ConsentGate& gate, Progress& progress, Counters& counters, DropCounters& drops)
    : options_(options),
      clock_(clock),
      transport_(std::move(transport)),
      endpoint_(std::move(endpoint)),
      ids_(ids),
      writer_(writer),
      keeper_(keeper),
      gate_(gate),
      progress_(progress),
      counters_(counters),
      drops_(drops),
      backoff_(options.min_backoff, options.max_backoff, options.jitter_seed) {}

void Sender::Start() {
  thread_ = std::thread([this] {
    // Named so the app's debugger, profiler and crash reports tell it apart.
    platform::SetCurrentThreadName("cairn-sender");
    Loop();
  });
}

void Sender::Stop() {
  progress_.StopSender();
  transport_->Abort();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<bool> Sender::BuildBatch(size_t max_events, InFlightBatch& batch) {
  batch.epoch = gate_.Epoch();
  EventBuffer* const buffer = writer_.SenderConnection();
  std::vector<BufferedEvent> rows;
  while (buffer) {
    // Acknowledged rows not yet deleted sit at the head of the buffer: read
    // past them and leave them out.
    size_t skip_rows = 0, skip_bytes = 0;
    for (const AckedRange& range : acked_) {
      skip_rows += range.rows;
      skip_bytes += range.bytes;
    }
    absl::StatusOr<std::vector<BufferedEvent>> read =
        buffer->ReadOldest(max_events + skip_rows, options_.max_batch_bytes + skip_bytes);
    if (!read.ok()) return read.status();
    if (const int64_t acked_through = AckedThrough(); acked_through > 0) {
      std::erase_if(*read, [&](const BufferedEvent& e) { return e.sequence <= acked_through; });
    }
    if (read->size() > max_events) read->resize(max_events);
    if (read->empty()) break;
    // Consent may have changed since these were recorded (a withdrawal, an
    // expired grant): what is no longer allowed now never leaves the device.
    std::vector<int64_t> refused;
    gate_.RemoveDisallowed(*read, clock_->Now(), std::nullopt, &refused);
    if (refused.empty()) {
      rows = std::move(*read);
      break;
    }
    absl::StatusOr<BufferSize> removed = writer_.RemoveSequences(*buffer, refused);
    if (!removed.ok()) return removed.status();
    counters_.RemoveBuffered(*removed);
    drops_.Count(cairn::v1::DROP_REASON_CONSENT_WITHDRAWN, removed->rows);
    if (!read->empty()) {
      rows = std::move(*read);
      break;
    }
    // Everything read was refused: read again (the refused rows are gone).
  }
  // Read after the events: a grant is in the outbox before any event it
  // allows is recorded, so each event travels with or after its grant.
  const int64_t last_position = progress_.ConsentLastPosition();
  absl::StatusOr<std::vector<consent::LogEntry>> changes = keeper_.Undelivered(max_events);
  if (!changes.ok()) return changes.status();
  if (changes->empty()) progress_.ConsentDelivered(last_position);
  // Consent changes go first; the events fill the rest of the batch.
  if (rows.size() + changes->size() > max_events) {
    rows.resize(max_events - std::min(max_events, changes->size()));
  }
  // Drops still owed go even alone: counted after the last batch was built
  // (an offline session, an expiry or a withdrawal with nothing after it),
  // they would otherwise wait for the next event, or forever.
  if (rows.empty() && changes->empty() && !drops_.AnyUnreported()) return false;

  absl::Time now = clock_->Now();
  cairn::v1::Batch header;
  header.set_batch_id(ids_.Next(now));
  ToProto(now, header.mutable_sent_at());
  cairn::v1::ClientInfo* client = header.mutable_client();
  client->set_sdk_name("cairn-cpp");
  client->set_sdk_version(std::string(kSdkVersion));
  client->set_app_name(options_.app.name);
  client->set_app_version(options_.app.version);
  // Empty while no buffer exists: a device that only ever denied consent
  // sends its decisions without an identifier.
  if (buffer) client->set_install_id(writer_.install_id());
  client->set_platform("linux");
  batch.drops = drops_.Unreported();
  for (const auto& [reason, count] : batch.drops) {
    if (count == 0) continue;
    cairn::v1::DropCount* drop = header.add_dropped();
    drop->set_reason(reason);
    drop->set_count(count);
  }
  for (const consent::LogEntry& entry : *changes) {
    ToEvent(entry, header.add_events());
    batch.consent_positions.push_back(entry.position);
  }
  batch.events = rows.size() + changes->size();
  if (!rows.empty()) {
    batch.first_sequence = rows.front().sequence;
    batch.last_sequence = rows.back().sequence;
    batch.rows = rows.size();
    for (const BufferedEvent& e : rows) batch.row_bytes += e.payload.size();
    progress_.SetInFlightThrough(batch.last_sequence);
  }
  absl::StatusOr<std::string> body = Compress(options_.compression, EncodeBatch(header, rows));
  if (!body.ok()) return body.status();
  batch.body = std::move(*body);
  return true;
}

void Sender::SettleBatch(const InFlightBatch& batch, uint64_t rejected, bool drops_received) {
  if (batch.last_sequence > 0) {
    // The batch holds rows, so the connection exists.
    absl::StatusOr<BufferSize> removed =
        writer_.SenderConnection()->RemoveRange(batch.first_sequence, batch.last_sequence);
    if (removed.ok()) {
      // Exact: a withdrawal may have deleted some of the batch meanwhile.
      counters_.RemoveBuffered(*removed);
    } else {
      // Delivered all the same: remembered, never sent again (see AckedRange).
      acked_.push_back({batch.first_sequence, batch.last_sequence, batch.rows, batch.row_bytes});
      DeleteFailed(removed.status());
    }
    progress_.SetInFlightThrough(AckedThrough());
  }
  if (!batch.consent_positions.empty()) {
    absl::Status marked = keeper_.MarkDelivered(batch.consent_positions);
    if (marked.ok()) {
      progress_.ConsentDelivered(batch.consent_positions.back());
    } else {
      progress_.SetError(marked.message());  // resent; the collector dedups
    }
  }
  // A batch the collector could not read told it nothing: its drop counts
  // stay owed and travel with the next batch. A batch of drop counts alone
  // is not retried that way, so a collector refusing it cannot loop us.
  const bool reported = drops_received || batch.events == 0;
  drops_.Reported(reported ? batch.drops : DropCounters::ByReason(), rejected);
}

Sender::SendOutcome Sender::SendBatch(InFlightBatch& batch,
                                      std::optional<absl::Duration>& retry_after, int& http_status,
                                      absl::Status& error) {
  HttpRequest request;
  request.url = endpoint_;
  request.headers = {{"Content-Type", "application/x-protobuf"},
                     {"Authorization", absl::StrCat("Bearer ", options_.write_key)}};
  if (options_.compression != Codec::kIdentity) {
    request.headers.emplace_back("Content-Encoding", std::string(CodecName(options_.compression)));
  }
  request.body = batch.body;
  request.connect_timeout = options_.connect_timeout;
  request.total_timeout = options_.request_timeout;
  counters_.sent.fetch_add(batch.events);

  absl::StatusOr<HttpResponse> response = transport_->Post(request);
  if (!response.ok()) {
    error = response.status();
    return SendOutcome::kRetry;
  }
  http_status = response->status;
  retry_after = response->retry_after;
  const size_t n = batch.events;
  if (http_status == 200) {
    cairn::v1::BatchResponse answer;
    if (!answer.ParseFromString(response->body)) {
      // Stored or not, a resend is safe: event ids make it idempotent.
      error = absl::UnavailableError("collector answer is not a BatchResponse");
      return SendOutcome::kRetry;
    }
    counters_.acknowledged.fetch_add(answer.accepted());
    counters_.duplicates.fetch_add(answer.duplicates());
    counters_.batches_acknowledged.fetch_add(1);
    SettleBatch(batch, static_cast<uint64_t>(answer.rejected_size()));
    return SendOutcome::kSettled;
  }
  if (http_status == 413) {
    if (n > 1) return SendOutcome::kSplit;
    error = absl::InvalidArgumentError("collector refused a single event as too large");
    SettleBatch(batch, 1, /*drops_received=*/false);
    return SendOutcome::kSettled;
  }
  if (http_status == 401 || http_status == 403) {
    error = absl::PermissionDeniedError(
        absl::StrCat("collector refused the write key (HTTP ", http_status, ")"));
    return SendOutcome::kAuthFailed;
  }
  if (http_status == 400 || http_status == 422) {
    // The collector cannot read this batch at all: resending cannot help,
    // and keeping it would block every later event behind it.
    error = absl::InvalidArgumentError(
        absl::StrCat("collector refused the batch (HTTP ", http_status, "); events dropped"));
    SettleBatch(batch, n, /*drops_received=*/false);
    ReportProblem(error, http_status, absl::ZeroDuration());
    return SendOutcome::kSettled;
  }
  error = absl::UnavailableError(absl::StrCat("collector answered HTTP ", http_status));
  return SendOutcome::kRetry;
}

void Sender::RefreshSettled() {
  const int64_t persisted = progress_.PersistedThrough();
  // Read after `persisted`: anything at or below it is either still
  // buffered (and then the oldest row bounds it) or settled.
  absl::StatusOr<std::optional<int64_t>> oldest = std::optional<int64_t>();
  if (EventBuffer* buffer = writer_.SenderConnection()) oldest = buffer->OldestSequence();
  if (!oldest.ok()) return;
  int64_t settled = oldest->has_value() ? **oldest - 1 : persisted;
  // Batches take the oldest rows not acknowledged, so everything up to the
  // last acknowledged range is delivered even while its rows linger.
  settled = std::max(settled, AckedThrough());
  progress_.Settled(settled, persisted);
}

void Sender::DeleteFailed(const absl::Status& status) {
  ++delete_failures_;
  next_delete_try_ = clock_->MonotonicNow() + backoff_.NextDelay(delete_failures_, std::nullopt);
  progress_.SetError(status.message());
}

void Sender::RetryAckedDeletes() {
  while (!acked_.empty()) {
    // Acknowledged ranges exist only once storage does.
    absl::StatusOr<BufferSize> removed =
        writer_.SenderConnection()->RemoveRange(acked_.front().first, acked_.front().last);
    if (!removed.ok()) {
      DeleteFailed(removed.status());
      return;
    }
    counters_.RemoveBuffered(*removed);
    acked_.erase(acked_.begin());
  }
  delete_failures_ = 0;
  progress_.SetInFlightThrough(0);
  RefreshSettled();
}

void Sender::ReportProblem(const absl::Status& status, int http_status, absl::Duration next_in) {
  if (!options_.on_delivery_status) return;
  DeliveryStatus report;
  report.status = status;
  report.http_status = http_status;
  report.buffered_rows = counters_.Buffered().rows;
  report.next_attempt_in = next_in;
  options_.on_delivery_status(report);
}

void Sender::Loop() {
  std::optional<InFlightBatch> in_flight;
  size_t batch_limit = options_.max_batch_events;
  int failures = 0;
  // Monotonic times: a wall clock set back or forward changes no schedule.
  absl::Duration next_attempt = -absl::InfiniteDuration();
  absl::Duration work_since = absl::InfiniteDuration();
  bool reset_backoff = false;
  while (progress_.AwaitSendTurn(in_flight.has_value() || !acked_.empty() || drops_.AnyUnreported(),
                                 batch_limit, next_attempt, options_.upload_interval, work_since,
                                 reset_backoff)) {
    if (reset_backoff) failures = 0;  // the network is back: start the backoff over
    if (in_flight && in_flight->epoch != gate_.Epoch()) {
      // A withdrawal or erasure since it was built: rebuild it from what is
      // still buffered and allowed, so none of the purged events goes out.
      in_flight.reset();
      progress_.SetInFlightThrough(AckedThrough());
    }
    if (!in_flight && !acked_.empty() && clock_->MonotonicNow() >= next_delete_try_) {
      RetryAckedDeletes();
    }
    if (!in_flight) {
      in_flight.emplace();
      absl::StatusOr<bool> built = BuildBatch(batch_limit, *in_flight);
      if (!built.ok() || !*built) {
        in_flight.reset();
        if (built.ok()) {
          RefreshSettled();  // nothing buffered: everything persisted is settled
          work_since = absl::InfiniteDuration();
          // Only acknowledged rows wait for deletion: sleep until the next try.
          if (!acked_.empty()) next_attempt = std::max(next_attempt, next_delete_try_);
          continue;
        }
        ++failures;
        next_attempt = clock_->MonotonicNow() + backoff_.NextDelay(failures, std::nullopt);
        progress_.SetError(built.status().message());
        continue;
      }
    }

    if (failures > 0) counters_.retries.fetch_add(1);
    std::optional<absl::Duration> retry_after;
    int http_status = 0;
    absl::Status error;
    switch (SendBatch(*in_flight, retry_after, http_status, error)) {
      case SendOutcome::kSettled:
        in_flight.reset();
        failures = 0;
        next_attempt = -absl::InfiniteDuration();
        work_since = absl::InfiniteDuration();
        batch_limit = std::min(options_.max_batch_events, batch_limit * 2);
        progress_.SendSucceeded(/*clear_error=*/error.ok());
        RefreshSettled();
        break;
      case SendOutcome::kSplit:
        batch_limit = std::max<size_t>(1, in_flight->events / 2);
        in_flight.reset();
        progress_.SetInFlightThrough(AckedThrough());
        break;
      case SendOutcome::kAuthFailed:
        // Reported before Flush can see it: whoever gets PermissionDenied
        // from Flush has the report already.
        ReportProblem(error, http_status, absl::InfiniteDuration());
        progress_.AuthFailed(error.message());
        break;
      case SendOutcome::kRetry: {
        ++failures;
        absl::Duration delay = backoff_.NextDelay(failures, retry_after);
        const absl::Duration now = clock_->MonotonicNow();
        next_attempt = now + delay;
        ReportProblem(error, http_status, delay);  // before Flush can answer Unavailable
        // Early attempts may cut the backoff, never the collector's own ask.
        progress_.RetryScheduled(error.message(),
                                 retry_after.has_value()
                                     ? now + std::min(*retry_after, options_.max_backoff)
                                     : -absl::InfiniteDuration());
        break;
      }
    }
  }
}

}  // namespace cairn::sdk
