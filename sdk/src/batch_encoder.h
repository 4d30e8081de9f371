#ifndef CAIRN_SDK_BATCH_ENCODER_H_
#define CAIRN_SDK_BATCH_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "cairn/v1/batch.pb.h"
#include "sdk/src/event_buffer.h"

namespace cairn::sdk {

// Serializes `header` (a Batch with no events) followed by the buffered
// events as `Batch.events` entries. The events are already serialized, so
// they are copied as length-delimited fields, never parsed again: protobuf
// accepts fields in any order, and the result parses as one Batch.
std::string EncodeBatch(const cairn::v1::Batch& header, std::span<const BufferedEvent> events);

// Appends `Event.sequence` (field 5) to a serialized Event. Lets the record
// path serialize outside the queue lock and stamp the sequence inside it.
// Appends at most kMaxSequenceFieldBytes (a tag byte and a 10-byte varint).
inline constexpr size_t kMaxSequenceFieldBytes = 11;
void AppendSequenceField(std::string& serialized_event, uint64_t sequence);

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_BATCH_ENCODER_H_
