#include "http/task_queue.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "ops/log.h"

namespace cairn::collector {

TaskQueue::TaskQueue(size_t capacity, size_t threads) : capacity_(capacity) {
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i) {
    threads_.emplace_back([this] { Run(); });
  }
}

TaskQueue::~TaskQueue() { Stop(); }

bool TaskQueue::TrySubmit(Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || tasks_.size() >= capacity_) return false;
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

void TaskQueue::Stop() {
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void TaskQueue::Run() {
  while (true) {
    Task task;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and everything queued ran
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    try {
      std::move(task)();
    } catch (const std::exception&) {
      // Only allocation can throw in our tasks; the worker must live on.
      Log(LogLevel::kError, "task_failed");
    }
  }
}

}  // namespace cairn::collector
