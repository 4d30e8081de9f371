// The on-device buffer through the public API: bounds and their counted
// evictions, expiry, quarantine of a damaged file, durable record calls and
// the queue-full policies. The collector is a scripted fake.
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "cairn/common/clock.h"
#include "cairn/common/sqlite.h"
#include "sdk_fixture.h"

namespace cairn {
namespace {

using cairn::v1::DropReason;
using consent::Decision;
using consent::Purpose;

absl::StatusOr<HttpResponse> Refuse(int, const cairn::v1::Batch&) {
  return absl::UnavailableError("connection refused");
}

class BufferTest : public cairn::testing::SdkTest {
 protected:
  Options BaseOptions() { return FlushOnlyOptions(); }

  std::unique_ptr<Client> Start(Options o) { return StartSignedIn(std::move(o)); }

  std::string BufferPath() { return dir_.File("sdk") + "/cairn-buffer.db"; }

  std::vector<int64_t> BufferedSequences() {
    std::vector<int64_t> out;
    auto db = sqlite::Database::Open(BufferPath());
    EXPECT_TRUE(db.ok()) << db.status();
    auto select = (*db)->Prepare("SELECT seq FROM events ORDER BY seq");
    while (select.ok() && *select->Step()) out.push_back(select->ColumnInt(0));
    return out;
  }

  static uint64_t Dropped(Client& c, DropReason reason) {
    Stats s = c.GetStats();
    return s.dropped.count(reason) ? s.dropped.at(reason) : 0;
  }

  // Flush is a barrier: it returns once everything recorded is durable and
  // the writer has applied the bounds. It also starts a delivery attempt,
  // whose in-flight events are never evicted: tests that check which events
  // a bound removes use durable record calls as their barrier instead.
  static void Settle(Client& c) {
    EXPECT_EQ(c.Flush(absl::Now() + absl::Seconds(10)).code(), absl::StatusCode::kUnavailable);
  }
};

TEST_F(BufferTest, RowBoundDropsTheOldestAndCountsThem) {
  fake_->SetScript(Refuse);
  Options o = BaseOptions();
  o.max_buffer_rows = 10;
  o.durable_records = true;  // each call returns after its commit and the bound check
  auto client = Start(o);
  for (int i = 0; i < 24; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  EXPECT_EQ(Dropped(*client, cairn::v1::DROP_REASON_BUFFER_ROWS), 15u);
  EXPECT_EQ(client->GetStats().buffered_rows, 10u);
  std::vector<int64_t> expected;
  for (int64_t seq = 16; seq <= 25; ++seq) expected.push_back(seq);
  EXPECT_EQ(BufferedSequences(), expected);  // the newest ten stay

  fake_->SetScript(nullptr);  // the collector is back: the loss is reported
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  EXPECT_EQ(fake_->stored_ids().size(), 10u);
  bool reported = false;
  for (const auto& b : fake_->batches()) {
    for (const auto& d : b.dropped()) {
      if (d.reason() == cairn::v1::DROP_REASON_BUFFER_ROWS && d.count() == 15) reported = true;
    }
  }
  EXPECT_TRUE(reported);
}

TEST_F(BufferTest, ByteBoundDropsTheOldestAndCountsThem) {
  fake_->SetScript(Refuse);
  Options o = BaseOptions();
  o.max_buffer_bytes = 2000;
  o.durable_records = true;
  auto client = Start(o);
  const std::string value(200, 'v');
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(client->RecordMilestone("m", i, {{"k", value}}).ok());
  Stats stats = client->GetStats();
  EXPECT_LE(stats.buffered_bytes, 2000u);
  EXPECT_GT(stats.buffered_bytes, 1500u);  // only what had to go went
  EXPECT_EQ(Dropped(*client, cairn::v1::DROP_REASON_BUFFER_BYTES) + stats.buffered_rows, 41u);
  EXPECT_EQ(BufferedSequences().back(), 41);
}

TEST_F(BufferTest, EventsOlderThanTheTtlExpireAndAreCounted) {
  fake_->SetScript(Refuse);
  ManualClock clock;
  Options o = BaseOptions();
  o.clock = &clock;
  o.event_ttl = absl::Hours(1);
  o.upload_interval = absl::Hours(100);  // advancing the clock must not start a send
  o.durable_records = true;
  auto client = Start(o);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client->RecordMilestone("old").ok());
  EXPECT_EQ(client->GetStats().buffered_rows, 5u);
  clock.Advance(absl::Hours(2));
  ASSERT_TRUE(client->RecordMilestone("new").ok());
  EXPECT_EQ(Dropped(*client, cairn::v1::DROP_REASON_EXPIRED), 5u) << client->GetStats().last_error;
  EXPECT_EQ(BufferedSequences(), std::vector<int64_t>{6});
}

class CorruptBufferTest : public BufferTest, public ::testing::WithParamInterface<int64_t> {};

TEST_P(CorruptBufferTest, ADamagedBufferIsMovedAsideAndRecordingGoesOn) {
  fake_->SetScript(Refuse);
  {
    auto client = Start(BaseOptions());
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(client->RecordMilestone("m", i, {{"k", "v"}}).ok());
    EXPECT_FALSE(client->Shutdown(absl::Now() + absl::Seconds(2)).ok());
  }
  ASSERT_GT(std::filesystem::file_size(BufferPath()), 8192u);
  {
    std::fstream file(BufferPath(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(GetParam());
    const std::string garbage(4096, '\xa5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  fake_->SetScript(nullptr);
  auto client = Start(BaseOptions());
  ASSERT_NE(client, nullptr);
  // Every event the file held at its last commit, as its mark says: the
  // login and the 300 milestones.
  EXPECT_EQ(Dropped(*client, cairn::v1::DROP_REASON_CORRUPT_BUFFER), 301u);
  ASSERT_TRUE(client->RecordMilestone("after").ok());
  ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(10)).ok());
  EXPECT_EQ(fake_->stored_ids().size(), 2u);  // the login and the milestone
  uint64_t reported = 0;
  for (const cairn::v1::Batch& batch : fake_->batches()) {
    for (const auto& d : batch.dropped()) {
      if (d.reason() == cairn::v1::DROP_REASON_CORRUPT_BUFFER) reported += d.count();
    }
  }
  EXPECT_EQ(reported, 301u);  // reported once, in the new buffer's first delivery
  int aside = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.File("sdk"))) {
    if (entry.path().filename().string().find(".corrupt-") != std::string::npos) ++aside;
  }
  EXPECT_GE(aside, 1);
}

// Offset 0 ruins the file header; 4096 ruins the first table page.
INSTANTIATE_TEST_SUITE_P(HeaderAndPage, CorruptBufferTest, ::testing::Values(0, 4096));

TEST_F(BufferTest, DurableRecordCallsReturnOnlyOnceTheEventIsCommitted) {
  fake_->SetScript(Refuse);
  Options o = BaseOptions();
  o.durable_records = true;
  o.commit_interval = absl::Hours(1);  // only a durable caller makes the writer commit
  auto client = Start(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
    });
  }
  for (auto& t : threads) t.join();
  // Read by another connection right away: every returned call is on disk.
  EXPECT_EQ(BufferedSequences().size(), 101u);
}

