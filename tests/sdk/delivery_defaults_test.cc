// The default Options against the real cairn-collector on loopback: a burst
// an app can really produce (one thread recording in a tight loop while
// delivery runs) loses nothing.
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "collector_process.h"
#include "delivery_support.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn {
namespace {

constexpr char kKey[] = "defaults-write-key";

TEST(DeliveryDefaults, ATightLoopOfAHundredThousandEventsIsDeliveredWhole) {
  if (testing::CollectorBinaryPath().empty()) GTEST_SKIP() << "built without the collector";
  testing::TempDir dir;
  const std::string db_path = dir.File("collector.db");
  auto collector = testing::StartCollectorFor(db_path, kKey);
  ASSERT_TRUE(collector.ok()) << collector.status();

  Options o;  // the defaults, but for where and whom to send to
  o.collector_url = (*collector)->base_url();
  o.write_key = kKey;
  o.storage_dir = dir.File("device");
  o.app = {"defaults", "1"};
  auto client = Client::Create(o);
  ASSERT_TRUE(client.ok()) << client.status();
  testing::GrantEventPurposes(**client);
  ASSERT_TRUE((*client)->RecordLogin("acme", "alice", "password").ok());

  constexpr int kEvents = 100000;
  int refused = 0;
  for (int i = 0; i < kEvents; ++i) {
    if (!(*client)->RecordMilestone("tight_loop", i).ok()) ++refused;
  }
  EXPECT_EQ(refused, 0);
  ASSERT_TRUE((*client)->Flush(absl::Now() + absl::Seconds(120)).ok());
  Stats stats = (*client)->GetStats();
  EXPECT_EQ(stats.recorded, kEvents + 1u);
  EXPECT_TRUE(stats.dropped.empty());
  EXPECT_EQ(stats.acknowledged, kEvents + 3u);  // with the two consent records
  ASSERT_TRUE((*client)->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  ASSERT_TRUE((*collector)->Stop().ok());

  size_t stored = 0;
  for (const auto& [id, copies] : testing::StoredEventIds(db_path)) {
    EXPECT_EQ(copies, 1) << id;
    ++stored;
  }
  EXPECT_EQ(stored, kEvents + 1u);
}

}  // namespace
}  // namespace cairn
