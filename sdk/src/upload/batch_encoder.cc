#include "sdk/src/upload/batch_encoder.h"

namespace cairn::sdk {
namespace {

constexpr char kEventsFieldTag = (5 << 3) | 2;  // Batch.events, length-delimited

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

}  // namespace cairn::sdk
