#ifndef CAIRN_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define CAIRN_TESTS_FUZZ_FUZZ_SUPPORT_H_

// Shared settings of the fuzz targets: fixed, so a crash replays the same.

#include <cstdlib>
#include <string_view>

#include "absl/time/time.h"
#include "ingest/batch_decoder.h"

namespace cairn::fuzz {

// The collector's own default limits. A smaller decompressed bound would
// keep each input cheap but also hide what only a large body does: a few
// hundred compressed bytes that inflate to millions of parsed elements stay
// small under a 1 MiB bound and never reach -rss_limit_mb.
inline collector::DecodeLimits Limits() { return collector::DecodeLimits{}; }

// A fixed receipt time (2026-09-21): timestamp checks replay identically.
inline absl::Time ReceivedAt() { return absl::FromUnixSeconds(1790000000); }

// Decodes `body` as the collector would and aborts if a batch it accepts
// breaks the limits it was decoded under.
inline void DecodeAndCheck(collector::BatchFormat format, Codec codec, std::string_view body) {
  const collector::DecodeLimits limits = Limits();
  absl::StatusOr<collector::DecodedBatch> decoded =
      collector::DecodeBatch(format, codec, body, limits, ReceivedAt());
  if (decoded.ok() && decoded->record.event_count > limits.max_events_per_batch) std::abort();
}

}  // namespace cairn::fuzz

#endif  // CAIRN_TESTS_FUZZ_FUZZ_SUPPORT_H_
