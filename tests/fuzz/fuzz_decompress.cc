// libFuzzer target: compressed batch bodies. The first byte picks the codec
// (bit 0: zstd or gzip) and the format (bit 1: protobuf or JSON); the rest is
// the body as sent. Checks that the bounded decompression never hands back
// more than the limit and never crashes on broken framing, and (with
// -rss_limit_mb) that no body inflates into more memory than the limits
// allow: the seeds include such bombs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "absl/status/status.h"
#include "cairn/common/codec.h"
#include "fuzz_support.h"
#include "ingest/batch_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  cairn::Codec codec = (data[0] & 1) != 0 ? cairn::Codec::kGzip : cairn::Codec::kZstd;
  auto format = (data[0] & 2) != 0 ? cairn::collector::BatchFormat::kJson
                                   : cairn::collector::BatchFormat::kProtobuf;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  // The server's bound: a smaller one would hide bodies that only cost
  // memory once inflated past it.
  const size_t bound = cairn::fuzz::Limits().max_decompressed_bytes;
  absl::StatusOr<std::string> plain = cairn::Decompress(codec, body, bound);
  if (plain.ok() && plain->size() > bound) std::abort();  // the bound was broken
  cairn::fuzz::DecodeAndCheck(format, codec, body);
  return 0;
}
