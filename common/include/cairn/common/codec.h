#ifndef CAIRN_COMMON_CODEC_H_
#define CAIRN_COMMON_CODEC_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cairn {

// HTTP Content-Encoding used for batch bodies.
enum class Codec { kIdentity, kZstd, kGzip };

// The Content-Encoding header value for `codec` ("identity", "zstd", "gzip").
std::string_view CodecName(Codec codec);

// Parses a Content-Encoding header value (case-insensitive, surrounding spaces
// ignored). Empty means identity. Returns nullopt for anything unsupported.
std::optional<Codec> ParseCodec(std::string_view content_encoding);

// Compresses `input`. `level` 0 picks the codec's default (zstd 3, gzip 6).
// Cost: linear in input. Fails only on a library error (Internal).
absl::StatusOr<std::string> Compress(Codec codec, std::string_view input, int level = 0);

// Decompresses `input`, streaming, and fails with ResourceExhausted as soon as
// the output would exceed `max_output` bytes, so a compression bomb never
// allocates more than the bound. Corrupt or truncated input: InvalidArgument.
absl::StatusOr<std::string> Decompress(Codec codec, std::string_view input, size_t max_output);

}  // namespace cairn

#endif  // CAIRN_COMMON_CODEC_H_
