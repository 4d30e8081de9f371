#ifndef CAIRN_COMMON_STRINGS_H_
#define CAIRN_COMMON_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace cairn {

// Debian's abseil is built with its own absl::string_view (not an alias of
// std::string_view). Cairn's APIs use std::string_view; these bridge the two
// at the call sites of absl string functions. Free: no copy.
inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace cairn

#endif  // CAIRN_COMMON_STRINGS_H_
