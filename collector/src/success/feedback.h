#ifndef CAIRN_COLLECTOR_SUCCESS_FEEDBACK_H_
#define CAIRN_COLLECTOR_SUCCESS_FEEDBACK_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/engagement/day.h"
#include "http/http_types.h"
#include "store/store.h"

namespace cairn::collector {

// Days of survey answers GET /v1/accounts/{id} and the summary count by
// default.
inline constexpr int64_t kDefaultFeedbackDays = 90;

// A closed range of UTC days.
struct FeedbackWindow {
  engagement::DayIndex first_day = 0;
  engagement::DayIndex last_day = 0;
};

// The `days` days ending with the day of `now`. Free.
FeedbackWindow LastDays(absl::Time now, int64_t days);

// NPS and CSAT over a window. Each (account, user)'s latest answer of a
// kind in the window counts once, so a user who answers every week does
// not outweigh one who answered once.
struct FeedbackScores {
  int64_t nps_responses = 0;
  int64_t promoters = 0;   // 9-10
  int64_t detractors = 0;  // 0-6
  int64_t passives() const { return nps_responses - promoters - detractors; }
  // (promoters - detractors) * 100 / responses; nullopt without answers.
  std::optional<double> nps() const;
  int64_t csat_responses = 0;
  int64_t csat_sum = 0;
  // Mean CSAT score (1-5); nullopt without answers.
  std::optional<double> csat_mean() const;
};

// The scores of one account from the feedback aggregate (user_feedback_day,
// kept by Store::Write under the feedback purpose's consent). Cost: two
// indexed aggregate queries in one read snapshot. Fails with the store's
// error; Unimplemented for a store without engagement tables.
absl::StatusOr<FeedbackScores> NpsOf(Store& store, std::string_view account_id,
                                     FeedbackWindow window);
// The same over every account (each account's users counted apart).
absl::StatusOr<FeedbackScores> NpsOverall(Store& store, FeedbackWindow window);

// The admin API message of `scores` over `window`. Free.
admin::v1::FeedbackScores FeedbackScoresMessage(const FeedbackScores& scores,
                                                FeedbackWindow window);

// The scores of one account over the last kDefaultFeedbackDays days as of
// `now`, as GET /v1/accounts/{id} shows them. Fails like NpsOf.
absl::StatusOr<admin::v1::FeedbackScores> AccountFeedbackMessage(Store& store,
                                                                 std::string_view account_id,
                                                                 absl::Time now);

// GET /v1/feedback/summary[?days=N] (1-366, default kDefaultFeedbackDays):
// the overall scores as of `now`. 400 for a bad `days`, 503 when the store
// fails.
HttpResponse FeedbackSummaryResponse(Store& store, absl::Time now, const HttpRequest& request);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_FEEDBACK_H_
