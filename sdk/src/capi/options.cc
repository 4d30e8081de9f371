// cairn_options: the setters over cairn::Options. Each checks only what it
// can alone (null strings, negative durations, enum values); the client's
// Create checks the whole.
#include <string>
#include <utility>

#include "sdk/src/capi/capi_internal.h"

namespace cairn::capi {
namespace {

// Runs `set` on the options once the handle is known to be there.
template <typename Set>
cairn_status_code WithOptions(cairn_options* options, Set&& set) noexcept {
  return Guard([&]() -> cairn_status_code {
    if (options == nullptr) return Invalid("options is NULL");
    return set(options->options);
  });
}

// Sets a required string member from a C string.
cairn_status_code SetString(cairn_options* options, const char* value, std::string Options::*member,
                            std::string_view name) {
  return WithOptions(options, [&](Options& o) {
    if (value == nullptr) return Invalid(std::string(name) + " is NULL");
    o.*member = value;
    return Ok();
  });
}

// True when none of the durations is negative; else the thread's error names
// the first that is.
bool NonNegative(std::initializer_list<std::pair<int64_t, std::string_view>> durations) {
  for (const auto& [ms, name] : durations) {
    if (ms < 0) {
      Invalid(std::string(name) + " is negative");
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace cairn::capi

using cairn::capi::Invalid;
using cairn::capi::NonNegative;
using cairn::capi::Ok;
using cairn::capi::RawEnum;
using cairn::capi::WithOptions;

extern "C" {

cairn_options* cairn_options_new(void) {
  try {
    return new cairn_options();
  } catch (...) {
    cairn::capi::SetError(CAIRN_RESOURCE_EXHAUSTED, "out of memory");
    return nullptr;
  }
}

void cairn_options_free(cairn_options* options) { delete options; }

cairn_status_code cairn_options_set_collector_url(cairn_options* options, const char* url) {
  return cairn::capi::SetString(options, url, &cairn::Options::collector_url, "url");
}

cairn_status_code cairn_options_set_write_key(cairn_options* options, const char* write_key) {
  return cairn::capi::SetString(options, write_key, &cairn::Options::write_key, "write_key");
}

cairn_status_code cairn_options_set_storage_dir(cairn_options* options, const char* dir) {
  return cairn::capi::SetString(options, dir, &cairn::Options::storage_dir, "dir");
}

cairn_status_code cairn_options_set_app(cairn_options* options, const char* name,
                                        const char* version) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (name == nullptr || version == nullptr) return Invalid("app name or version is NULL");
    o.app = {name, version};
    return Ok();
  });
}

cairn_status_code cairn_options_set_queue(cairn_options* options, size_t capacity,
                                          cairn_queue_full_policy policy,
                                          int64_t enqueue_timeout_ms) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (!NonNegative({{enqueue_timeout_ms, "enqueue_timeout_ms"}})) return CAIRN_INVALID_ARGUMENT;
    switch (RawEnum(policy)) {
      case CAIRN_QUEUE_FULL_BLOCK_WITH_DEADLINE:
        o.queue_full_policy = cairn::Options::QueueFullPolicy::kBlockWithDeadline;
        break;
      case CAIRN_QUEUE_FULL_DROP_NEWEST:
        o.queue_full_policy = cairn::Options::QueueFullPolicy::kDropNewest;
        break;
      default:
        return Invalid("unknown queue-full policy");
    }
    o.queue_capacity = capacity;
    o.enqueue_timeout = absl::Milliseconds(enqueue_timeout_ms);
    return Ok();
  });
}

cairn_status_code cairn_options_set_durable_records(cairn_options* options, int enabled,
                                                    int64_t timeout_ms) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (!NonNegative({{timeout_ms, "timeout_ms"}})) return CAIRN_INVALID_ARGUMENT;
    o.durable_records = enabled != 0;
    o.durable_timeout = absl::Milliseconds(timeout_ms);
    return Ok();
  });
}

cairn_status_code cairn_options_set_commit(cairn_options* options, size_t max_events,
                                           int64_t interval_ms) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (!NonNegative({{interval_ms, "interval_ms"}})) return CAIRN_INVALID_ARGUMENT;
    o.commit_max_events = max_events;
    o.commit_interval = absl::Milliseconds(interval_ms);
    return Ok();
  });
}

cairn_status_code cairn_options_set_buffer_limits(cairn_options* options, uint64_t max_rows,
                                                  uint64_t max_bytes, uint64_t max_file_bytes,
                                                  int64_t event_ttl_ms) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (!NonNegative({{event_ttl_ms, "event_ttl_ms"}})) return CAIRN_INVALID_ARGUMENT;
    o.max_buffer_rows = max_rows;
    o.max_buffer_bytes = max_bytes;
    o.max_buffer_file_bytes = max_file_bytes;
    o.event_ttl = absl::Milliseconds(event_ttl_ms);
    return Ok();
  });
}

cairn_status_code cairn_options_set_batch(cairn_options* options, size_t max_events,
                                          size_t max_bytes, int64_t upload_interval_ms) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (!NonNegative({{upload_interval_ms, "upload_interval_ms"}})) return CAIRN_INVALID_ARGUMENT;
    o.max_batch_events = max_events;
    o.max_batch_bytes = max_bytes;
    o.upload_interval = absl::Milliseconds(upload_interval_ms);
    return Ok();
  });
}

