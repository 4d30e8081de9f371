#include "cairn/client.h"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "cairn/common/sqlite.h"
#include "cairn/common/uuid.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk_fixture.h"

namespace cairn {
namespace {

using consent::Decision;
using consent::Purpose;
using ::testing::ElementsAre;
using ::testing::Pair;

constexpr char kPolicy[] = "2026-11";

class ClientTest : public cairn::testing::SdkTest {
 protected:
  Options MakeOptions() {
    Options o = FakeCollectorOptions();
    o.app = {"client-test", "9.9"};
    o.attribute_allowlist = {"plan", "k"};
    o.min_backoff = absl::Milliseconds(10);
    o.max_backoff = absl::Milliseconds(50);
    return o;
  }

  using SdkTest::MakeClient;
  std::unique_ptr<Client> MakeClient() { return MakeClient(MakeOptions()); }

  static void GrantAll(Client& client, const std::string& user) {
    ASSERT_TRUE(Grant(client, "acme", user, Purpose::kUsageAnalytics, kPolicy).ok());
    ASSERT_TRUE(Grant(client, "acme", user, Purpose::kMilestones, kPolicy).ok());
  }

  int64_t BufferRows() {
    auto db = sqlite::Database::Open(dir_.File("sdk") + "/cairn-buffer.db");
    EXPECT_TRUE(db.ok());
    auto count = (*db)->Prepare("SELECT count(*) FROM events");
    EXPECT_TRUE(count.ok() && *count->Step());
    return count->ColumnInt(0);
  }

  static absl::Time Soon() { return absl::Now() + absl::Seconds(20); }
};

TEST_F(ClientTest, CreateValidatesOptionsAndRefusesPlainHttpOffLoopback) {
  auto create = [&](auto edit) {
    Options o = MakeOptions();
    edit(o);
    return Client::Create(o).status().code();
  };
  using absl::StatusCode;
  EXPECT_EQ(create([](Options& o) { o.collector_url.clear(); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Options& o) { o.write_key.clear(); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Options& o) { o.storage_dir.clear(); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Options& o) { o.collector_url = "http://collector.example.com"; }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Options& o) { o.collector_url = "http://127.0.0.1.example.com"; }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Options& o) { o.collector_url = "ftp://127.0.0.1/"; }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Options& o) { o.max_batch_events = 0; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Options& o) { o.collector_url = "https://collector.example.com"; }),
            StatusCode::kOk);
  EXPECT_EQ(create([](Options& o) { o.collector_url = "http://localhost:8080/"; }),
            StatusCode::kOk);
  EXPECT_EQ(create([](Options& o) { o.collector_url = "http://[::1]:8080"; }), StatusCode::kOk);
  EXPECT_EQ(create([](Options& o) {
              o.collector_url = "http://collector.example.com";
              o.allow_insecure_http = true;
            }),
            StatusCode::kOk);
}

