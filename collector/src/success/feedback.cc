#include "success/feedback.h"

#include <array>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cairn/v1/event.pb.h"
#include "http/proto_json.h"
#include "ops/json_text.h"
#include "store/sql_runner.h"
#include "success/engagement_views.h"

namespace cairn::collector {
namespace {

constexpr int64_t kMaxFeedbackDays = 366;

// Each (account, user)'s latest answer of kind ?1 in days ?2..?3, summed:
// answers, scores of 9 and over, scores of 6 and under, the score total.
// One row per (account, user, kind, day), so the latest answered_at of the
// window names one row. SQL both databases accept.
constexpr std::string_view kLatestScores = R"sql(
SELECT count(*),
       coalesce(sum(CASE WHEN f.score >= 9 THEN 1 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN f.score <= 6 THEN 1 ELSE 0 END), 0),
       coalesce(sum(f.score), 0)
FROM user_feedback_day f
WHERE f.kind = ?1 AND f.day BETWEEN ?2 AND ?3
  AND f.answered_at_ms = (SELECT max(g.answered_at_ms) FROM user_feedback_day g
                          WHERE g.account_id = f.account_id AND g.user_id = f.user_id
                            AND g.kind = f.kind AND g.day BETWEEN ?2 AND ?3)
)sql";

struct KindTotals {
  int64_t responses = 0;
  int64_t high = 0;
  int64_t low = 0;
  int64_t sum = 0;
};

absl::StatusOr<KindTotals> Totals(SqlRunner& sql, cairn::v1::FeedbackKind kind,
                                  FeedbackWindow window,
                                  std::optional<std::string_view> account_id) {
  std::vector<SqlValue> params = {SqlValue(int64_t{kind}), SqlValue(window.first_day),
                                  SqlValue(window.last_day)};
  std::string query(kLatestScores);
  if (account_id) {
    params.emplace_back(std::string(*account_id));
    query += "  AND f.account_id = ?4\n";
  }
  absl::StatusOr<std::vector<SqlRow>> rows = sql.Query(query, params);
  if (!rows.ok()) return rows.status();
  if (rows->size() != 1) return absl::InternalError("feedback totals: no row");
  SqlRowReader r{rows->front()};
  KindTotals totals{r.Int(0), r.Int(1), r.Int(2), r.Int(3)};
  if (!r.ok) return absl::DataLossError("feedback totals do not parse");
  return totals;
}

absl::StatusOr<FeedbackScores> Scores(Store& store, FeedbackWindow window,
                                      std::optional<std::string_view> account_id) {
  FeedbackScores scores;
  absl::Status s = store.RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    absl::StatusOr<KindTotals> nps = Totals(sql, cairn::v1::FEEDBACK_KIND_NPS, window, account_id);
    if (!nps.ok()) return nps.status();
    absl::StatusOr<KindTotals> csat =
        Totals(sql, cairn::v1::FEEDBACK_KIND_CSAT, window, account_id);
    if (!csat.ok()) return csat.status();
    scores.nps_responses = nps->responses;
    scores.promoters = nps->high;
    scores.detractors = nps->low;
    scores.csat_responses = csat->responses;
    scores.csat_sum = csat->sum;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return scores;
}

void SetNumberOrNull(std::optional<double> value, google::protobuf::Value* out) {
  if (value) {
    out->set_number_value(*value);
  } else {
    out->set_null_value(google::protobuf::NULL_VALUE);
  }
}

}  // namespace

FeedbackWindow LastDays(absl::Time now, int64_t days) {
  const engagement::DayIndex today = engagement::DayOf(now);
  return FeedbackWindow{today - days + 1, today};
}

std::optional<double> FeedbackScores::nps() const {
  if (nps_responses == 0) return std::nullopt;
  return static_cast<double>(promoters - detractors) * 100.0 / static_cast<double>(nps_responses);
}

std::optional<double> FeedbackScores::csat_mean() const {
  if (csat_responses == 0) return std::nullopt;
  return static_cast<double>(csat_sum) / static_cast<double>(csat_responses);
}

absl::StatusOr<FeedbackScores> NpsOf(Store& store, std::string_view account_id,
                                     FeedbackWindow window) {
  return Scores(store, window, account_id);
}

absl::StatusOr<FeedbackScores> NpsOverall(Store& store, FeedbackWindow window) {
  return Scores(store, window, std::nullopt);
}

admin::v1::FeedbackScores FeedbackScoresMessage(const FeedbackScores& scores,
                                                FeedbackWindow window) {
  admin::v1::FeedbackScores out;
  out.set_from_day(DateText(window.first_day));
  out.set_to_day(DateText(window.last_day));
  out.set_nps_responses(static_cast<uint32_t>(scores.nps_responses));
  out.set_promoters(static_cast<uint32_t>(scores.promoters));
  out.set_passives(static_cast<uint32_t>(scores.passives()));
  out.set_detractors(static_cast<uint32_t>(scores.detractors));
  SetNumberOrNull(scores.nps(), out.mutable_nps());
  out.set_csat_responses(static_cast<uint32_t>(scores.csat_responses));
  SetNumberOrNull(scores.csat_mean(), out.mutable_csat_mean());
  return out;
}

absl::StatusOr<admin::v1::FeedbackScores> AccountFeedbackMessage(Store& store,
                                                                 std::string_view account_id,
                                                                 absl::Time now) {
  const FeedbackWindow window = LastDays(now, kDefaultFeedbackDays);
  absl::StatusOr<FeedbackScores> scores = NpsOf(store, account_id, window);
  if (!scores.ok()) return scores.status();
  return FeedbackScoresMessage(*scores, window);
}

HttpResponse FeedbackSummaryResponse(Store& store, absl::Time now, const HttpRequest& request) {
  int64_t days = kDefaultFeedbackDays;
  if (std::optional<std::string> text = request.QueryParam("days")) {
    if (!absl::SimpleAtoi(*text, &days) || days < 1 || days > kMaxFeedbackDays) {
      return EngagementError(400, absl::StrCat("days must be 1-", kMaxFeedbackDays));
    }
  }
  const FeedbackWindow window = LastDays(now, days);
  absl::StatusOr<FeedbackScores> scores = NpsOverall(store, window);
  if (!scores.ok()) return EngagementStoreFailure(scores.status());
  admin::v1::FeedbackSummary out;
  out.set_as_of(FormatRfc3339(now));
  *out.mutable_overall() = FeedbackScoresMessage(*scores, window);
  return AdminJsonResponse(out);
}

}  // namespace cairn::collector
