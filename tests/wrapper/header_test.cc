// cairn.hpp beside the static C++ SDK's public headers in one translation
// unit (no name clash), its defaults against cairn::Options', and its
// Result type, also as compiled in a C++17 translation unit.
#include <chrono>
#include <cstdint>

#include "absl/time/time.h"
#include "cairn/cairn.hpp"
#include "cairn/client.h"
#include "cairn/options.h"
#include "cxx17_compile.h"
#include "gtest/gtest.h"

namespace cairn {
namespace {

int64_t Ms(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

TEST(WrapperHeader, DefaultsAreTheStaticSdksOwn) {
  const Options sdk;
  const TelemetryOptions wrapper;
  EXPECT_EQ(wrapper.queue_capacity, sdk.queue_capacity);
  EXPECT_EQ(sdk.queue_full_policy, Options::QueueFullPolicy::kBlockWithDeadline);
  EXPECT_EQ(wrapper.queue_full_policy, TelemetryOptions::QueueFullPolicy::kBlockWithDeadline);
  EXPECT_EQ(wrapper.enqueue_timeout.count(), Ms(sdk.enqueue_timeout));
  EXPECT_EQ(wrapper.durable_records, sdk.durable_records);
  EXPECT_EQ(wrapper.durable_timeout.count(), Ms(sdk.durable_timeout));
  EXPECT_EQ(wrapper.commit_max_events, sdk.commit_max_events);
  EXPECT_EQ(wrapper.commit_interval.count(), Ms(sdk.commit_interval));
  EXPECT_EQ(wrapper.max_buffer_rows, sdk.max_buffer_rows);
  EXPECT_EQ(wrapper.max_buffer_bytes, sdk.max_buffer_bytes);
  EXPECT_EQ(wrapper.max_buffer_file_bytes, sdk.max_buffer_file_bytes);
  EXPECT_EQ(wrapper.event_ttl.count(), Ms(sdk.event_ttl));
  EXPECT_EQ(wrapper.max_batch_events, sdk.max_batch_events);
  EXPECT_EQ(wrapper.max_batch_bytes, sdk.max_batch_bytes);
  EXPECT_EQ(wrapper.upload_interval.count(), Ms(sdk.upload_interval));
  EXPECT_EQ(wrapper.connect_timeout.count(), Ms(sdk.connect_timeout));
  EXPECT_EQ(wrapper.request_timeout.count(), Ms(sdk.request_timeout));
  EXPECT_EQ(wrapper.min_backoff.count(), Ms(sdk.min_backoff));
  EXPECT_EQ(wrapper.max_backoff.count(), Ms(sdk.max_backoff));
  EXPECT_EQ(wrapper.jitter_seed, sdk.jitter_seed);
  EXPECT_EQ(wrapper.network_retry_floor.count(), Ms(sdk.network_retry_floor));
  EXPECT_EQ(sdk.compression, Codec::kZstd);
  EXPECT_EQ(wrapper.compression, TelemetryOptions::Compression::kZstd);
  EXPECT_EQ(wrapper.shutdown_timeout.count(), Ms(sdk.shutdown_timeout));
  EXPECT_EQ(wrapper.allow_insecure_http, sdk.allow_insecure_http);
  EXPECT_EQ(wrapper.attribute_allowlist, sdk.attribute_allowlist);
  EXPECT_EQ(sdk.renewal_notifications_default, Options::RenewalDefault::kNotAsked);
  EXPECT_EQ(wrapper.renewal_notifications_default, TelemetryOptions::RenewalDefault::kNotAsked);
}

TEST(WrapperHeader, ResultHoldsAValueOrAnError) {
  Result<int> doubled = testing::ParsedInCxx17(21);
  ASSERT_TRUE(doubled.has_value());
  EXPECT_EQ(*doubled, 42);
  Result<int> refused = testing::ParsedInCxx17(-1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kOutOfRange);
  EXPECT_EQ(refused.error().message, "negative");
  EXPECT_EQ(refused.value_or(7), 7);
  try {
    (void)refused.value();
    ADD_FAILURE() << "value() of an error did not throw";
  } catch (const BadResultAccess& e) {
    EXPECT_EQ(e.error().code, ErrorCode::kOutOfRange);
  }
  Result<void> ok;
  EXPECT_TRUE(ok);
  EXPECT_EQ(ok.error().code, ErrorCode::kOk);
  EXPECT_NO_THROW(ok.value());
  Result<void> failed = Error{ErrorCode::kInternal, "boom"};
  EXPECT_THROW(failed.value(), BadResultAccess);
}

TEST(WrapperHeader, CodesAreTheCApisAndNamedByTheLibrary) {
  EXPECT_EQ(static_cast<int>(ErrorCode::kUnauthenticated), CAIRN_UNAUTHENTICATED);
  EXPECT_EQ((Error{ErrorCode::kResourceExhausted, ""}.code_name()), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(static_cast<int>(DropReason::kAttributeFiltered), CAIRN_DROP_ATTRIBUTE_FILTERED);
}

}  // namespace
}  // namespace cairn
