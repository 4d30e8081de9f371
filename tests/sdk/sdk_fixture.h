#ifndef CAIRN_TESTS_SDK_SDK_FIXTURE_H_
#define CAIRN_TESTS_SDK_SDK_FIXTURE_H_

#include <memory>

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

  // Creates a client, grants user "u" both purposes and signs them in to "acct".
  std::unique_ptr<Client> StartSignedIn(Options o) {
    auto client = Client::Create(std::move(o));
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    using consent::Decision;
    using consent::Purpose;
    EXPECT_TRUE((*client)->SetConsent("u", Purpose::kUsageAnalytics, Decision::kGranted, "v1").ok());
    EXPECT_TRUE((*client)->SetConsent("u", Purpose::kMilestones, Decision::kGranted, "v1").ok());
    EXPECT_TRUE((*client)->RecordLogin("acct", "u").ok());
    return std::move(*client);
  }

  // Flushes until delivered: a scripted fake recovers after its faults, and a
  // flush during a backoff answers Unavailable at once.
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
