#ifndef CAIRN_TESTS_SDK_SDK_FIXTURE_H_
#define CAIRN_TESTS_SDK_SDK_FIXTURE_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "fake_collector.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn::testing {

// A client whose collector is a scripted fake, buffering in a temp dir.
class SdkTest : public ::testing::Test {
 protected:
  Options FakeCollectorOptions() {
    Options o;
    o.collector_url = "http://127.0.0.1:1";  // never dialled: the fake answers
    o.write_key = "wk-test";
    o.storage_dir = dir_.File("sdk");
    o.transport = fake_;
    return o;
  }

  // The fake collector's options with no periodic upload (only Flush sends)
  // and millisecond backoff, for tests that decide when delivery happens.
  Options FlushOnlyOptions() {
    Options o = FakeCollectorOptions();
    o.upload_interval = absl::Hours(1);
    o.min_backoff = absl::Milliseconds(1);
    o.max_backoff = absl::Milliseconds(5);
    return o;
  }

  // A client with options `o`; a test failure (and null) if Create fails.
  std::unique_ptr<Client> MakeClient(Options o) {
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(std::move(o));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // A consent request of `user` in `account` under policy `version`.
  static ConsentRequest Decide(std::string account, std::string user, consent::Purpose purpose,
                               consent::Decision decision, std::string version = "v1") {
    ConsentRequest r;
    r.account_id = std::move(account);
    r.user_id = std::move(user);
    r.purpose = purpose;
    r.decision = decision;
    r.policy_id = "privacy-policy";
    r.policy_version = std::move(version);
    r.source_surface = "test";
    return r;
  }

  static absl::Status Grant(Client& client, std::string account, std::string user,
                            consent::Purpose purpose, std::string version = "v1") {
    return client.SetConsent(Decide(std::move(account), std::move(user), purpose,
                                    consent::Decision::kGranted, std::move(version)));
  }

  static absl::Status Withdraw(Client& client, std::string account, std::string user,
                               consent::Purpose purpose, std::string version = "v1") {
    return client.SetConsent(Decide(std::move(account), std::move(user), purpose,
                                    consent::Decision::kDenied, std::move(version)));
  }

  // The events the fake collector received that are not consent changes.
  std::vector<cairn::v1::Event> ReceivedEvents(bool consent_changes = false) const {
    std::vector<cairn::v1::Event> out;
    std::set<std::string> seen;
    for (const cairn::v1::Batch& b : fake_->batches()) {
      for (const cairn::v1::Event& e : b.events()) {
        if (e.has_consent_change() != consent_changes) continue;
        if (seen.insert(e.event_id()).second) out.push_back(e);
      }
    }
    return out;
  }

  // Creates a client, grants user "u" both purposes and signs them in to "acct".
  std::unique_ptr<Client> StartSignedIn(Options o) {
    auto client = Client::Create(std::move(o));
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    EXPECT_TRUE(Grant(**client, "acct", "u", consent::Purpose::kUsageAnalytics).ok());
    EXPECT_TRUE(Grant(**client, "acct", "u", consent::Purpose::kMilestones).ok());
    EXPECT_TRUE((*client)->RecordLogin("acct", "u").ok());
    return std::move(*client);
  }

  // Flushes until delivered: a scripted fake recovers after its faults, and a
  // flush answers Unavailable after one failed attempt.
  static absl::Status FlushUntilDelivered(Client& client) {
    absl::Status s;
    for (int i = 0; i < 500; ++i) {
      s = client.Flush(absl::Now() + absl::Seconds(10));
      if (s.ok()) return s;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return s;
  }

  TempDir dir_;
  std::shared_ptr<FakeCollector> fake_ = std::make_shared<FakeCollector>();
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SDK_SDK_FIXTURE_H_
