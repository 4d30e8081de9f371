// The C API's client, consent, record, local-data and stats calls through
// libcairn.so alone, misuse included. No collector: the clients point at a
// loopback port nothing listens on, so nothing is ever delivered.
#include <cstddef>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/cairn.h"
#include "capi_test_util.h"
#include "child_process.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn::capi_test {
namespace {

class CapiClient : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<int> port = cairn::testing::FreeLoopbackPort();
    ASSERT_TRUE(port.ok()) << port.status();
    url_ = absl::StrCat("http://127.0.0.1:", *port);
    options_ = TestOptions(url_, "key", dir_.File("device"));
    ASSERT_EQ(cairn_options_set_shutdown_timeout(options_.get(), 0), CAIRN_OK);
  }

  ClientPtr Create() { return CreateClient(options_.get()); }

  // The milestone names in the user's export.
  static std::string Export(cairn_client* client, const char* user) {
    char* json = nullptr;
    size_t length = 0;
    EXPECT_EQ(cairn_export_local_data(client, user, &json, &length), CAIRN_OK)
        << cairn_last_error_message();
    if (json == nullptr) return "";
    std::string text(json, length);
    EXPECT_EQ(std::strlen(json), length);
    cairn_string_free(json);
    return text;
  }

  cairn::testing::TempDir dir_;
  std::string url_;
  OptionsPtr options_;
};

TEST_F(CapiClient, EveryClientCallRefusesANullHandle) {
  cairn_decision decision;
  cairn_consent_choices* choices = nullptr;
  char* text = nullptr;
  cairn_stats stats;
  cairn_stats_init(&stats);
  cairn_consent_request request;
  cairn_consent_request_init(&request);
  const std::vector<std::function<cairn_status_code()>> calls = {
      [] { return cairn_client_shutdown(nullptr, 0); },
      [] { return cairn_client_flush(nullptr, 0); },
      [] { return cairn_client_on_network_available(nullptr); },
      [&] { return cairn_set_consent(nullptr, &request); },
      [] { return cairn_set_renewal_notifications(nullptr, "a", "u", 0, kPolicy, nullptr); },
      [&] { return cairn_get_consent(nullptr, "u", CAIRN_PURPOSE_MILESTONES, &decision); },
      [&] { return cairn_get_consent_choices(nullptr, "u", &choices); },
      [] { return cairn_record_login(nullptr, "a", "u", nullptr); },
      [] { return cairn_record_logout(nullptr); },
      [] { return cairn_record_session_end(nullptr); },
      [] { return cairn_record_milestone(nullptr, "m", 0, 0, nullptr, 0); },
      [&] { return cairn_export_local_data(nullptr, "u", &text, nullptr); },
      [] { return cairn_erase_local_data(nullptr, "u"); },
      [&] { return cairn_wire_user_id(nullptr, "u", &text); },
      [&] { return cairn_get_stats(nullptr, &stats); },
  };
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i](), CAIRN_INVALID_ARGUMENT) << "call #" << i;
    EXPECT_STREQ(cairn_last_error_message(), "client is NULL") << "call #" << i;
  }
  EXPECT_EQ(choices, nullptr);
  EXPECT_EQ(text, nullptr);
}

