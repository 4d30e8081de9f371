// Unit tests of the customer-success pieces without a store: customer-link
// signing. (Admin request bodies are read through their cairn.admin.v1
// messages; tests/collector/http/proto_json_test.cc covers that.)
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/customer_link.h"
#include "gtest/gtest.h"

namespace cairn::collector {
namespace {

constexpr char kKey[] = "customer-link-key-0123456789";
const absl::Time kNow = absl::FromUnixSeconds(1790000000);

TEST(CollectorCustomerLinkTest, RoundTripsUntilItExpires) {
  std::string token = SignCustomerLink(kKey, "acme/eu", kNow + absl::Hours(1));
  EXPECT_EQ(token.find('='), std::string::npos);  // unpadded base64url
  auto link = VerifyCustomerLink(kKey, token, kNow);
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->account_id, "acme/eu");
  EXPECT_EQ(link->expires_at, kNow + absl::Hours(1));
  auto expired = VerifyCustomerLink(kKey, token, kNow + absl::Hours(1));
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(expired.status().message(), "link expired");
}

TEST(CollectorCustomerLinkTest, RefusesTamperedOrForeignTokens) {
  const std::string token = SignCustomerLink(kKey, "alpha", kNow + absl::Hours(1));
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  const std::string other = absl::WebSafeBase64Escape("beta");
  std::string flipped = parts[2];
  flipped.back() = flipped.back() == 'a' ? 'b' : 'a';
  for (const std::string& bad :
       {absl::StrCat(other, ".", parts[1], ".", parts[2]),
        absl::StrCat(parts[0], ".", std::stoll(parts[1]) + 1, ".", parts[2]),
        absl::StrCat(parts[0], ".0", parts[1], ".", parts[2]),   // non-canonical expiry
        absl::StrCat(parts[0], "==.", parts[1], ".", parts[2]),  // padding
        absl::StrCat(parts[0], ".", parts[1], ".", flipped), absl::StrCat(parts[0], ".", parts[1]),
        std::string("...."), std::string(""),
        SignCustomerLink("another-key-0123456789", "alpha", kNow + absl::Hours(1))}) {
    EXPECT_EQ(VerifyCustomerLink(kKey, bad, kNow).status().code(),
              absl::StatusCode::kUnauthenticated)
        << bad;
  }
  EXPECT_EQ(VerifyCustomerLink("", token, kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace cairn::collector
