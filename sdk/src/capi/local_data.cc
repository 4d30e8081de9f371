// A user's data on the device: export, erasure, the id as sent.
#include <string>

#include "sdk/src/capi/capi_internal.h"

using cairn::capi::FromStatus;
using cairn::capi::Guard;
using cairn::capi::Invalid;
using cairn::capi::Ok;

namespace {

// Hands `text` to the caller as a new string; RESOURCE_EXHAUSTED when the
// copy cannot be made.
cairn_status_code HandOut(const std::string& text, char** out, size_t* length) {
  char* copy = cairn::capi::CopyOut(text);
  if (copy == nullptr) return cairn::capi::SetError(CAIRN_RESOURCE_EXHAUSTED, "out of memory");
  *out = copy;
  if (length != nullptr) *length = text.size();
  return Ok();
}

}  // namespace

extern "C" {

cairn_status_code cairn_export_local_data(cairn_client* client, const char* user_id, char** out,
                                          size_t* length) {
  return Guard([&]() -> cairn_status_code {
    if (out == nullptr) return Invalid("out is NULL");
    *out = nullptr;
    if (length != nullptr) *length = 0;
    if (client == nullptr) return Invalid("client is NULL");
    if (user_id == nullptr) return Invalid("user_id is NULL");
    absl::StatusOr<std::string> json = client->client->ExportLocalData(user_id);
    if (!json.ok()) return FromStatus(json.status());
    return HandOut(*json, out, length);
  });
}

cairn_status_code cairn_erase_local_data(cairn_client* client, const char* user_id) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    if (user_id == nullptr) return Invalid("user_id is NULL");
    return FromStatus(client->client->EraseLocalData(user_id));
  });
}

cairn_status_code cairn_wire_user_id(const cairn_client* client, const char* user_id, char** out) {
  return Guard([&]() -> cairn_status_code {
    if (out == nullptr) return Invalid("out is NULL");
    *out = nullptr;
    if (client == nullptr) return Invalid("client is NULL");
    if (user_id == nullptr) return Invalid("user_id is NULL");
    return HandOut(client->client->WireUserId(user_id), out, nullptr);
  });
}

}  // extern "C"
