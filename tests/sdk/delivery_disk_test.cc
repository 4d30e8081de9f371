// Delivery on a real full filesystem and across restarts, against the real
// cairn-collector binary on loopback: the SDK's storage lives on a small
// tmpfs that the test fills, and the test reads the collector's SQLite file
// to count batches, duplicates and the drop counts the device reported.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "collector_process.h"
#include "delivery_support.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn {
namespace {

constexpr char kKey[] = "disk-write-key";

// What the collector's store says about the deliveries.
struct Received {
  int64_t batches = 0;     // distinct batch ids
  int64_t duplicates = 0;  // events that arrived again
  int64_t disk_full_drops = 0;
};

Received ReadReceived(const std::string& db_path) {
  Received out;
  out.batches = testing::QueryNumber(db_path, "SELECT COUNT(*) FROM batches");
  out.duplicates =
      testing::QueryNumber(db_path, "SELECT COALESCE(SUM(duplicates), 0) FROM batches");
  out.disk_full_drops = testing::ReportedDrops(db_path, cairn::v1::DROP_REASON_DISK_FULL);
  return out;
}

// Events stored by the collector, consent changes left out.
size_t StoredEvents(const std::string& db_path) {
  size_t n = 0;
  for (const auto& [id, copies] : testing::StoredEventIds(db_path)) {
    EXPECT_EQ(copies, 1) << id;
    ++n;
  }
  return n;
}

uint64_t DiskFullDrops(const Client& c) {
  Stats stats = c.GetStats();
  auto it = stats.dropped.find(cairn::v1::DROP_REASON_DISK_FULL);
  return it == stats.dropped.end() ? 0 : it->second;
}

class DeliveryOnAFullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::CollectorBinaryPath().empty()) GTEST_SKIP() << "built without the collector";
    ASSERT_EQ(::mkdir(device_dir_.c_str(), 0700), 0);
    if (::mount("tmpfs", device_dir_.c_str(), "tmpfs", 0, "size=2m") != 0) {
      GTEST_SKIP() << "SKIPPED LOUDLY: cannot mount a tmpfs (" << std::strerror(errno)
                   << "); the full-disk test needs root";
    }
    mounted_ = true;
  }
  void TearDown() override {
    client_.reset();
    collector_.reset();
    if (mounted_) {
      EXPECT_EQ(::umount2(device_dir_.c_str(), MNT_DETACH), 0) << std::strerror(errno);
    }
  }

  void StartCollector(int port) {
    auto process = testing::StartCollectorFor(db_path_, kKey, port);
    ASSERT_TRUE(process.ok()) << process.status();
    collector_ = std::move(*process);
  }

  void MakeClient(const std::string& url) {
    Options o;
    o.collector_url = url;
    o.write_key = kKey;
    o.storage_dir = device_dir_ + "/cairn";
    o.app = {"disk", "1"};
    o.attribute_allowlist = {"note"};
    o.min_backoff = absl::Milliseconds(20);
    o.max_backoff = absl::Milliseconds(200);
    o.upload_interval = absl::Milliseconds(50);
    auto client = Client::Create(o);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  // Writes a file until the filesystem refuses: the disk is full.
  void FillDisk() {
    int fd = ::open(filler_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    std::string chunk(4096, 'x');
    while (::write(fd, chunk.data(), chunk.size()) > 0) {
    }
    const int err = errno;
    ::close(fd);
    ASSERT_EQ(err, ENOSPC);
  }

  testing::TempDir dir_;
  std::string db_path_ = dir_.File("collector.db");
  std::string device_dir_ = dir_.File("device");
  std::string filler_ = device_dir_ + "/filler";
  bool mounted_ = false;
  std::unique_ptr<testing::CollectorProcess> collector_;
  std::unique_ptr<Client> client_;
};

TEST_F(DeliveryOnAFullDisk, SendsEachEventOnceReportsDropsOnceAndResumes) {
  StartCollector(0);
  const int port = collector_->port();
  MakeClient(collector_->base_url());
  testing::GrantEventPurposes(*client_);
  ASSERT_TRUE(client_->RecordLogin("acme", "alice", "password").ok());
  ASSERT_TRUE(client_->Flush(absl::Now() + absl::Seconds(30)).ok());
  const int64_t batches_before = ReadReceived(db_path_).batches;
  ASSERT_TRUE(collector_->Stop().ok());
  collector_.reset();

  // Buffered while the collector is down, then the disk fills up.
  const Attributes note = {{"note", std::string(200, 'n')}};
  constexpr int kBuffered = 2000;
  for (int i = 0; i < kBuffered; ++i) ASSERT_TRUE(client_->RecordMilestone("m", i, note).ok());
  EXPECT_NE(client_->Flush(absl::Now() + absl::Seconds(30)).code(),
            absl::StatusCode::kDeadlineExceeded);  // durable, not deliverable
  ASSERT_EQ(client_->GetStats().persisted, static_cast<uint64_t>(kBuffered) + 1);
  FillDisk();
  constexpr int kLost = 500;
  for (int i = 0; i < kLost; ++i) ASSERT_TRUE(client_->RecordMilestone("lost", i, note).ok());
  client_->Flush(absl::Now() + absl::Seconds(30)).IgnoreError();  // waits until written or lost
  const uint64_t real_drops = DiskFullDrops(*client_);
  ASSERT_GT(real_drops, 0u);

  // The collector comes back while the disk is still full: every buffered
  // event goes once, in about kBuffered / max_batch_events batches, and
  // nothing is resent while the acknowledged rows cannot be deleted.
  StartCollector(port);
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (StoredEvents(db_path_) < kBuffered + 1 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(StoredEvents(db_path_), kBuffered + 1u);
  absl::SleepFor(absl::Seconds(2));  // a flood would show here
  Received full = ReadReceived(db_path_);
  EXPECT_LE(full.batches - batches_before, kBuffered / 500 + 2);
  EXPECT_EQ(full.duplicates, 0);
  EXPECT_EQ(full.disk_full_drops, static_cast<int64_t>(real_drops));

  // Space returns: the acknowledged rows go, and delivery goes on.
  ASSERT_EQ(::unlink(filler_.c_str()), 0);
  ASSERT_TRUE(client_->RecordMilestone("after", 1).ok());
  ASSERT_TRUE(client_->Flush(absl::Now() + absl::Seconds(30)).ok());
  const absl::Time drained = absl::Now() + absl::Seconds(10);
  while (client_->GetStats().buffered_rows > 0 && absl::Now() < drained) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(client_->GetStats().buffered_rows, 0u);
  ASSERT_TRUE(client_->Shutdown(absl::Now() + absl::Seconds(10)).ok());
  EXPECT_EQ(StoredEvents(db_path_), kBuffered + 2u);
  Received after = ReadReceived(db_path_);
  EXPECT_EQ(after.duplicates, 0);
  EXPECT_EQ(after.disk_full_drops, static_cast<int64_t>(real_drops));
  EXPECT_EQ(DiskFullDrops(*client_), real_drops);
}

}  // namespace
}  // namespace cairn
