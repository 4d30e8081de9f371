#include "cairn/common/uuid.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace cairn {
namespace {

TEST(UuidV7, HasCanonicalFormVersionAndVariant) {
  UuidV7Generator gen;
  std::string id = gen.Next(absl::FromUnixMillis(1700000000123));
  EXPECT_TRUE(IsCanonicalUuid(id)) << id;
  EXPECT_EQ(UuidVersion(id), 7);
  // The first 48 bits are the Unix milliseconds.
  EXPECT_EQ(id.substr(0, 8) + id.substr(9, 4), "018bcfe5687b");
}

TEST(UuidV7, IdsStrictlyIncreaseWithinAMillisecondAndWhenTheClockStepsBack) {
  UuidV7Generator gen;
  absl::Time t = absl::FromUnixMillis(1700000000000);
  std::string previous = gen.Next(t);
  for (int i = 0; i < 10000; ++i) {
    absl::Time now = (i == 5000) ? t - absl::Seconds(3) : t;  // a clock step back
    std::string id = gen.Next(now);
    ASSERT_LT(previous, id) << "at " << i;
    previous = id;
  }
}

TEST(UuidV7, ConcurrentCallersNeverCollide) {
  UuidV7Generator gen;
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) {
    threads.emplace_back([&gen, &out] {
      for (int i = 0; i < 5000; ++i) out.push_back(gen.Next(absl::Now()));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& out : per_thread) all.insert(out.begin(), out.end());
  EXPECT_EQ(all.size(), 20000u);
}

TEST(Uuid, RejectsMalformedText) {
  EXPECT_FALSE(IsCanonicalUuid(""));
  EXPECT_FALSE(IsCanonicalUuid("018bcfe5-687b-7000-8000-00000000000"));   // short
  EXPECT_FALSE(IsCanonicalUuid("018bcfe5x687b-7000-8000-000000000000"));  // no dash
  EXPECT_FALSE(IsCanonicalUuid("018bcfe5-687b-7000-c000-000000000000"));  // variant
  EXPECT_FALSE(IsCanonicalUuid("018bcfe5-687b-7000-8000-00000000000g"));  // not hex
  EXPECT_EQ(UuidVersion("018bcfe5-687b-4000-8000-000000000000"), 4);
  EXPECT_EQ(UuidVersion("nonsense"), -1);
}

TEST(Uuid, RandomHexIdsAreDistinct) {
  std::string a = RandomHexId(), b = RandomHexId();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace cairn
