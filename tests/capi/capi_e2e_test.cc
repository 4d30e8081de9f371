// The C API against the real cairn-collector on loopback, through
// libcairn.so alone. This binary also links the test support, which brings
// abseil and the SDK's common code in their ordinary (visible) builds: that
// it loads and runs shows libcairn.so's own copies, hidden, do not clash.
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/cairn.h"
#include "capi_test_util.h"
#include "child_process.h"
#include "collector_process.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn::capi_test {
namespace {

constexpr char kWriteKey[] = "capi-e2e-write-key";

class CapiEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    cairn::testing::CollectorProcessOptions options;
    options.db_path = db_path_;
    options.write_key = kWriteKey;
    options.extra_flags = {"--attribute-allowlist=plan"};
    auto process = cairn::testing::CollectorProcess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    collector_ = std::move(*process);
  }
  void TearDown() override {
    if (collector_ != nullptr) {
      EXPECT_TRUE(collector_->Stop().ok());
    }
  }

  OptionsPtr Options(const std::string& name, const std::string& key = kWriteKey) {
    return TestOptions(collector_->base_url(), key, dir_.File(name));
  }

  // Events stored (consent records left out), each with its row count.
  std::map<std::string, int> Stored() { return cairn::testing::StoredEventIds(db_path_); }

  cairn::testing::TempDir dir_;
  const std::string db_path_ = dir_.File("collector.db");
  std::unique_ptr<cairn::testing::CollectorProcess> collector_;
};

TEST_F(CapiEndToEnd, RecordsAreStoredOnce) {
  OptionsPtr o = Options("device");
  ASSERT_EQ(cairn_options_add_allowed_attribute(o.get(), "plan"), CAIRN_OK);
  ClientPtr client = CreateClient(o.get());
  ASSERT_NE(client, nullptr);
  GrantAndLogin(client.get(), "acme", "u1");
  const cairn_attribute plan[] = {{"plan", "pro"}};
  ASSERT_EQ(cairn_record_milestone(client.get(), "invoice_sent", 1, 10, plan, 1), CAIRN_OK);
  ASSERT_EQ(cairn_record_session_end(client.get()), CAIRN_OK);
  ASSERT_EQ(cairn_record_logout(client.get()), CAIRN_OK);
  ASSERT_EQ(cairn_client_flush(client.get(), 20000), CAIRN_OK) << cairn_last_error_message();
  const std::map<std::string, int> stored = Stored();
  EXPECT_EQ(stored.size(), 4u);  // login, milestone, session end, logout
  for (const auto& [id, rows] : stored) EXPECT_EQ(rows, 1) << id;
  EXPECT_EQ(cairn::testing::SqliteQueryInt(
                db_path_, "SELECT COUNT(*) FROM events WHERE milestone_name = 'invoice_sent'"),
            1);
  const cairn_stats stats = Stats(client.get());
  EXPECT_EQ(stats.acknowledged, 6u);  // the two consent changes too
  EXPECT_EQ(stats.consent_changes_pending, 0u);
  EXPECT_EQ(stats.buffered_rows, 0u);
  EXPECT_EQ(cairn_client_shutdown(client.get(), 5000), CAIRN_OK);
}

TEST_F(CapiEndToEnd, ConcurrentRecordsAreStoredExactlyOnce) {
  OptionsPtr o = Options("device");
  // Record calls queue and return; the writer commits behind them.
  ASSERT_EQ(cairn_options_set_durable_records(o.get(), 0, 0), CAIRN_OK);
  ClientPtr client = CreateClient(o.get());
  ASSERT_NE(client, nullptr);
  GrantAndLogin(client.get(), "acme", "u1");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (cairn_record_milestone(client.get(), "task_done", 1, i, nullptr, 0) != CAIRN_OK) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  ASSERT_EQ(cairn_client_flush(client.get(), 60000), CAIRN_OK) << cairn_last_error_message();
  const std::map<std::string, int> stored = Stored();
  EXPECT_EQ(stored.size(), 1u + kThreads * kPerThread);
  for (const auto& [id, rows] : stored) ASSERT_EQ(rows, 1) << id;
  EXPECT_EQ(Stats(client.get()).recorded, 1u + kThreads * kPerThread);
}

