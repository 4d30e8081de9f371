#include "archetype_book.h"

#include <algorithm>
#include <array>
#include <map>
#include <string>

namespace cairn::engagement::testing {
namespace {

// SplitMix64: small, fast and fully specified, unlike the standard
// distributions, whose output differs between standard libraries.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform(double lo = 0, double hi = 1) {
    return lo + (hi - lo) * static_cast<double>(Next() >> 11) * 0x1.0p-53;
  }
  int Int(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return Uniform() < p; }

 private:
  uint64_t state_;
};

constexpr std::array<int, 8> kSizes = {2, 3, 5, 10, 20, 50, 100, 200};

// Monday = 0 for book day `day` (book day 0 is a Friday: see kOrigin in the test).
int Weekday(int day, int origin_weekday) { return (day + origin_weekday) % 7; }

struct Plan {
  BookAccount account;
  // Per user: chance of logging in on a working day, weekend factor.
  std::vector<double> p;
  double weekend = 0.2;
  int min_logins = 1;
  int max_logins = 4;
  int power_min_logins = 3;  // user 0 of a power-user account
  int power_max_logins = 7;
  std::vector<int> join_day;          // per user
  std::array<bool, 7> active_days{};  // weekdays the account works
  int period_days = 0;                // seasonal
  int phase = 0;
  double dip = 1;
};

// The activity multiplier of the account on book day `d`.
double Level(const Plan& plan, int d) {
  const BookAccount& a = plan.account;
  switch (a.archetype) {
    case Archetype::kSeasonal:
      return ((d - plan.phase) % plan.period_days + plan.period_days) % plan.period_days < 7
                 ? plan.dip
                 : 1.0;
    case Archetype::kOnboarding:
      return std::min(1.0, 0.3 + 0.7 * (d - a.first_day) / 28.0);
    case Archetype::kSlowDecline:
      return 1.0 - a.magnitude * std::clamp((d - a.event_day) / 84.0, 0.0, 1.0);
    case Archetype::kSuddenDrop:
      return d >= a.event_day ? a.magnitude : 1.0;
    default:
      return 1.0;
  }
}

Plan MakePlan(Archetype archetype, int users, Rng& rng) {
  Plan plan;
  BookAccount& a = plan.account;
  a.archetype = archetype;
  a.users = users;
  plan.p.resize(static_cast<size_t>(users));
  for (double& p : plan.p) p = rng.Uniform(0.6, 0.95);
  plan.join_day.assign(static_cast<size_t>(users), 0);
  for (int w = 0; w < 5; ++w) plan.active_days[static_cast<size_t>(w)] = true;
  plan.active_days[5] = plan.active_days[6] = true;  // weekends at plan.weekend
  switch (archetype) {
    case Archetype::kSteady:
      break;
    case Archetype::kWeeklyRhythm: {
      // Only 1-3 fixed weekdays, but busy on those.
      plan.active_days = {};
      const int n = rng.Int(1, 3);
      for (int i = 0; i < n; ++i) plan.active_days[static_cast<size_t>(rng.Int(0, 4))] = true;
      for (double& p : plan.p) p = rng.Uniform(0.7, 1.0);
      plan.max_logins = 4;
      break;
    }
    case Archetype::kSeasonal:
      plan.period_days = 7 * rng.Int(3, 4);
      plan.phase = rng.Int(0, plan.period_days - 1);
      plan.dip = rng.Uniform(0.1, 0.5);
      break;
    case Archetype::kOnboarding:
      a.first_day = rng.Int(70, 112);
      for (int u = 0; u < users; ++u) {
        plan.join_day[static_cast<size_t>(u)] = a.first_day + (u == 0 ? 0 : rng.Int(0, 21));
      }
      break;
    case Archetype::kPowerUser:
      plan.p.assign(static_cast<size_t>(users), 0.02);
      plan.p[0] = 0.95;
      plan.weekend = 0.6;
      plan.max_logins = 2;
      break;
    case Archetype::kSlowDecline:
      a.event_day = 35;
      a.magnitude = rng.Uniform(0.3, 0.8);
      break;
    case Archetype::kSuddenDrop:
      a.event_day = rng.Int(92, 105);
      a.magnitude = rng.Uniform(0.0, 0.4);
      break;
  }
  return plan;
}