TEST_F(CapiClient, EveryClientCallRefusesNullArguments) {
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  cairn_client* c = client.get();
  cairn_decision decision;
  cairn_consent_choices* choices = nullptr;
  char* text = nullptr;
  const cairn_attribute null_key[] = {{nullptr, "v"}};
  const cairn_attribute null_value[] = {{"plan", nullptr}};
  cairn_consent_request request;
  cairn_consent_request_init(&request);
  request.account_id = "acme";
  request.user_id = "u1";
  request.purpose = CAIRN_PURPOSE_MILESTONES;
  request.decision = CAIRN_DECISION_GRANTED;  // policy_version stays NULL
  const std::vector<std::function<cairn_status_code()>> calls = {
      [&] { return cairn_set_consent(c, nullptr); },
      [&] { return cairn_set_consent(c, &request); },
      [&] { return cairn_set_renewal_notifications(c, nullptr, "u", 0, kPolicy, nullptr); },
      [&] { return cairn_set_renewal_notifications(c, "a", nullptr, 0, kPolicy, nullptr); },
      [&] { return cairn_set_renewal_notifications(c, "a", "u", 0, nullptr, nullptr); },
      [&] { return cairn_get_consent(c, nullptr, CAIRN_PURPOSE_MILESTONES, &decision); },
      [&] { return cairn_get_consent(c, "u", CAIRN_PURPOSE_MILESTONES, nullptr); },
      [&] { return cairn_get_consent_choices(c, nullptr, &choices); },
      [&] { return cairn_get_consent_choices(c, "u", nullptr); },
      [&] { return cairn_record_login(c, nullptr, "u", nullptr); },
      [&] { return cairn_record_login(c, "a", nullptr, nullptr); },
      [&] { return cairn_record_milestone(c, nullptr, 0, 0, nullptr, 0); },
      [&] { return cairn_record_milestone(c, "m", 0, 0, nullptr, 1); },
      [&] { return cairn_record_milestone(c, "m", 0, 0, null_key, 1); },
      [&] { return cairn_record_milestone(c, "m", 0, 0, null_value, 1); },
      [&] { return cairn_export_local_data(c, nullptr, &text, nullptr); },
      [&] { return cairn_export_local_data(c, "u", nullptr, nullptr); },
      [&] { return cairn_erase_local_data(c, nullptr); },
      [&] { return cairn_wire_user_id(c, nullptr, &text); },
      [&] { return cairn_wire_user_id(c, "u", nullptr); },
      [&] { return cairn_get_stats(c, nullptr); },
      [&] { return cairn_client_create(nullptr, nullptr); },
  };
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i](), CAIRN_INVALID_ARGUMENT) << "call #" << i;
    EXPECT_STRNE(cairn_last_error_message(), "") << "call #" << i;
  }
  EXPECT_EQ(choices, nullptr);
  EXPECT_EQ(text, nullptr);
  // Refused before the client saw them: nothing was recorded or refused there.
  EXPECT_EQ(Stats(c).recorded, 0u);
}

TEST_F(CapiClient, ASecondClientOnTheSameDirectoryIsRefused) {
  ClientPtr first = Create();
  ASSERT_NE(first, nullptr);
  cairn_client* second = nullptr;
  EXPECT_EQ(cairn_client_create(options_.get(), &second), CAIRN_FAILED_PRECONDITION);
  EXPECT_EQ(second, nullptr);
  EXPECT_NE(std::string(cairn_last_error_message()).find("in use"), std::string::npos)
      << cairn_last_error_message();
  // Shutdown releases the directory.
  ASSERT_EQ(cairn_client_shutdown(first.get(), 0), CAIRN_OK);
  ClientPtr third = Create();
  EXPECT_NE(third, nullptr);
}

TEST_F(CapiClient, ShutdownTwiceReturnsTheFirstResult) {
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  GrantAndLogin(client.get(), "acme", "u1");
  ASSERT_EQ(cairn_record_milestone(client.get(), "invoice_sent", 1, 3, nullptr, 0), CAIRN_OK);
  // Nothing listens: the events cannot be delivered by the deadline.
  const cairn_status_code first = cairn_client_shutdown(client.get(), 50);
  EXPECT_NE(first, CAIRN_OK);
  const std::string first_message = cairn_last_error_message();
  EXPECT_EQ(cairn_client_shutdown(client.get(), 5000), first);
  EXPECT_EQ(cairn_last_error_message(), first_message);
}

