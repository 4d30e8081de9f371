// The one route table: literal and "{name}" segments, subtrees, methods,
// first match wins, and hostile paths that must match nothing.

#include "http/route_table.h"

#include "gtest/gtest.h"

namespace cairn::collector {
namespace {

enum : int { kList = 1, kOne, kExport, kFiles, kRoot };

RouteTable Table() {
  RouteTable table;
  table.Add("/v1/users", "GET", kList);
  table.Add("/v1/users/{id}", "GET, DELETE", kOne);
  table.Add("/v1/users/{id}/export", "GET", kExport);
  table.Add("/assets/**", "", kFiles);
  table.Add("/", "GET", kRoot);
  return table;
}

TEST(CollectorRouteTableTest, MatchesLiteralAndParameterSegments) {
  RouteTable table = Table();
  std::optional<RouteMatch> list = table.Match("/v1/users");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(list->id, kList);
  EXPECT_TRUE(list->params.empty());

  std::optional<RouteMatch> one = table.Match("/v1/users/alice%2Fbob");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->id, kOne);
  ASSERT_EQ(one->params.size(), 1u);
  EXPECT_EQ(one->params[0], "alice%2Fbob");  // still encoded: never a separator

  std::optional<RouteMatch> exported = table.Match("/v1/users/u1/export?format=json");
  ASSERT_TRUE(exported.has_value());
  EXPECT_EQ(exported->id, kExport);
  EXPECT_EQ(exported->params[0], "u1");
  EXPECT_EQ(table.Match("/")->id, kRoot);
}

TEST(CollectorRouteTableTest, MethodsAreTheAllowHeaderValue) {
  // The match views the table, which must outlive it.
  RouteTable table = Table();
  std::optional<RouteMatch> one = table.Match("/v1/users/u1");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->methods, "GET, DELETE");
  EXPECT_TRUE(one->Allows("GET"));
  EXPECT_TRUE(one->Allows("DELETE"));
  EXPECT_FALSE(one->Allows("PUT"));
  EXPECT_FALSE(one->Allows("GET, DELETE"));
  EXPECT_FALSE(one->Allows(""));
}

TEST(CollectorRouteTableTest, SubtreesMatchTheirRootAndEverythingBelow) {
  RouteTable table = Table();
  EXPECT_EQ(table.Match("/assets")->id, kFiles);
  EXPECT_EQ(table.Match("/assets/")->id, kFiles);
  EXPECT_EQ(table.Match("/assets/css/cairn.css")->id, kFiles);
  EXPECT_FALSE(table.Match("/assetsX").has_value());
}

TEST(CollectorRouteTableTest, PathsThatFitNoPatternMatchNothing) {
  RouteTable table = Table();
  for (const char* path :
       {"", "v1/users", "/v1/users/", "/v1/users//export", "/v1/users/u1/export/x", "/v1/Users",
        "/v1/users/u1/exports", "//", "/v1", "/v2/users"}) {
    EXPECT_FALSE(table.Match(path).has_value()) << path;
  }
}

TEST(CollectorRouteTableTest, TheFirstPatternAddedWins) {
  RouteTable table;
  table.Add("/a/{x}", "GET", 1);
  table.Add("/a/b", "POST", 2);
  EXPECT_EQ(table.Match("/a/b")->id, 1);
  EXPECT_EQ(table.Match("/a/c")->id, 1);
}

}  // namespace
}  // namespace cairn::collector
