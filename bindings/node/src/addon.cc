// The Cairn Node addon's entry point: the native functions index.js wraps in
// the Client class. Every function works per environment (main thread,
// worker threads, Electron renderers with Node), with no global state.
#include <node_api.h>

#include "cairn/cairn.h"
#include "calls.h"
#include "client.h"
#include "napi_util.h"

namespace cairn_node {
namespace {

void FreeAddonData(napi_env env, void* data, void*) {
  auto* addon = static_cast<AddonData*>(data);
  if (addon->error_class != nullptr) napi_delete_reference(env, addon->error_class);
  delete addon;
}

// setErrorClass(CairnError): the class native errors are made of, called
// once by index.js before any client exists.
napi_value SetErrorClass(napi_env env, napi_callback_info info) {
  napi_value argv[1] = {nullptr};
  AddonData* addon = nullptr;
  napi_valuetype type = napi_undefined;
  if (!Args(env, info, 1, argv)) return nullptr;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function ||
      napi_get_instance_data(env, reinterpret_cast<void**>(&addon)) != napi_ok ||
      addon == nullptr) {
    return Throw(env, CAIRN_INVALID_ARGUMENT, "setErrorClass needs a constructor");
  }
  if (addon->error_class != nullptr) napi_delete_reference(env, addon->error_class);
  addon->error_class = nullptr;
  if (napi_create_reference(env, argv[0], 1, &addon->error_class) != napi_ok) {
    return Throw(env, CAIRN_INTERNAL, "cannot keep the error class");
  }
  return nullptr;
}

// version() -> {version, abi}: what libcairn.so was loaded.
napi_value Version(napi_env env, napi_callback_info) {
  napi_value result = nullptr;
  if (napi_create_object(env, &result) != napi_ok ||
      !SetString(env, result, "version", cairn_version()) ||
      !SetNumber(env, result, "abi", cairn_abi_version()) ||
      !SetNumber(env, result, "headerAbi", CAIRN_ABI_VERSION)) {
    return Throw(env, CAIRN_INTERNAL, "cannot build the version");
  }
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  auto* addon = new AddonData;
  if (napi_set_instance_data(env, addon, FreeAddonData, nullptr) != napi_ok) {
    delete addon;
    return nullptr;
  }
  const napi_property_descriptor functions[] = {
      {"setErrorClass", nullptr, SetErrorClass, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"createClient", nullptr, CreateClient, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"flush", nullptr, Flush, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"shutdown", nullptr, Shutdown, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setConsent", nullptr, SetConsent, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setRenewalNotifications", nullptr, SetRenewalNotifications, nullptr, nullptr, nullptr,
       napi_default, nullptr},
      {"getConsent", nullptr, GetConsent, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"consentChoices", nullptr, ConsentChoices, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"recordLogin", nullptr, RecordLogin, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"recordLogout", nullptr, RecordLogout, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"recordSessionEnd", nullptr, RecordSessionEnd, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"recordMilestone", nullptr, RecordMilestone, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"recordFeedback", nullptr, RecordFeedback, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"exportLocalData", nullptr, ExportLocalData, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"eraseLocalData", nullptr, EraseLocalData, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"wireUserId", nullptr, WireUserId, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"onNetworkAvailable", nullptr, OnNetworkAvailable, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions) !=
      napi_ok) {
    return nullptr;
  }
  return exports;
}

}  // namespace
}  // namespace cairn_node

NAPI_MODULE_INIT() { return cairn_node::Init(env, exports); }
