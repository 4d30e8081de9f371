// Links the installed cairn::sdk, records an event into a real buffer and
// shuts down (no collector is listening: the event stays buffered).
#include <cstdio>

#include "cairn/client.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  cairn::Options options;
  options.collector_url = "http://127.0.0.1:9";  // discard port: nothing answers
  options.write_key = "outside-project";
  options.storage_dir = argv[1];
  auto client = cairn::Client::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "create: %s\n", client.status().ToString().c_str());
    return 1;
  }
  using cairn::consent::Decision;
  using cairn::consent::Purpose;
  cairn::ConsentRequest grant;
  grant.account_id = "acct";
  grant.user_id = "u1";
  grant.purpose = Purpose::kUsageAnalytics;
  grant.decision = Decision::kGranted;
  grant.policy_version = "v1";
  if (!(*client)->SetConsent(grant).ok() || !(*client)->RecordLogin("acct", "u1").ok()) {
    return 1;
  }
  (*client)->Shutdown(absl::Now() + absl::Seconds(2)).IgnoreError();
  cairn::Stats stats = (*client)->GetStats();
  std::printf("outside project: recorded %llu, buffered %llu\n",
              static_cast<unsigned long long>(stats.recorded),
              static_cast<unsigned long long>(stats.buffered_rows));
  return stats.recorded == 1 && stats.buffered_rows == 1 ? 0 : 1;
}
