#include "test_batches.h"

#include <atomic>
#include <set>
#include <tuple>

#include "cairn/common/proto_time.h"
#include "cairn/common/uuid.h"

namespace cairn::testing {
namespace {

std::atomic<uint64_t> next_sequence{1};

cairn::v1::Event BaseEvent(const std::string& account_id, const std::string& user_id,
                           cairn::v1::Purpose purpose, absl::Time occurred_at) {
  cairn::v1::Event event;
  event.set_event_id(NewUuidV7());
  event.set_account_id(account_id);
  event.set_user_id(user_id);
  ToProto(occurred_at, event.mutable_occurred_at());
  event.set_sequence(next_sequence.fetch_add(1));
  event.set_purpose(purpose);
  event.set_session_id("test-session");
  return event;
}

}  // namespace

std::string NewUuidV7() {
  static UuidV7Generator* generator = new UuidV7Generator();
  return generator->Next(absl::Now());
}

cairn::v1::Event MakeLogin(const std::string& account_id, const std::string& user_id,
                           absl::Time occurred_at) {
  cairn::v1::Event event =
      BaseEvent(account_id, user_id, cairn::v1::PURPOSE_USAGE_ANALYTICS, occurred_at);
  event.mutable_login()->set_method("password");
  return event;
}

cairn::v1::Event MakeLogout(const std::string& account_id, const std::string& user_id,
                            absl::Time occurred_at) {
  cairn::v1::Event event =
      BaseEvent(account_id, user_id, cairn::v1::PURPOSE_USAGE_ANALYTICS, occurred_at);
  event.mutable_logout();
  return event;
}

cairn::v1::Event MakeMilestone(const std::string& account_id, const std::string& user_id,
                               const std::string& name, std::optional<double> value,
                               absl::Time occurred_at) {
  cairn::v1::Event event =
      BaseEvent(account_id, user_id, cairn::v1::PURPOSE_MILESTONES, occurred_at);
  event.mutable_milestone()->set_name(name);
  if (value) event.mutable_milestone()->set_value(*value);
  return event;
}

cairn::v1::Event MakeFeedback(const std::string& account_id, const std::string& user_id,
                              cairn::v1::FeedbackKind kind, int score, absl::Time occurred_at,
                              const std::string& comment) {
  cairn::v1::Event event = BaseEvent(account_id, user_id, cairn::v1::PURPOSE_FEEDBACK, occurred_at);
  event.mutable_feedback()->set_kind(kind);
  event.mutable_feedback()->set_score(score);
  event.mutable_feedback()->set_comment(comment);
  return event;
}

cairn::v1::Event MakeConsentChange(const std::string& account_id, const std::string& user_id,
                                   cairn::v1::Purpose purpose, cairn::v1::ConsentDecision decision,
                                   absl::Time occurred_at, const std::string& policy_version,
                                   std::optional<absl::Time> expires_at) {
  cairn::v1::Event event =
      BaseEvent(account_id, user_id, cairn::v1::PURPOSE_CONSENT_RECORD, occurred_at);
  cairn::v1::ConsentChange* change = event.mutable_consent_change();
  change->set_purpose(purpose);
  change->set_decision(decision);
  change->set_policy_id("privacy");
  change->set_policy_version(policy_version);
  change->set_source_surface("test");
  if (expires_at) ToProto(*expires_at, change->mutable_expires_at());
  return event;
}

absl::Time LongAgo() { return absl::FromUnixSeconds(978307200); }  // 2001-01-01

cairn::v1::Event MakeGrant(const std::string& account_id, const std::string& user_id,
                           cairn::v1::Purpose purpose, absl::Time at) {
  return MakeConsentChange(account_id, user_id, purpose, cairn::v1::CONSENT_DECISION_GRANTED, at);
}

std::vector<cairn::v1::Event> GrantsFor(const std::string& account_id,
                                        const std::vector<std::string>& user_ids) {
  std::vector<cairn::v1::Event> grants;
  for (const std::string& user : user_ids) {
    grants.push_back(MakeGrant(account_id, user, cairn::v1::PURPOSE_USAGE_ANALYTICS));
    grants.push_back(MakeGrant(account_id, user, cairn::v1::PURPOSE_MILESTONES));
  }
  return grants;
}

std::vector<cairn::v1::Event> WithGrants(std::vector<cairn::v1::Event> events) {
  std::set<std::tuple<std::string, std::string, int>> granted;
  std::vector<cairn::v1::Event> out;
  for (const cairn::v1::Event& event : events) {
    if (event.purpose() == cairn::v1::PURPOSE_CONSENT_RECORD) continue;
    if (granted.emplace(event.account_id(), event.user_id(), event.purpose()).second) {
      out.push_back(MakeGrant(event.account_id(), event.user_id(), event.purpose()));
    }
  }
  for (cairn::v1::Event& event : events) out.push_back(std::move(event));
  return out;
}

cairn::v1::Batch MakeBatch(std::vector<cairn::v1::Event> events) {
  cairn::v1::Batch batch;
  batch.set_batch_id(NewUuidV7());
  ToProto(absl::Now(), batch.mutable_sent_at());
  cairn::v1::ClientInfo* client = batch.mutable_client();
  client->set_sdk_name("cairn-test");
  client->set_sdk_version("0.0.0");
  client->set_app_name("test-app");
  client->set_app_version("1.0");
  client->set_install_id("test-install");
  client->set_platform("linux");
  for (cairn::v1::Event& event : events) *batch.add_events() = std::move(event);
  return batch;
}

}  // namespace cairn::testing
