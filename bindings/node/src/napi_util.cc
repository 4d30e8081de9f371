#include "napi_util.h"

#include <cmath>
#include <cstring>
#include <string>

namespace cairn_node {

napi_value MakeError(napi_env env, int code, const char* message) {
  napi_value msg = nullptr;
  napi_value code_name = nullptr;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
      napi_create_string_utf8(env, cairn_status_code_name(code), NAPI_AUTO_LENGTH, &code_name) !=
          napi_ok) {
    return nullptr;
  }
  AddonData* data = nullptr;
  napi_value error_class = nullptr;
  napi_value error = nullptr;
  if (napi_get_instance_data(env, reinterpret_cast<void**>(&data)) == napi_ok && data != nullptr &&
      data->error_class != nullptr &&
      napi_get_reference_value(env, data->error_class, &error_class) == napi_ok &&
      error_class != nullptr) {
    napi_value argv[2] = {msg, code_name};
    if (napi_new_instance(env, error_class, 2, argv, &error) == napi_ok) return error;
    return nullptr;
  }
  if (napi_create_error(env, code_name, msg, &error) != napi_ok) return nullptr;
  return error;
}

napi_value Throw(napi_env env, int code, const char* message) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return nullptr;
  napi_value error = MakeError(env, code, message);
  if (error != nullptr) napi_throw(env, error);
  return nullptr;
}

bool Check(napi_env env, cairn_status_code code) {
  if (code == CAIRN_OK) return true;
  // Copied first: building the error calls back into JS, never into cairn,
  // but the thread-local message must not be read after another call.
  std::string message = cairn_last_error_message();
  Throw(env, code, message.c_str());
  return false;
}

bool Args(napi_env env, napi_callback_info info, size_t max, napi_value* argv) {
  size_t argc = max;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) {
    Throw(env, CAIRN_INTERNAL, "cannot read the arguments");
    return false;
  }
  return true;
}

bool IsNullish(napi_env env, napi_value value) {
  napi_valuetype type = napi_undefined;
  if (value == nullptr || napi_typeof(env, value, &type) != napi_ok) return true;
  return type == napi_undefined || type == napi_null;
}

bool GetString(napi_env env, napi_value value, const char* what, std::string* out) {
  // Most ids and names fit the stack buffer: one copy, no second call.
  char small[128];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, small, sizeof(small), &length) != napi_ok) {
    Throw(env, CAIRN_INVALID_ARGUMENT, (std::string(what) + " must be a string").c_str());
    return false;
  }
  if (length + 1 < sizeof(small)) {
    out->assign(small, length);
  } else {
    if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return false;
    out->resize(length + 1);
    if (napi_get_value_string_utf8(env, value, out->data(), length + 1, &length) != napi_ok) {
      return false;
    }
    out->resize(length);
  }
  if (std::memchr(out->data(), '\0', out->size()) != nullptr) {
    Throw(env, CAIRN_INVALID_ARGUMENT, (std::string(what) + " must not contain NUL").c_str());
    return false;
  }
  return true;
}

bool GetOptionalString(napi_env env, napi_value value, const char* what, std::string* out,
                       bool* present) {
  *present = !IsNullish(env, value);
  if (!*present) return true;
  return GetString(env, value, what, out);
}

bool GetNumber(napi_env env, napi_value value, const char* what, double* out) {
  bool is_date = false;
  if (napi_is_date(env, value, &is_date) == napi_ok && is_date) {
    if (napi_get_date_value(env, value, out) == napi_ok && std::isfinite(*out)) return true;
  } else if (napi_get_value_double(env, value, out) == napi_ok && std::isfinite(*out)) {
    return true;
  }
  Throw(env, CAIRN_INVALID_ARGUMENT, (std::string(what) + " must be a finite number").c_str());
  return false;
}

bool GetProperty(napi_env env, napi_value object, const char* name, napi_value* out) {
  if (napi_get_named_property(env, object, name, out) != napi_ok) {
    Throw(env, CAIRN_INVALID_ARGUMENT, "cannot read an option");
    return false;
  }
  return true;
}

bool SetValue(napi_env env, napi_value object, const char* name, napi_value value) {
  return value != nullptr && napi_set_named_property(env, object, name, value) == napi_ok;
}

bool SetString(napi_env env, napi_value object, const char* name, const char* value) {
  napi_value v = nullptr;
  return napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v) == napi_ok &&
         SetValue(env, object, name, v);
}

bool SetNumber(napi_env env, napi_value object, const char* name, double value) {
  napi_value v = nullptr;
  return napi_create_double(env, value, &v) == napi_ok && SetValue(env, object, name, v);
}

napi_value MakeDateOrNull(napi_env env, int64_t unix_ms) {
  napi_value v = nullptr;
  if (unix_ms == 0) {
    napi_get_null(env, &v);
  } else {
    napi_create_date(env, static_cast<double>(unix_ms), &v);
  }
  return v;
}

}  // namespace cairn_node
