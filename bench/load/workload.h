#ifndef CAIRN_BENCH_LOAD_WORKLOAD_H_
#define CAIRN_BENCH_LOAD_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cairn/common/uuid.h"
#include "cairn/v1/event.pb.h"

namespace cairn::bench {

// The synthetic workload of the load benchmarks: `users` users spread over
// users/10 accounts (at least 1), each granting usage analytics and
// milestones an hour before `origin`, then logging in and reaching
// milestones. Every event passes cairn::CheckEvent and, once the grants are
// stored, consent enforcement. Event ids are fresh UUIDv7s, so runs never
// collide. About 1 µs per event; not thread-safe (one generator each).
class Workload {
 public:
  Workload(int users, absl::Time origin) : users_(users < 1 ? 1 : users), origin_(origin) {}

  // The two ConsentChange grants of user `user` (0-based), dated origin - 1h.
  std::vector<cairn::v1::Event> ConsentGrants(int user);
  // The `index`-th load event: users in turn, alternately a login and a
  // milestone (with a value and one attribute), dated origin - 10 min +
  // index µs, always after the grants.
  cairn::v1::Event LoadEvent(int64_t index);

  int users() const { return users_; }
  std::string AccountOf(int user) const;
  std::string UserOf(int user) const;

 private:
  cairn::v1::Event Base(int user, cairn::v1::Purpose purpose, absl::Time at);

  int users_;
  absl::Time origin_;
  uint64_t sequence_ = 0;
  UuidV7Generator ids_;
};

// The collector's storage view of an event (docs/collector.md, schema v1),
// so raw-store benchmarks write the same rows the collector writes.
struct StoredRow {
  std::string event_id, account_id, user_id;
  int purpose = 0;
  std::string kind;
  int64_t occurred_at_ms = 0, received_at_ms = 0, sequence = 0;
  std::string session_id, install_id, batch_id;
  bool has_milestone = false;
  std::string milestone_name;
  bool has_milestone_value = false;
  double milestone_value = 0;
  std::string attributes_json;
  std::string event_proto;  // serialized cairn.v1.Event
};

// Flattens `event` as the collector stores it. Cost: one serialization.
StoredRow ToStoredRow(const cairn::v1::Event& event, const std::string& install_id,
                      const std::string& batch_id, int64_t received_at_ms);

}  // namespace cairn::bench

#endif  // CAIRN_BENCH_LOAD_WORKLOAD_H_
