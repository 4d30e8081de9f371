#ifndef CAIRN_COMMON_JSON_VALUE_H_
#define CAIRN_COMMON_JSON_VALUE_H_

#include <string>
#include <string_view>

namespace cairn {

// JSON string literals for the hand-written JSON that remains (log lines,
// webhook bodies, stored attribute maps). Documents are read and written
// through protobuf's JSON mapping, not here.

// Appends `text` as a JSON string literal to `out`: quotes, '"', '\\' and
// control characters escaped, other bytes as they are (UTF-8 passes
// through). Cost: linear in the text.
void AppendJsonString(std::string_view text, std::string* out);
// AppendJsonString into a new string.
std::string JsonQuote(std::string_view text);

}  // namespace cairn

#endif  // CAIRN_COMMON_JSON_VALUE_H_
