#include "sdk/src/upload/backoff.h"

#include "gtest/gtest.h"

namespace cairn::sdk {
namespace {

TEST(Backoff, DelaysStayWithinTheExponentialCapAndTheFloor) {
  Backoff backoff(absl::Seconds(1), absl::Seconds(60));
  for (int failures = 1; failures <= 12; ++failures) {
    absl::Duration cap = std::min(absl::Seconds(60), absl::Seconds(1) * (1 << (failures - 1)));
    for (int i = 0; i < 200; ++i) {
      absl::Duration d = backoff.NextDelay(failures, std::nullopt);
      ASSERT_GE(d, absl::Seconds(1));
      ASSERT_LE(d, cap);
    }
  }
}

TEST(Backoff, JitterSpreadsTheDelays) {
  Backoff backoff(absl::Seconds(1), absl::Seconds(300));
  absl::Duration lo = absl::InfiniteDuration(), hi = absl::ZeroDuration();
  for (int i = 0; i < 500; ++i) {
    absl::Duration d = backoff.NextDelay(8, std::nullopt);  // cap 128 s
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, absl::Seconds(30));
  EXPECT_GT(hi, absl::Seconds(90));
}

TEST(Backoff, RetryAfterIsHonouredUpToTheMaximum) {
  Backoff backoff(absl::Seconds(1), absl::Seconds(60));
  EXPECT_GE(backoff.NextDelay(1, absl::Seconds(30)), absl::Seconds(30));
  EXPECT_EQ(backoff.NextDelay(1, absl::Hours(5)), absl::Seconds(60));
}

}  // namespace
}  // namespace cairn::sdk