cairn_status_code cairn_options_set_requests_in_flight(cairn_options* options,
                                                       size_t max_requests) {
  return WithOptions(options, [&](cairn::Options& o) {
    o.max_requests_in_flight = max_requests;
    return Ok();
  });
}

cairn_status_code cairn_options_set_timeouts(cairn_options* options, int64_t connect_timeout_ms,
                                             int64_t request_timeout_ms) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (!NonNegative({{connect_timeout_ms, "connect_timeout_ms"},
                      {request_timeout_ms, "request_timeout_ms"}})) {
      return CAIRN_INVALID_ARGUMENT;
    }
    o.connect_timeout = absl::Milliseconds(connect_timeout_ms);
    o.request_timeout = absl::Milliseconds(request_timeout_ms);
    return Ok();
  });
}

cairn_status_code cairn_options_set_backoff(cairn_options* options, int64_t min_backoff_ms,
                                            int64_t max_backoff_ms, uint64_t jitter_seed) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (!NonNegative({{min_backoff_ms, "min_backoff_ms"}, {max_backoff_ms, "max_backoff_ms"}})) {
      return CAIRN_INVALID_ARGUMENT;
    }
    o.min_backoff = absl::Milliseconds(min_backoff_ms);
    o.max_backoff = absl::Milliseconds(max_backoff_ms);
    o.jitter_seed = jitter_seed;
    return Ok();
  });
}

cairn_status_code cairn_options_set_network_retry_floor(cairn_options* options, int64_t floor_ms) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (!NonNegative({{floor_ms, "floor_ms"}})) return CAIRN_INVALID_ARGUMENT;
    o.network_retry_floor = absl::Milliseconds(floor_ms);
    return Ok();
  });
}

cairn_status_code cairn_options_set_compression(cairn_options* options,
                                                cairn_compression compression) {
  return WithOptions(options, [&](cairn::Options& o) {
    switch (RawEnum(compression)) {
      case CAIRN_COMPRESSION_ZSTD:
        o.compression = cairn::Codec::kZstd;
        return Ok();
      case CAIRN_COMPRESSION_GZIP:
        o.compression = cairn::Codec::kGzip;
        return Ok();
      case CAIRN_COMPRESSION_NONE:
        o.compression = cairn::Codec::kIdentity;
        return Ok();
    }
    return Invalid("unknown compression");
  });
}

cairn_status_code cairn_options_set_shutdown_timeout(cairn_options* options, int64_t timeout_ms) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (!NonNegative({{timeout_ms, "timeout_ms"}})) return CAIRN_INVALID_ARGUMENT;
    o.shutdown_timeout = absl::Milliseconds(timeout_ms);
    return Ok();
  });
}

cairn_status_code cairn_options_set_allow_insecure_http(cairn_options* options, int allowed) {
  return WithOptions(options, [&](cairn::Options& o) {
    o.allow_insecure_http = allowed != 0;
    return Ok();
  });
}

cairn_status_code cairn_options_set_ca_bundle_path(cairn_options* options, const char* path) {
  return cairn::capi::SetString(options, path, &cairn::Options::ca_bundle_path, "path");
}

cairn_status_code cairn_options_set_user_id_hmac_key(cairn_options* options, const char* key,
                                                     size_t length) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (key == nullptr && length > 0) return Invalid("key is NULL");
    o.user_id_hmac_key.assign(length > 0 ? key : "", length);
    return Ok();
  });
}

cairn_status_code cairn_options_add_allowed_attribute(cairn_options* options, const char* key) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (key == nullptr) return Invalid("key is NULL");
    o.attribute_allowlist.insert(key);
    return Ok();
  });
}

cairn_status_code cairn_options_set_renewal_default(cairn_options* options,
                                                    cairn_renewal_default value,
                                                    const char* policy_id,
                                                    const char* policy_version) {
  return WithOptions(options, [&](cairn::Options& o) {
    using Default = cairn::Options::RenewalDefault;
    Default chosen;
    switch (RawEnum(value)) {
      case CAIRN_RENEWAL_NOT_ASKED:
        chosen = Default::kNotAsked;
        break;
      case CAIRN_RENEWAL_SOFT_OPT_IN:
        if (policy_version == nullptr) return Invalid("soft opt-in needs a policy_version");
        chosen = Default::kSoftOptIn;
        break;
      default:
        return Invalid("unknown renewal default");
    }
    o.renewal_notifications_default = chosen;
    o.renewal_default_policy_id = policy_id != nullptr ? policy_id : "";
    o.renewal_default_policy_version = policy_version != nullptr ? policy_version : "";
    return Ok();
  });
}

cairn_status_code cairn_options_set_delivery_status_callback(cairn_options* options,
                                                             cairn_delivery_status_fn fn,
                                                             void* user_data) {
  return WithOptions(options, [&](cairn::Options& o) {
    if (fn == nullptr) {
      o.on_delivery_status = nullptr;
      return Ok();
    }
    o.on_delivery_status = [fn, user_data](const cairn::DeliveryStatus& status) {
      // On the SDK's delivery thread: nothing may escape into the sender.
      try {
        const std::string message(status.status.message());
        cairn_delivery_status c{};
        c.code = static_cast<cairn_status_code>(status.status.code());
        c.message = message.c_str();
        c.http_status = status.http_status;
        c.buffered_rows = status.buffered_rows;
        c.next_attempt_in_ms = absl::ToInt64Milliseconds(status.next_attempt_in);
        fn(user_data, &c);
      } catch (...) {
      }
    };
    return Ok();
  });
}

}  // extern "C"
