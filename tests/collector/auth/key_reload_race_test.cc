// WriteKeySet::ReplaceWith while other threads check keys: a check must
// finish on the key list it started with, never on one a reload freed. Run
// under ThreadSanitizer (scripts/test.sh) this also shows no data race.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/write_key_set.h"
#include "gtest/gtest.h"

namespace cairn::collector {
namespace {

TEST(CollectorWriteKeySetRaceTest, ReloadingWhileThreadsMatchKeepsEveryCheckRight) {
  constexpr char kKept[] = "kept-key-0001";
  auto keys = WriteKeySet::FromKeys({kKept});
  ASSERT_TRUE(keys.ok()) << keys.status();

  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::atomic<int> checks{0};
  std::vector<std::thread> matchers;
  for (int t = 0; t < 3; ++t) {
    matchers.emplace_back([&] {
      while (!stop.load()) {
        // The kept key is in every list a reload installs; the other never is.
        if (!keys->MatchAuthorization("Bearer kept-key-0001").has_value()) ++wrong;
        if (keys->Contains("never-a-key-9")) ++wrong;
        ++checks;
      }
    });
  }
  // Each reload installs a list only the set holds, so the list it replaces
  // is freed at once unless a check still holds it.
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::string> fresh = {kKept};
    for (int k = 0; k < i % 16; ++k) fresh.push_back(absl::StrCat("extra-key-", i, "-", k));
    auto loaded = WriteKeySet::FromKeys(fresh);
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status();  // the matchers must still be joined
      break;
    }
    keys->ReplaceWith(*loaded);
  }
  stop.store(true);
  for (std::thread& matcher : matchers) matcher.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(checks.load(), 0);
  EXPECT_TRUE(keys->Contains(kKept));
}

}  // namespace
}  // namespace cairn::collector
