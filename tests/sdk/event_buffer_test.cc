#include "sdk/src/device/event_buffer.h"

#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn::sdk {
namespace {

std::vector<BufferedEvent> Events(int64_t first, int n, size_t payload_bytes = 100) {
  std::vector<BufferedEvent> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({first + i, "user-" + std::to_string(i % 3), 2, 1000 + i,
                   std::string(payload_bytes, static_cast<char>('a' + i % 26))});
  }
  return out;
}

TEST(EventBuffer, AppendReadRemoveInSequenceOrder) {
  cairn::testing::TempDir dir;
  auto buffer = EventBuffer::Open(dir.File("b.db"));
  ASSERT_TRUE(buffer.ok()) << buffer.status();
  ASSERT_TRUE((*buffer)->Append(Events(1, 10)).ok());
  auto oldest = (*buffer)->ReadOldest(4, 1 << 20);
  ASSERT_TRUE(oldest.ok());
  ASSERT_EQ(oldest->size(), 4u);
  EXPECT_EQ((*oldest)[0].sequence, 1);
  EXPECT_EQ((*oldest)[3].sequence, 4);
  EXPECT_EQ((*oldest)[1].user_id, "user-1");
  EXPECT_EQ((*oldest)[1].payload, std::string(100, 'b'));
  ASSERT_EQ((*buffer)->RemoveRange(1, 4)->rows, 4u);
  EXPECT_EQ(**(*buffer)->OldestSequence(), 5);
  auto size = (*buffer)->Size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->rows, 6u);
  EXPECT_EQ(size->bytes, 600u);
}

TEST(EventBuffer, ByteBoundStopsABatchButAlwaysReturnsOneEvent) {
  cairn::testing::TempDir dir;
  auto buffer = EventBuffer::Open(dir.File("b.db"));
  ASSERT_TRUE(buffer.ok());
  ASSERT_TRUE((*buffer)->Append(Events(1, 5, 1000)).ok());
  EXPECT_EQ((*buffer)->ReadOldest(100, 2500)->size(), 2u);
  EXPECT_EQ((*buffer)->ReadOldest(100, 10)->size(), 1u);
}

TEST(EventBuffer, SequenceAndInstallIdSurviveReopenEvenWhenEmpty) {
  cairn::testing::TempDir dir;
  std::string install_id;
  {
    auto buffer = EventBuffer::Open(dir.File("b.db"));
    ASSERT_TRUE(buffer.ok());
    install_id = *(*buffer)->InstallId();
    ASSERT_TRUE((*buffer)->Append(Events(1, 3)).ok());
    ASSERT_EQ((*buffer)->RemoveRange(1, 3)->rows, 3u);
  }
  auto buffer = EventBuffer::Open(dir.File("b.db"));
  ASSERT_TRUE(buffer.ok());
  EXPECT_EQ(*(*buffer)->LastSequence(), 3);
  EXPECT_EQ(*(*buffer)->InstallId(), install_id);
  EXPECT_FALSE((*buffer)->OldestSequence()->has_value());
}

TEST(EventBuffer, TwoConnectionsShareTheFile) {
  cairn::testing::TempDir dir;
  auto writer = EventBuffer::Open(dir.File("b.db"));
  auto reader = EventBuffer::Open(dir.File("b.db"));
  ASSERT_TRUE(writer.ok() && reader.ok());
  ASSERT_TRUE((*writer)->Append(Events(1, 2)).ok());
  EXPECT_EQ((*reader)->ReadOldest(10, 1 << 20)->size(), 2u);
}

TEST(EventBuffer, DuplicateSequenceIsRefusedAndNothingOfTheChunkIsWritten) {
  cairn::testing::TempDir dir;
  auto buffer = EventBuffer::Open(dir.File("b.db"));
  ASSERT_TRUE(buffer.ok());
  ASSERT_TRUE((*buffer)->Append(Events(1, 2)).ok());
  EXPECT_FALSE((*buffer)->Append(Events(2, 2)).ok());  // 2 again, then 3
  EXPECT_EQ((*buffer)->Size()->rows, 2u);
}

}  // namespace
}  // namespace cairn::sdk
