#ifndef CAIRN_COMMON_JSON_VALUE_H_
#define CAIRN_COMMON_JSON_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace cairn {

// A parsed JSON document: the collector's admin request bodies and
// cairnctl's reading of the collector's answers. Lookups never fail: a
// missing key, a wrong type or an index out of range gives a null value (or
// nullptr from Find), so optional fields read plainly.
class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;
  static JsonValue Bool(bool value);
  // `literal`: the number as written, kept for AsInt (empty: none).
  static JsonValue Number(double value, std::string_view literal = {});
  static JsonValue String(std::string value);
  static JsonValue Array(std::vector<JsonValue> items);
  static JsonValue Object(std::vector<std::pair<std::string, JsonValue>> members);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // The member `key` of an object (the last if repeated, like JSON.parse),
  // else nullptr. Cost: a scan of the members.
  const JsonValue* Find(std::string_view key) const;
  // Find, with a null value for nullptr.
  const JsonValue& operator[](std::string_view key) const;
  // Item `index` of an array, else null.
  const JsonValue& operator[](size_t index) const;
  // Items of an array (empty for anything else).
  const std::vector<JsonValue>& items() const { return items_; }
  // Members of an object in document order (empty for anything else).
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return members_; }

  std::optional<double> number() const;
  // The number as an int64 if its literal is an integer (no fraction or
  // exponent) that fits; nullopt otherwise. Free.
  std::optional<int64_t> AsInt() const;
  // The value of a string, else `fallback`.
  std::string str(std::string_view fallback = "") const;
  bool boolean(bool fallback = false) const { return type_ == Type::kBool ? bool_ : fallback; }

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;  // a string's value, or a number's literal
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// Parses RFC 8259 JSON (one value, surrounding whitespace allowed; \u
// escapes with surrogate pairs become UTF-8). InvalidArgument with the byte
// offset on malformed input, nesting deeper than `max_depth` or trailing
// text. Cost: linear in the text.
absl::StatusOr<JsonValue> ParseJson(std::string_view text, int max_depth = 64);

// Appends `text` as a JSON string literal to `out`: quotes, '"', '\\' and
// control characters escaped, other bytes as they are (UTF-8 passes
// through). Cost: linear in the text.
void AppendJsonString(std::string_view text, std::string* out);
// AppendJsonString into a new string.
std::string JsonQuote(std::string_view text);

}  // namespace cairn

#endif  // CAIRN_COMMON_JSON_VALUE_H_
