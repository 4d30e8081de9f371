#include "cairn/common/crypto.h"

#include "gtest/gtest.h"

namespace cairn {
namespace {

TEST(Crypto, Sha256MatchesTheFipsVector) {
  EXPECT_EQ(ToHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HmacSha256MatchesRfc4231) {
  // RFC 4231, test case 2.
  EXPECT_EQ(ToHex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_NE(HmacSha256("key-a", "user-1"), HmacSha256("key-b", "user-1"));
  EXPECT_EQ(HmacSha256("", "x").size(), 32u);
}

TEST(Crypto, HexRoundTripsAndRefusesWhatIsNotLowercaseHex) {
  const std::string bytes("\x00\x01\x7f\x80\xff", 5);
  EXPECT_EQ(HexEncode(bytes), "00017f80ff");
  absl::StatusOr<std::string> decoded = HexDecode("00017f80ff");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, bytes);
  EXPECT_EQ(*HexDecode(""), "");
  EXPECT_TRUE(absl::IsInvalidArgument(HexDecode("abc").status()));  // odd length
  EXPECT_TRUE(absl::IsInvalidArgument(HexDecode("0G").status()));   // not hex
  EXPECT_TRUE(absl::IsInvalidArgument(HexDecode("FF").status()));   // not lowercase
}

TEST(Crypto, ConstantTimeEqualsComparesContentAndSize) {
  EXPECT_TRUE(ConstantTimeEquals("secret-token", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("secret-token", "secret-tokeN"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret-token"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals(Sha256("a"), Sha256("a")));
  EXPECT_FALSE(ConstantTimeEquals(Sha256("a"), Sha256("b")));
}

}  // namespace
}  // namespace cairn
