#include "store/health_model_store.h"

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cairn/common/strings.h"
#include "store/sql_rows.h"

namespace cairn::collector {
namespace {

// The settings row's name. Its value is "name=value" lines, so a newer
// collector's extra fields do not break an older one's read.
constexpr std::string_view kSettingName = "health_model";

// Every integer field of the model with its line name.
std::vector<std::pair<std::string, int*>> IntFields(engagement::HealthModel& m) {
  std::vector<std::pair<std::string, int*>> out;
  for (auto [prefix, w] : {std::pair{"weights.", &m.weights},
                           std::pair{"onboarding_weights.", &m.onboarding_weights}}) {
    out.emplace_back(absl::StrCat(prefix, "frequency"), &w->frequency);
    out.emplace_back(absl::StrCat(prefix, "trend"), &w->trend);
    out.emplace_back(absl::StrCat(prefix, "breadth"), &w->breadth);
    out.emplace_back(absl::StrCat(prefix, "time_to_value"), &w->time_to_value);
    out.emplace_back(absl::StrCat(prefix, "dependence"), &w->dependence);
    out.emplace_back(absl::StrCat(prefix, "nps"), &w->nps);
  }
  out.emplace_back("onboarding_days", &m.onboarding_days);
  out.emplace_back("good_at", &m.good_at);
  out.emplace_back("watch_at", &m.watch_at);
  out.emplace_back("nps_min_responses", &m.nps_min_responses);
  return out;
}

std::string Encode(const engagement::HealthModel& model, std::string_view updated_by,
                   absl::Time now) {
  engagement::HealthModel copy = model;
  std::string text;
  for (const auto& [name, value] : IntFields(copy)) absl::StrAppend(&text, name, "=", *value, "\n");
  absl::StrAppend(&text, "poor_factor_caps=", model.poor_factor_caps ? 1 : 0, "\n");
  absl::StrAppend(&text, "updated_at_ms=", absl::ToUnixMillis(now), "\n");
  absl::StrAppend(&text, "updated_by=", ToAbsl(updated_by), "\n");
  return text;
}

absl::StatusOr<StoredHealthModel> Decode(std::string_view text) {
  StoredHealthModel out;
  std::vector<std::pair<std::string, int*>> fields = IntFields(out.model);
  auto bad = [](std::string_view why) {
    return absl::DataLossError(absl::StrCat("stored health model: ", ToAbsl(why)));
  };
  for (absl::string_view line : absl::StrSplit(ToAbsl(text), '\n', absl::SkipEmpty())) {
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) return bad("a line without '='");
    const absl::string_view name = line.substr(0, eq);
    const absl::string_view value = line.substr(eq + 1);
    if (name == "updated_by") {
      out.updated_by = std::string(value);
      continue;
    }
    int64_t number = 0;
    if (!absl::SimpleAtoi(value, &number)) return bad(absl::StrCat(name, " is not a number"));
    if (name == "updated_at_ms") {
      out.updated_at = absl::FromUnixMillis(number);
    } else if (name == "poor_factor_caps") {
      out.model.poor_factor_caps = number != 0;
    } else {
      for (auto& [field, target] : fields) {
        if (field == name) *target = static_cast<int>(std::clamp<int64_t>(number, -1, 1 << 20));
      }
    }
  }
  if (absl::Status s = engagement::ValidateHealthModel(out.model); !s.ok()) {
    return bad(ToStd(s.message()));
  }
  return out;
}

}  // namespace

absl::StatusOr<StoredHealthModel> HealthModelStore::Get() {
  std::optional<std::string> value;
  absl::Status s = store_->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 1> params = {SqlText(kSettingName)};
    absl::StatusOr<std::vector<SqlRow>> rows =
        sql.Query("SELECT value FROM settings WHERE name = ?1", params);
    if (!rows.ok()) return rows.status();
    if (!rows->empty() && !rows->front().empty()) value = rows->front().front();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (!value) return StoredHealthModel{};
  return Decode(*value);
}

absl::Status HealthModelStore::Put(const engagement::HealthModel& model,
                                   std::string_view updated_by, absl::Time now) {
  if (absl::Status s = engagement::ValidateHealthModel(model); !s.ok()) return s;
  const std::string text = Encode(model, updated_by, now);
  return store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 2> params = {SqlText(kSettingName), SqlText(text)};
    return sql
        .Execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params)
        .status();
  });
}

absl::Status HealthModelStore::Reset() {
  return store_->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
    const std::array<SqlValue, 1> params = {SqlText(kSettingName)};
    return sql.Execute("DELETE FROM settings WHERE name = ?1", params).status();
  });
}

}  // namespace cairn::collector
