// cairn.hpp promises C++17: this file is compiled with -std=c++17 (see
// CMakeLists.txt) and its function is called by header_test.cc.
#include "cxx17_compile.h"

#include "cairn/cairn.hpp"

static_assert(__cplusplus == 201703L, "this file must be compiled as C++17");

namespace cairn::testing {

Result<int> ParsedInCxx17(int value) {
  if (value < 0) return Error{ErrorCode::kOutOfRange, "negative"};
  return value * 2;
}

}  // namespace cairn::testing
