// A recording process killed with SIGKILL loses nothing that Flush reported
// durable: the next start delivers all of it.
#include <set>
#include <string>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "fake_collector.h"
#include "gtest/gtest.h"
#include "recorder_process.h"
#include "temp_dir.h"

namespace cairn {
namespace {

TEST(CrashSafety, SigkillLosesNothingThatWasFlushed) {
  cairn::testing::TempDir dir;
  const std::string storage = dir.File("device");
  constexpr int kFlushed = 5000;
  cairn::testing::RecorderProcess child(storage, kFlushed);
  ASSERT_GT(child.pid(), 0);
  ASSERT_EQ(child.line(), "durable " + std::to_string(kFlushed));
  ASSERT_TRUE(child.Kill());  // mid-recording, mid-commit perhaps

  auto fake = std::make_shared<cairn::testing::FakeCollector>();
  Options o;
  o.collector_url = "http://127.0.0.1:1";
  o.write_key = "kill-test";
  o.storage_dir = storage;
  o.transport = fake;
  auto client = Client::Create(o);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Flush(absl::Now() + absl::Seconds(30)).ok());
  std::set<uint64_t> sequences;
  for (const auto& batch : fake->batches()) {
    for (const auto& e : batch.events()) {
      if (!e.has_consent_change()) sequences.insert(e.sequence());
    }
  }
  for (uint64_t seq = 1; seq <= kFlushed; ++seq) {
    ASSERT_TRUE(sequences.count(seq)) << "flushed event " << seq << " was lost";
  }
  // What came after the flush and survived is delivered too, in order.
  EXPECT_EQ(*sequences.rbegin(), sequences.size());
}

}  // namespace
}  // namespace cairn
