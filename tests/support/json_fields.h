#ifndef CAIRN_TESTS_SUPPORT_JSON_FIELDS_H_
#define CAIRN_TESTS_SUPPORT_JSON_FIELDS_H_

#include <string>
#include <string_view>
#include <vector>

namespace cairn::testing {

// Minimal readers for the collector's JSON answers in tests.
// google.protobuf.Struct would parse them, but its map lives in the
// uninstrumented libprotobuf and crashes the ThreadSanitizer build when read
// from instrumented code. They assume test data with no characters that JSON
// escapes.

// The raw value text after the first "key": (up to ',', '}' or ']'), or
// "<missing>".
std::string RawValue(std::string_view json, std::string_view key);

// Every string value of "key":"..." in `json`, in order.
std::vector<std::string> StringValues(std::string_view json, std::string_view key);

// The strings of the first array "key":[...]; empty (and a test failure) if
// there is none.
std::vector<std::string> StringArray(std::string_view json, std::string_view key);

// The text of `json` from "key": up to the next "next_key": (or the end).
std::string_view Section(std::string_view json, std::string_view key,
                         std::string_view next_key = "");

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_JSON_FIELDS_H_
