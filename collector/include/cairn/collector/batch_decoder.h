#ifndef CAIRN_COLLECTOR_BATCH_DECODER_H_
#define CAIRN_COLLECTOR_BATCH_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/collector/store.h"
#include "cairn/common/codec.h"
#include "cairn/v1/batch.pb.h"

namespace cairn::collector {

struct DecodeLimits {
  // Bound on the decompressed body: a compression bomb stops here.
  size_t max_decompressed_bytes = 16 << 20;
  // Bound on Batch.events.
  int max_events_per_batch = 5000;
};

// A batch body turned into what the store needs, plus the per-event verdicts.
struct DecodedBatch {
  // The batch with only the events that passed CheckEvent.
  BatchRecord record;
  // Each refused event: its index in Batch.events, the reason and a detail.
  std::vector<cairn::v1::RejectedEvent> rejected;
  // record.events[i] is Batch.events[event_indexes[i]], so rejections the
  // store makes later can be reported with their batch index.
  std::vector<uint32_t> event_indexes;
};

// Decompresses `body` with `codec`, parses a cairn.v1.Batch, and checks each
// event with cairn::CheckEvent at `received_at`. Whole-batch failures:
// ResourceExhausted when the decompressed body or the event count is over
// `limits` (HTTP 413); InvalidArgument when the body is corrupt, not a Batch,
// or its batch_id is not a UUID (HTTP 400). Status messages are short, fixed
// and free of personal data, fit to send back. Cost: linear in the body.
absl::StatusOr<DecodedBatch> DecodeBatch(Codec codec, std::string_view body,
                                         const DecodeLimits& limits, absl::Time received_at);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_BATCH_DECODER_H_
