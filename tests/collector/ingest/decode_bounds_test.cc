// The decoder bounds what a batch makes it allocate before parsing: events,
// and fields at any depth, are counted on the encoded body and the batch is
// refused (413) at the limit, however well the body compresses.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/common/codec.h"
#include "decode_bombs.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "ingest/batch_decoder.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::EmptyEventsBatch;
using ::cairn::testing::EmptyEventsJson;
using ::cairn::testing::MakeBatch;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::NewUuidV7;

constexpr int kBombEvents = 2'000'000;

absl::Status Decode(BatchFormat format, Codec codec, const std::string& body,
                    const DecodeLimits& limits = {}) {
  return DecodeBatch(format, codec, body, limits, absl::Now()).status();
}

TEST(CollectorDecodeBoundsTest, EventCountBombIsRefusedBeforeParsing) {
  const std::string plain = EmptyEventsBatch(NewUuidV7(), kBombEvents);
  const std::string json = EmptyEventsJson(NewUuidV7(), kBombEvents);
  for (Codec codec : {Codec::kZstd, Codec::kGzip}) {
    SCOPED_TRACE(CodecName(codec));
    std::string bomb = *Compress(codec, plain);
    EXPECT_LT(bomb.size(), 64u << 10);  // small on the wire, under every size limit
    absl::Status status = Decode(BatchFormat::kProtobuf, codec, bomb);
    EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
    EXPECT_EQ(status.message(), "batch has more than 5000 events");

    status = Decode(BatchFormat::kJson, codec, *Compress(codec, json));
    EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
    EXPECT_EQ(status.message(), "batch has more than 5000 events");
  }
}

TEST(CollectorDecodeBoundsTest, CountsEventsExactlyAtTheLimit) {
  DecodeLimits limits;
  limits.max_events_per_batch = 3;
  for (int events : {3, 4}) {
    SCOPED_TRACE(events);
    std::vector<cairn::v1::Event> list;
    for (int i = 0; i < events; ++i) list.push_back(MakeLogin("a", "u"));
    cairn::v1::Batch batch = MakeBatch(list);
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(batch, &json).ok());
    absl::Status proto_status =
        Decode(BatchFormat::kProtobuf, Codec::kIdentity, batch.SerializeAsString(), limits);
    absl::Status json_status = Decode(BatchFormat::kJson, Codec::kIdentity, json, limits);
    if (events == 3) {
      EXPECT_TRUE(proto_status.ok()) << proto_status;
      EXPECT_TRUE(json_status.ok()) << json_status;
    } else {
      EXPECT_TRUE(absl::IsResourceExhausted(proto_status)) << proto_status;
      EXPECT_TRUE(absl::IsResourceExhausted(json_status)) << json_status;
    }
  }
}

TEST(CollectorDecodeBoundsTest, UnknownFieldAndAttributeBombsAreRefused) {
  const std::string id = NewUuidV7();
  for (const std::string& plain : {::cairn::testing::UnknownFieldsBatch(id, 4'000'000),
                                   ::cairn::testing::ManyAttributesBatch(id, 1'000'000)}) {
    std::string bomb = *Compress(Codec::kZstd, plain);
    absl::Status status = Decode(BatchFormat::kProtobuf, Codec::kZstd, bomb);
    EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
    EXPECT_EQ(status.message(), "batch has more fields than its events may carry");
  }
  // JSON: a hundred thousand empty drop counts per allowed event and more.
  std::string drops = absl::StrCat("{\"batchId\":\"", id, "\",\"dropped\":[{}");
  for (int i = 0; i < 1'000'000; ++i) drops.append(",{}");
  drops.append("]}");
  absl::Status status = Decode(BatchFormat::kJson, Codec::kIdentity, drops);
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
}

// The largest batch the limits allow is not refused by the field count: the
// default number of events, each with the default number of attributes.
TEST(CollectorDecodeBoundsTest, FullBatchWithEveryAttributeIsAccepted) {
  std::vector<cairn::v1::Event> events;
  for (int i = 0; i < 5000; ++i) {
    cairn::v1::Event event = MakeLogin("acct", "user");
    for (size_t a = 0; a < kMaxAttributes; ++a) {
      (*event.mutable_attributes())[absl::StrCat("k", a)] = "v";
    }
    events.push_back(std::move(event));
  }
  cairn::v1::Batch batch = MakeBatch(events);
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(batch, &json).ok());
  for (BatchFormat format : {BatchFormat::kProtobuf, BatchFormat::kJson}) {
    const std::string body = format == BatchFormat::kJson ? json : batch.SerializeAsString();
    auto decoded = DecodeBatch(format, Codec::kIdentity, body, {}, absl::Now());
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->record.events.size(), 5000u);
    EXPECT_TRUE(decoded->rejected.empty());
  }
}

TEST(CollectorDecodeBoundsTest, MalformedWireFormatIsInvalid) {
  const std::string id = NewUuidV7();
  std::string valid = MakeBatch({MakeLogin("a", "u")}).SerializeAsString();
  const std::string cases[] = {
      valid.substr(0, valid.size() - 1),  // cut inside the event
      std::string("\x0a\x05"
                  "abc",
                  5),                                        // length past the end
      EmptyEventsBatch(id, 1) + std::string("\x2b\x2c", 2),  // a group (field 5)
      EmptyEventsBatch(id, 1) + std::string("\x08\xff", 2),  // varint cut short
      EmptyEventsBatch(id, 1) + std::string("\x07\x00", 2),  // field number 0
  };
  for (const std::string& body : cases) {
    absl::Status status = Decode(BatchFormat::kProtobuf, Codec::kIdentity, body);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  }
  // Unknown fields of every wire type but groups still parse, as before.
  std::string unknown = MakeBatch({MakeLogin("a", "u")}).SerializeAsString();
  unknown.append("\xa0\x06\x01", 3);  // field 100, varint
  unknown.append(
      "\xa9\x06"
      "12345678",
      10);  // field 101, fixed64
  unknown.append(
      "\xb5\x06"
      "1234",
      6);  // field 102, fixed32
  unknown.append(
      "\xba\x06\x02"
      "ab",
      5);  // field 103, bytes
  absl::Status status = Decode(BatchFormat::kProtobuf, Codec::kIdentity, unknown);
  EXPECT_TRUE(status.ok()) << status;
}

}  // namespace
}  // namespace cairn::collector
