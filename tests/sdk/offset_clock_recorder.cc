// Test helper: a client whose clock is the system clock plus an offset in
// seconds read from a control file at every reading, as a device whose user
// sets its clock. Usage: <collector url> <write key> <storage dir> <clock
// file> first|second.
//   first:  grants, signs in, records "before_jump" and flushes; then sets
//           the clock back a day (writes the control file) and records
//           "after_jump" and flushes.
//   second: (the test moved the clock further back) signs in, records
//           "after_restart", decides again, records "after_regrant", flushes.
// Each step must succeed and consent must read granted throughout; exits 0,
// or 1 after printing the step that failed to stderr.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "cairn/client.h"
#include "cairn/common/clock.h"

namespace {

class OffsetClock final : public cairn::Clock {
 public:
  explicit OffsetClock(std::string path) : path_(std::move(path)) {}
  absl::Time Now() override { return cairn::SystemClock()->Now() + Offset(); }
  absl::Duration MonotonicNow() override { return cairn::SystemClock()->MonotonicNow(); }
  void SleepFor(absl::Duration d) override { cairn::SystemClock()->SleepFor(d); }
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 absl::Time deadline) override {
    cairn::SystemClock()->WaitUntil(cv, lock, deadline - Offset());
  }
  void WaitUntilMonotonic(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                          absl::Duration deadline) override {
    cairn::SystemClock()->WaitUntilMonotonic(cv, lock, deadline);
  }
  void Set(long seconds) { std::ofstream(path_, std::ios::trunc) << seconds << "\n"; }

 private:
  absl::Duration Offset() {
    long seconds = 0;
    std::ifstream(path_) >> seconds;
    return absl::Seconds(seconds);
  }
  const std::string path_;
};

bool Check(bool ok, const char* step) {
  if (!ok) std::fprintf(stderr, "failed: %s\n", step);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) return 2;
  OffsetClock clock(argv[4]);
  const std::string phase = argv[5];
  cairn::Options options;
  options.collector_url = argv[1];
  options.write_key = argv[2];
  options.storage_dir = argv[3];
  options.clock = &clock;
  options.upload_interval = absl::Milliseconds(50);
  auto client = cairn::Client::Create(options);
  if (!Check(client.ok(), "create")) return 1;
  cairn::Client& c = **client;
  using cairn::consent::Decision;
  using cairn::consent::Purpose;
  auto grant = [&](Purpose purpose, const char* version) {
    cairn::ConsentRequest request;
    request.account_id = "acme";
    request.user_id = "alice";
    request.purpose = purpose;
    request.decision = Decision::kGranted;
    request.policy_version = version;
    return c.SetConsent(request).ok();
  };
  auto granted = [&] { return c.GetConsent("alice", Purpose::kMilestones) == Decision::kGranted; };
  auto flush = [&] { return c.Flush(clock.Now() + absl::Seconds(20)).ok(); };
  if (phase == "first") {
    if (!Check(grant(Purpose::kUsageAnalytics, "v1") && grant(Purpose::kMilestones, "v1"),
               "grant") ||
        !Check(c.RecordLogin("acme", "alice").ok(), "login") ||
        !Check(c.RecordMilestone("before_jump").ok(), "record before the jump") ||
        !Check(flush(), "flush before the jump")) {
      return 1;
    }
    clock.Set(-24 * 3600);
    if (!Check(granted(), "consent after the jump") ||
        !Check(c.RecordMilestone("after_jump").ok(), "record after the jump") ||
        !Check(flush(), "flush after the jump")) {
      return 1;
    }
  } else {
    if (!Check(granted(), "consent after the restart") ||
        !Check(c.RecordLogin("acme", "alice").ok(), "login after the restart") ||
        !Check(c.RecordMilestone("after_restart").ok(), "record after the restart") ||
        !Check(grant(Purpose::kMilestones, "v2"), "grant again") ||
        !Check(granted(), "consent after the new grant") ||
        !Check(c.RecordMilestone("after_regrant").ok(), "record after the new grant") ||
        !Check(flush(), "flush after the restart")) {
      return 1;
    }
  }
  return Check(c.Shutdown(clock.Now() + absl::Seconds(5)).ok(), "shutdown") ? 0 : 1;
}
