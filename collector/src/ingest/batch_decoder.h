#ifndef CAIRN_COLLECTOR_INGEST_BATCH_DECODER_H_
#define CAIRN_COLLECTOR_INGEST_BATCH_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/common/codec.h"
#include "cairn/common/event_rules.h"
#include "cairn/v1/batch.pb.h"
#include "store/store.h"

namespace cairn::collector {

// How the body spells a cairn.v1.Batch (the request's Content-Type).
enum class BatchFormat {
  kProtobuf,  // application/x-protobuf: the binary encoding
  kJson,      // application/json: the proto3 JSON mapping
};

// The collector's limits. The attribute bounds may be tighter than the
// contract's (common/event_rules.h), never looser: the caller checks that.
struct DecodeLimits {
  // Bound on the decompressed body: a compression bomb stops here.
  size_t max_decompressed_bytes = 16 << 20;
  // Bound on Batch.events (over it: the whole batch is refused, HTTP 413).
  int max_events_per_batch = 5000;
  // Per-event attribute bounds (over one: that event is refused with
  // REJECT_REASON_INVALID_ATTRIBUTES, the rest of the batch is stored).
  size_t max_attributes = kMaxAttributes;
  size_t max_attribute_key_bytes = kMaxAttributeKeyBytes;
  size_t max_attribute_value_bytes = kMaxAttributeValueBytes;
};

// Deepest nesting of JSON objects and arrays accepted. A Batch needs 5
// (batch, events, event, attributes or body, value); the bound keeps a
// hostile "[[[[..." from costing the parser more than a flat scan.
inline constexpr int kMaxJsonDepth = 16;

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

// Decompresses `body` with `codec`, parses a cairn.v1.Batch in `format`, and
// checks each event with cairn::CheckEvent and the attribute bounds of
// `limits` at `received_at`. Whole-batch failures: ResourceExhausted when the
// decompressed body or the event count is over `limits`, or the batch holds
// more fields (at any depth, unknown ones included) than its events could
// carry within the attribute bound (HTTP 413); InvalidArgument when the body
// is corrupt, not a Batch (for JSON also: nested deeper than kMaxJsonDepth),
// or its batch_id is not a UUID (HTTP 400). Status messages are short, fixed
// and free of personal data, fit to send back.
// Cost: a scan of the decompressed body counts events and fields before
// anything is parsed, and stops at the limits, so memory stays proportional
// to the limits (a few tens of MB at the defaults) however well the body
// compresses; then protobuf's parser.
absl::StatusOr<DecodedBatch> DecodeBatch(BatchFormat format, Codec codec, std::string_view body,
                                         const DecodeLimits& limits, absl::Time received_at);

// The protobuf form of the above.
inline absl::StatusOr<DecodedBatch> DecodeBatch(Codec codec, std::string_view body,
                                                const DecodeLimits& limits,
                                                absl::Time received_at) {
  return DecodeBatch(BatchFormat::kProtobuf, codec, body, limits, received_at);
}

// True if JSON text `text` nests objects and arrays at most `max_depth`
// deep (brackets inside strings do not count). Does not validate the JSON.
// Cost: one pass over the text.
bool JsonDepthWithin(std::string_view text, int max_depth);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_INGEST_BATCH_DECODER_H_
