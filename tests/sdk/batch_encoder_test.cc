#include "sdk/src/upload/batch_encoder.h"

#include "gtest/gtest.h"

namespace cairn::sdk {
namespace {

TEST(BatchEncoder, PreSerializedEventsParseAsOneBatch) {
  cairn::v1::Batch header;
  header.set_batch_id("b-1");
  header.mutable_client()->set_install_id("install");
  cairn::v1::DropCount* drop = header.add_dropped();
  drop->set_reason(cairn::v1::DROP_REASON_QUEUE_FULL);
  drop->set_count(3);

  std::vector<BufferedEvent> rows;
  for (int i = 0; i < 3; ++i) {
    cairn::v1::Event e;
    e.set_event_id("id-" + std::to_string(i));
    e.mutable_milestone()->set_name(std::string(200 * i, 'm'));  // lengths over 127: 2-byte varint
    BufferedEvent row;
    row.sequence = 1000 + i;
    e.SerializeToString(&row.payload);
    AppendSequenceField(row.payload, static_cast<uint64_t>(row.sequence));
    rows.push_back(row);
  }
  cairn::v1::Batch parsed;
  ASSERT_TRUE(parsed.ParseFromString(EncodeBatch(header, rows)));
  EXPECT_EQ(parsed.batch_id(), "b-1");
  EXPECT_EQ(parsed.client().install_id(), "install");
  ASSERT_EQ(parsed.dropped_size(), 1);
  EXPECT_EQ(parsed.dropped(0).count(), 3u);
  ASSERT_EQ(parsed.events_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(parsed.events(i).event_id(), "id-" + std::to_string(i));
    EXPECT_EQ(parsed.events(i).sequence(), static_cast<uint64_t>(1000 + i));
    EXPECT_EQ(parsed.events(i).milestone().name().size(), static_cast<size_t>(200 * i));
  }
}

}  // namespace
}  // namespace cairn::sdk