TEST_F(CapiClient, CallsAfterShutdown) {
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  GrantAndLogin(client.get(), "acme", "u1");
  // Nothing listens: the deadline passes (or the one attempt fails) first.
  const cairn_status_code shut = cairn_client_shutdown(client.get(), 0);
  EXPECT_TRUE(shut == CAIRN_DEADLINE_EXCEEDED || shut == CAIRN_UNAVAILABLE)
      << cairn_status_code_name(shut);
  EXPECT_EQ(cairn_record_milestone(client.get(), "m", 0, 0, nullptr, 0), CAIRN_FAILED_PRECONDITION);
  EXPECT_EQ(cairn_record_login(client.get(), "acme", "u1", nullptr), CAIRN_FAILED_PRECONDITION);
  EXPECT_EQ(cairn_record_session_end(client.get()), CAIRN_FAILED_PRECONDITION);
  EXPECT_EQ(cairn_record_logout(client.get()), CAIRN_FAILED_PRECONDITION);
  EXPECT_EQ(Stats(client.get()).refused_shut_down, 4u);
  // Reading state still works.
  cairn_decision decision = CAIRN_DECISION_UNKNOWN;
  EXPECT_EQ(cairn_get_consent(client.get(), "u1", CAIRN_PURPOSE_MILESTONES, &decision), CAIRN_OK);
  EXPECT_EQ(decision, CAIRN_DECISION_GRANTED);
  EXPECT_EQ(cairn_client_on_network_available(client.get()), CAIRN_OK);
}

TEST_F(CapiClient, NegativeTimeoutsAreRefused) {
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(cairn_client_flush(client.get(), -1), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_client_shutdown(client.get(), -1), CAIRN_INVALID_ARGUMENT);
  // The refused shutdown did not shut down: records are still taken.
  GrantAndLogin(client.get(), "acme", "u1");
  EXPECT_EQ(cairn_record_milestone(client.get(), "m", 0, 0, nullptr, 0), CAIRN_OK);
}

TEST_F(CapiClient, DestroyWithoutShutdownKeepsTheEventsForTheNextRun) {
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  GrantAndLogin(client.get(), "acme", "u1");
  ASSERT_EQ(cairn_record_milestone(client.get(), "report_built", 0, 0, nullptr, 0), CAIRN_OK);
  client.reset();             // cairn_client_destroy: shuts down within shutdown_timeout (0)
  ClientPtr next = Create();  // the directory was released
  ASSERT_NE(next, nullptr);
  EXPECT_NE(Export(next.get(), "u1").find("report_built"), std::string::npos);
}

TEST_F(CapiClient, RecordRefusals) {
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(cairn_record_milestone(client.get(), "m", 0, 0, nullptr, 0),
            CAIRN_FAILED_PRECONDITION);  // nobody signed in
  EXPECT_EQ(cairn_record_login(client.get(), "acme", "u1", nullptr), CAIRN_PERMISSION_DENIED);
  EXPECT_EQ(cairn_record_milestone(client.get(), "m", 0, 0, nullptr, 0), CAIRN_PERMISSION_DENIED);
  ASSERT_EQ(Decide(client.get(), "acme", "u1", CAIRN_PURPOSE_MILESTONES, CAIRN_DECISION_GRANTED),
            CAIRN_OK);
  EXPECT_EQ(cairn_record_milestone(client.get(), "bad name!", 0, 0, nullptr, 0),
            CAIRN_INVALID_ARGUMENT);
  const cairn_attribute attributes[] = {{"plan", "pro"}, {"dropped", "x"}};
  EXPECT_EQ(cairn_record_milestone(client.get(), "invoice_sent", 1, 2.5, attributes, 2), CAIRN_OK);
  EXPECT_EQ(cairn_record_logout(client.get()), CAIRN_PERMISSION_DENIED);  // no usage analytics
  EXPECT_EQ(cairn_record_session_end(client.get()), CAIRN_FAILED_PRECONDITION);
  const cairn_stats stats = Stats(client.get());
  EXPECT_EQ(stats.recorded, 1u);
  EXPECT_EQ(stats.refused_no_consent, 3u);
  EXPECT_EQ(stats.refused_invalid, 1u);
  EXPECT_EQ(stats.refused_no_session, 2u);
  // No allowlist: both attributes were removed and counted.
  EXPECT_EQ(stats.dropped[CAIRN_DROP_ATTRIBUTE_FILTERED], 2u);
}