void Generate(Plan& plan, int origin_weekday, Rng& rng) {
  BookAccount& a = plan.account;
  // Working hours 08-18 local in a zone of UTC-6..UTC+8.
  const int offset = rng.Int(-6, 8);
  for (int d = a.first_day; d < kBookDays; ++d) {
    const int weekday = Weekday(d, origin_weekday);
    if (!plan.active_days[static_cast<size_t>(weekday)]) continue;
    const double level = Level(plan, d) * (weekday >= 5 ? plan.weekend : 1.0);
    for (int u = 0; u < a.users; ++u) {
      if (d < plan.join_day[static_cast<size_t>(u)]) continue;
      if (!rng.Chance(std::min(1.0, plan.p[static_cast<size_t>(u)] * level))) continue;
      const bool power = a.archetype == Archetype::kPowerUser && u == 0;
      const int n = power ? rng.Int(plan.power_min_logins, plan.power_max_logins)
                          : rng.Int(plan.min_logins, plan.max_logins);
      for (int i = 0; i < n; ++i) {
        a.logins.push_back({d, u, std::clamp(rng.Int(8, 18) - offset, 0, 23)});
      }
    }
  }
  // The first login is on first_day (the account's clock starts there).
  if (a.logins.empty() || a.logins.front().day != a.first_day) {
    a.logins.insert(a.logins.begin(), BookLogin{a.first_day, 0, 9});
  }
  std::stable_sort(a.logins.begin(), a.logins.end(), [](const BookLogin& x, const BookLogin& y) {
    return x.day != y.day ? x.day < y.day : x.hour < y.hour;
  });
  std::map<std::pair<int, int>, int64_t> folded;
  for (const BookLogin& l : a.logins) ++folded[{l.day, l.user}];
  for (const auto& [key, n] : folded) {
    a.day_rows.push_back({"u" + std::to_string(key.second), key.first, n});
  }
}

}  // namespace

std::string_view ArchetypeName(Archetype archetype) {
  switch (archetype) {
    case Archetype::kSteady:
      return "steady";
    case Archetype::kWeeklyRhythm:
      return "weekly_rhythm";
    case Archetype::kSeasonal:
      return "seasonal";
    case Archetype::kOnboarding:
      return "onboarding";
    case Archetype::kPowerUser:
      return "power_user";
    case Archetype::kSlowDecline:
      return "slow_decline";
    case Archetype::kSuddenDrop:
      return "sudden_drop";
  }
  return "steady";
}

DropState RequiredAlert(Archetype archetype) {
  if (archetype == Archetype::kSlowDecline) return DropState::kDeclining;
  if (archetype == Archetype::kSuddenDrop) return DropState::kDrop;
  return DropState::kNone;
}

std::vector<BookAccount> MakeBook(uint64_t seed, int per_size) {
  Rng rng(seed);
  std::vector<BookAccount> book;
  for (int t = 0; t < kArchetypes; ++t) {
    for (int size : kSizes) {
      for (int v = 0; v < per_size; ++v) {
        Plan plan = MakePlan(static_cast<Archetype>(t), size, rng);
        Generate(plan, /*origin_weekday=*/4, rng);
        book.push_back(std::move(plan.account));
      }
    }
  }
  return book;
}

void FullDayRows(const BookAccount& account, DayIndex origin, DayIndex today,
                 std::vector<UserDayLogins>& rows) {
  const int book_today = static_cast<int>(today - origin);
  rows.clear();  // keeps its capacity: the test calls this thousands of times
  // day_rows is sorted by day: only the window's part is read.
  const auto first = std::lower_bound(account.day_rows.begin(), account.day_rows.end(),
                                      book_today - kHistoryDays + 1,
                                      [](const UserDayLogins& r, int day) { return r.day < day; });
  for (auto r = first; r != account.day_rows.end() && r->day < book_today; ++r) {
    rows.push_back({r->user_id, origin + r->day, r->logins});
  }
}

void AppendTodayRows(const BookAccount& account, DayIndex origin, absl::Time now,
                     std::vector<UserDayLogins>& rows) {
  const int today = static_cast<int>(DayOf(now) - origin);
  const int hour = static_cast<int>(absl::ToInt64Hours(now - StartOfDay(DayOf(now))));
  const auto first = std::lower_bound(account.logins.begin(), account.logins.end(), today,
                                      [](const BookLogin& l, int day) { return l.day < day; });
  std::map<int, int64_t> partial;
  for (auto l = first; l != account.logins.end() && l->day == today; ++l) {
    if (l->hour < hour) ++partial[l->user];
  }
  for (const auto& [user, n] : partial) {
    rows.push_back({"u" + std::to_string(user), origin + today, n});
  }
}

}  // namespace cairn::engagement::testing
