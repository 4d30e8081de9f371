// The background half of the client: the writer thread (queue -> SQLite),
// the sender thread (SQLite -> collector), and Flush/Shutdown that wait on
// their progress.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <shared_mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/common/codec.h"
#include "cairn/common/proto_time.h"
#include "sdk/src/upload/batch_encoder.h"
#include "sdk/src/client_impl.h"

namespace cairn {

using cairn::v1::DropReason;

void Client::Impl::Start() {
  if (storage_ready_.load(std::memory_order_acquire)) {
    std::lock_guard write(write_mu_);
    EnforceBufferBounds(/*check_expiry=*/true);  // a long-closed app may hold stale events
  }
  writer_ = std::thread([this] { WriterLoop(); });
  sender_ = std::thread([this] { SenderLoop(); });
}

Client::Impl::~Impl() {
  if (writer_.joinable() || sender_.joinable()) Shutdown(absl::Now()).IgnoreError();
}

// --------------------------------------------------------------- writer ---

void Client::Impl::WriterLoop() {
  std::vector<sdk::BufferedEvent> taken;
  while (true) {
    {
      std::unique_lock lock(queue_mu_);
      writer_wake_.wait(lock, [this] { return !queue_.empty() || stop_writer_; });
      if (queue_.empty()) return;  // stopped, and everything queued is written
      if (options_.commit_interval > absl::ZeroDuration()) {
        // Gather more events for this commit unless someone waits for it.
        const absl::Time until = clock_->Now() + options_.commit_interval;
        while (!stop_writer_ && queue_.size() < options_.commit_max_events &&
               writer_urgent_through_ < queue_.front().sequence && clock_->Now() < until) {
          clock_->WaitUntil(writer_wake_, lock, until);
        }
      }
    }
    // Held from taking the events until they are committed, so a withdrawal
    // or erasure finds each event either queued or durable.
    std::lock_guard write(write_mu_);
    {
      // Take everything at once (O(1) under the lock, however long the
      // backlog); it still counts against queue_capacity until committed.
      std::lock_guard lock(queue_mu_);
      taken.swap(queue_);
      in_writer_ = taken.size();
    }
    const int64_t through = taken.back().sequence;
    const size_t before = taken.size();
    FilterTaken(taken);
    if (taken.size() != before) {
      {
        std::lock_guard lock(queue_mu_);
        in_writer_ = taken.size();
      }
      queue_space_.notify_all();
    }
    if (taken.empty()) CommitChunk({}, through);  // still publishes the progress
    for (size_t begin = 0; begin < taken.size(); begin += options_.commit_max_events) {
      std::span<const sdk::BufferedEvent> chunk(
          taken.data() + begin, std::min(options_.commit_max_events, taken.size() - begin));
      const bool last_chunk = begin + chunk.size() == taken.size();
      CommitChunk(chunk, last_chunk ? through : chunk.back().sequence);
      {
        std::lock_guard lock(queue_mu_);
        in_writer_ -= chunk.size();
      }
      queue_space_.notify_all();
    }
    taken.clear();
    // After a burst, give the memory back rather than keep peak capacity.
    if (taken.capacity() > 4 * options_.commit_max_events) {
      std::vector<sdk::BufferedEvent>().swap(taken);
    }
  }
}

void Client::Impl::FilterTaken(std::vector<sdk::BufferedEvent>& taken) {
  const uint64_t epoch = purge_epoch_.load();
  // The common case: no withdrawal or erasure since these were queued.
  if (std::none_of(taken.begin(), taken.end(), [&](const sdk::BufferedEvent& e) {
        return e.tombstone || e.epoch != epoch;
      })) {
    return;
  }
  uint64_t withdrawn = 0;
  const absl::Time now = clock_->Now();
  {
    std::shared_lock lock(identity_mu_);
    std::erase_if(taken, [&](const sdk::BufferedEvent& e) {
      if (e.tombstone) return true;  // counted by the purge that made it
      if (e.epoch == epoch) return false;
      std::optional<consent::Purpose> purpose = consent::FromWire(e.purpose);
      if (purpose && consent_.CurrentlyAllows(e.user_id, *purpose, now)) return false;
      ++withdrawn;  // queued while its consent was being withdrawn
      return true;
    });
  }
  CountDrop(cairn::v1::DROP_REASON_CONSENT_WITHDRAWN, withdrawn);
}

void Client::Impl::CommitChunk(std::span<const sdk::BufferedEvent> chunk, int64_t through) {
  absl::Status status = chunk.empty() ? absl::OkStatus() : buffer_->Append(chunk);
  if (chunk.empty()) {
    // Nothing to write: every event taken was withdrawn or erased.
  } else if (status.ok()) {
    int64_t bytes = 0;
    for (const sdk::BufferedEvent& e : chunk) bytes += static_cast<int64_t>(e.payload.size());
    persisted_.fetch_add(chunk.size());
    buffered_rows_.fetch_add(static_cast<int64_t>(chunk.size()));
    buffered_bytes_.fetch_add(bytes);
    EnforceBufferBounds(/*check_expiry=*/clock_->Now() >= next_expiry_check_);
  } else {
    // The device could not write (full disk, IO error): the events are
    // lost, so they are counted and reported; the app keeps running.
    CountDrop(cairn::v1::DROP_REASON_DISK_FULL, chunk.size());
  }
  {
    std::lock_guard lock(progress_mu_);
    persisted_through_ = std::max(persisted_through_, through);
    if (!status.ok()) {
      last_error_ = std::string(status.message());
      if (failed_writes_.size() == 64) failed_writes_.erase(failed_writes_.begin());
      failed_writes_.emplace_back(chunk.front().sequence, chunk.back().sequence);
    }
  }
  sender_wake_.notify_one();
  progress_changed_.notify_all();
}

void Client::Impl::EnforceBufferBounds(bool check_expiry) {
  sdk::BufferBounds bounds;
  bounds.max_rows = options_.max_buffer_rows;
  bounds.max_bytes = options_.max_buffer_bytes;
  bounds.keep_through = in_flight_through_.load();
  const absl::Time now = clock_->Now();
  if (check_expiry && options_.event_ttl > absl::ZeroDuration()) {
    bounds.expire_before_ms = absl::ToUnixMillis(now - options_.event_ttl);
    next_expiry_check_ = now + absl::Minutes(1);
  }
  sdk::BufferSize current{static_cast<uint64_t>(std::max<int64_t>(0, buffered_rows_.load())),
                          static_cast<uint64_t>(std::max<int64_t>(0, buffered_bytes_.load()))};
  bool over = (bounds.max_rows > 0 && current.rows > bounds.max_rows) ||
              (bounds.max_bytes > 0 && current.bytes > bounds.max_bytes);
  if (!over && bounds.expire_before_ms == 0) return;
  absl::StatusOr<sdk::Eviction> eviction = buffer_->EnforceBounds(bounds, current);
  if (!eviction.ok()) {
    std::lock_guard lock(progress_mu_);
    last_error_ = std::string(eviction.status().message());
    return;
  }
  buffered_rows_.fetch_sub(static_cast<int64_t>(eviction->removed.rows));
  buffered_bytes_.fetch_sub(static_cast<int64_t>(eviction->removed.bytes));
  CountDrop(cairn::v1::DROP_REASON_EXPIRED, eviction->expired);
  CountDrop(cairn::v1::DROP_REASON_BUFFER_ROWS, eviction->over_rows);
  CountDrop(cairn::v1::DROP_REASON_BUFFER_BYTES, eviction->over_bytes);
  if (eviction->removed.rows > 0) sender_wake_.notify_one();  // settled-through moves
}

// --------------------------------------------------------------- sender ---

absl::StatusOr<bool> Client::Impl::BuildBatch(size_t max_events, InFlightBatch& batch) {
  batch.epoch = purge_epoch_.load();
  const bool has_buffer = storage_ready_.load(std::memory_order_acquire);
  std::vector<sdk::BufferedEvent> rows;
  while (has_buffer) {
    absl::StatusOr<std::vector<sdk::BufferedEvent>> read =
        sender_buffer_->ReadOldest(max_events, options_.max_batch_bytes);
    if (!read.ok()) return read.status();
    if (read->empty()) break;
    // Consent may have changed since these were recorded (a withdrawal, an
    // expired grant): what is no longer allowed now never leaves the device.
    std::vector<int64_t> refused;
    const absl::Time now = clock_->Now();
    {
      std::shared_lock lock(identity_mu_);
      std::erase_if(*read, [&](const sdk::BufferedEvent& e) {
        std::optional<consent::Purpose> purpose = consent::FromWire(e.purpose);
        if (purpose && consent_.CurrentlyAllows(e.user_id, *purpose, now)) return false;
        refused.push_back(e.sequence);
        return true;
      });
    }
    if (refused.empty()) {
      rows = std::move(*read);
      break;
    }
    absl::StatusOr<sdk::BufferSize> removed;
    {
      std::lock_guard write(write_mu_);  // deletions are serialized with the writer's
      removed = sender_buffer_->RemoveSequences(refused);
    }
    if (!removed.ok()) return removed.status();
    buffered_rows_.fetch_sub(static_cast<int64_t>(removed->rows));
    buffered_bytes_.fetch_sub(static_cast<int64_t>(removed->bytes));
    CountDrop(cairn::v1::DROP_REASON_CONSENT_WITHDRAWN, removed->rows);
    if (!read->empty()) {
      rows = std::move(*read);
      break;
    }
    // Everything read was refused: read again (the refused rows are gone).
  }
  // Read after the events: a grant is in the outbox before any event it
  // allows is recorded, so each event travels with or after its grant.
  int64_t last_position;
  {
    std::lock_guard lock(progress_mu_);
    last_position = consent_last_position_;
  }
  std::vector<consent::LogEntry> changes;
  {
    std::lock_guard lock(log_mu_);
    if (consent_log_) {
      absl::StatusOr<std::vector<consent::LogEntry>> pending =
          consent_log_->Undelivered(max_events);
      if (!pending.ok()) return pending.status();
      changes = std::move(*pending);
    }
  }
  if (changes.empty()) {
    std::lock_guard lock(progress_mu_);
    consent_settled_through_ = std::max(consent_settled_through_, last_position);
  }
  // Consent changes go first; the events fill the rest of the batch.
  if (rows.size() + changes.size() > max_events) {
    rows.resize(max_events - std::min(max_events, changes.size()));
  }
  if (rows.empty() && changes.empty()) return false;

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
  if (has_buffer) client->set_install_id(install_id_);
  client->set_platform("linux");
  {
    std::lock_guard lock(drops_mu_);
    batch.drops = unreported_drops_;
  }
  for (const auto& [reason, count] : batch.drops) {
    if (count == 0) continue;
    cairn::v1::DropCount* drop = header.add_dropped();
    drop->set_reason(reason);
    drop->set_count(count);
  }
  for (const consent::LogEntry& entry : changes) {
    ToEvent(entry, header.add_events());
    batch.consent_positions.push_back(entry.position);
  }
  batch.events = rows.size() + changes.size();
  if (!rows.empty()) {
    batch.first_sequence = rows.front().sequence;
    batch.last_sequence = rows.back().sequence;
    in_flight_through_.store(batch.last_sequence);
  }
  absl::StatusOr<std::string> body =
      Compress(options_.compression, sdk::EncodeBatch(header, rows));
  if (!body.ok()) return body.status();
  batch.body = std::move(*body);
  return true;
}

void Client::Impl::SettleBatch(const InFlightBatch& batch, uint64_t rejected) {
  if (batch.last_sequence > 0) {
    absl::StatusOr<sdk::BufferSize> removed =
        sender_buffer_->RemoveRange(batch.first_sequence, batch.last_sequence);
    in_flight_through_.store(0);
    if (!removed.ok()) {
      // They stay buffered and go again; the collector counts them duplicates.
      std::lock_guard lock(progress_mu_);
      last_error_ = std::string(removed.status().message());
      return;
    }
    // Exact: a withdrawal may have deleted some of the batch meanwhile.
    buffered_rows_.fetch_sub(static_cast<int64_t>(removed->rows));
    buffered_bytes_.fetch_sub(static_cast<int64_t>(removed->bytes));
  }
  if (!batch.consent_positions.empty()) {
    absl::Status marked;
    {
      std::lock_guard lock(log_mu_);
      marked = consent_log_->MarkDelivered(batch.consent_positions);
    }
    std::lock_guard lock(progress_mu_);
    if (marked.ok()) {
      consent_settled_through_ =
          std::max(consent_settled_through_, batch.consent_positions.back());
    } else {
      last_error_ = std::string(marked.message());  // resent; the collector dedups
    }
  }
  std::lock_guard lock(drops_mu_);
  for (const auto& [reason, count] : batch.drops) {
    uint64_t& pending = unreported_drops_[reason];
    pending -= std::min(pending, count);
  }
  if (rejected > 0) {
    unreported_drops_[cairn::v1::DROP_REASON_REJECTED] += rejected;
    total_drops_[cairn::v1::DROP_REASON_REJECTED] += rejected;
  }
}

Client::Impl::SendOutcome Client::Impl::SendBatch(InFlightBatch& batch,
                                                  std::optional<absl::Duration>& retry_after,
                                                  int& http_status, absl::Status& error) {
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
  sent_.fetch_add(batch.events);

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
    acknowledged_.fetch_add(answer.accepted());
    duplicates_.fetch_add(answer.duplicates());
    batches_acknowledged_.fetch_add(1);
    SettleBatch(batch, static_cast<uint64_t>(answer.rejected_size()));
    return SendOutcome::kSettled;
  }
  if (http_status == 413) {
    if (n > 1) return SendOutcome::kSplit;
    error = absl::InvalidArgumentError("collector refused a single event as too large");
    SettleBatch(batch, 1);
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
    SettleBatch(batch, n);
    ReportProblem(error, http_status, absl::ZeroDuration());
    return SendOutcome::kSettled;
  }
  error = absl::UnavailableError(absl::StrCat("collector answered HTTP ", http_status));
  return SendOutcome::kRetry;
}

