#ifndef CAIRN_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define CAIRN_TESTS_FUZZ_FUZZ_SUPPORT_H_

// Shared settings of the fuzz targets: fixed, so a crash replays the same.

#include "absl/time/time.h"
#include "ingest/batch_decoder.h"

namespace cairn::fuzz {

// The collector's default limits but a 1 MiB decompressed bound, so one
// input stays cheap.
inline collector::DecodeLimits Limits() {
  collector::DecodeLimits limits;
  limits.max_decompressed_bytes = 1 << 20;
  return limits;
}

// A fixed receipt time (2026-09-21): timestamp checks replay identically.
inline absl::Time ReceivedAt() { return absl::FromUnixSeconds(1790000000); }

}  // namespace cairn::fuzz

#endif  // CAIRN_TESTS_FUZZ_FUZZ_SUPPORT_H_
