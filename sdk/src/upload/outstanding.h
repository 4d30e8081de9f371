#ifndef CAIRN_SDK_UPLOAD_OUTSTANDING_H_
#define CAIRN_SDK_UPLOAD_OUTSTANDING_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <list>
#include <string>
#include <vector>

#include "sdk/src/counters.h"

namespace cairn::sdk {

// A batch built and not yet settled.
struct OutgoingBatch {
  enum class State {
    kPrepared,  // built, never sent: may still be dropped and rebuilt
    kPosting,   // on a lane, waiting for its answer
    kToResend,  // sent and failed: goes again as it is (same id, same bytes)
  };
  std::string body;            // encoded and compressed, resent byte for byte
  int64_t first_sequence = 0;  // the batch is the buffered events first..last
  int64_t last_sequence = 0;   // (0: it holds none)
  size_t events = 0;
  size_t rows = 0;  // buffered events among `events`, and their payload bytes
  size_t row_bytes = 0;
  std::vector<int64_t> consent_positions;  // consent.db entries it carries
  size_t limit = 0;                        // the batch limit it was built under
  uint64_t epoch = 0;            // the gate's purge epoch when built: a later purge rebuilds it
  DropCounters::ByReason drops;  // counters it reports (empty: none)
  State state = State::kPrepared;
  bool alone = false;  // last sent while the sender sent one request at a time
  size_t lane = 0;     // while kPosting

  bool sent() const { return state != State::kPrepared; }
};

// Events the collector acknowledged whose deletion failed (a full disk
// fails the WAL write of a DELETE). Kept in memory and skipped when
// batches are built, so they never travel again under a new batch id;
// deleted again under backoff until that works. Lost at a restart, when
// they go once more and the collector counts them duplicates.
struct AckedRange {
  int64_t first = 0;
  int64_t last = 0;
};

// Buffered sequences a new batch may take: after < sequence < before.
struct SequenceGap {
  int64_t after = 0;
  int64_t before = std::numeric_limits<int64_t>::max();
};

// What the sender holds between building a batch and settling it: the
// batches (oldest first), and the acknowledged ranges still buffered. Every
// buffered sequence is in at most one of them, so no event is in two
// requests. Sender thread only: no lock.
class Outstanding {
 public:
  // Oldest first. A batch's place never changes while it is outstanding.
  std::list<OutgoingBatch>& batches() { return batches_; }
  const std::list<OutgoingBatch>& batches() const { return batches_; }
  // Acknowledged ranges not yet deleted, in sequence order.
  const std::vector<AckedRange>& acked() const { return acked_; }

  // The oldest batch not on a lane (sent next), or null.
  OutgoingBatch* OldestUnsent();
  // The batch posting on `lane`, or null.
  OutgoingBatch* OnLane(size_t lane);
  size_t Posting() const;
  // True if a batch on a lane carries consent records: nothing later may
  // go before its answer, so a grant always arrives before the events it
  // allows.
  bool PostingCarriesConsent() const;
  // True if a batch reports drop counts (at most one does at a time).
  bool DropsClaimed() const;

  // Removes `batch` (settled or dropped for a rebuild).
  void Remove(const OutgoingBatch& batch);
  // Drops every batch not yet sent; true if there was one.
  bool DropPrepared();
  // Drops every batch not on a lane (prepared, or waiting to be resent).
  void DropUnsent();

  // Remembers an acknowledged range whose deletion failed.
  void AddAcked(AckedRange range);
  void PopOldestAcked() { acked_.erase(acked_.begin()); }

  // The free stretches of the sequence space, oldest first (the last one
  // is open-ended): what no batch and no acknowledged range holds.
  std::vector<SequenceGap> Gaps() const;
  // If `sequence` is in an acknowledged range, that range's last sequence;
  // else 0.
  int64_t AckedRangeEnd(int64_t sequence) const;
  // The highest sequence any batch or acknowledged range holds (0: none),
  // which the writer's bounds must not evict as if it were undelivered.
  int64_t ReservedThrough() const;
  // The highest consent.db position a batch holds (0: none).
  int64_t ConsentReservedThrough() const;
  // Every consent.db position the batches hold, ascending.
  std::vector<int64_t> ConsentPositions() const;

 private:
  std::list<OutgoingBatch> batches_;
  std::vector<AckedRange> acked_;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_UPLOAD_OUTSTANDING_H_
