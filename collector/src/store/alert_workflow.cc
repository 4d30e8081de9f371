// What a person does with an alert (EngagementStore's acknowledge and
// snooze), apart from the evaluation's episode steps in engagement_store.cc.
#include <array>
#include <string>

#include "absl/strings/str_cat.h"
#include "store/engagement_store.h"

namespace cairn::collector {
namespace {

SqlValue Millis(absl::Time t) { return SqlValue(int64_t{absl::ToUnixMillis(t)}); }

}  // namespace

absl::StatusOr<std::optional<StoredAlert>> EngagementStore::GetAlert(std::string_view alert_id) {
  const std::array<SqlValue, 1> params = {SqlValue(std::string(alert_id))};
  absl::StatusOr<std::vector<StoredAlert>> alerts = QueryAlerts("WHERE alert_id = ?1", params);
  if (!alerts.ok()) return alerts.status();
  if (alerts->empty()) return std::optional<StoredAlert>();
  return std::optional<StoredAlert>(std::move(alerts->front()));
}

absl::Status EngagementStore::AcknowledgeAlert(std::string_view alert_id, absl::Time at) {
  return store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 2> params = {SqlValue(std::string(alert_id)), Millis(at)};
    absl::StatusOr<int64_t> changed = sql.Execute(
        "UPDATE alerts SET acknowledged_at_ms = COALESCE(acknowledged_at_ms, ?2) "
        "WHERE alert_id = ?1",
        params);
    if (!changed.ok()) return changed.status();
    if (*changed == 0) return absl::NotFoundError("no such alert");
    return absl::OkStatus();
  });
}

absl::Status EngagementStore::SnoozeAlert(std::string_view alert_id, absl::Time until) {
  return store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 2> params = {SqlValue(std::string(alert_id)), Millis(until)};
    absl::StatusOr<int64_t> changed = sql.Execute(
        "UPDATE alerts SET snoozed_until_ms = ?2 WHERE alert_id = ?1 AND open = 1", params);
    if (!changed.ok()) return changed.status();
    if (*changed == 1) return absl::OkStatus();
    const std::array<SqlValue, 1> id = {params[0]};
    absl::StatusOr<std::vector<SqlRow>> rows =
        sql.Query("SELECT open FROM alerts WHERE alert_id = ?1", id);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return absl::NotFoundError("no such alert");
    return absl::FailedPreconditionError("the alert is resolved");
  });
}

}  // namespace cairn::collector
