// Command-line flags ("--name=value") and fatal status checks for the
// benchmark programs that run outside Google Benchmark's own flag parsing.
#ifndef CAIRN_BENCH_BENCH_FLAGS_H_
#define CAIRN_BENCH_BENCH_FLAGS_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/status/status.h"

namespace cairn::bench {

// The text of "--name=value" in argv; `fallback` when absent.
inline std::string FlagText(int argc, char** argv, const char* name, std::string fallback) {
  const size_t len = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], name, len) == 0 && argv[i][len] == '=') return argv[i] + len + 1;
  }
  return fallback;
}

// The number of "--name=value" in argv (0 when not a number); `fallback` when absent.
inline int64_t FlagValue(int argc, char** argv, const char* name, int64_t fallback) {
  const std::string text = FlagText(argc, argv, name, "");
  return text.empty() ? fallback : std::atoll(text.c_str());
}

// Exits the benchmark with `what` and the message unless `s` is OK.
inline void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, std::string(s.message()).c_str());
    std::exit(1);
  }
}

}  // namespace cairn::bench

#endif  // CAIRN_BENCH_BENCH_FLAGS_H_
