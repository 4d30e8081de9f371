#include "sdk/src/upload/sender.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/common/codec.h"
#include "cairn/v1/batch.pb.h"
#include "common/src/platform/platform.h"

namespace cairn::sdk {

Sender::Sender(const Options& options, Clock* clock, std::shared_ptr<Transport> transport,
               std::string endpoint, UuidV7Generator& ids, Writer& writer, ConsentKeeper& keeper,
               const ConsentGate& gate, Progress& progress, Counters& counters, DropCounters& drops)
    : options_(options),
      clock_(clock),
      transport_(std::move(transport)),
      endpoint_(std::move(endpoint)),
      writer_(writer),
      keeper_(keeper),
      progress_(progress),
      counters_(counters),
      drops_(drops),
      gate_(gate),
      builder_(options, clock, ids, writer, keeper, gate, progress, counters, drops),
      lanes_(*transport_,
             std::min<size_t>(options.max_requests_in_flight,
                              static_cast<size_t>(std::max(1, transport_->MaxConcurrentPosts()))),
             [&progress] { progress.PostAnswered(); }),
      backoff_(options.min_backoff, options.max_backoff, options.jitter_seed),
      batch_limit_(options.max_batch_events) {}

void Sender::Start() {
  lanes_.Start();
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

Progress::SenderView Sender::View() {
  Progress::SenderView view;
  view.posting = out_.Posting();
  const OutgoingBatch* unsent = out_.OldestUnsent();
  view.pending = unsent != nullptr || !out_.acked().empty() ||
                 (!out_.DropsClaimed() && drops_.AnyUnreported());
  view.prepared = unsent != nullptr && !unsent->sent() && MaySend();
  view.may_build = unsent == nullptr && MayBuild();
  view.reserved_through = out_.ReservedThrough();
  view.consent_reserved_through = out_.ConsentReservedThrough();
  return view;
}

bool Sender::MaySend() const {
  const size_t posting = out_.Posting();
  if (posting == 0) return true;
  // A grant must arrive before the events it allows, which a later batch
  // may carry: nothing goes past a batch with consent records in flight.
  return !serial_ && lanes_.Busy() < lanes_.size() && !out_.PostingCarriesConsent();
}

bool Sender::MayBuild() const {
  if (out_.Posting() == 0) return true;
  // Ahead of the requests in flight: one batch more than the lanes.
  return !serial_ && !idle_until_answer_ && out_.batches().size() < lanes_.size() + 1;
}

void Sender::Loop() {
  while (true) {
    bool reset_backoff = false;
    const Progress::Turn turn = progress_.AwaitSendTurn(
        View(), batch_limit_, next_attempt_, options_.upload_interval, work_since_, reset_backoff);
    if (turn == Progress::Turn::kStop) break;
    if (turn == Progress::Turn::kAnswer) {
      TakeAnswers();
      continue;
    }
    if (reset_backoff) failures_ = 0;  // the network is back: start the backoff over
    TakeTurn();
  }
  // Stop aborted the transport first, so every lane gets out of Post.
  stopping_ = true;
  lanes_.Stop();
  // Answers that came back meanwhile: what was acknowledged is settled now,
  // not sent again by the next client.
  TakeAnswers();
}

void Sender::DropStale() {
  const uint64_t epoch = gate_.Epoch();
  for (const OutgoingBatch& batch : out_.batches()) {
    if (batch.state != OutgoingBatch::State::kPosting && batch.epoch != epoch) {
      // A withdrawal or erasure since it was built: rebuilt from what is
      // still buffered and allowed, so none of the purged events goes out.
      // Later unsent batches go too: they may rely on its consent records.
      out_.DropUnsent();
      PublishReserved();
      return;
    }
  }
}

void Sender::TakeTurn() {
  const bool posting = out_.Posting() > 0;
  DropStale();
  if (!out_.acked().empty() && clock_->MonotonicNow() >= next_delete_try_) DeleteAcked();
  OutgoingBatch* next = out_.OldestUnsent();
  if (next == nullptr) {
    if (!MayBuild()) return;
    OutgoingBatch& batch = out_.batches().emplace_back();
    absl::StatusOr<bool> built = builder_.Build(batch_limit_, out_, batch);
    if (!built.ok() || !*built) {
      out_.Remove(batch);
      PublishReserved();
      if (!built.ok()) {
        ++failures_;
        next_attempt_ = clock_->MonotonicNow() + backoff_.NextDelay(failures_, std::nullopt);
        progress_.SetError(built.status().message());
        Failed();
      } else if (posting) {
        idle_until_answer_ = true;  // until an answer changes what is outstanding
      } else {
        RefreshSettled();  // nothing buffered: everything persisted is settled
        work_since_ = absl::InfiniteDuration();
        // Only acknowledged rows wait for deletion: sleep until the next try.
        if (!out_.acked().empty()) next_attempt_ = std::max(next_attempt_, next_delete_try_);
      }
      return;
    }
    PublishReserved();
    if (build_observer_) build_observer_(batch);
    next = &batch;
  }
  if (MaySend()) Post(*next);
}

void Sender::Post(OutgoingBatch& batch) {
  if (failures_ > 0) counters_.retries.fetch_add(1);
  counters_.sent.fetch_add(batch.events);
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
  batch.alone = serial_;
  batch.lane = lanes_.Post(std::move(request));
  batch.state = OutgoingBatch::State::kPosting;
}

void Sender::SendPrepared() {
  if (stopping_) return;
  DropStale();
  OutgoingBatch* next = out_.OldestUnsent();
  if (next != nullptr && !next->sent() && MaySend()) Post(*next);
}

void Sender::TakeAnswers() {
  idle_until_answer_ = false;
  std::vector<size_t> lanes;  // oldest batch first
  for (const OutgoingBatch& batch : out_.batches()) {
    if (batch.state == OutgoingBatch::State::kPosting) lanes.push_back(batch.lane);
  }
  bool answered = false;
  for (size_t lane : lanes) {
    std::optional<absl::StatusOr<HttpResponse>> response = lanes_.TakeAnswer(lane);
    if (!response) continue;
    answered = true;
    Handle(*out_.OnLane(lane), *response);
  }
  if (!answered) return;
  // The next request first, then the bookkeeping, which overlaps it.
  SendPrepared();
  if (delete_failures_ == 0) {
    DeleteAcked();
  } else {
    RefreshSettled();  // the deletions wait for their backoff
  }
}

Sender::Outcome Sender::Judge(OutgoingBatch& batch, const absl::StatusOr<HttpResponse>& response,
                              std::optional<absl::Duration>& retry_after, int& http_status,
                              absl::Status& error) {
  if (!response.ok()) {
    error = response.status();
    return Outcome::kRetry;
  }
  http_status = response->status;
  retry_after = response->retry_after;
  if (http_status == 200) {
    cairn::v1::BatchResponse answer;
    if (!answer.ParseFromString(response->body)) {
      // Stored or not, a resend is safe: event ids make it idempotent.
      error = absl::UnavailableError("collector answer is not a BatchResponse");
      return Outcome::kRetry;
    }
    counters_.acknowledged.fetch_add(answer.accepted());
    counters_.duplicates.fetch_add(answer.duplicates());
    counters_.batches_acknowledged.fetch_add(1);
    Settle(batch, static_cast<uint64_t>(answer.rejected_size()), /*drops_received=*/true);
    return Outcome::kAcknowledged;
  }
  if (http_status == 413) {
    if (batch.events > 1) return Outcome::kSplit;
    error = absl::InvalidArgumentError("collector refused a single event as too large");
    Settle(batch, 1, /*drops_received=*/false);
    return Outcome::kDropped;
  }
  if (http_status == 401 || http_status == 403) {
    error = absl::PermissionDeniedError(
        absl::StrCat("collector refused the write key (HTTP ", http_status, ")"));
    return Outcome::kAuthFailed;
  }
  if (http_status == 400 || http_status == 422) {
    // The collector cannot read this batch at all: resending cannot help,
    // and keeping it would block every later event behind it.
    error = absl::InvalidArgumentError(
        absl::StrCat("collector refused the batch (HTTP ", http_status, "); events dropped"));
    Settle(batch, batch.events, /*drops_received=*/false);
    ReportProblem(error, http_status, absl::ZeroDuration());
    return Outcome::kDropped;
  }
  error = absl::UnavailableError(absl::StrCat("collector answered HTTP ", http_status));
  return Outcome::kRetry;
}

void Sender::Handle(OutgoingBatch& batch, const absl::StatusOr<HttpResponse>& response) {
  std::optional<absl::Duration> retry_after;
  int http_status = 0;
  absl::Status error;
  const size_t events = batch.events;
  const size_t built_under = batch.limit;
  const bool alone = batch.alone;
  switch (Judge(batch, response, retry_after, http_status, error)) {
    case Outcome::kAcknowledged:
    case Outcome::kDropped: {
      // `batch` is settled and gone. A batch waiting to be resent keeps the
      // backoff: its own failure is the newer news.
      const bool resend_waits = out_.OldestUnsent() != nullptr;
      if (!resend_waits) {
        failures_ = 0;
        next_attempt_ = -absl::InfiniteDuration();
        progress_.SendSucceeded(/*clear_error=*/error.ok());
      }
      work_since_ = absl::InfiniteDuration();
      // Grows back after a split, but not on the answer of a batch built
      // before it (then sent alongside the refused one).
      if (built_under <= batch_limit_) {
        batch_limit_ = std::min(options_.max_batch_events, batch_limit_ * 2);
      }
      if (!error.ok()) {
        Failed();
      } else if (alone && !resend_waits) {
        // Not on the answer of a batch sent alongside the failed one: that
        // says nothing of the collector since.
        serial_ = false;
      }
      break;
    }
    case Outcome::kSplit:
      batch_limit_ = std::max<size_t>(1, events / 2);
      out_.Remove(batch);
      Failed();
      PublishReserved();
      break;
    case Outcome::kAuthFailed:
      batch.state = OutgoingBatch::State::kToResend;
      Failed();
      // Reported before Flush can see it: whoever gets PermissionDenied
      // from Flush has the report already.
      ReportProblem(error, http_status, absl::InfiniteDuration());
      progress_.AuthFailed(error.message());
      break;
    case Outcome::kRetry: {
      batch.state = OutgoingBatch::State::kToResend;
      Failed();
      ++failures_;
      absl::Duration delay = backoff_.NextDelay(failures_, retry_after);
      const absl::Duration now = clock_->MonotonicNow();
      next_attempt_ = now + delay;
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

void Sender::Failed() {
  serial_ = true;
  // Built ahead but never sent: rebuilt once the failure is behind, so it
  // never goes out with an outdated view (drop counts, a smaller limit).
  if (out_.DropPrepared()) PublishReserved();
}

void Sender::Settle(OutgoingBatch& batch, uint64_t rejected, bool drops_received) {
  // Deleted right after the next request is on its way (DeleteAcked);
  // meanwhile no batch takes them again.
  if (batch.last_sequence > 0) out_.AddAcked({batch.first_sequence, batch.last_sequence});
  if (!batch.consent_positions.empty()) {
    absl::Status marked = keeper_.MarkDelivered(batch.consent_positions);
    if (marked.ok()) {
      progress_.ConsentDelivered(batch.consent_positions.back());
    } else {
      progress_.SetError(marked.message());  // resent; the collector dedups
    }
  }
  // A batch the collector could not read told it nothing: its drop counts
  // stay owed and travel with a later batch. A batch of drop counts alone
  // is not retried that way, so a collector refusing it cannot loop us.
  const bool reported = drops_received || batch.events == 0;
  drops_.Reported(reported ? batch.drops : DropCounters::ByReason(), rejected);
  out_.Remove(batch);
}

void Sender::RefreshSettled() {
  const int64_t persisted = progress_.PersistedThrough();
  // Read after `persisted`: anything at or below it is either still
  // buffered (and then the oldest row not acknowledged bounds it) or settled.
  int64_t settled = persisted;
  if (EventBuffer* buffer = writer_.SenderConnection()) {
    int64_t after = 0;
    while (true) {
      absl::StatusOr<std::optional<int64_t>> oldest = buffer->OldestSequence(after);
      if (!oldest.ok()) return;
      if (!oldest->has_value()) break;
      // Acknowledged rows that linger are delivered: look past them.
      if (const int64_t end = out_.AckedRangeEnd(**oldest); end > 0) {
        after = end;
        continue;
      }
      settled = **oldest - 1;
      break;
    }
  }
  progress_.Settled(settled, persisted);
}

void Sender::DeleteFailed(const absl::Status& status) {
  ++delete_failures_;
  next_delete_try_ = clock_->MonotonicNow() + backoff_.NextDelay(delete_failures_, std::nullopt);
  progress_.SetError(status.message());
}

void Sender::DeleteAcked() {
  while (!out_.acked().empty()) {
    // Acknowledged ranges exist only once storage does.
    const AckedRange range = out_.acked().front();
    absl::StatusOr<BufferSize> removed =
        writer_.RemoveRange(*writer_.SenderConnection(), range.first, range.last);
    if (!removed.ok()) {
      // Delivered all the same: remembered, never sent again (see AckedRange).
      DeleteFailed(removed.status());
      RefreshSettled();
      return;
    }
    // Exact: a withdrawal may have deleted some of the batch meanwhile.
    counters_.RemoveBuffered(*removed);
    out_.PopOldestAcked();
  }
  delete_failures_ = 0;
  PublishReserved();
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

}  // namespace cairn::sdk
