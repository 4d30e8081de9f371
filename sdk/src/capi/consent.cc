// The consent calls: decisions, the renewal switch, and reading them back.
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "sdk/src/capi/capi_internal.h"

namespace cairn::capi {
namespace {

std::optional<consent::Purpose> ToPurpose(int purpose) {
  switch (purpose) {
    case CAIRN_PURPOSE_USAGE_ANALYTICS:
      return consent::Purpose::kUsageAnalytics;
    case CAIRN_PURPOSE_MILESTONES:
      return consent::Purpose::kMilestones;
    case CAIRN_PURPOSE_RENEWAL_NOTIFICATIONS:
      return consent::Purpose::kRenewalNotifications;
    case CAIRN_PURPOSE_FEEDBACK:
      return consent::Purpose::kFeedback;
    default:
      return std::nullopt;
  }
}

cairn_purpose FromPurpose(consent::Purpose purpose) {
  switch (purpose) {
    case consent::Purpose::kMilestones:
      return CAIRN_PURPOSE_MILESTONES;
    case consent::Purpose::kRenewalNotifications:
      return CAIRN_PURPOSE_RENEWAL_NOTIFICATIONS;
    case consent::Purpose::kFeedback:
      return CAIRN_PURPOSE_FEEDBACK;
    default:
      return CAIRN_PURPOSE_USAGE_ANALYTICS;
  }
}

cairn_decision FromDecision(consent::Decision decision) {
  switch (decision) {
    case consent::Decision::kGranted:
      return CAIRN_DECISION_GRANTED;
    case consent::Decision::kDenied:
      return CAIRN_DECISION_DENIED;
    default:
      return CAIRN_DECISION_UNKNOWN;
  }
}

// Unix ms for a time, 0 for none (or the never-decided past).
int64_t ToUnixMs(std::optional<absl::Time> t) {
  if (!t || *t == absl::InfinitePast() || *t == absl::InfiniteFuture()) return 0;
  return absl::ToUnixMillis(*t);
}

std::optional<absl::Time> FromUnixMs(int64_t ms) {
  if (ms == 0) return std::nullopt;
  return absl::FromUnixMillis(ms);
}

// The C request as the C++ one, reading only the members the caller's
// struct_size covers. Sets the thread's error and returns nullopt when a
// required member is missing or malformed.
std::optional<ConsentRequest> ToRequest(const cairn_consent_request& c) {
  using R = cairn_consent_request;
  const size_t size = c.struct_size;
  if (!Holds(size, CAIRN_CAPI_MEMBER_END(R, policy_version))) {
    Invalid("request struct_size is too small: set it with cairn_consent_request_init");
    return std::nullopt;
  }
  if (c.account_id == nullptr || c.user_id == nullptr || c.policy_version == nullptr) {
    Invalid("account_id, user_id or policy_version is NULL");
    return std::nullopt;
  }
  const std::optional<consent::Purpose> purpose = ToPurpose(RawEnum(c.purpose));
  if (!purpose) {
    Invalid("unknown purpose");
    return std::nullopt;
  }
  ConsentRequest r;
  r.account_id = c.account_id;
  r.user_id = c.user_id;
  r.purpose = *purpose;
  switch (RawEnum(c.decision)) {
    case CAIRN_DECISION_GRANTED:
      r.decision = consent::Decision::kGranted;
      break;
    case CAIRN_DECISION_DENIED:
      r.decision = consent::Decision::kDenied;
      break;
    default:
      Invalid("decision must be GRANTED or DENIED");
      return std::nullopt;
  }
  if (c.policy_id != nullptr) r.policy_id = c.policy_id;
  r.policy_version = c.policy_version;
  if (Holds(size, CAIRN_CAPI_MEMBER_END(R, source_surface)) && c.source_surface != nullptr) {
    r.source_surface = c.source_surface;
  }
  if (Holds(size, CAIRN_CAPI_MEMBER_END(R, expires_at_ms))) {
    r.expires_at = FromUnixMs(c.expires_at_ms);
  }
  if (Holds(size, CAIRN_CAPI_MEMBER_END(R, grant_signature)) && c.grant_signature != nullptr) {
    r.grant_signature = c.grant_signature;
  }
  if (Holds(size, CAIRN_CAPI_MEMBER_END(R, signed_at_ms))) {
    r.signed_at = FromUnixMs(c.signed_at_ms);
  }
  return r;
}

// The list handed to the caller, with the storage its pointers point into.
struct ChoiceList : cairn_consent_choices {
  std::vector<cairn_consent_choice> choices;
  std::vector<std::string> versions;
};

}  // namespace
}  // namespace cairn::capi

