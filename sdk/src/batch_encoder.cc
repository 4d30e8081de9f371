#include "sdk/src/batch_encoder.h"

namespace cairn::sdk {
namespace {

constexpr char kEventsFieldTag = (5 << 3) | 2;  // Batch.events, length-delimited
constexpr char kSequenceFieldTag = (5 << 3) | 0;  // Event.sequence, varint

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

}  // namespace

std::string EncodeBatch(const cairn::v1::Batch& header, std::span<const BufferedEvent> events) {
  std::string out = header.SerializeAsString();
  size_t total = out.size();
  for (const BufferedEvent& e : events) total += e.payload.size() + 6;
  out.reserve(total);
  for (const BufferedEvent& e : events) {
    out.push_back(kEventsFieldTag);
    AppendVarint(out, e.payload.size());
    out.append(e.payload);
  }
  return out;
}

void AppendSequenceField(std::string& serialized_event, uint64_t sequence) {
  serialized_event.push_back(kSequenceFieldTag);
  AppendVarint(serialized_event, sequence);
}

}  // namespace cairn::sdk
