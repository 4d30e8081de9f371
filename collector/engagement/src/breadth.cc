#include "cairn/engagement/breadth.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace cairn::engagement {
namespace {

constexpr int kPeakDays = 90;
constexpr int kWindowDays = 14;

}  // namespace

int64_t ActiveUsers(std::span<const UserDayLogins> rows, DayIndex first, DayIndex last) {
  std::unordered_set<std::string_view> users;
  for (const UserDayLogins& row : rows) {
    if (row.day >= first && row.day <= last && row.logins > 0) users.insert(row.user_id);
  }
  return static_cast<int64_t>(users.size());
}

int64_t PeakActiveUsers14(std::span<const UserDayLogins> rows, absl::Time now) {
  const DayIndex today = DayOf(now);
  const DayIndex first_end = today - (kPeakDays - 1);
  // Login days per user that can reach a window ending in [first_end, today].
  std::unordered_map<std::string_view, std::vector<DayIndex>> by_user;
  for (const UserDayLogins& row : rows) {
    if (row.logins <= 0 || row.day > today || row.day < first_end - (kWindowDays - 1)) continue;
    by_user[row.user_id].push_back(row.day);
  }
  // delta[i]: change of the active count at end day first_end + i.
  std::array<int64_t, kPeakDays + 1> delta{};
  for (auto& [user, days] : by_user) {
    std::sort(days.begin(), days.end());
    // Merge the spans [x, x + 13] (clipped to the end days) into disjoint ones
    // so a user counts at most once per window.
    DayIndex span_start = 0;
    DayIndex span_end = -1;
    bool open = false;
    auto flush = [&] {
      if (!open) return;
      const DayIndex a = std::max(span_start, first_end);
      const DayIndex b = std::min(span_end, today);
      if (a <= b) {
        ++delta[a - first_end];
        --delta[b - first_end + 1];
      }
    };
    for (DayIndex x : days) {
      if (open && x <= span_end + 1) {
        span_end = std::max(span_end, x + kWindowDays - 1);
      } else {
        flush();
        span_start = x;
        span_end = x + kWindowDays - 1;
        open = true;
      }
    }
    flush();
  }
  int64_t active = 0;
  int64_t peak = 0;
  for (int i = 0; i < kPeakDays; ++i) {
    active += delta[i];
    peak = std::max(peak, active);
  }
  return peak;
}

Breadth ComputeBreadth(const AccountInput& input, absl::Time now) {
  const DayIndex today = DayOf(now);
  Breadth breadth;
  breadth.active_users = ActiveUsers(input.login_days, today - (kWindowDays - 1), today);
  if (input.seats && *input.seats > 0) {
    breadth.basis = BreadthBasis::kSeats;
    breadth.denominator = *input.seats;
  } else {
    breadth.basis = BreadthBasis::kPeak;
    breadth.denominator = PeakActiveUsers14(input.login_days, now);
  }
  if (breadth.denominator > 0) {
    breadth.ratio = std::min(
        1.0, static_cast<double>(breadth.active_users) / static_cast<double>(breadth.denominator));
  }
  return breadth;
}

}  // namespace cairn::engagement
