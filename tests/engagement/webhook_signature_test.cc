#include "cairn/engagement/webhook_signature.h"

#include <string>

#include "gtest/gtest.h"

namespace cairn::engagement {
namespace {

constexpr std::string_view kSecret = "whsec_test";
constexpr std::string_view kBody = R"({"account":"acme","state":"drop"})";
const absl::Time kT = absl::FromUnixSeconds(1790000000);

// Computed independently with:
//   printf '%s' '1790000000.{"account":"acme","state":"drop"}' | openssl dgst -sha256 -hmac
//   whsec_test
constexpr std::string_view kExpected =
    "t=1790000000,v1=6fa3f300f173c5619d64bc58edab38d4e03a74e5ce57dd271c3dccce346f71cd";

TEST(WebhookSignatureTest, MatchesOpensslVector) {
  auto header = SignWebhook(kSecret, kT + absl::Milliseconds(999), kBody);  // floored
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(*header, kExpected);
}

TEST(WebhookSignatureTest, VerifiesWithinTolerance) {
  EXPECT_TRUE(VerifyWebhook(kSecret, kExpected, kBody, kT).ok());
  EXPECT_TRUE(VerifyWebhook(kSecret, kExpected, kBody, kT + absl::Minutes(5)).ok());
  EXPECT_TRUE(VerifyWebhook(kSecret, kExpected, kBody, kT - absl::Minutes(5)).ok());
  EXPECT_EQ(
      VerifyWebhook(kSecret, kExpected, kBody, kT + absl::Minutes(5) + absl::Seconds(1)).code(),
      absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(VerifyWebhook(kSecret, kExpected, kBody, kT + absl::Hours(1), absl::Hours(2)).ok());
}

TEST(WebhookSignatureTest, RejectsTamperingAndWrongSecret) {
  std::string body(kBody);
  body[2] = 'b';
  EXPECT_EQ(VerifyWebhook(kSecret, kExpected, body, kT).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyWebhook("whsec_other", kExpected, kBody, kT).code(),
            absl::StatusCode::kPermissionDenied);
  // A changed timestamp invalidates the signature (it is signed too).
  std::string header(kExpected);
  header.replace(2, 10, "1790000001");
  EXPECT_EQ(VerifyWebhook(kSecret, header, kBody, kT).code(), absl::StatusCode::kPermissionDenied);
}

TEST(WebhookSignatureTest, AnyOfSeveralSignaturesAndUnknownKeys) {
  const std::string rotated =
      "t=1790000000,v0=zz,v1=" + std::string(64, '0') + "," + std::string(kExpected.substr(13));
  EXPECT_TRUE(VerifyWebhook(kSecret, rotated, kBody, kT).ok()) << rotated;
}

TEST(WebhookSignatureTest, RejectsMalformedHeaders) {
  const std::string v1 = std::string(kExpected.substr(13));  // "v1=..."
  for (const std::string& header :
       {std::string(""), v1, "t=abc," + v1, "t=," + v1, "t=1790000000,t=1790000000," + v1,
        std::string("t=1790000000"), "t=1790000000,junk," + v1}) {
    EXPECT_EQ(VerifyWebhook(kSecret, header, kBody, kT).code(), absl::StatusCode::kInvalidArgument)
        << header;
  }
  EXPECT_EQ(VerifyWebhook("", kExpected, kBody, kT).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SignWebhook("", kT, kBody).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SignWebhook(kSecret, absl::InfiniteFuture(), kBody).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn::engagement