void Client::Impl::RefreshSettled() {
  int64_t persisted;
  {
    std::lock_guard lock(progress_mu_);
    persisted = persisted_through_;
  }
  // Read after `persisted`: anything at or below it is either still
  // buffered (and then the oldest row bounds it) or settled.
  absl::StatusOr<std::optional<int64_t>> oldest = std::optional<int64_t>();
  if (storage_ready_.load(std::memory_order_acquire)) oldest = sender_buffer_->OldestSequence();
  if (!oldest.ok()) return;
  {
    std::lock_guard lock(progress_mu_);
    int64_t settled = oldest->has_value() ? **oldest - 1 : persisted;
    settled_through_ = std::max(settled_through_, std::min(settled, persisted));
  }
  progress_changed_.notify_all();
}

void Client::Impl::ReportProblem(const absl::Status& status, int http_status,
                                 absl::Duration next_in) {
  if (!options_.on_delivery_status) return;
  DeliveryStatus report;
  report.status = status;
  report.http_status = http_status;
  report.buffered_rows = static_cast<uint64_t>(std::max<int64_t>(0, buffered_rows_.load()));
  report.next_attempt_in = next_in;
  options_.on_delivery_status(report);
}

void Client::Impl::SenderLoop() {
  std::optional<InFlightBatch> in_flight;
  size_t batch_limit = options_.max_batch_events;
  int failures = 0;
  absl::Time next_attempt = absl::InfinitePast();
  absl::Time work_since = absl::InfiniteFuture();
  while (true) {
    {
      std::unique_lock lock(progress_mu_);
      while (true) {
        if (stop_sender_) return;
        if (auth_failed_) {  // paused until the app restarts with a valid key
          clock_->WaitUntil(sender_wake_, lock, absl::InfiniteFuture());
          continue;
        }
        absl::Time now = clock_->Now();
        int64_t unsent = persisted_through_ - settled_through_ +
                         (consent_last_position_ - consent_settled_through_);
        bool has_work = in_flight.has_value() || unsent > 0;
        if (!has_work) {
          work_since = absl::InfiniteFuture();
          clock_->WaitUntil(sender_wake_, lock, absl::InfiniteFuture());
          continue;
        }
        if (work_since == absl::InfiniteFuture()) work_since = now;
        bool urgent = settled_through_ < flush_through_ ||
                      consent_settled_through_ < consent_flush_through_ || closed_.load() ||
                      unsent >= static_cast<int64_t>(batch_limit);
        // New events and flushes never shorten a backoff.
        absl::Time ready = std::max(urgent ? now : work_since + options_.upload_interval,
                                    next_attempt);
        if (now >= ready) break;
        clock_->WaitUntil(sender_wake_, lock, ready);
      }
    }

    if (in_flight && in_flight->epoch != purge_epoch_.load()) {
      // A withdrawal or erasure since it was built: rebuild it from what is
      // still buffered and allowed, so none of the purged events goes out.
      in_flight.reset();
      in_flight_through_.store(0);
    }
    if (!in_flight) {
      in_flight.emplace();
      absl::StatusOr<bool> built = BuildBatch(batch_limit, *in_flight);
      if (!built.ok() || !*built) {
        in_flight.reset();
        if (built.ok()) {
          RefreshSettled();  // nothing buffered: everything persisted is settled
          work_since = absl::InfiniteFuture();
          continue;
        }
        ++failures;
        next_attempt = clock_->Now() + backoff_.NextDelay(failures, std::nullopt);
        std::lock_guard lock(progress_mu_);
        last_error_ = std::string(built.status().message());
        continue;
      }
    }

    if (failures > 0) retries_.fetch_add(1);
    std::optional<absl::Duration> retry_after;
    int http_status = 0;
    absl::Status error;
    switch (SendBatch(*in_flight, retry_after, http_status, error)) {
      case SendOutcome::kSettled: {
        in_flight.reset();
        failures = 0;
        next_attempt = absl::InfinitePast();
        work_since = absl::InfiniteFuture();
        batch_limit = std::min(options_.max_batch_events, batch_limit * 2);
        {
          std::lock_guard lock(progress_mu_);
          in_backoff_ = false;
          if (error.ok()) last_error_.clear();
        }
        RefreshSettled();
        break;
      }
      case SendOutcome::kSplit:
        batch_limit = std::max<size_t>(1, in_flight->events / 2);
        in_flight.reset();
        in_flight_through_.store(0);
        break;
      case SendOutcome::kAuthFailed: {
        // Reported before Flush can see it: whoever gets PermissionDenied
        // from Flush has the report already.
        ReportProblem(error, http_status, absl::InfiniteDuration());
        {
          std::lock_guard lock(progress_mu_);
          auth_failed_ = true;
          last_error_ = std::string(error.message());
        }
        progress_changed_.notify_all();
        break;
      }
      case SendOutcome::kRetry: {
        ++failures;
        absl::Duration delay = backoff_.NextDelay(failures, retry_after);
        next_attempt = clock_->Now() + delay;
        ReportProblem(error, http_status, delay);  // before Flush can answer Unavailable
        {
          std::lock_guard lock(progress_mu_);
          in_backoff_ = true;
          ++failed_attempts_;
          last_error_ = std::string(error.message());
        }
        progress_changed_.notify_all();
        break;
      }
    }
  }
}

