// Test helper: records `n` events into a buffer in `storage_dir` (no collector
// listens), waits until they are durable, prints "durable <n>", then keeps
// recording until it is killed. Used to show that SIGKILL loses nothing that
// Flush reported durable.
#include <cstdio>
#include <cstdlib>

#include "absl/time/clock.h"
#include "cairn/client.h"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const int n = std::atoi(argv[2]);
  cairn::Options options;
  options.collector_url = "http://127.0.0.1:9";  // discard port: nothing answers
  options.write_key = "kill-test";
  options.storage_dir = argv[1];
  options.min_backoff = absl::Seconds(30);  // one failed attempt, then quiet
  options.max_backoff = absl::Seconds(60);
  auto client = cairn::Client::Create(options);
  if (!client.ok()) return 1;
  using cairn::consent::Decision;
  using cairn::consent::Purpose;
  auto grant = [&](Purpose purpose) {
    cairn::ConsentRequest request;
    request.account_id = "acct";
    request.user_id = "u";
    request.purpose = purpose;
    request.decision = Decision::kGranted;
    request.policy_version = "v1";
    return (*client)->SetConsent(request).ok();
  };
  if (!grant(Purpose::kUsageAnalytics) || !grant(Purpose::kMilestones) ||
      !(*client)->RecordLogin("acct", "u").ok()) {
    return 1;
  }
  for (int i = 1; i < n; ++i) {
    if (!(*client)->RecordMilestone("before_kill", i).ok()) return 1;
  }
  // Unavailable is the expected answer: durable, but the collector is away.
  absl::Status flushed = (*client)->Flush(absl::Now() + absl::Seconds(30));
  if (!absl::IsUnavailable(flushed)) return 1;
  std::printf("durable %d\n", n);
  std::fflush(stdout);
  for (int i = 0;; ++i) {  // until SIGKILL
    (*client)->RecordMilestone("after_flush", i).IgnoreError();
    if (i % 1000 == 0) absl::SleepFor(absl::Milliseconds(1));
  }
}