TEST_F(ClientTest, WithoutConsentNothingIsStoredOrSent) {
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->RecordLogin("acme", "alice").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(client->RecordMilestone("invoice_sent").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(client->RecordLogout().code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(client->Flush(Soon()).ok());
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.recorded, 0u);
  EXPECT_EQ(stats.refused_no_consent, 3u);
  EXPECT_EQ(stats.persisted, 0u);
  ASSERT_TRUE(client->Shutdown(Soon()).ok());
  EXPECT_EQ(fake_->posts(), 0);
  EXPECT_FALSE(std::filesystem::exists(dir_.File("sdk") + "/cairn-buffer.db"));
}

TEST_F(ClientTest, ConsentIsPerPurposeAndTakesEffectAtOnce) {
  auto client = MakeClient();
  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kUsageAnalytics, kPolicy).ok());
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  EXPECT_EQ(client->RecordMilestone("invoice_sent").code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Grant(*client, "acme", "alice", Purpose::kMilestones, kPolicy).ok());
  EXPECT_TRUE(client->RecordMilestone("invoice_sent").ok());
  ASSERT_TRUE(Withdraw(*client, "acme", "alice", Purpose::kMilestones, kPolicy).ok());
  EXPECT_EQ(client->RecordMilestone("invoice_sent").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(client->GetConsent("alice", Purpose::kMilestones), Decision::kDenied);
  EXPECT_EQ(Grant(*client, "acme", "alice", Purpose::kMilestones, "").code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(client->Flush(Soon()).ok());
  // The login only: the milestone was withdrawn before it left the device.
  EXPECT_EQ(fake_->stored_ids().size(), 1u);
  EXPECT_EQ(fake_->stored_consent_ids().size(), 3u);
}

TEST_F(ClientTest, RecordCallsCheckTheirArguments) {
  auto client = MakeClient();
  GrantAll(*client, "alice");
  EXPECT_EQ(client->RecordMilestone("invoice_sent").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client->RecordLogout().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client->RecordLogin("", "alice").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->RecordLogin("acme", std::string(129, 'u')).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  EXPECT_EQ(client->RecordMilestone("sent an invoice").code(), absl::StatusCode::kInvalidArgument);
  // Attributes outside the allowlist or their bounds are removed, one count
  // each; the event itself is kept.
  Attributes too_many;
  for (int i = 0; i < 33; ++i) too_many["k" + std::to_string(i)] = "v";
  EXPECT_TRUE(client->RecordMilestone("ok", 1, too_many).ok());
  EXPECT_TRUE(client->RecordMilestone("ok", 1, {{"k", std::string(257, 'v')}}).ok());
  // Invalid UTF-8 would make the collector refuse the whole batch: removed here.
  EXPECT_TRUE(client->RecordMilestone("ok", 1, {{"k", "\xc3("}}).ok());
  EXPECT_TRUE(client->RecordMilestone("ok", 1, {{"k", "caf\xc3\xa9"}}).ok());
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.recorded, 5u);
  EXPECT_EQ(stats.dropped[cairn::v1::DROP_REASON_ATTRIBUTE_FILTERED], 35u);
}

TEST_F(ClientTest, FlushDeliversEveryEventWithTheWireContractFilledIn) {
  auto client = MakeClient();
  GrantAll(*client, "alice");
  ASSERT_TRUE(client->RecordLogin("acme", "alice", "sso").ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client->RecordMilestone("project_created", i + 1, {{"plan", "pro"}}).ok());
  }
  ASSERT_TRUE(client->RecordSessionEnd().ok());
  ASSERT_TRUE(client->RecordLogout().ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());

  std::vector<cairn::v1::Event> events;
  for (const cairn::v1::Batch& b : fake_->batches()) {
    EXPECT_TRUE(IsCanonicalUuid(b.batch_id()));
    EXPECT_EQ(b.client().sdk_name(), "cairn-cpp");
    EXPECT_EQ(b.client().app_name(), "client-test");
    EXPECT_EQ(b.client().install_id().size(), 32u);
    EXPECT_TRUE(b.has_sent_at());
    for (const cairn::v1::Event& e : b.events()) {
      if (!e.has_consent_change()) events.push_back(e);
    }
  }
  ASSERT_EQ(events.size(), 8u);
  EXPECT_TRUE(events[0].has_login());
  EXPECT_EQ(events[0].login().method(), "sso");
  EXPECT_EQ(events[0].purpose(), cairn::v1::PURPOSE_USAGE_ANALYTICS);
  EXPECT_EQ(events[3].milestone().name(), "project_created");
  EXPECT_DOUBLE_EQ(events[3].milestone().value(), 3);
  EXPECT_EQ(events[3].purpose(), cairn::v1::PURPOSE_MILESTONES);
  EXPECT_THAT(events[3].attributes(), ElementsAre(Pair("plan", "pro")));
  EXPECT_TRUE(events[6].has_session_end());
  EXPECT_TRUE(events[7].has_logout());
  EXPECT_TRUE(events[7].session_id().empty());  // the session ended before
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(UuidVersion(events[i].event_id()), 7);
    EXPECT_EQ(events[i].account_id(), "acme");
    EXPECT_EQ(events[i].user_id(), "alice");
    EXPECT_EQ(events[i].sequence(), i + 1);
    if (i > 0) {
      EXPECT_LT(events[i - 1].event_id(), events[i].event_id());
    }
    if (i > 0 && i < 7) {
      EXPECT_EQ(events[i].session_id(), events[0].session_id());
    }
  }
  const HttpRequest request = fake_->requests().front();
  EXPECT_EQ(request.url, "http://127.0.0.1:1/v1/batch");
  EXPECT_THAT(request.headers, ::testing::Contains(Pair("Authorization", "Bearer wk-test")));
  EXPECT_THAT(request.headers, ::testing::Contains(Pair("Content-Encoding", "zstd")));
  Stats stats = client->GetStats();
  EXPECT_EQ(stats.acknowledged, 10u);  // and the two grants
  EXPECT_EQ(stats.buffered_rows, 0u);
  EXPECT_EQ(BufferRows(), 0);
}

