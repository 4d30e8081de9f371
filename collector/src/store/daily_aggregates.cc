#include "store/daily_aggregates.h"

#include <algorithm>
#include <string_view>
#include <tuple>
#include <utility>

namespace cairn::collector {
namespace {

// The value of `view`'s key in `map` (keys of strings, compared with
// ViewLess), added as `initial` under a copy of the key if absent: only a
// new key copies its strings.
template <typename Map, typename View, typename Value>
typename Map::mapped_type& FindOrAdd(Map& map, const View& view, Value initial) {
  auto it = map.find(view);
  if (it == map.end()) {
    typename Map::key_type key =
        std::apply([](const auto&... field) { return typename Map::key_type(field...); }, view);
    it = map.emplace(std::move(key), std::move(initial)).first;
  }
  return it->second;
}

void LowerTo(int64_t& value, int64_t candidate) { value = std::min(value, candidate); }

}  // namespace

void DailyAggregates::Fold(const cairn::v1::Event& event, const EventRow& row) {
  const int64_t at_ms = row.corrected_at_ms;
  const std::string_view account = event.account_id();
  const std::string_view user = event.user_id();
  if (event.has_login() && event.purpose() == cairn::v1::PURPOSE_USAGE_ANALYTICS) {
    ++FindOrAdd(login_days, std::make_tuple(account, user, row.day), int64_t{0});
    LowerTo(FindOrAdd(first_login_ms, std::make_tuple(account, user), at_ms), at_ms);
  } else if (event.has_milestone() && event.purpose() == cairn::v1::PURPOSE_MILESTONES) {
    const std::string_view name = event.milestone().name();
    LowerTo(FindOrAdd(first_milestone_ms, std::make_tuple(account, user, name), at_ms), at_ms);
    MilestoneDay& sums =
        FindOrAdd(milestone_days, std::make_tuple(account, user, name, row.day), MilestoneDay{});
    ++sums.events;
    if (row.milestone_value) sums.value_sum += *row.milestone_value;
  } else if (event.has_feedback() && event.purpose() == cairn::v1::PURPOSE_FEEDBACK) {
    const FeedbackDay answer{at_ms, event.feedback().score()};
    FeedbackDay& latest = FindOrAdd(
        feedback_days,
        std::make_tuple(account, user, static_cast<int64_t>(event.feedback().kind()), row.day),
        answer);
    latest = std::max(latest, answer);
  }
}

}  // namespace cairn::collector
