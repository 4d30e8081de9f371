// Small helpers of the Cairn Node addon over plain node_api.h: argument
// reading, CairnError creation, property access. No C++ exception is ever
// thrown; a failed helper leaves a pending JS exception and returns false
// (or nullptr), and the caller returns nullptr to JS at once.
#ifndef CAIRN_BINDINGS_NODE_NAPI_UTIL_H_
#define CAIRN_BINDINGS_NODE_NAPI_UTIL_H_

#include <node_api.h>

#include <cstdint>
#include <string>

#include "cairn/cairn.h"

namespace cairn_node {

// Per-environment data (one per main thread or worker): the JS CairnError
// class, set once by index.js, so native code can throw instances of it.
struct AddonData {
  napi_ref error_class = nullptr;
};

// A new CairnError(message, codeName), or a plain Error before index.js
// registered the class. nullptr only when N-API itself fails.
napi_value MakeError(napi_env env, int code, const char* message);

// Throws MakeError(code, message) unless an exception is already pending
// (that one is more precise). Always returns nullptr, for `return Throw(...)`.
napi_value Throw(napi_env env, int code, const char* message);

// Throws the last cairn_* call's error on this thread when code is not OK.
// Returns true when code is OK.
bool Check(napi_env env, cairn_status_code code);

// Reads up to `max` arguments; the missing ones are undefined.
bool Args(napi_env env, napi_callback_info info, size_t max, napi_value* argv);

// True for undefined and null (an optional argument left out).
bool IsNullish(napi_env env, napi_value value);

// A JS string as UTF-8. Anything else, or a string holding a NUL (which
// the C API would cut short), throws INVALID_ARGUMENT naming `what`.
bool GetString(napi_env env, napi_value value, const char* what, std::string* out);

// As GetString, but undefined or null leaves *present false.
bool GetOptionalString(napi_env env, napi_value value, const char* what, std::string* out,
                       bool* present);

// A finite JS number, or a Date (its Unix milliseconds).
bool GetNumber(napi_env env, napi_value value, const char* what, double* out);

// object[name]; undefined when absent.
bool GetProperty(napi_env env, napi_value object, const char* name, napi_value* out);

// object[name] = value for the usual value types; false on an N-API failure.
bool SetString(napi_env env, napi_value object, const char* name, const char* value);
bool SetNumber(napi_env env, napi_value object, const char* name, double value);
bool SetValue(napi_env env, napi_value object, const char* name, napi_value value);

// Unix milliseconds as a Date, or null for 0 ("none").
napi_value MakeDateOrNull(napi_env env, int64_t unix_ms);

}  // namespace cairn_node

#endif  // CAIRN_BINDINGS_NODE_NAPI_UTIL_H_