TEST_F(ClientTest, UnreachableCollectorKeepsEventsDurableUntilItAnswers) {
  fake_->SetScript([](int, const cairn::v1::Batch&) -> absl::StatusOr<HttpResponse> {
    return absl::UnavailableError("connection refused");
  });
  auto client = MakeClient();
  GrantAll(*client, "alice");
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  ASSERT_TRUE(client->RecordMilestone("invoice_sent").ok());
  EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(BufferRows(), 2);
  EXPECT_EQ(client->GetStats().buffered_rows, 2u);

  fake_->SetScript(nullptr);  // the collector comes back
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  EXPECT_EQ(fake_->stored_ids().size(), 2u);
  EXPECT_GE(client->GetStats().retries, 1u);
  EXPECT_EQ(BufferRows(), 0);
}

TEST_F(ClientTest, ARestartResumesDeliveryAndNumbering) {
  fake_->SetScript([](int, const cairn::v1::Batch&) -> absl::StatusOr<HttpResponse> {
    return HttpResponse{503, "busy", absl::Seconds(1)};
  });
  {
    auto client = MakeClient();
    GrantAll(*client, "alice");
    ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
    ASSERT_TRUE(client->RecordMilestone("a").ok());
    ASSERT_TRUE(client->RecordMilestone("b").ok());
    EXPECT_FALSE(client->Shutdown(absl::Now() + absl::Seconds(2)).ok());
  }
  EXPECT_EQ(BufferRows(), 3);
  fake_->SetScript(nullptr);
  auto client = MakeClient();
  GrantAll(*client, "alice");
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());
  std::set<uint64_t> sequences;
  for (const auto& e : ReceivedEvents()) sequences.insert(e.sequence());
  EXPECT_EQ(sequences, (std::set<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(fake_->stored_ids().size(), 4u);
}

TEST_F(ClientTest, RejectedEventsAreDroppedCountedAndReportedInTheNextBatch) {
  fake_->SetScript([this](int call, const cairn::v1::Batch& b) -> absl::StatusOr<HttpResponse> {
    if (call > 0) return fake_->Accept(b);
    cairn::v1::BatchResponse answer;
    answer.set_accepted(b.events_size() - 1);
    cairn::v1::RejectedEvent* r = answer.add_rejected();
    r->set_index(0);
    r->set_reason(cairn::v1::REJECT_REASON_NO_CONSENT);
    return HttpResponse{200, answer.SerializeAsString(), {}};
  });
  auto client = MakeClient();
  GrantAll(*client, "alice");
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  ASSERT_TRUE(client->RecordMilestone("m").ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());
  EXPECT_EQ(client->GetStats().dropped[cairn::v1::DROP_REASON_REJECTED], 1u);
  EXPECT_EQ(BufferRows(), 0);
  ASSERT_TRUE(client->RecordMilestone("n").ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());
  // The loss is reported exactly once, in a batch after the rejecting one.
  std::vector<cairn::v1::Batch> batches = fake_->batches();
  ASSERT_GE(batches.size(), 2u);
  EXPECT_EQ(batches[0].dropped_size(), 0);
  uint64_t reported = 0;
  for (size_t i = 1; i < batches.size(); ++i) {
    for (const auto& d : batches[i].dropped()) {
      EXPECT_EQ(d.reason(), cairn::v1::DROP_REASON_REJECTED);
      reported += d.count();
    }
  }
  EXPECT_EQ(reported, 1u);
}

TEST_F(ClientTest, OversizeAnswerSplitsTheBatchUntilItFits) {
  fake_->SetScript([this](int, const cairn::v1::Batch& b) -> absl::StatusOr<HttpResponse> {
    if (b.events_size() > 2) return HttpResponse{413, "too large", {}};
    return fake_->Accept(b);
  });
  auto client = MakeClient();
  GrantAll(*client, "alice");
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(client->RecordMilestone("m").ok());
  ASSERT_TRUE(client->Flush(Soon()).ok());
  EXPECT_EQ(fake_->stored_ids().size(), 9u);
  EXPECT_EQ(client->GetStats().dropped.count(cairn::v1::DROP_REASON_REJECTED), 0u);
}

TEST_F(ClientTest, AWrongWriteKeyStopsSendingAndIsReported) {
  fake_->SetScript([](int, const cairn::v1::Batch&) -> absl::StatusOr<HttpResponse> {
    return HttpResponse{401, "bad key", {}};
  });
  std::vector<absl::StatusCode> reported;
  std::mutex mu;
  Options o = MakeOptions();
  o.on_delivery_status = [&](const DeliveryStatus& s) {
    std::lock_guard lock(mu);
    reported.push_back(s.status.code());
  };
  auto client = MakeClient(o);
  GrantAll(*client, "alice");
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(client->RecordMilestone("m").ok());
  EXPECT_EQ(client->Flush(Soon()).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(fake_->posts(), 1);  // no hammering with a key that cannot work
  EXPECT_EQ(BufferRows(), 2);    // kept for when the key is fixed
  std::lock_guard lock(mu);
  EXPECT_THAT(reported, ElementsAre(absl::StatusCode::kPermissionDenied));
}

TEST_F(ClientTest, ShutdownReturnsWhenTheCollectorStallsAndKeepsTheEvents) {
  fake_->StallUntilAbort();
  {
    auto client = MakeClient();
    GrantAll(*client, "alice");
    ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
    EXPECT_FALSE(client->Shutdown(absl::Now() + absl::Milliseconds(500)).ok());
  }
  EXPECT_EQ(fake_->posts(), 1);
  EXPECT_EQ(BufferRows(), 1);
}

TEST_F(ClientTest, ManyThreadsRecordWithoutLossOrDuplicates) {
  Options o = MakeOptions();
  o.max_batch_events = 200;
  auto client = MakeClient(o);
  GrantAll(*client, "alice");
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(client->Flush(Soon()).ok());
  std::set<uint64_t> sequences;
  size_t events = 0;
  for (const auto& b : fake_->batches()) {
    EXPECT_LE(b.events_size(), 200);
    for (const auto& e : b.events()) {
      if (e.has_consent_change()) continue;
      sequences.insert(e.sequence());
      ++events;
    }
  }
  EXPECT_EQ(events, 2001u);
  EXPECT_EQ(sequences.size(), 2001u);
  EXPECT_EQ(fake_->stored_ids().size(), 2001u);
}

TEST_F(ClientTest, RecordingAfterShutdownIsRefused) {
  auto client = MakeClient();
  GrantAll(*client, "alice");
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  ASSERT_TRUE(client->Shutdown(Soon()).ok());
  EXPECT_EQ(client->RecordMilestone("m").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(client->Shutdown(Soon()).ok());  // the first result again
}

// The names of this process's threads, as debuggers and profilers show them.
std::multiset<std::string> ThreadNames() {
  std::multiset<std::string> names;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  return names;
}

TEST_F(ClientTest, TheClientsThreadsAreNamedForTheAppsTools) {
  if (!std::filesystem::exists("/proc/self/task")) GTEST_SKIP() << "no /proc on this OS";
  auto client = MakeClient();
  GrantAll(*client, "alice");
  ASSERT_TRUE(client->RecordLogin("acme", "alice").ok());
  // Delivered: the writer stored the event and the sender sent it, so both
  // threads have started, and each names itself first.
  ASSERT_TRUE(client->Flush(Soon()).ok());
  std::multiset<std::string> names = ThreadNames();
  EXPECT_EQ(names.count("cairn-writer"), 1u);
  EXPECT_EQ(names.count("cairn-sender"), 1u);

  ASSERT_TRUE(client->Shutdown(Soon()).ok());
  names = ThreadNames();
  EXPECT_EQ(names.count("cairn-writer"), 0u);
  EXPECT_EQ(names.count("cairn-sender"), 0u);
}

}  // namespace
}  // namespace cairn
