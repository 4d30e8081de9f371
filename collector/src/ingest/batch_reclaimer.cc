#include "ingest/batch_reclaimer.h"

#include <utility>

namespace cairn::collector {

BatchReclaimer::BatchReclaimer(size_t max_pending)
    : max_pending_(max_pending), thread_([this] { Run(); }) {}

BatchReclaimer::~BatchReclaimer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_one();
  thread_.join();
}

void BatchReclaimer::Release(std::vector<BatchRecord> batches) {
  {
    std::lock_guard lock(mu_);
    if (pending_.size() < max_pending_) {
      pending_.push_back(std::move(batches));
      batches.clear();
    }
  }
  ready_.notify_one();
  // Past the bound `batches` still holds them: freed here, on return.
}

void BatchReclaimer::Run() {
  while (true) {
    std::deque<std::vector<BatchRecord>> taken;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, nothing left
      taken.swap(pending_);
    }
    // `taken` is destroyed here, outside the lock.
  }
}

}  // namespace cairn::collector
