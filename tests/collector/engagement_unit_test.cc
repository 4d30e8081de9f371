// Unit tests of the issue 6 collector pieces without a store: the JSON
// reader (cairn::common's) as admin request bodies use it, and
// customer-link signing.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/customer_link.h"
#include "cairn/common/json_value.h"
#include "gtest/gtest.h"

namespace cairn::collector {
namespace {

TEST(CollectorJsonValueTest, ParsesObjectsArraysStringsNumbersAndNull) {
  auto v = ParseJson(
      R"( {"seats": 25, "ratio": 0.5, "date": null, "names": ["a", "b\"c", "\u00e9\ud83d\ude00"],
          "ok": true, "nested": {"x": []}} )");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_NE(v->Find("seats"), nullptr);
  EXPECT_EQ(v->Find("seats")->AsInt(), 25);
  EXPECT_EQ(v->Find("ratio")->AsInt(), std::nullopt);
  EXPECT_EQ(v->Find("date")->type(), JsonValue::Type::kNull);
  const JsonValue* names = v->Find("names");
  ASSERT_NE(names, nullptr);
  ASSERT_EQ(names->items().size(), 3u);
  EXPECT_EQ(names->items()[1].str(), "b\"c");
  EXPECT_EQ(names->items()[2].str(), "\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(v->Find("ok")->boolean());
  EXPECT_EQ(v->Find("nested")->Find("x")->type(), JsonValue::Type::kArray);
  EXPECT_EQ(v->Find("missing"), nullptr);
  // The last of repeated keys wins.
  EXPECT_EQ(ParseJson(R"({"a":1,"a":2})")->Find("a")->AsInt(), 2);
  EXPECT_EQ(ParseJson("-7")->AsInt(), -7);
  EXPECT_EQ(ParseJson("1e2")->AsInt(), std::nullopt);
  EXPECT_EQ(ParseJson("99999999999999999999")->AsInt(), std::nullopt);
}

TEST(CollectorJsonValueTest, RefusesMalformedInput) {
  for (const std::string bad :
       {"", "{", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "{\"a\":1} x", "nul", "\"\\x\"", "\"\\ud83d\"",
        "\"a\nb\"", "{a:1}", "-", "1.2.3", "\"unterminated"}) {
    EXPECT_EQ(ParseJson(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  std::string deep(40, '[');
  deep += std::string(40, ']');
  EXPECT_TRUE(ParseJson(deep).ok());  // default bound 64
  EXPECT_FALSE(ParseJson(deep, 32).ok());  // the admin bodies' bound
}

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
