#include "calls.h"

#include <string>
#include <vector>

#include "cairn/cairn.h"
#include "client.h"
#include "napi_util.h"

namespace cairn_node {
namespace {

// The purposes by their wire names (the collector's admin API uses them too).
struct PurposeName {
  cairn_purpose purpose;
  const char* name;
};
constexpr PurposeName kPurposes[] = {
    {CAIRN_PURPOSE_USAGE_ANALYTICS, "usage_analytics"},
    {CAIRN_PURPOSE_MILESTONES, "milestones"},
    {CAIRN_PURPOSE_RENEWAL_NOTIFICATIONS, "renewal_notifications"},
    {CAIRN_PURPOSE_FEEDBACK, "feedback"},
};

const char* NameOf(cairn_purpose purpose) {
  for (const auto& p : kPurposes) {
    if (p.purpose == purpose) return p.name;
  }
  return "unknown";
}

const char* NameOf(cairn_decision decision) {
  switch (decision) {
    case CAIRN_DECISION_GRANTED:
      return "granted";
    case CAIRN_DECISION_DENIED:
      return "denied";
    default:
      return "unknown";
  }
}

bool GetPurpose(napi_env env, napi_value value, cairn_purpose* out) {
  std::string name;
  if (!GetString(env, value, "purpose", &name)) return false;
  for (const auto& p : kPurposes) {
    if (name == p.name) {
      *out = p.purpose;
      return true;
    }
  }
  Throw(env, CAIRN_INVALID_ARGUMENT,
        "purpose must be usage_analytics, milestones, renewal_notifications or feedback");
  return false;
}

bool GetBool(napi_env env, napi_value value, const char* what, bool* out) {
  if (napi_get_value_bool(env, value, out) == napi_ok) return true;
  Throw(env, CAIRN_INVALID_ARGUMENT, (std::string(what) + " must be a boolean").c_str());
  return false;
}

// Reads the named string fields of a request object; `optional` ones may be
// left out (then `present` is false and the C call gets NULL).
struct Field {
  explicit Field(const char* field_name) : name(field_name) {}
  const char* name;
  std::string value;
  bool present = false;
  const char* c_str() const { return present ? value.c_str() : nullptr; }
};

bool ReadFields(napi_env env, napi_value object, Field* fields, size_t count, size_t required) {
  napi_valuetype type = napi_undefined;
  if (napi_typeof(env, object, &type) != napi_ok || type != napi_object) {
    Throw(env, CAIRN_INVALID_ARGUMENT, "the request must be an object");
    return false;
  }
  for (size_t i = 0; i < count; ++i) {
    napi_value v = nullptr;
    if (!GetProperty(env, object, fields[i].name, &v) ||
        !GetOptionalString(env, v, fields[i].name, &fields[i].value, &fields[i].present)) {
      return false;
    }
    if (i < required && !fields[i].present) {
      Throw(env, CAIRN_INVALID_ARGUMENT, (std::string(fields[i].name) + " is required").c_str());
      return false;
    }
  }
  return true;
}

// An optional time field: Unix ms from a number or a Date, 0 when absent.
bool ReadTime(napi_env env, napi_value object, const char* name, int64_t* out) {
  napi_value v = nullptr;
  double ms = 0;
  if (!GetProperty(env, object, name, &v)) return false;
  if (!IsNullish(env, v) && !GetNumber(env, v, name, &ms)) return false;
  *out = static_cast<int64_t>(ms);
  return true;
}

napi_value Undefined(napi_env env) {
  napi_value v = nullptr;
  napi_get_undefined(env, &v);
  return v;
}

// The result of a call that returns nothing: undefined, or a thrown error.
napi_value Done(napi_env env, cairn_status_code code) {
  return Check(env, code) ? Undefined(env) : nullptr;
}

// Takes a string the library allocated and returns it as a JS string.
napi_value TakeString(napi_env env, char* s, size_t length) {
  napi_value v = nullptr;
  napi_status status = napi_create_string_utf8(env, s, length, &v);
  cairn_string_free(s);
  if (status != napi_ok) return Throw(env, CAIRN_INTERNAL, "cannot create a string");
  return v;
}

// Reads up to `max` arguments, the first the client handle.
ClientBox* BoxAndArgs(napi_env env, napi_callback_info info, size_t max, napi_value* argv) {
  return Args(env, info, max, argv) ? Unwrap(env, argv[0]) : nullptr;
}

// A call taking the client alone: (handle) -> undefined.
napi_value ClientOnly(napi_env env, napi_callback_info info,
                      cairn_status_code (*call)(cairn_client*)) {
  napi_value argv[1] = {nullptr};
  ClientBox* box = BoxAndArgs(env, info, 1, argv);
  return box == nullptr ? nullptr : Done(env, call(box->client));
}

// (handle, userId): the common head of the per-user calls.
bool HandleAndUser(napi_env env, napi_callback_info info, size_t max, napi_value* argv,
                   ClientBox** box, std::string* user) {
  *box = BoxAndArgs(env, info, max, argv);
  return *box != nullptr && GetString(env, argv[1], "userId", user);
}

bool ReadAttributes(napi_env env, napi_value object, std::vector<std::string>* storage,
                    std::vector<cairn_attribute>* out) {
  napi_valuetype type = napi_undefined;
  napi_value keys = nullptr;
  uint32_t count = 0;
  if (napi_typeof(env, object, &type) != napi_ok || type != napi_object ||
      napi_get_all_property_names(
          env, object, napi_key_own_only,
          static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
          napi_key_numbers_to_strings, &keys) != napi_ok ||
      napi_get_array_length(env, keys, &count) != napi_ok) {
    Throw(env, CAIRN_INVALID_ARGUMENT, "attributes must be an object of strings");
    return false;
  }
  storage->resize(2 * count);
  for (uint32_t i = 0; i < count; ++i) {
    napi_value key = nullptr, value = nullptr;
    if (napi_get_element(env, keys, i, &key) != napi_ok ||
        !GetString(env, key, "attribute key", &(*storage)[2 * i]) ||
        napi_get_property(env, object, key, &value) != napi_ok ||
        !GetString(env, value, "attribute value", &(*storage)[2 * i + 1])) {
      return false;
    }
  }
  // Pointers taken only now: the strings no longer move.
  for (uint32_t i = 0; i < count; ++i) {
    out->push_back({(*storage)[2 * i].c_str(), (*storage)[2 * i + 1].c_str()});
  }
  return true;
}

}  // namespace

napi_value SetConsent(napi_env env, napi_callback_info info) {
  napi_value argv[2] = {nullptr, nullptr};
  ClientBox* box = BoxAndArgs(env, info, 2, argv);
  if (box == nullptr) return nullptr;
  Field fields[] = {Field("accountId"), Field("userId"),        Field("policyVersion"),
                    Field("policyId"),  Field("sourceSurface"), Field("grantSignature")};
  napi_value purpose = nullptr, granted_value = nullptr;
  bool granted = false;
  cairn_consent_request request;
  cairn_consent_request_init(&request);
  if (!ReadFields(env, argv[1], fields, 6, 3) || !GetProperty(env, argv[1], "purpose", &purpose) ||
      !GetPurpose(env, purpose, &request.purpose) ||
      !GetProperty(env, argv[1], "granted", &granted_value) ||
      !GetBool(env, granted_value, "granted", &granted) ||
      !ReadTime(env, argv[1], "expiresAt", &request.expires_at_ms) ||
      !ReadTime(env, argv[1], "signedAt", &request.signed_at_ms)) {
    return nullptr;
  }
  request.account_id = fields[0].c_str();
  request.user_id = fields[1].c_str();
  request.policy_version = fields[2].c_str();
  request.policy_id = fields[3].c_str();
  request.source_surface = fields[4].c_str();
  request.grant_signature = fields[5].c_str();
  request.decision = granted ? CAIRN_DECISION_GRANTED : CAIRN_DECISION_DENIED;
  return Done(env, cairn_set_consent(box->client, &request));
}

napi_value SetRenewalNotifications(napi_env env, napi_callback_info info) {
  napi_value argv[2] = {nullptr, nullptr};
  ClientBox* box = BoxAndArgs(env, info, 2, argv);
  if (box == nullptr) return nullptr;
  Field fields[] = {Field("accountId"), Field("userId"), Field("policyVersion"),
                    Field("sourceSurface")};
  napi_value allowed_value = nullptr;
  bool allowed = false;
  if (!ReadFields(env, argv[1], fields, 4, 3) ||
      !GetProperty(env, argv[1], "allowed", &allowed_value) ||
      !GetBool(env, allowed_value, "allowed", &allowed)) {
    return nullptr;
  }
  return Done(
      env, cairn_set_renewal_notifications(box->client, fields[0].c_str(), fields[1].c_str(),
                                           allowed ? 1 : 0, fields[2].c_str(), fields[3].c_str()));
}

napi_value GetConsent(napi_env env, napi_callback_info info) {
  napi_value argv[3] = {nullptr, nullptr, nullptr};
  ClientBox* box = nullptr;
  std::string user;
  cairn_purpose purpose = CAIRN_PURPOSE_USAGE_ANALYTICS;
  cairn_decision decision = CAIRN_DECISION_UNKNOWN;
  napi_value result = nullptr;
  if (!HandleAndUser(env, info, 3, argv, &box, &user) || !GetPurpose(env, argv[2], &purpose) ||
      !Check(env, cairn_get_consent(box->client, user.c_str(), purpose, &decision)) ||
      napi_create_string_utf8(env, NameOf(decision), NAPI_AUTO_LENGTH, &result) != napi_ok) {
    return nullptr;
  }
  return result;
}

napi_value ConsentChoices(napi_env env, napi_callback_info info) {
  napi_value argv[2] = {nullptr, nullptr};
  ClientBox* box = nullptr;
  std::string user;
  cairn_consent_choices* choices = nullptr;
  if (!HandleAndUser(env, info, 2, argv, &box, &user) ||
      !Check(env, cairn_get_consent_choices(box->client, user.c_str(), &choices))) {
    return nullptr;
  }
  napi_value list = nullptr;
  bool ok = napi_create_array_with_length(env, choices->count, &list) == napi_ok;
  for (size_t i = 0; ok && i < choices->count; ++i) {
    const cairn_consent_choice& c = choices->items[i];
    napi_value item = nullptr;
    ok = napi_create_object(env, &item) == napi_ok &&
         SetString(env, item, "purpose", NameOf(c.purpose)) &&
         SetString(env, item, "decision", NameOf(c.decision)) &&
         SetString(env, item, "policyVersion", c.policy_version) &&
         SetValue(env, item, "decidedAt", MakeDateOrNull(env, c.decided_at_ms)) &&
         SetValue(env, item, "expiresAt", MakeDateOrNull(env, c.expires_at_ms)) &&
         napi_set_element(env, list, static_cast<uint32_t>(i), item) == napi_ok;
  }
  cairn_consent_choices_free(choices);
  if (!ok) return Throw(env, CAIRN_INTERNAL, "cannot build the consent choices");
  return list;
}

napi_value RecordLogin(napi_env env, napi_callback_info info) {
  napi_value argv[4] = {nullptr, nullptr, nullptr, nullptr};
  ClientBox* box = BoxAndArgs(env, info, 4, argv);
  std::string account, user, method;
  bool has_method = false;
  if (box == nullptr || !GetString(env, argv[1], "accountId", &account) ||
      !GetString(env, argv[2], "userId", &user) ||
      !GetOptionalString(env, argv[3], "method", &method, &has_method)) {
    return nullptr;
  }
  return Done(env, cairn_record_login(box->client, account.c_str(), user.c_str(),
                                      has_method ? method.c_str() : nullptr));
}

napi_value RecordLogout(napi_env env, napi_callback_info info) {
  return ClientOnly(env, info, cairn_record_logout);
}

napi_value RecordSessionEnd(napi_env env, napi_callback_info info) {
  return ClientOnly(env, info, cairn_record_session_end);
}

napi_value RecordMilestone(napi_env env, napi_callback_info info) {
  napi_value argv[4] = {nullptr, nullptr, nullptr, nullptr};
  ClientBox* box = BoxAndArgs(env, info, 4, argv);
  std::string name;
  if (box == nullptr || !GetString(env, argv[1], "name", &name)) return nullptr;
  double value = 0;
  bool has_value = !IsNullish(env, argv[2]);
  if (has_value && !GetNumber(env, argv[2], "value", &value)) return nullptr;
  std::vector<std::string> storage;
  std::vector<cairn_attribute> attributes;
  if (!IsNullish(env, argv[3]) && !ReadAttributes(env, argv[3], &storage, &attributes)) {
    return nullptr;
  }
  return Done(env, cairn_record_milestone(box->client, name.c_str(), has_value ? 1 : 0, value,
                                          attributes.empty() ? nullptr : attributes.data(),
                                          attributes.size()));
}

napi_value RecordFeedback(napi_env env, napi_callback_info info) {
  napi_value argv[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  ClientBox* box = BoxAndArgs(env, info, 5, argv);
  std::string kind_name, comment, survey_id;
  double score = 0;
  bool has_comment = false, has_survey = false;
  if (box == nullptr || !GetString(env, argv[1], "kind", &kind_name) ||
      !GetNumber(env, argv[2], "score", &score) ||
      !GetOptionalString(env, argv[3], "comment", &comment, &has_comment) ||
      !GetOptionalString(env, argv[4], "surveyId", &survey_id, &has_survey)) {
    return nullptr;
  }
  cairn_feedback_kind kind;
  if (kind_name == "nps") {
    kind = CAIRN_FEEDBACK_NPS;
  } else if (kind_name == "csat") {
    kind = CAIRN_FEEDBACK_CSAT;
  } else {
    return Throw(env, CAIRN_INVALID_ARGUMENT, "kind must be nps or csat");
  }
  // A fraction or a number past an int would otherwise be cut to one that
  // looks valid.
  if (!(score >= -2147483648.0 && score <= 2147483647.0) || score != static_cast<int>(score)) {
    return Throw(env, CAIRN_INVALID_ARGUMENT, "score must be a whole number");
  }
  return Done(env, cairn_record_feedback(box->client, kind, static_cast<int>(score),
                                         has_comment ? comment.c_str() : nullptr,
                                         has_survey ? survey_id.c_str() : nullptr));
}

napi_value ExportLocalData(napi_env env, napi_callback_info info) {
  napi_value argv[2] = {nullptr, nullptr};
  ClientBox* box = nullptr;
  std::string user;
  char* json = nullptr;
  size_t length = 0;
  if (!HandleAndUser(env, info, 2, argv, &box, &user) ||
      !Check(env, cairn_export_local_data(box->client, user.c_str(), &json, &length))) {
    return nullptr;
  }
  return TakeString(env, json, length);
}

napi_value EraseLocalData(napi_env env, napi_callback_info info) {
  napi_value argv[2] = {nullptr, nullptr};
  ClientBox* box = nullptr;
  std::string user;
  if (!HandleAndUser(env, info, 2, argv, &box, &user)) return nullptr;
  return Done(env, cairn_erase_local_data(box->client, user.c_str()));
}

napi_value WireUserId(napi_env env, napi_callback_info info) {
  napi_value argv[2] = {nullptr, nullptr};
  ClientBox* box = nullptr;
  std::string user;
  char* wire = nullptr;
  if (!HandleAndUser(env, info, 2, argv, &box, &user) ||
      !Check(env, cairn_wire_user_id(box->client, user.c_str(), &wire))) {
    return nullptr;
  }
  return TakeString(env, wire, NAPI_AUTO_LENGTH);
}

napi_value OnNetworkAvailable(napi_env env, napi_callback_info info) {
  return ClientOnly(env, info, cairn_client_on_network_available);
}

napi_value Stats(napi_env env, napi_callback_info info) {
  napi_value argv[1] = {nullptr};
  ClientBox* box = BoxAndArgs(env, info, 1, argv);
  cairn_stats s;
  cairn_stats_init(&s);
  if (box == nullptr || !Check(env, cairn_get_stats(box->client, &s))) return nullptr;
  const std::pair<const char*, uint64_t> counters[] = {
      {"recorded", s.recorded},
      {"refusedNoConsent", s.refused_no_consent},
      {"refusedInvalid", s.refused_invalid},
      {"refusedNoSession", s.refused_no_session},
      {"refusedShutDown", s.refused_shut_down},
      {"refusedStorage", s.refused_storage},
      {"durableTimeouts", s.durable_timeouts},
      {"persisted", s.persisted},
      {"sent", s.sent},
      {"acknowledged", s.acknowledged},
      {"duplicates", s.duplicates},
      {"retries", s.retries},
      {"batchesAcknowledged", s.batches_acknowledged},
      {"consentChangesPending", s.consent_changes_pending},
      {"erased", s.erased},
      {"bufferedRows", s.buffered_rows},
      {"bufferedBytes", s.buffered_bytes},
  };
  const std::pair<const char*, cairn_drop_reason> reasons[] = {
      {"queueFull", CAIRN_DROP_QUEUE_FULL},
      {"bufferBytes", CAIRN_DROP_BUFFER_BYTES},
      {"bufferRows", CAIRN_DROP_BUFFER_ROWS},
      {"expired", CAIRN_DROP_EXPIRED},
      {"rejected", CAIRN_DROP_REJECTED},
      {"corruptBuffer", CAIRN_DROP_CORRUPT_BUFFER},
      {"diskFull", CAIRN_DROP_DISK_FULL},
      {"consentWithdrawn", CAIRN_DROP_CONSENT_WITHDRAWN},
      {"attributeFiltered", CAIRN_DROP_ATTRIBUTE_FILTERED},
  };
  napi_value result = nullptr, dropped = nullptr;
  bool ok =
      napi_create_object(env, &result) == napi_ok && napi_create_object(env, &dropped) == napi_ok;
  for (const auto& [name, value] : counters) {
    ok = ok && SetNumber(env, result, name, static_cast<double>(value));
  }
  for (const auto& [name, reason] : reasons) {
    ok = ok && SetNumber(env, dropped, name, static_cast<double>(s.dropped[reason]));
  }
  s.last_error[sizeof(s.last_error) - 1] = '\0';
  ok = ok && SetValue(env, result, "dropped", dropped) &&
       SetString(env, result, "lastError", s.last_error);
  if (!ok) return Throw(env, CAIRN_INTERNAL, "cannot build the stats");
  return result;
}

}  // namespace cairn_node
