#ifndef CAIRN_COLLECTOR_SRC_JSON_VALUE_H_
#define CAIRN_COLLECTOR_SRC_JSON_VALUE_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace cairn::collector {

// A parsed JSON value (RFC 8259), for the small admin request bodies.
struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;  // kString: the decoded string; kNumber: the literal
  std::vector<JsonValue> items;                             // kArray
  std::vector<std::pair<std::string, JsonValue>> members;   // kObject, in order

  // The member `key` of an object (the last one if repeated); null if absent
  // or not an object. Cost: a scan of the members.
  const JsonValue* Find(std::string_view key) const;
  // The number as an integer if it is one exactly (no fraction or exponent,
  // fits int64); nullopt otherwise. Free.
  std::optional<int64_t> AsInt() const;
};

// Parses `text` (one value, surrounding whitespace allowed). At most 32
// levels of nesting. Fails with InvalidArgument and a short reason. Cost:
// linear in the text.
absl::StatusOr<JsonValue> ParseJson(std::string_view text);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SRC_JSON_VALUE_H_
