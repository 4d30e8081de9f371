#include "options.h"

#include <cmath>
#include <string>

#include "napi_util.h"

namespace cairn_node {
namespace {

// cairn::Options' defaults (sdk/include/cairn/options.h), used only to fill
// the fields a grouped C setter needs when the app gave some of the group.
constexpr double kQueueCapacity = 32768;
constexpr double kEnqueueTimeoutMs = 250;
constexpr double kDurableTimeoutMs = 1000;
constexpr double kCommitMaxEvents = 4096;
constexpr double kCommitIntervalMs = 50;
constexpr double kMaxBufferRows = 500000;
constexpr double kMaxBufferBytes = 64.0 * 1024 * 1024;
constexpr double kEventTtlMs = 14.0 * 24 * 3600 * 1000;
constexpr double kMaxBatchEvents = 500;
constexpr double kMaxBatchBytes = 512 * 1024;
constexpr double kUploadIntervalMs = 2000;
constexpr double kConnectTimeoutMs = 10000;
constexpr double kRequestTimeoutMs = 30000;
constexpr double kMinBackoffMs = 1000;
constexpr double kMaxBackoffMs = 5 * 60 * 1000;

// Reads the options object's fields; each getter throws on a wrong type.
class Reader {
 public:
  Reader(napi_env env, napi_value object) : env_(env), object_(object) {}

  // A non-negative integer option; `fallback` when absent. *given says
  // whether the app set it (so a group is only set when one of it is).
  bool Count(const char* name, double fallback, double* out, bool* given) {
    napi_value v = nullptr;
    if (!GetProperty(env_, object_, name, &v)) return false;
    if (IsNullish(env_, v)) {
      *out = fallback;
      return true;
    }
    *given = true;
    if (!GetNumber(env_, v, name, out)) return false;
    if (*out < 0 || std::floor(*out) != *out || *out > 9007199254740991.0) {
      Throw(env_, CAIRN_INVALID_ARGUMENT,
            (std::string(name) + " must be a non-negative integer").c_str());
      return false;
    }
    return true;
  }

  bool Bool(const char* name, bool* out, bool* given) {
    napi_value v = nullptr;
    if (!GetProperty(env_, object_, name, &v)) return false;
    if (IsNullish(env_, v)) return true;
    *given = true;
    if (napi_get_value_bool(env_, v, out) != napi_ok) {
      Throw(env_, CAIRN_INVALID_ARGUMENT, (std::string(name) + " must be a boolean").c_str());
      return false;
    }
    return true;
  }

  bool String(const char* name, std::string* out, bool* given) {
    napi_value v = nullptr;
    return GetProperty(env_, object_, name, &v) && GetOptionalString(env_, v, name, out, given);
  }

  // One of `names` (by index into it); 0 when absent.
  bool Choice(const char* name, const char* const* names, int count, int* out, bool* given) {
    std::string value;
    if (!String(name, &value, given)) return false;
    *out = 0;
    if (!*given) return true;
    for (int i = 0; i < count; ++i) {
      if (value == names[i]) {
        *out = i;
        return true;
      }
    }
    Throw(env_, CAIRN_INVALID_ARGUMENT, (std::string(name) + " has an unknown value").c_str());
    return false;
  }

  napi_env env() const { return env_; }
  napi_value object() const { return object_; }

