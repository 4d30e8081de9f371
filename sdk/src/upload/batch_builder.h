#ifndef CAIRN_SDK_UPLOAD_BATCH_BUILDER_H_
#define CAIRN_SDK_UPLOAD_BATCH_BUILDER_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "cairn/common/clock.h"
#include "cairn/common/uuid.h"
#include "cairn/options.h"
#include "sdk/src/counters.h"
#include "sdk/src/device/consent_gate.h"
#include "sdk/src/device/consent_keeper.h"
#include "sdk/src/device/writer.h"
#include "sdk/src/progress.h"
#include "sdk/src/upload/outstanding.h"

namespace cairn::sdk {

// Builds the sender's next batch: the pending consent records first, then
// the oldest buffered events that no outstanding batch holds and that are
// still allowed (refused ones are deleted and counted), and the drop counts
// owed unless an outstanding batch already reports them; encoded and
// compressed, ready to send. Sender thread only; no state of its own.
class BatchBuilder {
 public:
  // Everything passed must outlive this.
  BatchBuilder(const Options& options, Clock* clock, UuidV7Generator& ids, Writer& writer,
               ConsentKeeper& keeper, const ConsentGate& gate, Progress& progress,
               Counters& counters, DropCounters& drops);

  // Fills `batch` with at most `max_events` events; false if there is
  // nothing to send. Cost: one read of the buffer (more only when consent
  // refuses all it read), one of consent.db while records are pending, one
  // encode and compression. Fails with the storage or codec error.
  absl::StatusOr<bool> Build(size_t max_events, const Outstanding& outstanding,
                             OutgoingBatch& batch);

 private:
  // The oldest allowed events in the first gap that has any.
  absl::StatusOr<std::vector<BufferedEvent>> ReadRows(size_t max_events,
                                                      const Outstanding& outstanding);

  const Options& options_;
  Clock* const clock_;
  UuidV7Generator& ids_;
  Writer& writer_;
  ConsentKeeper& keeper_;
  const ConsentGate& gate_;
  Progress& progress_;
  Counters& counters_;
  DropCounters& drops_;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_UPLOAD_BATCH_BUILDER_H_
