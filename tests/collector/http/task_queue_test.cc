// TaskQueue: bounded, several workers run tasks side by side, Stop runs
// what was queued.
#include "http/task_queue.h"

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "gtest/gtest.h"

namespace cairn::collector {
namespace {

TEST(CollectorTaskQueueTest, WorkersRunTasksSideBySide) {
  TaskQueue queue(8, 3);
  // Each task waits until all three run at once: only three workers can
  // finish them (one worker would wait forever, and the test time out).
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
  std::atomic<int> done{0};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(queue.TrySubmit([&] {
      std::unique_lock lock(mu);
      ++running;
      cv.notify_all();
      cv.wait(lock, [&] { return running == 3; });
      ++done;
    }));
  }
  queue.Stop();
  EXPECT_EQ(done.load(), 3);
}

TEST(CollectorTaskQueueTest, FullQueueRefusesAndStopRunsWhatWasQueued) {
  std::mutex gate;
  gate.lock();  // holds the one worker inside the first task
  std::atomic<int> ran{0};
  TaskQueue queue(2, 1);
  ASSERT_TRUE(queue.TrySubmit([&] {
    std::lock_guard hold(gate);
    ++ran;
  }));
  // The worker may or may not have taken the first task yet: fill until a
  // refusal, which must come within capacity + 1 submissions.
  int accepted = 0;
  while (queue.TrySubmit([&] { ++ran; })) {
    ++accepted;
    ASSERT_LE(accepted, 2);
  }
  gate.unlock();
  queue.Stop();
  EXPECT_EQ(ran.load(), accepted + 1);
  EXPECT_FALSE(queue.TrySubmit([] {}));
}

}  // namespace
}  // namespace cairn::collector