 private:
  napi_env env_;
  napi_value object_;
};

bool Required(Reader& r, const char* name, std::string* out) {
  bool given = false;
  if (!r.String(name, out, &given)) return false;
  if (!given) {
    Throw(r.env(), CAIRN_INVALID_ARGUMENT, (std::string(name) + " is required").c_str());
    return false;
  }
  return true;
}

bool App(Reader& r, cairn_options* out) {
  napi_value app = nullptr;
  if (!GetProperty(r.env(), r.object(), "app", &app)) return false;
  if (IsNullish(r.env(), app)) return true;
  Reader a(r.env(), app);
  std::string name, version;
  return Required(a, "name", &name) && Required(a, "version", &version) &&
         Check(r.env(), cairn_options_set_app(out, name.c_str(), version.c_str()));
}

bool Queue(Reader& r, cairn_options* out) {
  static const char* const kPolicies[] = {"block", "dropNewest"};
  bool given = false;
  double capacity = 0, timeout = 0;
  int policy = 0;
  if (!r.Count("queueCapacity", kQueueCapacity, &capacity, &given) ||
      !r.Count("enqueueTimeoutMs", kEnqueueTimeoutMs, &timeout, &given)) {
    return false;
  }
  bool policy_given = false;
  if (!r.Choice("queueFullPolicy", kPolicies, 2, &policy, &policy_given)) return false;
  if (!given && !policy_given) return true;
  return Check(r.env(), cairn_options_set_queue(out, static_cast<size_t>(capacity),
                                                static_cast<cairn_queue_full_policy>(policy),
                                                static_cast<int64_t>(timeout)));
}

bool Durable(Reader& r, cairn_options* out) {
  bool given = false, enabled = false;
  double timeout = 0;
  if (!r.Bool("durableRecords", &enabled, &given) ||
      !r.Count("durableTimeoutMs", kDurableTimeoutMs, &timeout, &given)) {
    return false;
  }
  return !given || Check(r.env(), cairn_options_set_durable_records(out, enabled ? 1 : 0,
                                                                    static_cast<int64_t>(timeout)));
}

bool Commit(Reader& r, cairn_options* out) {
  bool given = false;
  double events = 0, interval = 0;
  if (!r.Count("commitMaxEvents", kCommitMaxEvents, &events, &given) ||
      !r.Count("commitIntervalMs", kCommitIntervalMs, &interval, &given)) {
    return false;
  }
  return !given || Check(r.env(), cairn_options_set_commit(out, static_cast<size_t>(events),
                                                           static_cast<int64_t>(interval)));
}

bool Buffer(Reader& r, cairn_options* out) {
  bool given = false;
  double rows = 0, bytes = 0, file_bytes = 0, ttl = 0;
  if (!r.Count("maxBufferRows", kMaxBufferRows, &rows, &given) ||
      !r.Count("maxBufferBytes", kMaxBufferBytes, &bytes, &given) ||
      !r.Count("maxBufferFileBytes", 0, &file_bytes, &given) ||
      !r.Count("eventTtlMs", kEventTtlMs, &ttl, &given)) {
    return false;
  }
  return !given ||
         Check(r.env(), cairn_options_set_buffer_limits(
                            out, static_cast<uint64_t>(rows), static_cast<uint64_t>(bytes),
                            static_cast<uint64_t>(file_bytes), static_cast<int64_t>(ttl)));
}

bool Batch(Reader& r, cairn_options* out) {
  bool given = false;
  double events = 0, bytes = 0, interval = 0;
  if (!r.Count("maxBatchEvents", kMaxBatchEvents, &events, &given) ||
      !r.Count("maxBatchBytes", kMaxBatchBytes, &bytes, &given) ||
      !r.Count("uploadIntervalMs", kUploadIntervalMs, &interval, &given)) {
    return false;
  }
  return !given || Check(r.env(), cairn_options_set_batch(out, static_cast<size_t>(events),
                                                          static_cast<size_t>(bytes),
                                                          static_cast<int64_t>(interval)));
}

bool Network(Reader& r, cairn_options* out) {
  bool timeouts = false, backoff = false, floor_given = false;
  double connect = 0, request = 0, min_backoff = 0, max_backoff = 0, seed = 0, floor = 0;
  if (!r.Count("connectTimeoutMs", kConnectTimeoutMs, &connect, &timeouts) ||
      !r.Count("requestTimeoutMs", kRequestTimeoutMs, &request, &timeouts) ||
      !r.Count("minBackoffMs", kMinBackoffMs, &min_backoff, &backoff) ||
      !r.Count("maxBackoffMs", kMaxBackoffMs, &max_backoff, &backoff) ||
      !r.Count("jitterSeed", 0, &seed, &backoff) ||
      !r.Count("networkRetryFloorMs", 0, &floor, &floor_given)) {
    return false;
  }
  if (timeouts && !Check(r.env(), cairn_options_set_timeouts(out, static_cast<int64_t>(connect),
                                                             static_cast<int64_t>(request)))) {
    return false;
  }
  if (backoff && !Check(r.env(), cairn_options_set_backoff(out, static_cast<int64_t>(min_backoff),
                                                           static_cast<int64_t>(max_backoff),
                                                           static_cast<uint64_t>(seed)))) {
    return false;
  }
  return !floor_given ||
         Check(r.env(), cairn_options_set_network_retry_floor(out, static_cast<int64_t>(floor)));
}

bool Transport(Reader& r, cairn_options* out) {
  static const char* const kCodecs[] = {"zstd", "gzip", "none"};
  int codec = 0;
  bool codec_given = false, insecure_given = false, insecure = false, ca_given = false;
  bool timeout_given = false;
  std::string ca;
  double shutdown_timeout = 0;
  if (!r.Choice("compression", kCodecs, 3, &codec, &codec_given) ||
      !r.Bool("allowInsecureHttp", &insecure, &insecure_given) ||
      !r.String("caBundlePath", &ca, &ca_given) ||
      !r.Count("shutdownTimeoutMs", 0, &shutdown_timeout, &timeout_given)) {
    return false;
  }
  return (!codec_given || Check(r.env(), cairn_options_set_compression(
                                             out, static_cast<cairn_compression>(codec)))) &&
         (!insecure_given ||
          Check(r.env(), cairn_options_set_allow_insecure_http(out, insecure ? 1 : 0))) &&
         (!ca_given || Check(r.env(), cairn_options_set_ca_bundle_path(out, ca.c_str()))) &&
         (!timeout_given || Check(r.env(), cairn_options_set_shutdown_timeout(
                                               out, static_cast<int64_t>(shutdown_timeout))));
}

// userIdHmacKey: a string (its UTF-8 bytes) or a Buffer/Uint8Array.
bool HmacKey(Reader& r, cairn_options* out) {
  napi_value v = nullptr;
  if (!GetProperty(r.env(), r.object(), "userIdHmacKey", &v)) return false;
  if (IsNullish(r.env(), v)) return true;
  bool is_typed = false;
  if (napi_is_typedarray(r.env(), v, &is_typed) == napi_ok && is_typed) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(r.env(), v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != napi_uint8_array) {
      return Throw(r.env(), CAIRN_INVALID_ARGUMENT, "userIdHmacKey must be bytes"), false;
    }
    return Check(r.env(),
                 cairn_options_set_user_id_hmac_key(out, static_cast<const char*>(data), length));
  }
  std::string key;
  return GetString(r.env(), v, "userIdHmacKey", &key) &&
         Check(r.env(), cairn_options_set_user_id_hmac_key(out, key.data(), key.size()));
}

bool Allowlist(Reader& r, cairn_options* out) {
  napi_value list = nullptr;
  if (!GetProperty(r.env(), r.object(), "attributeAllowlist", &list)) return false;
  if (IsNullish(r.env(), list)) return true;
  bool is_array = false;
  uint32_t length = 0;
  if (napi_is_array(r.env(), list, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(r.env(), list, &length) != napi_ok) {
    return Throw(r.env(), CAIRN_INVALID_ARGUMENT, "attributeAllowlist must be an array"), false;
  }
  for (uint32_t i = 0; i < length; ++i) {
    napi_value item = nullptr;
    std::string key;
    if (napi_get_element(r.env(), list, i, &item) != napi_ok ||
        !GetString(r.env(), item, "attributeAllowlist item", &key) ||
        !Check(r.env(), cairn_options_add_allowed_attribute(out, key.c_str()))) {
      return false;
    }
  }
  return true;
}

bool Renewal(Reader& r, cairn_options* out) {
  static const char* const kModes[] = {"notAsked", "softOptIn"};
  bool mode_given = false, id_given = false, version_given = false;
  std::string policy_id, policy_version;
  int mode = 0;
  if (!r.Choice("renewalDefault", kModes, 2, &mode, &mode_given) ||
      !r.String("renewalPolicyId", &policy_id, &id_given) ||
      !r.String("renewalPolicyVersion", &policy_version, &version_given)) {
    return false;
  }
  if (!mode_given) return true;
  return Check(r.env(),
               cairn_options_set_renewal_default(out, static_cast<cairn_renewal_default>(mode),
                                                 id_given ? policy_id.c_str() : nullptr,
                                                 version_given ? policy_version.c_str() : nullptr));
}

}  // namespace

bool BuildOptions(napi_env env, napi_value js, cairn_options* out) {
  napi_valuetype type = napi_undefined;
  if (napi_typeof(env, js, &type) != napi_ok || type != napi_object) {
    Throw(env, CAIRN_INVALID_ARGUMENT, "options must be an object");
    return false;
  }
  Reader r(env, js);
  std::string url, key, dir;
  return Required(r, "collectorUrl", &url) &&
         Check(env, cairn_options_set_collector_url(out, url.c_str())) &&
         Required(r, "writeKey", &key) &&
         Check(env, cairn_options_set_write_key(out, key.c_str())) &&
         Required(r, "storageDir", &dir) &&
         Check(env, cairn_options_set_storage_dir(out, dir.c_str())) && App(r, out) &&
         Queue(r, out) && Durable(r, out) && Commit(r, out) && Buffer(r, out) && Batch(r, out) &&
         Network(r, out) && Transport(r, out) && HmacKey(r, out) && Allowlist(r, out) &&
         Renewal(r, out);
}

}  // namespace cairn_node
