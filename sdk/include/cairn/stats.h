#ifndef CAIRN_STATS_H_
#define CAIRN_STATS_H_

#include <cstdint>
#include <map>
#include <string>

#include "cairn/v1/batch.pb.h"

namespace cairn {

// A snapshot of the SDK's counters since the Client was created (buffer
// figures are current). Contains no personal data. Invariants, tested: no
// counter decreases (but the buffer figures and consent_changes_pending),
// persisted <= recorded, acknowledged + duplicates <= sent, and every
// recorded event is delivered, in `dropped`, or still buffered.
struct Stats {
  uint64_t recorded = 0;            // accepted by a Record* call
  uint64_t refused_no_consent = 0;  // Record* refused: purpose not granted
  // The other refusals of Record* calls, by cause, so an app that ignores
  // the RecordResult still sees them. A refused call counts once, in one of
  // these, refused_no_consent or dropped[QUEUE_FULL]; it is never `recorded`.
  uint64_t refused_invalid = 0;     // InvalidArgument: malformed ids, method, name
  uint64_t refused_no_session = 0;  // FailedPrecondition: nobody signed in, or no open session
  uint64_t refused_shut_down = 0;   // FailedPrecondition: Shutdown had begun
  uint64_t refused_storage = 0;     // login: the soft opt-in default could not be stored
  // durable_records only: recorded, but not durable within durable_timeout
  // (DeadlineExceeded; the event stays queued and is usually written after).
  uint64_t durable_timeouts = 0;
  uint64_t persisted = 0;     // written to the on-device buffer
  uint64_t sent = 0;          // events in requests sent (retries count again)
  uint64_t acknowledged = 0;  // stored by the collector
  uint64_t duplicates = 0;    // already stored (a retry whose answer was lost)
  uint64_t retries = 0;       // requests repeated after a failure
  uint64_t batches_acknowledged = 0;
  // Events dropped on the device, by reason. Also reported to the
  // collector: kept on the device across restarts until a batch carrying
  // them is answered, and sent alone when nothing else is left to send.
  std::map<cairn::v1::DropReason, uint64_t> dropped;
  // Consent records in consent.db not yet acknowledged (never negative,
  // whichever process wrote them).
  uint64_t consent_changes_pending = 0;
  uint64_t erased = 0;          // events deleted by EraseLocalData
  uint64_t buffered_rows = 0;   // events in the buffer now
  uint64_t buffered_bytes = 0;  // their serialized size
  std::string last_error;       // last delivery problem, empty if none
};

}  // namespace cairn

#endif  // CAIRN_STATS_H_
