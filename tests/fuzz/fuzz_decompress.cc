// libFuzzer target: compressed batch bodies. The first byte picks the codec
// (bit 0: zstd or gzip) and the format (bit 1: protobuf or JSON); the rest is
// the body as sent. Checks that the bounded decompression never hands back
// more than the limit and never crashes on broken framing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "absl/status/status.h"
#include "ingest/batch_decoder.h"
#include "cairn/common/codec.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  cairn::Codec codec = (data[0] & 1) != 0 ? cairn::Codec::kGzip : cairn::Codec::kZstd;
  auto format = (data[0] & 2) != 0 ? cairn::collector::BatchFormat::kJson
                                   : cairn::collector::BatchFormat::kProtobuf;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr size_t kBound = 64 << 10;
  absl::StatusOr<std::string> plain = cairn::Decompress(codec, body, kBound);
  if (plain.ok() && plain->size() > kBound) std::abort();  // the bound was broken
  cairn::collector::DecodeLimits limits = cairn::fuzz::Limits();
  limits.max_decompressed_bytes = kBound;
  cairn::collector::DecodeBatch(format, codec, body, limits, cairn::fuzz::ReceivedAt())
      .IgnoreError();
  return 0;
}
