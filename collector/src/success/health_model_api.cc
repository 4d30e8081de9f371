// The health-model handlers of EngagementApi: the vendor's weights,
// thresholds and onboarding profile, read by anyone, set by an admin, and
// applied to every account's snapshot at once.
#include <string>

#include "absl/strings/str_cat.h"
#include "cairn/admin/v1/health_model.pb.h"
#include "cairn/common/strings.h"
#include "http/proto_json.h"
#include "ops/json_text.h"
#include "store/health_model_store.h"
#include "success/engagement_api.h"
#include "success/engagement_views.h"

namespace cairn::collector {
namespace {

admin::v1::FactorWeights WeightsMessage(const engagement::FactorWeights& w) {
  admin::v1::FactorWeights out;
  out.set_frequency(w.frequency);
  out.set_trend(w.trend);
  out.set_breadth(w.breadth);
  out.set_time_to_value(w.time_to_value);
  out.set_dependence(w.dependence);
  out.set_nps(w.nps);
  return out;
}

admin::v1::HealthModel ModelMessage(const StoredHealthModel& stored) {
  const engagement::HealthModel& m = stored.model;
  admin::v1::HealthModel out;
  *out.mutable_weights() = WeightsMessage(m.weights);
  *out.mutable_onboarding_weights() = WeightsMessage(m.onboarding_weights);
  out.set_onboarding_days(m.onboarding_days);
  out.set_good_at(m.good_at);
  out.set_watch_at(m.watch_at);
  out.set_poor_factor_caps(m.poor_factor_caps);
  out.set_nps_min_responses(m.nps_min_responses);
  if (stored.updated_at) out.set_updated_at(FormatRfc3339(*stored.updated_at));
  out.set_updated_by(stored.updated_by);
  return out;
}

void MergeWeights(const admin::v1::FactorWeights& in, engagement::FactorWeights* w) {
  if (in.has_frequency()) w->frequency = in.frequency();
  if (in.has_trend()) w->trend = in.trend();
  if (in.has_breadth()) w->breadth = in.breadth();
  if (in.has_time_to_value()) w->time_to_value = in.time_to_value();
  if (in.has_dependence()) w->dependence = in.dependence();
  if (in.has_nps()) w->nps = in.nps();
}

}  // namespace

HttpResponse EngagementApi::GetHealthModel() {
  absl::StatusOr<StoredHealthModel> stored = HealthModelStore(store_).Get();
  if (!stored.ok()) return EngagementStoreFailure(stored.status());
  return AdminJsonResponse(ModelMessage(*stored));
}

HttpResponse EngagementApi::PutHealthModel(const HttpRequest& request, const KeyLabel& caller) {
  admin::v1::HealthModel update;
  if (absl::Status s = ParseAdminBody(request.body, &update); !s.ok()) {
    return EngagementError(400, ToStd(s.message()));
  }
  if (!update.updated_at().empty() || !update.updated_by().empty() ||
      update.has_accounts_rescored()) {
    return EngagementError(400,
                           "updated_at, updated_by and accounts_rescored are set by the server");
  }
  HealthModelStore models(store_);
  absl::StatusOr<StoredHealthModel> current = models.Get();
  // A damaged stored model is replaced rather than merged into.
  engagement::HealthModel model = current.ok() ? current->model : engagement::HealthModel{};
  if (!current.ok() && current.status().code() != absl::StatusCode::kDataLoss) {
    return EngagementStoreFailure(current.status());
  }
  if (update.has_weights()) MergeWeights(update.weights(), &model.weights);
  if (update.has_onboarding_weights()) {
    MergeWeights(update.onboarding_weights(), &model.onboarding_weights);
  }
  if (update.has_onboarding_days()) model.onboarding_days = update.onboarding_days();
  if (update.has_good_at()) model.good_at = update.good_at();
  if (update.has_watch_at()) model.watch_at = update.watch_at();
  if (update.has_poor_factor_caps()) model.poor_factor_caps = update.poor_factor_caps();
  if (update.has_nps_min_responses()) model.nps_min_responses = update.nps_min_responses();
  if (absl::Status s = engagement::ValidateHealthModel(model); !s.ok()) {
    return EngagementError(400, ToStd(s.message()));
  }
  // Stored to the millisecond, and answered as stored.
  const absl::Time now = absl::FromUnixMillis(absl::ToUnixMillis(clock_->Now()));
  if (absl::Status s = models.Put(model, caller.name, now); !s.ok()) {
    return EngagementStoreFailure(s);
  }
  return RescoredModel(StoredHealthModel{model, now, caller.name});
}

HttpResponse EngagementApi::ResetHealthModel() {
  if (absl::Status s = HealthModelStore(store_).Reset(); !s.ok()) {
    return EngagementStoreFailure(s);
  }
  return RescoredModel(StoredHealthModel{});
}

// Every list reads snapshots, so a new model shows only once they are
// recomputed: done here rather than at the next scheduled evaluation, so
// the person who changed the weights sees their effect in the answer.
HttpResponse EngagementApi::RescoredModel(const StoredHealthModel& applied) {
  absl::StatusOr<int64_t> rescored = snapshots_.RefreshAll(clock_->Now());
  if (!rescored.ok()) return EngagementStoreFailure(rescored.status());
  admin::v1::HealthModel out = ModelMessage(applied);
  out.set_accounts_rescored(*rescored);
  return AdminJsonResponse(out);
}

}  // namespace cairn::collector