// ---------------------------------------------------- flush and shutdown ---

absl::Status Client::Impl::Flush(absl::Time deadline) {
  int64_t target;
  {
    std::lock_guard lock(queue_mu_);
    target = next_sequence_ - 1;
    writer_urgent_through_ = std::max(writer_urgent_through_, target);
  }
  writer_wake_.notify_one();
  const auto until = absl::ToChronoTime(deadline);
  std::unique_lock lock(progress_mu_);
  const int64_t consent_target = consent_last_position_;
  auto delivered = [&] {
    return settled_through_ >= target && consent_settled_through_ >= consent_target;
  };
  const uint64_t failed_before = failed_attempts_;
  flush_through_ = std::max(flush_through_, target);
  consent_flush_through_ = std::max(consent_flush_through_, consent_target);
  sender_wake_.notify_one();
  if (!progress_changed_.wait_until(lock, until, [&] { return persisted_through_ >= target; })) {
    return absl::DeadlineExceededError("recorded events are not yet durable");
  }
  progress_changed_.wait_until(lock, until, [&] {
    return delivered() || auth_failed_ || failed_attempts_ > failed_before || in_backoff_ ||
           stop_sender_;
  });
  if (delivered()) return absl::OkStatus();
  if (auth_failed_) return absl::PermissionDeniedError(last_error_);
  if (failed_attempts_ > failed_before || in_backoff_) {
    return absl::UnavailableError(absl::StrCat(
        "events are durable on the device; the collector is not reachable now (", last_error_,
        "); delivery will be retried"));
  }
  return absl::DeadlineExceededError("events are durable but not yet delivered");
}

absl::Status Client::Impl::Shutdown(absl::Time deadline) {
  std::lock_guard lock(shutdown_mu_);
  if (shutdown_result_) return *shutdown_result_;
  closed_.store(true, std::memory_order_release);
  // Leave a little time to abort a transfer and join the threads.
  absl::Duration margin =
      std::clamp((deadline - absl::Now()) / 10, absl::ZeroDuration(), absl::Milliseconds(200));
  absl::Status result = Flush(deadline - margin);
  {
    std::lock_guard progress(progress_mu_);
    stop_sender_ = true;
  }
  sender_wake_.notify_one();
  progress_changed_.notify_all();
  transport_->Abort();
  if (sender_.joinable()) sender_.join();
  {
    std::lock_guard queue(queue_mu_);
    stop_writer_ = true;
  }
  writer_wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  shutdown_result_ = result;
  return result;
}

}  // namespace cairn
