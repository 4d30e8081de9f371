// Unit tests of the collector's operations pieces: JSON decoding,
// attribute limits, the rate limiter, reloadable key sets, flag files and
// the Prometheus text.

#include <fstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "app/flag_args.h"
#include "app/request_handler.h"
#include "auth/key_reloader.h"
#include "auth/rate_limiter.h"
#include "auth/write_key_set.h"
#include "cairn/common/codec.h"
#include "cairn/common/crypto.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "ingest/batch_decoder.h"
#include "ops/histogram.h"
#include "ops/log.h"
#include "ops/metrics.h"
#include "temp_dir.h"
#include "test_batches.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::MakeBatch;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeMilestone;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string JsonOf(const cairn::v1::Batch& batch) {
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(batch, &json).ok());
  return json;
}

TEST(CollectorJsonDecodeTest, DecodesTheProto3JsonMappingInEveryEncoding) {
  cairn::v1::Batch batch = MakeBatch({MakeLogin("a", "u"), MakeMilestone("a", "u", "m1", 2.5)});
  std::string json = JsonOf(batch);
  for (Codec codec : {Codec::kIdentity, Codec::kZstd, Codec::kGzip}) {
    SCOPED_TRACE(CodecName(codec));
    std::string body = codec == Codec::kIdentity ? json : *Compress(codec, json);
    auto decoded = DecodeBatch(BatchFormat::kJson, codec, body, {}, absl::Now());
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->record.batch_id, batch.batch_id());
    ASSERT_EQ(decoded->record.events.size(), 2u);
    EXPECT_EQ(decoded->record.events[1].SerializeAsString(), batch.events(1).SerializeAsString());
  }
  // Field names as in the .proto are accepted too, and unknown fields skipped.
  std::string snake = "{\"batch_id\":\"" + batch.batch_id() + "\",\"future_field\":1}";
  auto decoded = DecodeBatch(BatchFormat::kJson, Codec::kIdentity, snake, {}, absl::Now());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->record.batch_id, batch.batch_id());
}

TEST(CollectorJsonDecodeTest, RefusesMalformedDeepAndOversizeJson) {
  absl::Time now = absl::Now();
  for (std::string bad : {"", "{", "{\"batch_id\":", "[]", "null", "{\"events\":{}}",
                          "{\"events\":[{\"occurred_at\":\"yesterday\"}]}"}) {
    auto decoded = DecodeBatch(BatchFormat::kJson, Codec::kIdentity, bad, {}, now);
    EXPECT_TRUE(absl::IsInvalidArgument(decoded.status())) << bad;
  }
  std::string deep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  auto too_deep = DecodeBatch(BatchFormat::kJson, Codec::kIdentity, deep, {}, now);
  EXPECT_EQ(too_deep.status().message(), "JSON body is nested too deeply");
  DecodeLimits small;
  small.max_decompressed_bytes = 64;
  std::string big = JsonOf(MakeBatch({MakeLogin("a", "u")}));
  EXPECT_TRUE(absl::IsResourceExhausted(
      DecodeBatch(BatchFormat::kJson, Codec::kIdentity, big, small, now).status()));
  EXPECT_TRUE(absl::IsResourceExhausted(
      DecodeBatch(BatchFormat::kJson, Codec::kGzip, *Compress(Codec::kGzip, big), small, now)
          .status()));
}

TEST(CollectorJsonDecodeTest, DepthScanIgnoresBracketsInStrings) {
  EXPECT_TRUE(JsonDepthWithin("{\"a\":\"[[[[[[\"}", 1));
  EXPECT_TRUE(JsonDepthWithin("{\"a\":\"\\\"[[[\"}", 1));
  EXPECT_FALSE(JsonDepthWithin("{\"a\":[{}]}", 2));
  EXPECT_TRUE(JsonDepthWithin("{\"a\":[{}]}", 3));
}

TEST(CollectorAttributeLimitsTest, TighterLimitsRejectOnlyThoseEvents) {
  DecodeLimits limits;
  limits.max_attributes = 1;
  limits.max_attribute_key_bytes = 4;
  limits.max_attribute_value_bytes = 3;
  cairn::v1::Event ok = MakeLogin("a", "u");
  (*ok.mutable_attributes())["k"] = "abc";
  cairn::v1::Event two = MakeLogin("a", "u");
  (*two.mutable_attributes())["k"] = "v";
  (*two.mutable_attributes())["j"] = "v";
  cairn::v1::Event key = MakeLogin("a", "u");
  (*key.mutable_attributes())["kkkkk"] = "v";
  cairn::v1::Event value = MakeLogin("a", "u");
  (*value.mutable_attributes())["k"] = "vvvv";
  cairn::v1::Batch batch = MakeBatch({ok, two, key, value});
  auto decoded = DecodeBatch(Codec::kIdentity, batch.SerializeAsString(), limits, absl::Now());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->record.events.size(), 1u);
  ASSERT_EQ(decoded->rejected.size(), 3u);
  for (const cairn::v1::RejectedEvent& rejected : decoded->rejected) {
    EXPECT_EQ(rejected.reason(), cairn::v1::REJECT_REASON_INVALID_ATTRIBUTES);
  }
  // The defaults are the contract's bounds: the same batch passes.
  auto defaults = DecodeBatch(Codec::kIdentity, batch.SerializeAsString(), {}, absl::Now());
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->rejected.empty());
}