TEST_F(CapiClient, FeedbackRefusalsAndItsOwnConsent) {
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(cairn_record_feedback(nullptr, CAIRN_FEEDBACK_NPS, 9, nullptr, nullptr),
            CAIRN_INVALID_ARGUMENT);
  GrantAndLogin(client.get(), "acme", "u1");
  EXPECT_EQ(cairn_record_feedback(client.get(), CAIRN_FEEDBACK_NPS, 9, nullptr, nullptr),
            CAIRN_PERMISSION_DENIED);  // analytics and milestones are not feedback
  ASSERT_EQ(Decide(client.get(), "acme", "u1", CAIRN_PURPOSE_FEEDBACK, CAIRN_DECISION_GRANTED),
            CAIRN_OK);
  EXPECT_EQ(cairn_record_feedback(client.get(), 7, 5, nullptr, nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_record_feedback(client.get(), CAIRN_FEEDBACK_CSAT, 6, nullptr, nullptr),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_record_feedback(client.get(), CAIRN_FEEDBACK_NPS, 10, "great", "q4"), CAIRN_OK);
  EXPECT_EQ(cairn_record_feedback(client.get(), CAIRN_FEEDBACK_CSAT, 1, nullptr, nullptr),
            CAIRN_OK);
  cairn_decision decision = CAIRN_DECISION_UNKNOWN;
  ASSERT_EQ(cairn_get_consent(client.get(), "u1", CAIRN_PURPOSE_FEEDBACK, &decision), CAIRN_OK);
  EXPECT_EQ(decision, CAIRN_DECISION_GRANTED);
  const cairn_stats stats = Stats(client.get());
  EXPECT_EQ(stats.refused_no_consent, 1u);
  EXPECT_EQ(stats.refused_invalid, 2u);
}

TEST_F(CapiClient, ConsentCallsAndChoices) {
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  cairn_consent_request request;
  cairn_consent_request_init(&request);
  EXPECT_EQ(request.struct_size, sizeof(request));
  request.account_id = "acme";
  request.user_id = "u1";
  request.purpose = static_cast<cairn_purpose>(99);
  request.decision = CAIRN_DECISION_GRANTED;
  request.policy_version = kPolicy;
  EXPECT_EQ(cairn_set_consent(client.get(), &request), CAIRN_INVALID_ARGUMENT);
  request.purpose = CAIRN_PURPOSE_MILESTONES;
  request.decision = CAIRN_DECISION_UNKNOWN;
  EXPECT_EQ(cairn_set_consent(client.get(), &request), CAIRN_INVALID_ARGUMENT);
  request.decision = CAIRN_DECISION_GRANTED;
  request.struct_size = offsetof(cairn_consent_request, policy_version);  // too small
  EXPECT_EQ(cairn_set_consent(client.get(), &request), CAIRN_INVALID_ARGUMENT);
  // An older caller's struct that ends after policy_version: the rest reads as
  // unset, whatever lies beyond it.
  request.struct_size = offsetof(cairn_consent_request, source_surface);
  request.expires_at_ms = 1;  // would have expired long ago if read
  ASSERT_EQ(cairn_set_consent(client.get(), &request), CAIRN_OK) << cairn_last_error_message();
  ASSERT_EQ(cairn_set_renewal_notifications(client.get(), "acme", "u1", 0, kPolicy, nullptr),
            CAIRN_OK);

  cairn_decision decision = CAIRN_DECISION_UNKNOWN;
  ASSERT_EQ(cairn_get_consent(client.get(), "u1", CAIRN_PURPOSE_MILESTONES, &decision), CAIRN_OK);
  EXPECT_EQ(decision, CAIRN_DECISION_GRANTED);
  ASSERT_EQ(cairn_get_consent(client.get(), "u1", CAIRN_PURPOSE_RENEWAL_NOTIFICATIONS, &decision),
            CAIRN_OK);
  EXPECT_EQ(decision, CAIRN_DECISION_DENIED);
  EXPECT_EQ(cairn_get_consent(client.get(), "u1", static_cast<cairn_purpose>(0), &decision),
            CAIRN_INVALID_ARGUMENT);

  cairn_consent_choices* choices = nullptr;
  ASSERT_EQ(cairn_get_consent_choices(client.get(), "u1", &choices), CAIRN_OK);
  ASSERT_NE(choices, nullptr);
  ASSERT_EQ(choices->count, 4u);
  EXPECT_EQ(choices->items[0].purpose, CAIRN_PURPOSE_USAGE_ANALYTICS);
  EXPECT_EQ(choices->items[0].decision, CAIRN_DECISION_UNKNOWN);
  EXPECT_STREQ(choices->items[0].policy_version, "");
  EXPECT_EQ(choices->items[0].decided_at_ms, 0);
  EXPECT_EQ(choices->items[1].purpose, CAIRN_PURPOSE_MILESTONES);
  EXPECT_EQ(choices->items[1].decision, CAIRN_DECISION_GRANTED);
  EXPECT_STREQ(choices->items[1].policy_version, kPolicy);
  EXPECT_GT(choices->items[1].decided_at_ms, 1700000000000);
  EXPECT_EQ(choices->items[1].expires_at_ms, 0);
  EXPECT_EQ(choices->items[2].purpose, CAIRN_PURPOSE_RENEWAL_NOTIFICATIONS);
  EXPECT_EQ(choices->items[2].decision, CAIRN_DECISION_DENIED);
  EXPECT_EQ(choices->items[3].purpose, CAIRN_PURPOSE_FEEDBACK);
  EXPECT_EQ(choices->items[3].decision, CAIRN_DECISION_UNKNOWN);
  cairn_consent_choices_free(choices);
}

TEST_F(CapiClient, WithdrawalDeletesTheUnsentEvents) {
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  GrantAndLogin(client.get(), "acme", "u1");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(cairn_record_milestone(client.get(), "invoice_sent", 0, 0, nullptr, 0), CAIRN_OK);
  }
  ASSERT_NE(Export(client.get(), "u1").find("invoice_sent"), std::string::npos);
  ASSERT_EQ(Decide(client.get(), "acme", "u1", CAIRN_PURPOSE_MILESTONES, CAIRN_DECISION_DENIED),
            CAIRN_OK);
  EXPECT_EQ(Export(client.get(), "u1").find("invoice_sent"), std::string::npos);
  const cairn_stats stats = Stats(client.get());
  EXPECT_EQ(stats.dropped[CAIRN_DROP_CONSENT_WITHDRAWN], 3u);
  EXPECT_EQ(stats.buffered_rows, 1u);  // the login, of another purpose
}

