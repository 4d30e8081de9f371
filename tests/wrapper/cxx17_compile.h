#ifndef CAIRN_TESTS_WRAPPER_CXX17_COMPILE_H_
#define CAIRN_TESTS_WRAPPER_CXX17_COMPILE_H_

#include "cairn/cairn_result.hpp"

namespace cairn::testing {

// Twice `value`, or kOutOfRange for a negative one; compiled as C++17.
Result<int> ParsedInCxx17(int value);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_WRAPPER_CXX17_COMPILE_H_
