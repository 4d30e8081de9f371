// A recording process killed with SIGKILL loses nothing that Flush reported
// durable: the next start delivers all of it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "fake_collector.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn {
namespace {

TEST(CrashSafety, SigkillLosesNothingThatWasFlushed) {
  cairn::testing::TempDir dir;
  const std::string storage = dir.File("device");
  constexpr int kFlushed = 5000;
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(CAIRN_RECORD_UNTIL_KILLED, CAIRN_RECORD_UNTIL_KILLED, storage.c_str(),
          std::to_string(kFlushed).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(out[0]);
  ASSERT_EQ(line, "durable " + std::to_string(kFlushed));
  ASSERT_EQ(kill(pid, SIGKILL), 0);  // mid-recording, mid-commit perhaps
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto fake = std::make_shared<cairn::testing::FakeCollector>();
  Options o;
  o.collector_url = "http://127.0.0.1:1";
  o.write_key = "kill-test";
  o.storage_dir = storage;
  o.transport = fake;
  auto client = Client::Create(o);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Flush(absl::Now() + absl::Seconds(30)).ok());
  std::set<uint64_t> sequences;
  for (const auto& batch : fake->batches()) {
    for (const auto& e : batch.events()) {
      if (!e.has_consent_change()) sequences.insert(e.sequence());
    }
  }
  for (uint64_t seq = 1; seq <= kFlushed; ++seq) {
    ASSERT_TRUE(sequences.count(seq)) << "flushed event " << seq << " was lost";
  }
  // What came after the flush and survived is delivered too, in order.
  EXPECT_EQ(*sequences.rbegin(), sequences.size());
}

}  // namespace
}  // namespace cairn