TEST_F(CapiEndToEnd, ARefusedWriteKeyIsReported) {
  DeliveryLog log;
  OptionsPtr o = Options("device", "not-the-key");
  ASSERT_EQ(cairn_options_set_delivery_status_callback(o.get(), &DeliveryLog::Callback, &log),
            CAIRN_OK);
  ClientPtr client = CreateClient(o.get());
  ASSERT_NE(client, nullptr);
  GrantAndLogin(client.get(), "acme", "u1");
  EXPECT_EQ(cairn_client_flush(client.get(), 20000), CAIRN_PERMISSION_DENIED);
  const DeliveryLog::Entry first = log.First();
  EXPECT_EQ(first.code, CAIRN_PERMISSION_DENIED);
  EXPECT_EQ(first.http_status, 401);
  // The first report may precede the login's commit; once flush has
  // answered, the events are durable and stay buffered.
  EXPECT_GE(Stats(client.get()).buffered_rows, 1u);
  EXPECT_TRUE(Stored().empty());
}

TEST_F(CapiEndToEnd, PseudonymisedIdsAreWhatTheCollectorStores) {
  OptionsPtr o = Options("device");
  const char key[] = "pseudonym-key";
  ASSERT_EQ(cairn_options_set_user_id_hmac_key(o.get(), key, sizeof(key) - 1), CAIRN_OK);
  ClientPtr client = CreateClient(o.get());
  ASSERT_NE(client, nullptr);
  GrantAndLogin(client.get(), "acme", "bob@example.com");
  ASSERT_EQ(cairn_record_milestone(client.get(), "invoice_sent", 0, 0, nullptr, 0), CAIRN_OK);
  ASSERT_EQ(cairn_client_flush(client.get(), 20000), CAIRN_OK) << cairn_last_error_message();
  char* wire = nullptr;
  ASSERT_EQ(cairn_wire_user_id(client.get(), "bob@example.com", &wire), CAIRN_OK);
  const std::string wire_id = wire;
  cairn_string_free(wire);
  EXPECT_EQ(
      cairn::testing::SqliteQueryInt(
          db_path_, absl::StrCat("SELECT COUNT(*) FROM events WHERE user_id = '", wire_id, "'")),
      4);  // two consent changes, the login, the milestone
  EXPECT_EQ(cairn::testing::SqliteQueryInt(
                db_path_, "SELECT COUNT(*) FROM events WHERE user_id = 'bob@example.com'"),
            0);
  // Delivered events leave the device: nothing left to export or erase.
  char* json = nullptr;
  ASSERT_EQ(cairn_export_local_data(client.get(), "bob@example.com", &json, nullptr), CAIRN_OK);
  EXPECT_EQ(std::string(json).find("invoice_sent"), std::string::npos);
  cairn_string_free(json);
  ASSERT_EQ(cairn_erase_local_data(client.get(), "bob@example.com"), CAIRN_OK);
  EXPECT_EQ(Stats(client.get()).erased, 0u);
}

TEST_F(CapiEndToEnd, AProgramWrittenInC) {
  const std::string storage = dir_.File("c-device");
  absl::StatusOr<pid_t> pid =
      cairn::testing::SpawnChild({CAIRN_CAPI_HELLO, collector_->base_url(), kWriteKey, storage});
  ASSERT_TRUE(pid.ok()) << pid.status();
  const std::optional<int> status = cairn::testing::WaitChildUntil(
      *pid, std::chrono::steady_clock::now() + std::chrono::seconds(60));
  ASSERT_TRUE(status.has_value()) << "capi_hello did not finish";
  ASSERT_TRUE(WIFEXITED(*status)) << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_EQ(cairn::testing::SqliteQueryInt(
                db_path_, "SELECT COUNT(*) FROM events WHERE milestone_name = 'hello_from_c'"),
            1);
  EXPECT_EQ(Stored().size(), 1u);
}

}  // namespace
}  // namespace cairn::capi_test
