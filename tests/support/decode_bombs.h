#ifndef CAIRN_TESTS_SUPPORT_DECODE_BOMBS_H_
#define CAIRN_TESTS_SUPPORT_DECODE_BOMBS_H_

// Batch bodies that are small once compressed but would make a parser
// allocate far more than their size: many empty events, many unknown
// fields, one event with many attributes. Written byte by byte in the wire
// format (building them as messages would cost what they are meant to
// cost the collector). Shared by the decoder's unit tests, the process
// tests and the fuzz seeds.

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::testing {

// Appends `value` as a protobuf varint.
inline void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Appends a length-delimited field `number` holding `bytes`.
inline void AppendBytesField(std::string& out, int number, std::string_view bytes) {
  AppendVarint(out, (static_cast<uint64_t>(number) << 3) | 2);
  AppendVarint(out, bytes.size());
  out.append(bytes);
}

// A cairn.v1.Batch (protobuf) with `batch_id` and `count` empty events.
inline std::string EmptyEventsBatch(std::string_view batch_id, int count) {
  std::string out;
  AppendBytesField(out, 1, batch_id);
  out.reserve(out.size() + 2 * static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) out.append("\x2a\x00", 2);  // field 5, length 0
  return out;
}

// The same in proto3 JSON: {"batchId":"...","events":[{},{},...]}.
inline std::string EmptyEventsJson(std::string_view batch_id, int count) {
  std::string out = "{\"batchId\":\"" + std::string(batch_id) + "\",\"events\":[";
  out.reserve(out.size() + 3 * static_cast<size_t>(count) + 2);
  for (int i = 0; i < count; ++i) out.append(i == 0 ? "{}" : ",{}");
  out.append("]}");
  return out;
}

// A Batch with `batch_id` and `count` empty fields this schema does not know
// (number 99), which a parser keeps as unknown fields.
inline std::string UnknownFieldsBatch(std::string_view batch_id, int count) {
  std::string out;
  AppendBytesField(out, 1, batch_id);
  for (int i = 0; i < count; ++i) out.append("\x9a\x06\x00", 3);  // field 99, length 0
  return out;
}

// A Batch with `batch_id` and one event carrying `count` attributes with
// distinct short keys (a map keeps one entry per distinct key).
inline std::string ManyAttributesBatch(std::string_view batch_id, int count) {
  std::string event;
  for (int i = 0; i < count; ++i) {
    std::string entry;
    AppendBytesField(entry, 1, std::to_string(i));
    AppendBytesField(event, 20, entry);
  }
  std::string out;
  AppendBytesField(out, 1, batch_id);
  AppendBytesField(out, 5, event);
  return out;
}

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_DECODE_BOMBS_H_