TEST(CollectorRateLimiterTest, BurstThenRefillAtTheRate) {
  RateLimiter limiter({/*requests_per_second=*/2, /*burst=*/3});
  Digest256 a = Sha256("key-a"), b = Sha256("key-b");
  absl::Time t = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Acquire(a, t).has_value()) << i;
  std::optional<absl::Duration> wait = limiter.Acquire(a, t);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, absl::Milliseconds(500));
  // Another key has its own bucket.
  EXPECT_FALSE(limiter.Acquire(b, t).has_value());
  // Half a second brings one token back, not more.
  t += absl::Milliseconds(500);
  EXPECT_FALSE(limiter.Acquire(a, t).has_value());
  EXPECT_TRUE(limiter.Acquire(a, t).has_value());
  // A long pause refills only up to the burst.
  t += absl::Hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Acquire(a, t).has_value()) << i;
  EXPECT_TRUE(limiter.Acquire(a, t).has_value());
}

TEST(CollectorRateLimiterTest, ZeroRateIsOff) {
  RateLimiter limiter({0, 0});
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(limiter.Acquire(Sha256("k"), absl::Now()));
}

TEST(CollectorWriteKeySetTest, ReplaceWithSwapsTheKeysAndMatchNamesTheKey) {
  auto keys = WriteKeySet::FromKeys({"old-key-0001", "kept-key-001"});
  auto fresh = WriteKeySet::FromKeys({"kept-key-001", "new-key-0001"});
  ASSERT_TRUE(keys.ok() && fresh.ok());
  EXPECT_EQ(keys->MatchAuthorization("Bearer kept-key-001"), Sha256("kept-key-001"));
  EXPECT_FALSE(keys->MatchAuthorization("Bearer new-key-0001").has_value());
  keys->ReplaceWith(*fresh);
  EXPECT_FALSE(keys->VerifyAuthorization("Bearer old-key-0001"));
  EXPECT_TRUE(keys->VerifyAuthorization("bearer kept-key-001"));
  EXPECT_TRUE(keys->VerifyAuthorization("Bearer new-key-0001"));
  EXPECT_EQ(keys->size(), 2u);
}

class CollectorKeyReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override { SetLoggingEnabled(false); }
  void TearDown() override { SetLoggingEnabled(true); }
  void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
  }
  cairn::testing::TempDir dir_;
  CollectorMetrics metrics_;
};

TEST_F(CollectorKeyReloaderTest, ReloadsValidFilesAndKeepsTheOldKeysOtherwise) {
  std::string keys_path = dir_.File("keys"), admin_path = dir_.File("admin");
  Write(keys_path, "write-key-0001\n");
  Write(admin_path, "admin-token-01\n");
  auto keys = WriteKeySet::FromFile(keys_path);
  auto admin = WriteKeySet::FromFile(admin_path);
  ASSERT_TRUE(keys.ok() && admin.ok());
  KeyReloader reloader({keys_path, admin_path}, &*keys, &*admin, &metrics_);
  EXPECT_FALSE(reloader.FilesChanged());

  Write(keys_path, "write-key-0002\n");
  EXPECT_TRUE(reloader.FilesChanged());
  EXPECT_FALSE(reloader.FilesChanged());
  ASSERT_TRUE(reloader.Reload().ok());
  EXPECT_FALSE(keys->Contains("write-key-0001"));
  EXPECT_TRUE(keys->Contains("write-key-0002"));

  // Malformed, empty, missing, or a write key equal to the admin token: the
  // old keys stay, the failure is counted.
  for (std::string bad : {"short\n", "# nothing\n", "admin-token-01\n"}) {
    Write(keys_path, bad);
    EXPECT_FALSE(reloader.Reload().ok()) << bad;
    EXPECT_TRUE(keys->Contains("write-key-0002"));
  }
  std::remove(keys_path.c_str());
  EXPECT_FALSE(reloader.Reload().ok());
  EXPECT_TRUE(keys->Contains("write-key-0002"));
  // A bad admin file keeps both sets as they were.
  Write(keys_path, "write-key-0003\n");
  Write(admin_path, "\n");
  EXPECT_FALSE(reloader.Reload().ok());
  EXPECT_TRUE(keys->Contains("write-key-0002"));
  EXPECT_TRUE(admin->Contains("admin-token-01"));
  EXPECT_EQ(metrics_.key_reloads(true), 1u);
  EXPECT_EQ(metrics_.key_reloads(false), 5u);
}

