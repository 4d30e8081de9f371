#ifndef CAIRN_SDK_UPLOAD_SENDER_H_
#define CAIRN_SDK_UPLOAD_SENDER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/common/clock.h"
#include "cairn/common/uuid.h"
#include "cairn/options.h"
#include "cairn/transport.h"
#include "cairn/v1/batch.pb.h"
#include "sdk/src/counters.h"
#include "sdk/src/device/consent_gate.h"
#include "sdk/src/device/consent_keeper.h"
#include "sdk/src/device/writer.h"
#include "sdk/src/progress.h"
#include "sdk/src/upload/backoff.h"

namespace cairn::sdk {

// The sender thread: reads the oldest buffered events (through its own
// connection, from the writer) and the pending consent records (from the
// keeper's outbox, always first in a batch), sends them as one compressed
// Batch, and settles them once the collector said what it did with each:
// deletes them, marks the records delivered, and stops owing the drop
// counts the batch reported. Failures back off with jitter; a 413 splits
// the batch; a refused key pauses delivery until restart.
//
// Owns the in-flight batch and the backoff, both touched by its thread
// only, so it has no lock of its own. It takes the writer's write lock (to
// delete refused rows) and the leaf locks one at a time, never two at once.
class Sender {
 public:
  // Everything passed must outlive this.
  Sender(const Options& options, Clock* clock, std::shared_ptr<Transport> transport,
         std::string endpoint, UuidV7Generator& ids, Writer& writer, ConsentKeeper& keeper,
         const ConsentGate& gate, Progress& progress, Counters& counters, DropCounters& drops);
  // Stop must have run if Start did.
  ~Sender() = default;

  // Starts the thread.
  void Start();
  // Ends the thread: wakes it, aborts a transfer in progress (so a stalled
  // collector cannot hold the app) and joins. Call once.
  void Stop();

 private:
  struct InFlightBatch {
    std::string body;            // encoded and compressed, resent byte for byte
    int64_t first_sequence = 0;  // the batch is the buffered events first..last
    int64_t last_sequence = 0;
    size_t events = 0;
    size_t rows = 0;  // buffered events among `events`, and their payload bytes
    size_t row_bytes = 0;
    std::vector<int64_t> consent_positions;  // consent.db entries it carries
    uint64_t epoch = 0;            // the gate's purge epoch when built: a later purge rebuilds it
    DropCounters::ByReason drops;  // counters it reports
  };
  // Events the collector acknowledged whose deletion failed (a full disk
  // fails the WAL write of a DELETE). Kept in memory and skipped when
  // batches are built, so they never travel again under a new batch id;
  // deleted again under backoff until that works. Lost at a restart, when
  // they go once more and the collector counts them duplicates.
  struct AckedRange {
    int64_t first = 0;
    int64_t last = 0;
    size_t rows = 0;
    size_t bytes = 0;
  };
  enum class SendOutcome { kSettled, kRetry, kSplit, kAuthFailed };

  void Loop();
  // Fills `batch` from the oldest buffered events; false if none is buffered.
  absl::StatusOr<bool> BuildBatch(size_t max_events, InFlightBatch& batch);
  SendOutcome SendBatch(InFlightBatch& batch, std::optional<absl::Duration>& retry_after,
                        int& http_status, absl::Status& error);
  // Drops a batch's events from the buffer (after an answer, or a final
  // refusal); its drop counts are no longer owed if `drops_received`.
  void SettleBatch(const InFlightBatch& batch, uint64_t rejected, bool drops_received = true);
  void RefreshSettled();
  // Deletes the acknowledged ranges still buffered, oldest first; stops at
  // the first failure and schedules the next try under backoff.
  void RetryAckedDeletes();
  // A deletion of acknowledged events failed: the next try waits a backoff.
  void DeleteFailed(const absl::Status& status);
  // The highest acknowledged sequence still buffered (0: none), which the
  // writer's bounds must not evict as if it were undelivered.
  int64_t AckedThrough() const { return acked_.empty() ? 0 : acked_.back().last; }
  void ReportProblem(const absl::Status& status, int http_status, absl::Duration next_in);

  const Options& options_;
  Clock* const clock_;
  const std::shared_ptr<Transport> transport_;
  const std::string endpoint_;
  UuidV7Generator& ids_;
  Writer& writer_;
  ConsentKeeper& keeper_;
  const ConsentGate& gate_;
  Progress& progress_;
  Counters& counters_;
  DropCounters& drops_;
  Backoff backoff_;  // sender thread only
  // Sender thread only: see AckedRange.
  std::vector<AckedRange> acked_;
  int delete_failures_ = 0;
  absl::Duration next_delete_try_ = -absl::InfiniteDuration();  // monotonic
  std::thread thread_;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_UPLOAD_SENDER_H_
