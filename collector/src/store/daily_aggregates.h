#ifndef CAIRN_COLLECTOR_STORE_DAILY_AGGREGATES_H_
#define CAIRN_COLLECTOR_STORE_DAILY_AGGREGATES_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cairn/v1/event.pb.h"
#include "store/event_row.h"

namespace cairn::collector {

// Orders tuples of strings (or string views) and numbers field by field, as
// views: a map keyed by owned strings can then be searched with a tuple of
// views without copying them (std::less<> does not compare such tuples on
// every standard library).
struct ViewLess {
  using is_transparent = void;
  template <typename... A, typename... B>
  bool operator()(const std::tuple<A...>& a, const std::tuple<B...>& b) const {
    return AsViews(a) < AsViews(b);
  }

 private:
  static std::string_view AsView(std::string_view s) { return s; }
  template <typename T>
  requires std::is_arithmetic_v<T>
  static T AsView(T v) { return v; }
  template <typename... T>
  static auto AsViews(const std::tuple<T...>& t) {
    return std::apply([](const auto&... field) { return std::make_tuple(AsView(field)...); }, t);
  }
};

// The daily aggregates (user_day, user_first_login, user_milestone,
// user_milestone_day, user_feedback_day) of a set of newly stored events, summed per key in
// memory, so a store writes one upsert per key instead of one per event (a
// write of 20,000 events from 1,000 users has about 1,000 login keys).
// Keys are ordered, so every collector upserts them in the same order, and
// looked up by views (ViewLess), so an event whose keys are there already
// copies no string: a write of 20,000 events from one user copies its long,
// pseudonymised id a handful of times.
struct DailyAggregates {
  using UserKey = std::tuple<std::string, std::string>;  // account, user
  struct MilestoneDay {
    int64_t events = 0;
    double value_sum = 0;
  };
  // (account, user, day) -> logins
  std::map<std::tuple<std::string, std::string, int64_t>, int64_t, ViewLess> login_days;
  std::map<UserKey, int64_t, ViewLess> first_login_ms;
  // (account, user, milestone name) -> first reached
  std::map<std::tuple<std::string, std::string, std::string>, int64_t, ViewLess> first_milestone_ms;
  // (account, user, milestone name, day) -> count and sum of the values
  std::map<std::tuple<std::string, std::string, std::string, int64_t>, MilestoneDay, ViewLess>
      milestone_days;
  // The latest answer of one (account, user, kind, day): the later
  // answered_at wins, the higher score on a tie, so the order events are
  // stored in does not matter.
  struct FeedbackDay {
    int64_t answered_at_ms = 0;
    int64_t score = 0;
    auto operator<=>(const FeedbackDay&) const = default;
  };
  // (account, user, wire FeedbackKind, day) -> latest answer
  std::map<std::tuple<std::string, std::string, int64_t, int64_t>, FeedbackDay, ViewLess>
      feedback_days;

  // Adds one newly stored event (its stored form `row`): logins of the
  // usage_analytics purpose, milestones of the milestones purpose and
  // feedback of the feedback purpose count, at their skew-corrected time and
  // day; a milestone without a finite value adds 0 to the sum. A few map
  // operations.
  void Fold(const cairn::v1::Event& event, const EventRow& row);
  bool empty() const {
    return login_days.empty() && first_milestone_ms.empty() && feedback_days.empty();
  }
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_DAILY_AGGREGATES_H_
