// A labelled synthetic book of accounts for the alert precision/recall test:
// seven usage archetypes at sizes of 2 to 200 users, every login with its
// hour, from a fixed seed (a hand-written generator, so the book is the same
// with every standard library). docs/metrics.md describes the archetypes.
#ifndef CAIRN_TESTS_ENGAGEMENT_ARCHETYPE_BOOK_H_
#define CAIRN_TESTS_ENGAGEMENT_ARCHETYPE_BOOK_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "cairn/engagement/aggregates.h"
#include "cairn/engagement/drop_rule.h"

namespace cairn::engagement::testing {

enum class Archetype {
  kSteady,
  kWeeklyRhythm,
  kSeasonal,
  kOnboarding,
  kPowerUser,
  kSlowDecline,
  kSuddenDrop,
};
inline constexpr int kArchetypes = 7;

// "steady", "weekly_rhythm", ...
std::string_view ArchetypeName(Archetype archetype);

// The weakest alert a labelled account must raise: kNone for the healthy
// archetypes (any alert is false), kDeclining or kDrop otherwise.
DropState RequiredAlert(Archetype archetype);

// Days of history the book holds; day kBookDays - 1 is the last evaluation day.
inline constexpr int kBookDays = 120;

// One login: book day 0..kBookDays-1, user index, hour of the UTC day.
struct BookLogin {
  int day = 0;
  int user = 0;
  int hour = 0;
};

struct BookAccount {
  Archetype archetype = Archetype::kSteady;
  int users = 0;
  // Book day of the first login; the event (decline start, drop) day for
  // the labelled archetypes, else 0.
  int first_day = 0;
  int event_day = 0;
  double magnitude = 0;           // decline: fraction lost over 12 weeks; drop: fraction kept
  std::vector<BookLogin> logins;  // sorted by (day, hour)
  // The logins folded per (day, user) over whole days, sorted by day (built
  // by MakeBook so FullDayRows does not re-fold them at every evaluation).
  std::vector<UserDayLogins> day_rows;
};

// The book: for each archetype, each size in {2, 3, 5, 10, 20, 50, 100, 200}
// and `per_size` variants (seeded from `seed`).
std::vector<BookAccount> MakeBook(uint64_t seed, int per_size);

// The login rows of `account` as the store holds them on `today` (book day 0
// is `origin`'s day) come in two parts. FullDayRows replaces `rows` with the
// full days of the window before today (the same for every hour of the day);
// AppendTodayRows adds today's logins before `now`'s hour. `rows` is reused,
// so its memory is too: the test builds rows tens of thousands of times.
void FullDayRows(const BookAccount& account, DayIndex origin, DayIndex today,
                 std::vector<UserDayLogins>& rows);
void AppendTodayRows(const BookAccount& account, DayIndex origin, absl::Time now,
                     std::vector<UserDayLogins>& rows);

}  // namespace cairn::engagement::testing

#endif  // CAIRN_TESTS_ENGAGEMENT_ARCHETYPE_BOOK_H_