using cairn::capi::FromStatus;
using cairn::capi::Guard;
using cairn::capi::Invalid;
using cairn::capi::Ok;

extern "C" {

void cairn_consent_request_init(cairn_consent_request* request) {
  if (request == nullptr) return;
  std::memset(request, 0, sizeof(*request));
  request->struct_size = sizeof(*request);
}

cairn_status_code cairn_set_consent(cairn_client* client, const cairn_consent_request* request) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    if (request == nullptr) return Invalid("request is NULL");
    std::optional<cairn::ConsentRequest> r = cairn::capi::ToRequest(*request);
    if (!r) return CAIRN_INVALID_ARGUMENT;
    return FromStatus(client->client->SetConsent(*r));
  });
}

cairn_status_code cairn_set_renewal_notifications(cairn_client* client, const char* account_id,
                                                  const char* user_id, int allowed,
                                                  const char* policy_version,
                                                  const char* source_surface) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    if (account_id == nullptr || user_id == nullptr || policy_version == nullptr) {
      return Invalid("account_id, user_id or policy_version is NULL");
    }
    return FromStatus(client->client->SetRenewalNotifications(
        account_id, user_id, allowed != 0, policy_version,
        source_surface != nullptr ? source_surface : "settings"));
  });
}

cairn_status_code cairn_get_consent(const cairn_client* client, const char* user_id,
                                    cairn_purpose purpose, cairn_decision* out) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    if (user_id == nullptr || out == nullptr) return Invalid("user_id or out is NULL");
    const auto p = cairn::capi::ToPurpose(cairn::capi::RawEnum(purpose));
    if (!p) return Invalid("unknown purpose");
    *out = cairn::capi::FromDecision(client->client->GetConsent(user_id, *p));
    return Ok();
  });
}

cairn_status_code cairn_get_consent_choices(const cairn_client* client, const char* user_id,
                                            cairn_consent_choices** out) {
  return Guard([&]() -> cairn_status_code {
    if (out == nullptr) return Invalid("out is NULL");
    *out = nullptr;
    if (client == nullptr) return Invalid("client is NULL");
    if (user_id == nullptr) return Invalid("user_id is NULL");
    const std::vector<cairn::ConsentChoice> choices = client->client->GetConsentChoices(user_id);
    auto list = std::make_unique<cairn::capi::ChoiceList>();
    list->versions.reserve(choices.size());
    for (const cairn::ConsentChoice& choice : choices) {
      list->versions.push_back(choice.state.policy_version);
    }
    for (size_t i = 0; i < choices.size(); ++i) {
      const cairn::consent::PurposeState& s = choices[i].state;
      cairn_consent_choice c{};
      c.purpose = cairn::capi::FromPurpose(choices[i].purpose);
      c.decision = cairn::capi::FromDecision(s.decision);
      c.policy_version = list->versions[i].c_str();
      c.decided_at_ms = s.decision == cairn::consent::Decision::kUnknown
                            ? 0
                            : cairn::capi::ToUnixMs(s.decided_at);
      c.expires_at_ms = cairn::capi::ToUnixMs(s.expires_at);
      list->choices.push_back(c);
    }
    list->count = list->choices.size();
    list->items = list->choices.data();
    *out = list.release();
    return Ok();
  });
}

void cairn_consent_choices_free(cairn_consent_choices* choices) {
  delete static_cast<cairn::capi::ChoiceList*>(choices);
}

}  // extern "C"