TEST_F(BufferTest, AFullQueueDropsAndCountsUnderTheDropPolicy) {
  fake_->SetScript(Refuse);
  Options o = BaseOptions();
  o.queue_capacity = 5;
  o.commit_interval = absl::Hours(1);  // the writer holds off: the queue fills
  o.queue_full_policy = Options::QueueFullPolicy::kDropNewest;
  auto client = Start(o);  // the login is queued event 1
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client->RecordMilestone("m").ok());
  EXPECT_EQ(client->RecordMilestone("m").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Dropped(*client, cairn::v1::DROP_REASON_QUEUE_FULL), 1u);
  Settle(*client);
  EXPECT_EQ(BufferedSequences().size(), 5u);
}

TEST_F(BufferTest, AFullQueueWaitsForRoomUnderTheBlockingPolicy) {
  fake_->SetScript(Refuse);
  Options o = BaseOptions();
  o.queue_capacity = 5;
  o.commit_interval = absl::Hours(1);
  o.queue_full_policy = Options::QueueFullPolicy::kBlockWithDeadline;
  o.enqueue_timeout = absl::Milliseconds(20);
  auto client = Start(o);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client->RecordMilestone("m").ok());
  // No room comes within the deadline: dropped and counted.
  EXPECT_EQ(client->RecordMilestone("m").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Dropped(*client, cairn::v1::DROP_REASON_QUEUE_FULL), 1u);
  // Room comes (a flush makes the writer commit): a blocked caller gets in.
  std::thread flusher([&] { Settle(*client); });
  absl::Status blocked;
  for (int i = 0; i < 500; ++i) {  // retried: the flush may not have begun yet
    blocked = client->RecordMilestone("m");
    if (blocked.ok()) break;
  }
  flusher.join();
  EXPECT_TRUE(blocked.ok()) << blocked;
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST_F(BufferTest, AFullDiskDropsWithAReasonAndRecordingGoesOn) {
  fake_->SetScript(Refuse);
  Options o = BaseOptions();
  o.max_buffer_file_bytes = 64 * 1024;  // the "disk" holds about 200 of these events
  o.max_buffer_rows = 0;
  o.max_buffer_bytes = 0;
  o.durable_records = true;
  auto client = Start(o);
  const std::string value(250, 'v');
  int written = 0, refused = 0;
  for (int i = 0; i < 600; ++i) {
    absl::Status s = client->RecordMilestone("m", i, {{"k", value}});
    if (s.ok()) {
      ++written;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
      ++refused;
    }
  }
  EXPECT_GT(written, 50);
  EXPECT_GT(refused, 100);
  EXPECT_EQ(Dropped(*client, cairn::v1::DROP_REASON_DISK_FULL), static_cast<uint64_t>(refused));
  EXPECT_EQ(client->GetStats().buffered_rows, static_cast<uint64_t>(written + 1));

  // Delivery frees space; recording works again and the loss is reported.
  fake_->SetScript(nullptr);
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  ASSERT_TRUE(client->RecordMilestone("after", 1, {{"k", value}}).ok());
  ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(10)).ok());
  EXPECT_EQ(fake_->stored_ids().size(), static_cast<size_t>(written + 2));
  // Counted once per batch id, as the collector does: a retry repeats a batch.
  uint64_t reported = 0;
  std::set<std::string> seen;
  for (const auto& batch : fake_->batches()) {
    if (!seen.insert(batch.batch_id()).second) continue;
    for (const auto& d : batch.dropped()) {
      if (d.reason() == cairn::v1::DROP_REASON_DISK_FULL) reported += d.count();
    }
  }
  EXPECT_EQ(reported, static_cast<uint64_t>(refused));
}

}  // namespace
}  // namespace cairn
