#ifndef CAIRN_COLLECTOR_STORE_STORE_PROBE_H_
#define CAIRN_COLLECTOR_STORE_STORE_PROBE_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace cairn::collector {

// Keeps /readyz honest about the store without making a probe request wait
// on it: a thread of its own calls Store::Ping every `interval` and keeps
// the last answer, which Reachable() reads for free. A PostgreSQL server
// that went away therefore turns /readyz to 503 within about one interval
// plus libpq's connect timeout, even when no batch is arriving. Thread-safe.
class StoreProbe {
 public:
  // Pings once before returning (so the first answer is real), then every
  // `interval` until Stop. `store` must outlive the probe.
  StoreProbe(Store* store, absl::Duration interval);
  // Stops (see Stop).
  ~StoreProbe();
  StoreProbe(const StoreProbe&) = delete;
  StoreProbe& operator=(const StoreProbe&) = delete;

  // Whether the latest Ping succeeded. Free.
  bool Reachable() const;
  // Pings now, on the caller's thread, and records the answer (tests and
  // operators' tools; the background loop does the same). Cost: one Ping.
  absl::Status PingNow();
  // Pings done so far (tests poll it to know a fresh answer exists). Free.
  int64_t pings() const;
  // Ends the background loop and joins it. Idempotent.
  void Stop();

 private:
  void Run();

  Store* const store_;
  const absl::Duration interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;   // guarded by mu_
  bool reachable_ = false;  // guarded by mu_
  int64_t pings_ = 0;       // guarded by mu_
  std::thread thread_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_STORE_PROBE_H_
