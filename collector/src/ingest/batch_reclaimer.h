#ifndef CAIRN_COLLECTOR_INGEST_BATCH_RECLAIMER_H_
#define CAIRN_COLLECTOR_INGEST_BATCH_RECLAIMER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "store/store.h"

namespace cairn::collector {

// Frees committed batches on a thread of its own. Destroying a group's
// events (thousands of protobuf messages and strings) took about a seventh
// of the store writer's time, and that thread bounds ingest; the I/O side
// has spare time. Bounded: with `max_pending` groups already waiting, the
// caller frees inline, so memory never grows past that.
class BatchReclaimer {
 public:
  explicit BatchReclaimer(size_t max_pending = 64);
  // Frees whatever is still pending and joins the thread.
  ~BatchReclaimer();
  BatchReclaimer(const BatchReclaimer&) = delete;
  BatchReclaimer& operator=(const BatchReclaimer&) = delete;

  // Takes `batches` to be destroyed later. A lock and a move; cannot fail.
  void Release(std::vector<BatchRecord> batches);

 private:
  void Run();

  const size_t max_pending_;
  std::mutex mu_;  // std::mutex: visible to ThreadSanitizer
  std::condition_variable ready_;
  std::deque<std::vector<BatchRecord>> pending_;  // guarded by mu_
  bool stopping_ = false;                         // guarded by mu_
  std::thread thread_;                            // last: starts once the rest exists
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_INGEST_BATCH_RECLAIMER_H_