TEST_F(CapiClient, ExportEraseAndWireIdWithPseudonymisation) {
  const char key[] = "secret\0key";  // bytes, not a C string
  ASSERT_EQ(cairn_options_set_user_id_hmac_key(options_.get(), key, sizeof(key) - 1), CAIRN_OK);
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  GrantAndLogin(client.get(), "acme", "alice@example.com");
  ASSERT_EQ(cairn_record_milestone(client.get(), "invoice_sent", 0, 0, nullptr, 0), CAIRN_OK);

  char* wire = nullptr;
  ASSERT_EQ(cairn_wire_user_id(client.get(), "alice@example.com", &wire), CAIRN_OK);
  ASSERT_NE(wire, nullptr);
  const std::string wire_id = wire;
  cairn_string_free(wire);
  EXPECT_EQ(wire_id.size(), 64u);
  EXPECT_EQ(wire_id.find_first_not_of("0123456789abcdef"), std::string::npos);

  const std::string exported = Export(client.get(), "alice@example.com");
  EXPECT_NE(exported.find(wire_id), std::string::npos);
  EXPECT_NE(exported.find("invoice_sent"), std::string::npos);
  EXPECT_EQ(exported.find("alice@example.com"), std::string::npos);
  // The export's length may be NULL.
  char* json = nullptr;
  ASSERT_EQ(cairn_export_local_data(client.get(), "alice@example.com", &json, nullptr), CAIRN_OK);
  EXPECT_EQ(std::string(json), exported);
  cairn_string_free(json);

  ASSERT_EQ(cairn_erase_local_data(client.get(), "alice@example.com"), CAIRN_OK);
  EXPECT_EQ(Stats(client.get()).erased, 2u);  // the login and the milestone
  EXPECT_EQ(Export(client.get(), "alice@example.com").find("invoice_sent"), std::string::npos);
}

