#include "workload.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/common/proto_time.h"

namespace cairn::bench {

std::string Workload::AccountOf(int user) const {
  int accounts = users_ / 10 < 1 ? 1 : users_ / 10;
  return absl::StrCat("acct-", user % accounts);
}

std::string Workload::UserOf(int user) const { return absl::StrCat("user-", user); }

cairn::v1::Event Workload::Base(int user, cairn::v1::Purpose purpose, absl::Time at) {
  cairn::v1::Event event;
  event.set_event_id(ids_.Next(absl::Now()));
  event.set_account_id(AccountOf(user));
  event.set_user_id(UserOf(user));
  ToProto(at, event.mutable_occurred_at());
  event.set_sequence(++sequence_);
  event.set_purpose(purpose);
  return event;
}

std::vector<cairn::v1::Event> Workload::ConsentGrants(int user) {
  std::vector<cairn::v1::Event> grants;
  for (cairn::v1::Purpose purpose :
       {cairn::v1::PURPOSE_USAGE_ANALYTICS, cairn::v1::PURPOSE_MILESTONES}) {
    cairn::v1::Event event =
        Base(user, cairn::v1::PURPOSE_CONSENT_RECORD, origin_ - absl::Hours(1));
    cairn::v1::ConsentChange* change = event.mutable_consent_change();
    change->set_purpose(purpose);
    change->set_decision(cairn::v1::CONSENT_DECISION_GRANTED);
    change->set_policy_id("privacy-policy");
    change->set_policy_version("1");
    change->set_source_surface("load-bench");
    grants.push_back(std::move(event));
  }
  return grants;
}

cairn::v1::Event Workload::LoadEvent(int64_t index) {
  int user = static_cast<int>(index % users_);
  absl::Time at = origin_ - absl::Minutes(10) + absl::Microseconds(index);
  // Alternate per round of users, so every user has both kinds.
  bool login = (index / users_) % 2 == 0;
  cairn::v1::Event event =
      Base(user, login ? cairn::v1::PURPOSE_USAGE_ANALYTICS : cairn::v1::PURPOSE_MILESTONES, at);
  event.set_session_id(absl::StrCat("s-", user, "-", index / users_ / 2));
  if (login) {
    event.mutable_login()->set_method("password");
  } else {
    event.mutable_milestone()->set_name("report_created");
    event.mutable_milestone()->set_value(static_cast<double>(index % 1000));
    (*event.mutable_attributes())["plan"] = "pro";
  }
  return event;
}

StoredRow ToStoredRow(const cairn::v1::Event& event, const std::string& install_id,
                      const std::string& batch_id, int64_t received_at_ms) {
  StoredRow row;
  row.event_id = event.event_id();
  row.account_id = event.account_id();
  row.user_id = event.user_id();
  row.purpose = event.purpose();
  switch (event.body_case()) {
    case cairn::v1::Event::kLogin:
      row.kind = "login";
      break;
    case cairn::v1::Event::kLogout:
      row.kind = "logout";
      break;
    case cairn::v1::Event::kSessionEnd:
      row.kind = "session_end";
      break;
    case cairn::v1::Event::kMilestone:
      row.kind = "milestone";
      break;
    case cairn::v1::Event::kConsentChange:
      row.kind = "consent_change";
      break;
    default:
      row.kind = "unknown";
      break;
  }
  row.occurred_at_ms = absl::ToUnixMillis(FromProto(event.occurred_at()));
  row.received_at_ms = received_at_ms;
  row.sequence = static_cast<int64_t>(event.sequence());
  row.session_id = event.session_id();
  row.install_id = install_id;
  row.batch_id = batch_id;
  if (event.has_milestone()) {
    row.has_milestone = true;
    row.milestone_name = event.milestone().name();
    row.has_milestone_value = event.milestone().has_value();
    row.milestone_value = event.milestone().value();
  }
  // Keys sorted, like the collector; the workload's values need no escaping.
  std::map<std::string, std::string> sorted(event.attributes().begin(), event.attributes().end());
  row.attributes_json = "{";
  for (const auto& [key, value] : sorted) {
    if (row.attributes_json.size() > 1) row.attributes_json += ",";
    absl::StrAppend(&row.attributes_json, "\"", key, "\":\"", value, "\"");
  }
  row.attributes_json += "}";
  row.event_proto = event.SerializeAsString();
  return row;
}

}  // namespace cairn::bench
