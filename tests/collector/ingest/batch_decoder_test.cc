#include "ingest/batch_decoder.h"

#include "absl/time/clock.h"
#include "cairn/common/codec.h"
#include "gtest/gtest.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::MakeBatch;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeMilestone;

TEST(CollectorBatchDecoderTest, DecodesEveryEncoding) {
  cairn::v1::Batch batch = MakeBatch({MakeLogin("a", "u"), MakeMilestone("a", "u", "m1")});
  std::string plain = batch.SerializeAsString();
  for (Codec codec : {Codec::kIdentity, Codec::kZstd, Codec::kGzip}) {
    SCOPED_TRACE(CodecName(codec));
    auto body =
        codec == Codec::kIdentity ? absl::StatusOr<std::string>(plain) : Compress(codec, plain);
    ASSERT_TRUE(body.ok());
    auto decoded = DecodeBatch(codec, *body, {}, absl::Now());
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->record.batch_id, batch.batch_id());
    EXPECT_EQ(decoded->record.install_id, "test-install");
    EXPECT_EQ(decoded->record.event_count, 2);
    ASSERT_EQ(decoded->record.events.size(), 2u);
    EXPECT_EQ(decoded->record.events[1].event_id(), batch.events(1).event_id());
    EXPECT_TRUE(decoded->rejected.empty());
  }
}

TEST(CollectorBatchDecoderTest, ReportsInvalidEventsByIndex) {
  cairn::v1::Event no_user = MakeLogin("a", "");
  cairn::v1::Event bad_purpose = MakeLogin("a", "u");
  bad_purpose.set_purpose(cairn::v1::PURPOSE_MILESTONES);
  cairn::v1::Batch batch =
      MakeBatch({MakeLogin("a", "u"), no_user, MakeLogin("a", "u"), bad_purpose});
  auto decoded = DecodeBatch(Codec::kIdentity, batch.SerializeAsString(), {}, absl::Now());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->record.events.size(), 2u);
  EXPECT_EQ(decoded->record.rejected, 2);
  ASSERT_EQ(decoded->rejected.size(), 2u);
  EXPECT_EQ(decoded->rejected[0].index(), 1u);
  EXPECT_EQ(decoded->rejected[0].reason(), cairn::v1::REJECT_REASON_INVALID_USER_ID);
  EXPECT_FALSE(decoded->rejected[0].detail().empty());
  EXPECT_EQ(decoded->rejected[1].index(), 3u);
  EXPECT_EQ(decoded->rejected[1].reason(), cairn::v1::REJECT_REASON_PURPOSE_MISMATCH);
}

TEST(CollectorBatchDecoderTest, RefusesWholeBatches) {
  DecodeLimits limits;
  limits.max_events_per_batch = 2;
  limits.max_decompressed_bytes = 1 << 20;
  absl::Time now = absl::Now();

  EXPECT_TRUE(
      absl::IsInvalidArgument(DecodeBatch(Codec::kIdentity, "garbage", limits, now).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeBatch(Codec::kZstd, "not zstd", limits, now).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeBatch(Codec::kGzip, "not gzip", limits, now).status()));

  cairn::v1::Batch no_id = MakeBatch({});
  no_id.set_batch_id("batch-1");
  auto bad_id = DecodeBatch(Codec::kIdentity, no_id.SerializeAsString(), limits, now);
  EXPECT_TRUE(absl::IsInvalidArgument(bad_id.status()));
  EXPECT_EQ(bad_id.status().message(), "batch_id is not a UUID");

  cairn::v1::Batch three =
      MakeBatch({MakeLogin("a", "u"), MakeLogin("a", "u"), MakeLogin("a", "u")});
  EXPECT_TRUE(absl::IsResourceExhausted(
      DecodeBatch(Codec::kIdentity, three.SerializeAsString(), limits, now).status()));

  std::string zeros(4 << 20, '\0');
  for (Codec codec : {Codec::kZstd, Codec::kGzip}) {
    auto bomb = Compress(codec, zeros);
    ASSERT_TRUE(bomb.ok());
    ASSERT_LT(bomb->size(), 64u << 10);
    EXPECT_TRUE(absl::IsResourceExhausted(DecodeBatch(codec, *bomb, limits, now).status()));
  }
}

TEST(CollectorBatchDecoderTest, MergesDropCountersByReason) {
  cairn::v1::Batch batch = MakeBatch({});
  auto add = [&](int reason, uint64_t count) {
    cairn::v1::DropCount* drop = batch.add_dropped();
    drop->set_reason(static_cast<cairn::v1::DropReason>(reason));
    drop->set_count(count);
  };
  add(cairn::v1::DROP_REASON_QUEUE_FULL, 2);
  add(cairn::v1::DROP_REASON_QUEUE_FULL, 3);
  add(999, 4);  // unknown to this build
  add(cairn::v1::DROP_REASON_EXPIRED, UINT64_MAX);
  add(cairn::v1::DROP_REASON_EXPIRED, 1);
  auto decoded = DecodeBatch(Codec::kIdentity, batch.SerializeAsString(), {}, absl::Now());
  ASSERT_TRUE(decoded.ok());
  const auto& drops = decoded->record.drops;
  EXPECT_EQ(drops.at(cairn::v1::DROP_REASON_QUEUE_FULL), 5u);
  EXPECT_EQ(drops.at(cairn::v1::DROP_REASON_UNSPECIFIED), 4u);
  EXPECT_EQ(drops.at(cairn::v1::DROP_REASON_EXPIRED), UINT64_MAX);
}

}  // namespace
}  // namespace cairn::collector
