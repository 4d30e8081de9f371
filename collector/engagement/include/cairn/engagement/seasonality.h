#ifndef CAIRN_ENGAGEMENT_SEASONALITY_H_
#define CAIRN_ENGAGEMENT_SEASONALITY_H_

#include <cstdint>
#include <span>

namespace cairn::engagement {

// Recurring-dip periods the drop rule looks for, in weeks. A period needs
// at least two dips seen in the history, so with the 13 complete weeks
// kHistoryDays (103) holds, 4 weeks is the longest seen twice with the
// week that follows it.
inline constexpr int kMinDipPeriodWeeks = 2;
inline constexpr int kMaxDipPeriodWeeks = 4;

// A dip that recurs every `period_weeks` weeks in a weekly series (newest
// first): the in-phase weeks are those with k % period_weeks == phase.
struct RecurringDip {
  int period_weeks = 0;  // 0: none
  int phase = 0;
  // Whether week k of the series is in phase (false without a period).
  bool InPhase(int k) const { return period_weeks > 0 && k % period_weeks == phase; }
};

// Whether `dip` recurs in `weekly` (weekly login totals, newest first; week
// 0 is the week being judged and never used as evidence): at least two
// in-phase weeks k >= 1 exist and every one of them is below `dip_ratio` x
// the median of weeks 1.., which is at least `min_weekly_logins`. Judged
// against the typical week rather than the neighbours, because a dip whose
// days straddle two weeks lowers both. Cost: O(weeks log weeks).
bool IsRecurringDip(std::span<const int64_t> weekly, const RecurringDip& dip, double dip_ratio,
                    double min_weekly_logins);

// Weeks of `weekly` (newest first, at most 16) that dip below `dip_ratio` x
// the median of the other weeks within two of them: the odd low weeks of a
// seasonal account (a dip straddling two weeks marks both). A steady fall
// marks none, as each week stays close to its neighbours. Bit k set: week k
// dips. Cost: O(weeks).
uint32_t LocalDipWeeks(std::span<const int64_t> weekly, double dip_ratio);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_SEASONALITY_H_
