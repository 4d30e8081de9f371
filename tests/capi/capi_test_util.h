#ifndef CAIRN_TESTS_CAPI_CAPI_TEST_UTIL_H_
#define CAIRN_TESTS_CAPI_CAPI_TEST_UTIL_H_

// Helpers of the C API suites. They call only cairn/cairn.h (and the test
// support), never the C++ client: these tests see the library as an app does.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cairn/cairn.h"
#include "gtest/gtest.h"

namespace cairn::capi_test {

constexpr char kPolicy[] = "2026-11";

struct OptionsDeleter {
  void operator()(cairn_options* o) const { cairn_options_free(o); }
};
struct ClientDeleter {
  void operator()(cairn_client* c) const { cairn_client_destroy(c); }
};
using OptionsPtr = std::unique_ptr<cairn_options, OptionsDeleter>;
using ClientPtr = std::unique_ptr<cairn_client, ClientDeleter>;

// Options for a client of `url` keeping its files in `dir`: batches wait an
// hour unless flushed, record calls return once the event is committed, and
// retries come quickly. Fails the test if a setter fails.
inline OptionsPtr TestOptions(const std::string& url, const std::string& write_key,
                              const std::string& dir) {
  OptionsPtr o(cairn_options_new());
  EXPECT_NE(o, nullptr);
  EXPECT_EQ(cairn_options_set_collector_url(o.get(), url.c_str()), CAIRN_OK);
  EXPECT_EQ(cairn_options_set_write_key(o.get(), write_key.c_str()), CAIRN_OK);
  EXPECT_EQ(cairn_options_set_storage_dir(o.get(), dir.c_str()), CAIRN_OK);
  EXPECT_EQ(cairn_options_set_app(o.get(), "capi-test", "1"), CAIRN_OK);
  EXPECT_EQ(cairn_options_set_batch(o.get(), 500, 512 * 1024, 3600 * 1000), CAIRN_OK);
  EXPECT_EQ(cairn_options_set_durable_records(o.get(), 1, 10000), CAIRN_OK);
  EXPECT_EQ(cairn_options_set_backoff(o.get(), 20, 200, 7), CAIRN_OK);
  EXPECT_EQ(cairn_options_set_network_retry_floor(o.get(), 0), CAIRN_OK);
  return o;
}

// A client from `options`; null (and a test failure) if it cannot start.
inline ClientPtr CreateClient(const cairn_options* options) {
  cairn_client* client = nullptr;
  const cairn_status_code code = cairn_client_create(options, &client);
  EXPECT_EQ(code, CAIRN_OK) << cairn_last_error_message();
  return ClientPtr(client);
}

// Records a decision for one purpose.
inline cairn_status_code Decide(cairn_client* client, const char* account, const char* user,
                                cairn_purpose purpose, cairn_decision decision) {
  cairn_consent_request request;
  cairn_consent_request_init(&request);
  request.account_id = account;
  request.user_id = user;
  request.purpose = purpose;
  request.decision = decision;
  request.policy_version = kPolicy;
  request.source_surface = "capi-test";
  return cairn_set_consent(client, &request);
}

// Grants both recording purposes and signs the user in.
inline void GrantAndLogin(cairn_client* client, const char* account, const char* user) {
  ASSERT_EQ(Decide(client, account, user, CAIRN_PURPOSE_USAGE_ANALYTICS, CAIRN_DECISION_GRANTED),
            CAIRN_OK)
      << cairn_last_error_message();
  ASSERT_EQ(Decide(client, account, user, CAIRN_PURPOSE_MILESTONES, CAIRN_DECISION_GRANTED),
            CAIRN_OK)
      << cairn_last_error_message();
  ASSERT_EQ(cairn_record_login(client, account, user, "sso"), CAIRN_OK)
      << cairn_last_error_message();
}

inline cairn_stats Stats(const cairn_client* client) {
  cairn_stats stats;
  cairn_stats_init(&stats);
  EXPECT_EQ(cairn_get_stats(client, &stats), CAIRN_OK) << cairn_last_error_message();
  return stats;
}

// What the delivery-status callback saw, for a test to wait on.
class DeliveryLog {
 public:
  // The function to register, with this log as user_data.
  static void Callback(void* user_data, const cairn_delivery_status* status) {
    auto* log = static_cast<DeliveryLog*>(user_data);
    std::lock_guard lock(log->mu_);
    log->seen_.push_back({status->code, status->message, status->http_status, status->buffered_rows,
                          status->next_attempt_in_ms});
    log->cv_.notify_all();
  }

  struct Entry {
    cairn_status_code code;
    std::string message;
    int http_status;
    uint64_t buffered_rows;
    int64_t next_attempt_in_ms;
  };

  // The first report, waiting for one up to 30 s (a bound, not a timing
  // claim); a test failure and an UNKNOWN entry if none comes.
  Entry First() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(30), [&] { return !seen_.empty(); })) {
      ADD_FAILURE() << "the delivery-status callback never fired";
      return {CAIRN_UNKNOWN, "", 0, 0, 0};
    }
    return seen_.front();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Entry> seen_;
};

}  // namespace cairn::capi_test

#endif  // CAIRN_TESTS_CAPI_CAPI_TEST_UTIL_H_
