#ifndef CAIRN_COLLECTOR_STORE_DAILY_AGGREGATES_H_
#define CAIRN_COLLECTOR_STORE_DAILY_AGGREGATES_H_

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "cairn/v1/event.pb.h"
#include "store/event_row.h"

namespace cairn::collector {

// The daily aggregates (user_day, user_first_login, user_milestone,
// user_milestone_day) of a set of newly stored events, summed per key in
// memory, so a store writes one upsert per key instead of one per event (a
// write of 20,000 events from 1,000 users has about 1,000 login keys).
// Keys are ordered, so every collector upserts them in the same order, and
// looked up by views (std::less<>), so an event whose keys are there already
// copies no string: a write of 20,000 events from one user copies its long,
// pseudonymised id a handful of times.
struct DailyAggregates {
  using UserKey = std::tuple<std::string, std::string>;  // account, user
  struct MilestoneDay {
    int64_t events = 0;
    double value_sum = 0;
  };
  // (account, user, day) -> logins
  std::map<std::tuple<std::string, std::string, int64_t>, int64_t, std::less<>> login_days;
  std::map<UserKey, int64_t, std::less<>> first_login_ms;
  // (account, user, milestone name) -> first reached
  std::map<std::tuple<std::string, std::string, std::string>, int64_t, std::less<>>
      first_milestone_ms;
  // (account, user, milestone name, day) -> count and sum of the values
  std::map<std::tuple<std::string, std::string, std::string, int64_t>, MilestoneDay, std::less<>>
      milestone_days;

  // Adds one newly stored event (its stored form `row`): logins of the
  // usage_analytics purpose and milestones of the milestones purpose count,
  // at their skew-corrected time and day; a milestone without a finite value
  // adds 0 to the sum. A few map operations.
  void Fold(const cairn::v1::Event& event, const EventRow& row);
  bool empty() const { return login_days.empty() && first_milestone_ms.empty(); }
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_DAILY_AGGREGATES_H_
