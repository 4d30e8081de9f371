#ifndef CAIRN_COLLECTOR_HTTP_TASK_QUEUE_H_
#define CAIRN_COLLECTOR_HTTP_TASK_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace cairn::collector {

// Worker threads running submitted tasks (in order with one thread), with a
// bounded queue. Keeps slow store work (admin requests) off the network
// threads.
class TaskQueue {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  // Starts `threads` workers (at least 1). `capacity` bounds tasks waiting
  // (not running).
  explicit TaskQueue(size_t capacity, size_t threads = 1);
  // Stops (see Stop).
  ~TaskQueue();
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  // Queues `task`. Returns false (the task is dropped uncalled) if the queue
  // is full or stopping: the caller answers 503. Cost: a mutex.
  bool TrySubmit(Task task);

  // Refuses new tasks, runs those already queued, joins the workers.
  // Idempotent.
  void Stop();

 private:
  void Run();

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable ready_;  // tasks_ non-empty or stopping_
  std::deque<Task> tasks_;         // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::mutex stop_mu_;             // serializes Stop() callers around the join
  std::vector<std::thread> threads_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_HTTP_TASK_QUEUE_H_