TEST(CollectorFlagArgsTest, NormalizesNamesAndExpandsFlagFiles) {
  cairn::testing::TempDir dir;
  std::string inner = dir.File("inner.flags"), outer = dir.File("outer.flags");
  std::ofstream(inner) << "--rate-limit-rps=5\n";
  std::ofstream(outer) << "# comment\n\n  --write-key-file=/etc/cairn/keys-a \n--flagfile=" << inner
                       << "\n--io_threads=3\n";
  auto args = ExpandFlagArgs({"cairn-collector", "--db=x", "--flagfile=" + outer, "--io-threads=4",
                              "--flagfile", inner, "--", "--not-a-flag"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(*args, ElementsAre("cairn-collector", "--db=x", "--write_key_file=/etc/cairn/keys-a",
                                 "--rate_limit_rps=5", "--io_threads=3", "--io_threads=4",
                                 "--rate_limit_rps=5", "--", "--not-a-flag"));
}

TEST(CollectorFlagArgsTest, RefusesBadFlagFiles) {
  cairn::testing::TempDir dir;
  std::string bad = dir.File("bad.flags"), loop = dir.File("loop.flags");
  std::ofstream(bad) << "--db=x\nwrite-key=secret-value\n";
  std::ofstream(loop) << "--flagfile=" << loop << "\n";
  auto not_a_flag = ExpandFlagArgs({"c", "--flagfile=" + bad});
  EXPECT_TRUE(absl::IsInvalidArgument(not_a_flag.status()));
  EXPECT_THAT(std::string(not_a_flag.status().message()), HasSubstr("line 2"));
  EXPECT_THAT(std::string(not_a_flag.status().message()),
              ::testing::Not(HasSubstr("secret-value")));
  EXPECT_TRUE(absl::IsInvalidArgument(ExpandFlagArgs({"c", "--flagfile=" + loop}).status()));
  EXPECT_TRUE(absl::IsNotFound(ExpandFlagArgs({"c", "--flagfile=" + dir.File("none")}).status()));
  EXPECT_FALSE(ExpandFlagArgs({"c", "--flagfile"}).ok());
}

TEST(CollectorMetricsTest, HistogramIsCumulativeWithSumAndCount) {
  Histogram histogram;
  histogram.Observe(absl::Microseconds(100));  // first bucket
  histogram.Observe(absl::Milliseconds(3));    // le 0.005
  histogram.Observe(absl::Seconds(60));        // +Inf only
  std::string text;
  histogram.AppendPrometheus("x_seconds", "route=\"r\"", &text);
  EXPECT_THAT(text, HasSubstr("x_seconds_bucket{route=\"r\",le=\"0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("x_seconds_bucket{route=\"r\",le=\"0.0025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("x_seconds_bucket{route=\"r\",le=\"0.005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("x_seconds_bucket{route=\"r\",le=\"10\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("x_seconds_bucket{route=\"r\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("x_seconds_sum{route=\"r\"} 60.003100000\n"));
  EXPECT_THAT(text, HasSubstr("x_seconds_count{route=\"r\"} 3\n"));
}

TEST(CollectorMetricsTest, CountsResponsesByRouteAndCode) {
  CollectorMetrics metrics;
  metrics.RecordResponse(RouteOf("/v1/batch"), 200, absl::Milliseconds(1));
  metrics.RecordResponse(RouteOf("/v1/batch"), 418, std::nullopt);
  metrics.RecordResponse(RouteOf("/whatever/user-id"), 404, std::nullopt);
  metrics.AddEvents(3, 1);
  EXPECT_EQ(metrics.responses(Route::kBatch, 200), 1u);
  EXPECT_EQ(metrics.responses(Route::kBatch, 418), 1u);  // counted as "other"
  std::string text;
  metrics.AppendPrometheus(&text);
  EXPECT_THAT(text, HasSubstr("cairn_http_requests_total{route=\"batch\",code=\"other\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("cairn_http_requests_total{route=\"other\",code=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("cairn_events_accepted_total 3\n"));
  EXPECT_THAT(text, HasSubstr("cairn_events_duplicate_total 1\n"));
  // Paths never become labels.
  EXPECT_THAT(text, ::testing::Not(HasSubstr("user-id")));
  EXPECT_THAT(text, HasSubstr("# TYPE cairn_http_request_duration_seconds histogram\n"));
}

}  // namespace
}  // namespace cairn::collector
