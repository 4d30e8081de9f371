#include "cairn/common/codec.h"

#include <zlib.h>
#include <zstd.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"

namespace cairn {
namespace {

constexpr size_t kChunk = 64 * 1024;

absl::StatusOr<std::string> ZstdCompress(std::string_view in, int level) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level == 0 ? 3 : level);
  if (ZSTD_isError(n)) {
    return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
  }
  out.resize(n);
  return out;
}

absl::StatusOr<std::string> ZstdDecompress(std::string_view in, size_t max_out) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (!ctx) return absl::InternalError("zstd: out of memory");
  // Bounds the window a hostile frame may ask us to allocate (8 MiB).
  ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax, 23);
  std::string out;
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  size_t last = 1;
  while (input.pos < input.size || last != 0) {
    size_t old = out.size();
    out.resize(old + kChunk);
    ZSTD_outBuffer output{out.data() + old, kChunk, 0};
    last = ZSTD_decompressStream(ctx.get(), &output, &input);
    out.resize(old + output.pos);
    if (ZSTD_isError(last)) {
      return absl::InvalidArgumentError(absl::StrCat("zstd: ", ZSTD_getErrorName(last)));
    }
    if (out.size() > max_out) {
      return absl::ResourceExhaustedError("decompressed body over the limit");
    }
    if (input.pos == input.size && output.pos == 0 && last != 0) {
      return absl::InvalidArgumentError("zstd: truncated frame");
    }
  }
  return out;
}

absl::StatusOr<std::string> GzipCompress(std::string_view in, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level == 0 ? 6 : level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return absl::InternalError("zlib: deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return absl::InternalError("zlib: deflate failed");
  return out;
}

absl::StatusOr<std::string> GzipDecompress(std::string_view in, size_t max_out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) {
    return absl::InternalError("zlib: inflateInit2 failed");
  }
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&zs, &inflateEnd);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    size_t old = out.size();
    out.resize(old + kChunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs.avail_out = kChunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(old + (kChunk - zs.avail_out));
    if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR) {
      return absl::InvalidArgumentError("gzip: corrupt stream");
    }
    if (out.size() > max_out) {
      return absl::ResourceExhaustedError("decompressed body over the limit");
    }
    if (rc == Z_BUF_ERROR || (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)) {
      return absl::InvalidArgumentError("gzip: truncated stream");
    }
  }
  return out;
}

}  // namespace

std::string_view CodecName(Codec codec) {
  switch (codec) {
    case Codec::kZstd:
      return "zstd";
    case Codec::kGzip:
      return "gzip";
    case Codec::kIdentity:
      break;
  }
  return "identity";
}

std::optional<Codec> ParseCodec(std::string_view value) {
  std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(ToAbsl(value)));
  if (v.empty() || v == "identity") return Codec::kIdentity;
  if (v == "zstd") return Codec::kZstd;
  if (v == "gzip" || v == "x-gzip") return Codec::kGzip;
  return std::nullopt;
}

absl::StatusOr<std::string> Compress(Codec codec, std::string_view input, int level) {
  switch (codec) {
    case Codec::kZstd:
      return ZstdCompress(input, level);
    case Codec::kGzip:
      return GzipCompress(input, level);
    case Codec::kIdentity:
      break;
  }
  return std::string(input);
}

absl::StatusOr<std::string> Decompress(Codec codec, std::string_view input, size_t max_output) {
  switch (codec) {
    case Codec::kZstd:
      return ZstdDecompress(input, max_output);
    case Codec::kGzip:
      return GzipDecompress(input, max_output);
    case Codec::kIdentity:
      break;
  }
  if (input.size() > max_output) {
    return absl::ResourceExhaustedError("body over the limit");
  }
  return std::string(input);
}

}  // namespace cairn
