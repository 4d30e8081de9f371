#include "cairn/common/codec.h"

#include <string>

#include "gtest/gtest.h"

namespace cairn {
namespace {

std::string Sample() {
  std::string s;
  for (int i = 0; i < 5000; ++i) s += "event-" + std::to_string(i % 97) + ";";
  return s;
}

class CodecRoundTrip : public ::testing::TestWithParam<Codec> {};

TEST_P(CodecRoundTrip, CompressThenDecompressGivesTheInput) {
  std::string input = Sample();
  absl::StatusOr<std::string> packed = Compress(GetParam(), input);
  ASSERT_TRUE(packed.ok()) << packed.status();
  if (GetParam() != Codec::kIdentity) {
    EXPECT_LT(packed->size(), input.size() / 4);
  }
  absl::StatusOr<std::string> unpacked = Decompress(GetParam(), *packed, input.size());
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_EQ(*unpacked, input);
}

TEST_P(CodecRoundTrip, OutputOverTheLimitIsRefused) {
  std::string input(1 << 20, 'a');  // compresses about 1000:1
  absl::StatusOr<std::string> packed = Compress(GetParam(), input);
  ASSERT_TRUE(packed.ok());
  absl::StatusOr<std::string> unpacked = Decompress(GetParam(), *packed, 64 * 1024);
  EXPECT_EQ(unpacked.status().code(), absl::StatusCode::kResourceExhausted);
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecRoundTrip,
                         ::testing::Values(Codec::kIdentity, Codec::kZstd, Codec::kGzip));

TEST(Codec, CorruptInputIsInvalidArgument) {
  for (Codec codec : {Codec::kZstd, Codec::kGzip}) {
    absl::StatusOr<std::string> out = Decompress(codec, "this is not compressed", 1 << 20);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << CodecName(codec);
  }
}

TEST(Codec, TruncatedInputIsInvalidArgument) {
  for (Codec codec : {Codec::kZstd, Codec::kGzip}) {
    absl::StatusOr<std::string> packed = Compress(codec, Sample());
    ASSERT_TRUE(packed.ok());
    std::string cut = packed->substr(0, packed->size() / 2);
    EXPECT_EQ(Decompress(codec, cut, 1 << 20).status().code(), absl::StatusCode::kInvalidArgument)
        << CodecName(codec);
  }
}

TEST(Codec, ParsesContentEncodingHeaders) {
  EXPECT_EQ(ParseCodec(""), Codec::kIdentity);
  EXPECT_EQ(ParseCodec(" ZSTD "), Codec::kZstd);
  EXPECT_EQ(ParseCodec("gzip"), Codec::kGzip);
  EXPECT_EQ(ParseCodec("br"), std::nullopt);
  EXPECT_EQ(CodecName(Codec::kZstd), "zstd");
}

}  // namespace
}  // namespace cairn
