#ifndef CAIRN_COLLECTOR_OPS_JSON_TEXT_H_
#define CAIRN_COLLECTOR_OPS_JSON_TEXT_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "cairn/common/json_value.h"

namespace cairn::collector {

// JSON string literals: cairn::AppendJsonString (cairn/common/json_value.h).

// RFC 3339 UTC with milliseconds, e.g. "2025-11-23T10:17:13.768Z".
std::string FormatRfc3339(absl::Time t);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_OPS_JSON_TEXT_H_
