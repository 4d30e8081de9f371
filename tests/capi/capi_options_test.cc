// The C API's options, status codes, version and per-thread last error,
// through libcairn.so alone. No collector: the clients here point at a
// loopback port nothing listens on and never need to deliver.
#include <barrier>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cairn/cairn.h"
#include "capi_test_util.h"
#include "child_process.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn::capi_test {
namespace {

std::string ClosedUrl() {
  absl::StatusOr<int> port = cairn::testing::FreeLoopbackPort();
  EXPECT_TRUE(port.ok()) << port.status();
  return absl::StrCat("http://127.0.0.1:", port.ok() ? *port : 9);
}

TEST(CapiStatus, NamesEveryCodeAndRefusesOthers) {
  const char* expected[] = {"OK",
                            "CANCELLED",
                            "UNKNOWN",
                            "INVALID_ARGUMENT",
                            "DEADLINE_EXCEEDED",
                            "NOT_FOUND",
                            "ALREADY_EXISTS",
                            "PERMISSION_DENIED",
                            "RESOURCE_EXHAUSTED",
                            "FAILED_PRECONDITION",
                            "ABORTED",
                            "OUT_OF_RANGE",
                            "UNIMPLEMENTED",
                            "INTERNAL",
                            "UNAVAILABLE",
                            "DATA_LOSS",
                            "UNAUTHENTICATED"};
  for (int code = CAIRN_OK; code <= CAIRN_UNAUTHENTICATED; ++code) {
    EXPECT_STREQ(cairn_status_code_name(code), expected[code]) << code;
  }
  EXPECT_STREQ(cairn_status_code_name(-1), "UNKNOWN_CODE");
  EXPECT_STREQ(cairn_status_code_name(CAIRN_UNAUTHENTICATED + 1), "UNKNOWN_CODE");
  EXPECT_STREQ(cairn_status_code_name(1 << 30), "UNKNOWN_CODE");
}

TEST(CapiStatus, VersionAndAbi) {
  EXPECT_STREQ(cairn_version(), "0.1.0");
  EXPECT_EQ(cairn_abi_version(), CAIRN_ABI_VERSION);
}

TEST(CapiStatus, LastErrorIsClearedBySuccess) {
  OptionsPtr o(cairn_options_new());
  ASSERT_EQ(cairn_options_set_collector_url(o.get(), nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_STRNE(cairn_last_error_message(), "");
  ASSERT_EQ(cairn_options_set_collector_url(o.get(), "https://x.example"), CAIRN_OK);
  EXPECT_STREQ(cairn_last_error_message(), "");
}

TEST(CapiStatus, EachThreadSeesItsOwnLastError) {
  // Both threads fail before either reads: a shared message would show the
  // other thread's words to one of them.
  std::barrier both_failed(2);
  std::string seen_a, seen_b;
  std::thread a([&] {
    OptionsPtr o(cairn_options_new());
    EXPECT_EQ(cairn_options_set_queue(o.get(), 10, CAIRN_QUEUE_FULL_DROP_NEWEST, -1),
              CAIRN_INVALID_ARGUMENT);
    both_failed.arrive_and_wait();
    seen_a = cairn_last_error_message();
  });
  std::thread b([&] {
    EXPECT_EQ(cairn_record_logout(nullptr), CAIRN_INVALID_ARGUMENT);
    both_failed.arrive_and_wait();
    seen_b = cairn_last_error_message();
  });
  a.join();
  b.join();
  EXPECT_EQ(seen_a, "enqueue_timeout_ms is negative");
  EXPECT_EQ(seen_b, "client is NULL");
  // This thread made no failing call.
  EXPECT_EQ(cairn_abi_version(), CAIRN_ABI_VERSION);
  OptionsPtr o(cairn_options_new());
  ASSERT_EQ(cairn_options_set_app(o.get(), "a", "1"), CAIRN_OK);
  EXPECT_STREQ(cairn_last_error_message(), "");
}

TEST(CapiOptions, EverySetterRefusesANullHandle) {
  const cairn_status_code codes[] = {
      cairn_options_set_collector_url(nullptr, "https://x.example"),
      cairn_options_set_write_key(nullptr, "k"),
      cairn_options_set_storage_dir(nullptr, "/tmp/x"),
      cairn_options_set_app(nullptr, "a", "1"),
      cairn_options_set_queue(nullptr, 10, CAIRN_QUEUE_FULL_DROP_NEWEST, 1),
      cairn_options_set_durable_records(nullptr, 1, 1),
      cairn_options_set_commit(nullptr, 1, 1),
      cairn_options_set_buffer_limits(nullptr, 1, 1, 1, 1),
      cairn_options_set_batch(nullptr, 1, 1, 1),
      cairn_options_set_requests_in_flight(nullptr, 1),
      cairn_options_set_timeouts(nullptr, 1, 1),
      cairn_options_set_backoff(nullptr, 1, 2, 3),
      cairn_options_set_network_retry_floor(nullptr, 1),
      cairn_options_set_compression(nullptr, CAIRN_COMPRESSION_GZIP),
      cairn_options_set_shutdown_timeout(nullptr, 1),
      cairn_options_set_allow_insecure_http(nullptr, 1),
      cairn_options_set_ca_bundle_path(nullptr, "/x.pem"),
      cairn_options_set_user_id_hmac_key(nullptr, "k", 1),
      cairn_options_add_allowed_attribute(nullptr, "plan"),
      cairn_options_set_renewal_default(nullptr, CAIRN_RENEWAL_NOT_ASKED, nullptr, nullptr),
      cairn_options_set_delivery_status_callback(nullptr, &DeliveryLog::Callback, nullptr),
  };
  for (size_t i = 0; i < std::size(codes); ++i) {
    EXPECT_EQ(codes[i], CAIRN_INVALID_ARGUMENT) << "setter #" << i;
  }
  EXPECT_STREQ(cairn_last_error_message(), "options is NULL");
}

TEST(CapiOptions, NullStringsAreRefused) {
  OptionsPtr o(cairn_options_new());
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(cairn_options_set_collector_url(o.get(), nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_write_key(o.get(), nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_storage_dir(o.get(), nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_app(o.get(), nullptr, "1"), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_app(o.get(), "a", nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_ca_bundle_path(o.get(), nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_user_id_hmac_key(o.get(), nullptr, 4), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_add_allowed_attribute(o.get(), nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_renewal_default(o.get(), CAIRN_RENEWAL_SOFT_OPT_IN, "p", nullptr),
            CAIRN_INVALID_ARGUMENT);
  // Where NULL means "none", it is accepted.
  EXPECT_EQ(cairn_options_set_user_id_hmac_key(o.get(), nullptr, 0), CAIRN_OK);
  EXPECT_EQ(cairn_options_set_renewal_default(o.get(), CAIRN_RENEWAL_NOT_ASKED, nullptr, nullptr),
            CAIRN_OK);
  EXPECT_EQ(cairn_options_set_delivery_status_callback(o.get(), nullptr, nullptr), CAIRN_OK);
}

TEST(CapiOptions, NegativeDurationsAndUnknownEnumsAreRefused) {
  OptionsPtr o(cairn_options_new());
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(cairn_options_set_queue(o.get(), 10, CAIRN_QUEUE_FULL_DROP_NEWEST, -1),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_queue(o.get(), 10, static_cast<cairn_queue_full_policy>(7), 1),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_durable_records(o.get(), 1, -1), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_commit(o.get(), 10, -1), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_buffer_limits(o.get(), 0, 0, 0, -1), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_batch(o.get(), 10, 10, -1), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_timeouts(o.get(), -1, 1), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_timeouts(o.get(), 1, -1), CAIRN_INVALID_ARGUMENT);
  EXPECT_STREQ(cairn_last_error_message(), "request_timeout_ms is negative");
  EXPECT_EQ(cairn_options_set_backoff(o.get(), -1, 1, 0), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_backoff(o.get(), 1, -1, 0), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_network_retry_floor(o.get(), -1), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_shutdown_timeout(o.get(), -1), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_compression(o.get(), static_cast<cairn_compression>(9)),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set_renewal_default(o.get(), static_cast<cairn_renewal_default>(5),
                                              nullptr, "v1"),
            CAIRN_INVALID_ARGUMENT);
  // Zero is a valid duration everywhere.
  EXPECT_EQ(cairn_options_set_queue(o.get(), 10, CAIRN_QUEUE_FULL_DROP_NEWEST, 0), CAIRN_OK);
  EXPECT_EQ(cairn_options_set_commit(o.get(), 10, 0), CAIRN_OK);
}

TEST(CapiOptions, CreateRefusesEachMissingRequiredOption) {
  cairn::testing::TempDir dir;
  const std::string url = ClosedUrl();
  for (int missing = 0; missing < 3; ++missing) {
    OptionsPtr o(cairn_options_new());
    if (missing != 0) cairn_options_set_collector_url(o.get(), url.c_str());
    if (missing != 1) cairn_options_set_write_key(o.get(), "key");
    if (missing != 2) cairn_options_set_storage_dir(o.get(), dir.File("s").c_str());
    cairn_client* client = reinterpret_cast<cairn_client*>(&missing);  // must be reset
    EXPECT_EQ(cairn_client_create(o.get(), &client), CAIRN_INVALID_ARGUMENT) << missing;
    EXPECT_EQ(client, nullptr);
    EXPECT_STRNE(cairn_last_error_message(), "");
  }
}

TEST(CapiOptions, CreateChecksTheWhole) {
  cairn::testing::TempDir dir;
  OptionsPtr o = TestOptions("http://telemetry.example", "key", dir.File("s"));
  cairn_client* client = nullptr;
  // Plain http to a host that is not loopback, until allowed.
  EXPECT_EQ(cairn_client_create(o.get(), &client), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(client, nullptr);
  ASSERT_EQ(cairn_options_set_allow_insecure_http(o.get(), 1), CAIRN_OK);
  ClientPtr allowed = CreateClient(o.get());
  EXPECT_NE(allowed, nullptr);
  allowed.reset();
  // More requests in flight than the SDK runs (1 or 2).
  ASSERT_EQ(cairn_options_set_requests_in_flight(o.get(), 3), CAIRN_OK);
  EXPECT_EQ(cairn_client_create(o.get(), &client), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(client, nullptr);
  ASSERT_EQ(cairn_options_set_requests_in_flight(o.get(), 1), CAIRN_OK);
  ClientPtr one_at_a_time = CreateClient(o.get());
  EXPECT_NE(one_at_a_time, nullptr);
  one_at_a_time.reset();
  // An allowlist over its bound (32 keys).
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(cairn_options_add_allowed_attribute(o.get(), absl::StrCat("k", i).c_str()), CAIRN_OK);
  }
  EXPECT_EQ(cairn_client_create(o.get(), &client), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(client, nullptr);
  EXPECT_EQ(cairn_client_create(nullptr, &client), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_client_create(o.get(), nullptr), CAIRN_INVALID_ARGUMENT);
}

TEST(CapiOptions, OptionsAreCopiedAtCreate) {
  cairn::testing::TempDir dir;
  OptionsPtr o = TestOptions(ClosedUrl(), "key", dir.File("s"));
  ClientPtr client = CreateClient(o.get());
  ASSERT_NE(client, nullptr);
  o.reset();  // the client keeps its own copy
  EXPECT_EQ(Decide(client.get(), "acme", "u1", CAIRN_PURPOSE_MILESTONES, CAIRN_DECISION_GRANTED),
            CAIRN_OK);
  cairn_decision decision = CAIRN_DECISION_UNKNOWN;
  ASSERT_EQ(cairn_get_consent(client.get(), "u1", CAIRN_PURPOSE_MILESTONES, &decision), CAIRN_OK);
  EXPECT_EQ(decision, CAIRN_DECISION_GRANTED);
}

TEST(CapiOptions, SoftOptInDefaultGrantsRenewalNotifications) {
  cairn::testing::TempDir dir;
  OptionsPtr o = TestOptions(ClosedUrl(), "key", dir.File("s"));
  ASSERT_EQ(cairn_options_set_renewal_default(o.get(), CAIRN_RENEWAL_SOFT_OPT_IN, nullptr, "r-1"),
            CAIRN_OK);
  ClientPtr client = CreateClient(o.get());
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(Decide(client.get(), "acme", "u1", CAIRN_PURPOSE_MILESTONES, CAIRN_DECISION_GRANTED),
            CAIRN_OK);
  cairn_decision decision = CAIRN_DECISION_UNKNOWN;
  ASSERT_EQ(cairn_get_consent(client.get(), "u1", CAIRN_PURPOSE_RENEWAL_NOTIFICATIONS, &decision),
            CAIRN_OK);
  EXPECT_EQ(decision, CAIRN_DECISION_GRANTED);
}

TEST(CapiOptions, FreeFunctionsIgnoreNull) {
  cairn_options_free(nullptr);
  cairn_client_destroy(nullptr);
  cairn_string_free(nullptr);
  cairn_consent_choices_free(nullptr);
  cairn_consent_request_init(nullptr);
  cairn_stats_init(nullptr);
  // Still alive and answering.
  EXPECT_STREQ(cairn_version(), "0.1.0");
}

}  // namespace
}  // namespace cairn::capi_test