TEST_F(CapiClient, StatsHonourAnOlderCallersStructSize) {
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  GrantAndLogin(client.get(), "acme", "u1");
  const cairn_stats full = Stats(client.get());
  ASSERT_EQ(full.recorded, 1u);

  // A caller whose struct ended at `persisted` (plus a guard zone).
  constexpr size_t kOld = offsetof(cairn_stats, persisted) + sizeof(uint64_t);
  unsigned char bytes[sizeof(cairn_stats) + 16];
  std::memset(bytes, 0xAB, sizeof(bytes));
  cairn_stats* old = reinterpret_cast<cairn_stats*>(bytes);
  old->struct_size = kOld;
  ASSERT_EQ(cairn_get_stats(client.get(), old), CAIRN_OK);
  EXPECT_EQ(old->struct_size, kOld);
  EXPECT_EQ(old->recorded, 1u);
  EXPECT_EQ(old->refused_no_consent, 0u);
  for (size_t i = kOld; i < sizeof(bytes); ++i) {
    ASSERT_EQ(bytes[i], 0xAB) << "byte " << i << " written past struct_size " << kOld;
  }

  // Cut inside last_error: written up to there, and still a C string.
  constexpr size_t kCut = offsetof(cairn_stats, last_error) + 4;
  std::memset(bytes, 0xAB, sizeof(bytes));
  old->struct_size = kCut;
  ASSERT_EQ(cairn_get_stats(client.get(), old), CAIRN_OK);
  EXPECT_LT(std::strlen(old->last_error), 4u);
  for (size_t i = kCut; i < sizeof(bytes); ++i) ASSERT_EQ(bytes[i], 0xAB) << i;

  // Too small to hold even struct_size.
  old->struct_size = 0;
  EXPECT_EQ(cairn_get_stats(client.get(), old), CAIRN_INVALID_ARGUMENT);
}

TEST_F(CapiClient, DeliveryCallbackReportsAClosedPort) {
  DeliveryLog log;
  ASSERT_EQ(
      cairn_options_set_delivery_status_callback(options_.get(), &DeliveryLog::Callback, &log),
      CAIRN_OK);
  ClientPtr client = Create();
  ASSERT_NE(client, nullptr);
  GrantAndLogin(client.get(), "acme", "u1");
  EXPECT_EQ(cairn_client_flush(client.get(), 10000), CAIRN_UNAVAILABLE);
  const DeliveryLog::Entry first = log.First();
  EXPECT_EQ(first.code, CAIRN_UNAVAILABLE);
  EXPECT_EQ(first.http_status, 0);
  EXPECT_FALSE(first.message.empty());
  // The first report may precede the login's commit; once flush has
  // answered, the events are durable and stay buffered.
  EXPECT_GE(Stats(client.get()).buffered_rows, 1u);
  EXPECT_GE(first.next_attempt_in_ms, 0);
  EXPECT_STRNE(Stats(client.get()).last_error, "");
  EXPECT_EQ(cairn_client_on_network_available(client.get()), CAIRN_OK);
}

}  // namespace
}  // namespace cairn::capi_test
