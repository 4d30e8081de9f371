#ifndef CAIRN_SDK_UPLOAD_SENDER_H_
#define CAIRN_SDK_UPLOAD_SENDER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/common/clock.h"
#include "cairn/common/uuid.h"
#include "cairn/options.h"
#include "cairn/transport.h"
#include "sdk/src/counters.h"
#include "sdk/src/device/consent_gate.h"
#include "sdk/src/device/consent_keeper.h"
#include "sdk/src/device/writer.h"
#include "sdk/src/progress.h"
#include "sdk/src/upload/backoff.h"
#include "sdk/src/upload/batch_builder.h"
#include "sdk/src/upload/outstanding.h"
#include "sdk/src/upload/post_lanes.h"

namespace cairn::sdk {

// The sender thread: builds batches (BatchBuilder), hands them to its post
// lanes (one thread per request in flight), and settles each once the
// collector said what it did with it: deletes its events, marks its consent
// records delivered, stops owing the drop counts it reported. The next
// batch is built, and the last one settled, while a request is in flight,
// and up to two requests are in flight when the transport allows it.
// Failures back off with jitter and fall back to one request at a time; a
// 413 splits the batch; a refused key pauses delivery until restart.
//
// The rules that keep overlapping requests exact:
//  - each buffered event is in at most one outstanding batch (Outstanding);
//  - a batch carrying consent records is answered before any later batch
//    is sent, so a grant always arrives before the events it allows;
//  - at most one outstanding batch reports the drop counts;
//  - a batch goes again only as it was (same id, same bytes), except after
//    a withdrawal or erasure, when what was not yet sent is rebuilt so no
//    purged event leaves the device; a batch built but never sent is
//    dropped and rebuilt after any failure.
//
// Owns the outstanding batches and the backoff, touched by its thread only.
// It takes the writer's write lock (to delete refused rows) and the leaf
// locks one at a time, never two at once.
class Sender {
 public:
  // Everything passed must outlive this. Requests in flight at once:
  // Options::max_requests_in_flight, at most what the transport runs.
  Sender(const Options& options, Clock* clock, std::shared_ptr<Transport> transport,
         std::string endpoint, UuidV7Generator& ids, Writer& writer, ConsentKeeper& keeper,
         const ConsentGate& gate, Progress& progress, Counters& counters, DropCounters& drops);
  // Stop must have run if Start did.
  ~Sender() = default;

  // Starts the thread and its post lanes.
  void Start();
  // Ends the thread and the lanes: wakes it, aborts the transfers in
  // progress (so a stalled collector cannot hold the app) and joins them,
  // settling what was acknowledged meanwhile. Call once.
  void Stop();

  // For tests: called on the sender thread with each batch built, before
  // it can be sent. Set before Start.
  void SetBuildObserver(std::function<void(const OutgoingBatch&)> observer) {
    build_observer_ = std::move(observer);
  }

 private:
  enum class Outcome {
    kAcknowledged,  // 200: settled
    kDropped,       // refused for good (400, 422, 413 of a single event): settled
    kRetry,         // resent as it is after a backoff
    kSplit,         // 413: rebuilt in halves
    kAuthFailed,    // 401, 403: delivery pauses until restart
  };

  void Loop();
  Progress::SenderView View();
  // A send turn: rebuilds what a purge made stale, retries deletions due,
  // sends the oldest unsent batch or builds one.
  void TakeTurn();
  // Takes the lanes' answers, oldest batch first, settles them, sends a
  // prepared batch at once, then deletes the acknowledged rows.
  void TakeAnswers();
  Outcome Judge(OutgoingBatch& batch, const absl::StatusOr<HttpResponse>& response,
                std::optional<absl::Duration>& retry_after, int& http_status, absl::Status& error);
  void Handle(OutgoingBatch& batch, const absl::StatusOr<HttpResponse>& response);
  // The collector is done with `batch`: its rows wait in the acknowledged
  // ranges for deletion, its consent records are marked delivered, and its
  // drop counts are no longer owed if `drops_received`. Removes it.
  void Settle(OutgoingBatch& batch, uint64_t rejected, bool drops_received);
  // A failure: one request at a time, and what was built ahead is dropped.
  void Failed();
  // Drops every unsent batch if a purge came after one was built.
  void DropStale();
  bool MaySend() const;
  bool MayBuild() const;
  void Post(OutgoingBatch& batch);
  // Sends the oldest unsent batch if it was built ahead and may go now.
  void SendPrepared();
  // Deletes the acknowledged ranges, oldest first; stops at the first
  // failure and schedules the next try under backoff.
  void DeleteAcked();
  void DeleteFailed(const absl::Status& status);
  void RefreshSettled();
  // Tells the writer's bounds what the outstanding batches hold.
  void PublishReserved() { progress_.SetInFlightThrough(out_.ReservedThrough()); }
  void ReportProblem(const absl::Status& status, int http_status, absl::Duration next_in);

  const Options& options_;
  Clock* const clock_;
  const std::shared_ptr<Transport> transport_;
  const std::string endpoint_;
  Writer& writer_;
  ConsentKeeper& keeper_;
  Progress& progress_;
  Counters& counters_;
  DropCounters& drops_;
  const ConsentGate& gate_;
  BatchBuilder builder_;
  PostLanes lanes_;
  std::function<void(const OutgoingBatch&)> build_observer_;

  // Sender thread only:
  Backoff backoff_;
  Outstanding out_;
  size_t batch_limit_;
  int failures_ = 0;
  // Monotonic times: a wall clock set back or forward changes no schedule.
  absl::Duration next_attempt_ = -absl::InfiniteDuration();
  absl::Duration work_since_ = absl::InfiniteDuration();
  // One request at a time, nothing built ahead: since a failure, until a
  // batch is acknowledged with nothing left to resend.
  bool serial_ = false;
  // A batch built while requests were in flight found nothing: no other
  // is built before the next answer.
  bool idle_until_answer_ = false;
  bool stopping_ = false;  // the loop is over: nothing is sent any more
  int delete_failures_ = 0;
  absl::Duration next_delete_try_ = -absl::InfiniteDuration();
  std::thread thread_;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_UPLOAD_SENDER_H_
