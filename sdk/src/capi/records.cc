// The record calls: login, logout, session end, milestone, feedback.
#include <optional>
#include <string_view>

#include "sdk/src/capi/capi_internal.h"

using cairn::capi::FromStatus;
using cairn::capi::Guard;
using cairn::capi::Invalid;

extern "C" {

cairn_status_code cairn_record_login(cairn_client* client, const char* account_id,
                                     const char* user_id, const char* method) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    if (account_id == nullptr || user_id == nullptr)
      return Invalid("account_id or user_id is NULL");
    return FromStatus(client->client->RecordLogin(
        account_id, user_id, method != nullptr ? std::string_view(method) : std::string_view()));
  });
}

cairn_status_code cairn_record_logout(cairn_client* client) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    return FromStatus(client->client->RecordLogout());
  });
}

cairn_status_code cairn_record_session_end(cairn_client* client) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    return FromStatus(client->client->RecordSessionEnd());
  });
}

cairn_status_code cairn_record_milestone(cairn_client* client, const char* name, int has_value,
                                         double value, const cairn_attribute* attributes,
                                         size_t attribute_count) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    if (name == nullptr) return Invalid("name is NULL");
    if (attributes == nullptr && attribute_count > 0) return Invalid("attributes is NULL");
    cairn::Attributes attrs;
    for (size_t i = 0; i < attribute_count; ++i) {
      if (attributes[i].key == nullptr || attributes[i].value == nullptr) {
        return Invalid("an attribute's key or value is NULL");
      }
      attrs.insert_or_assign(attributes[i].key, attributes[i].value);
    }
    const std::optional<double> v = has_value != 0 ? std::optional<double>(value) : std::nullopt;
    return FromStatus(client->client->RecordMilestone(name, v, attrs));
  });
}

cairn_status_code cairn_record_feedback(cairn_client* client, int kind, int score,
                                        const char* comment, const char* survey_id) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    auto text = [](const char* s) {
      return s != nullptr ? std::string_view(s) : std::string_view();
    };
    // An unknown kind passes through as its number: RecordFeedback refuses it.
    return FromStatus(client->client->RecordFeedback(static_cast<cairn::FeedbackKind>(kind), score,
                                                     text(comment), text(survey_id)));
  });
}

}  // extern "C"
