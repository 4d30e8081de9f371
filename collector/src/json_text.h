#ifndef CAIRN_COLLECTOR_SRC_JSON_TEXT_H_
#define CAIRN_COLLECTOR_SRC_JSON_TEXT_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace cairn::collector {

// Appends `s` as a JSON string literal (quotes, escapes for '"', '\\' and
// control characters). Bytes >= 0x80 are copied as they are: callers pass
// UTF-8 (protobuf strings are).
void AppendJsonString(std::string_view s, std::string* out);

// RFC 3339 UTC with milliseconds, e.g. "2025-11-23T10:17:13.768Z".
std::string FormatRfc3339(absl::Time t);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SRC_JSON_TEXT_H_
