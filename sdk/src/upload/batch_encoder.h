#ifndef CAIRN_SDK_UPLOAD_BATCH_ENCODER_H_
#define CAIRN_SDK_UPLOAD_BATCH_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "cairn/v1/batch.pb.h"
#include "sdk/src/device/event_buffer.h"

namespace cairn::sdk {

// Serializes `header` (a Batch with no events) followed by the buffered
// events as `Batch.events` entries. The events are already serialized, so
// they are copied as length-delimited fields, never parsed again: protobuf
// accepts fields in any order, and the result parses as one Batch.
// Sender thread. Cost: one copy of the payloads, no parsing.
std::string EncodeBatch(const cairn::v1::Batch& header, std::span<const BufferedEvent> events);

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_UPLOAD_BATCH_ENCODER_H_
