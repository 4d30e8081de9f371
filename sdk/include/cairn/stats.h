#ifndef CAIRN_STATS_H_
#define CAIRN_STATS_H_

#include <cstdint>
#include <map>
#include <string>

#include "cairn/v1/batch.pb.h"

namespace cairn {

// A snapshot of the SDK's counters since the Client was created (buffer
// figures are current). Contains no personal data.
struct Stats {
  uint64_t recorded = 0;            // accepted by a Record* call
  uint64_t refused_no_consent = 0;  // Record* refused: purpose not granted
  uint64_t persisted = 0;           // written to the on-device buffer
  uint64_t sent = 0;                // events in requests sent (retries count again)
  uint64_t acknowledged = 0;        // stored by the collector
  uint64_t duplicates = 0;          // already stored (a retry whose answer was lost)
  uint64_t retries = 0;             // requests repeated after a failure
  uint64_t batches_acknowledged = 0;
  // Events dropped on the device, by reason (also reported to the collector).
  std::map<cairn::v1::DropReason, uint64_t> dropped;
  uint64_t consent_changes_pending = 0;  // consent records not yet acknowledged
  uint64_t erased = 0;                   // events deleted by EraseLocalData
  uint64_t buffered_rows = 0;            // events in the buffer now
  uint64_t buffered_bytes = 0;           // their serialized size
  std::string last_error;                // last delivery problem, empty if none
};

}  // namespace cairn

#endif  // CAIRN_STATS_H_
