// Drop counts outlive the process: drops counted while the collector was
// away are reported by the next Client on the same storage, exactly once,
// to the real cairn-collector on loopback.
#include <cstdint>
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

constexpr char kKey[] = "restart-write-key";

TEST(DeliveryRestart, DropsCountedOfflineAreReportedAfterARestart) {
  if (testing::CollectorBinaryPath().empty()) GTEST_SKIP() << "built without the collector";
  testing::TempDir dir;
  const std::string db_path = dir.File("collector.db");
  auto collector = testing::StartCollectorFor(db_path, kKey);
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string url = (*collector)->base_url();
  const int port = (*collector)->port();
  ASSERT_TRUE((*collector)->Stop().ok());  // away while the drops happen

  auto make_client = [&] {
    Options o;
    o.collector_url = url;
    o.write_key = kKey;
    o.storage_dir = dir.File("device");
    o.app = {"restart", "1"};
    o.max_buffer_rows = 100;  // everything older is evicted and counted
    o.min_backoff = absl::Milliseconds(20);
    o.max_backoff = absl::Milliseconds(200);
    auto client = Client::Create(o);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  };

  uint64_t real_drops = 0;
  {
    auto client = make_client();
    ASSERT_NE(client, nullptr);
    testing::GrantEventPurposes(*client);
    ASSERT_TRUE(client->RecordLogin("acme", "alice", "password").ok());
    for (int i = 0; i < 2100; ++i) {
      ASSERT_TRUE(client->RecordMilestone("m", i).ok());
      // Committed in small groups, so the bound evicts as it goes.
      if (i % 100 == 99) client->Flush(absl::Now() + absl::Seconds(10)).IgnoreError();
    }
    client->Flush(absl::Now() + absl::Seconds(10)).IgnoreError();
    real_drops = client->GetStats().dropped[cairn::v1::DROP_REASON_BUFFER_ROWS];
    ASSERT_GE(real_drops, 2000u);
    client->Shutdown(absl::Now() + absl::Seconds(5)).IgnoreError();  // Unavailable: away
  }

  auto restarted = testing::StartCollectorFor(db_path, kKey, port);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  {
    auto client = make_client();
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(30)).ok());
    ASSERT_TRUE(client->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  }
  {  // a third lifetime owes nothing more
    auto client = make_client();
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->RecordLogin("acme", "alice", "password").ok());
    ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(30)).ok());
    ASSERT_TRUE(client->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  }
  ASSERT_TRUE((*restarted)->Stop().ok());
  EXPECT_EQ(testing::ReportedDrops(db_path, cairn::v1::DROP_REASON_BUFFER_ROWS),
            static_cast<int64_t>(real_drops));
}

}  // namespace
}  // namespace cairn
