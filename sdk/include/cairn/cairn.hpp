// Cairn SDK: a header-only C++17 wrapper over the C API (cairn/cairn.h).
//
// For apps that want C++ types but must not link the SDK's C++ internals
// (abseil, protobuf, a libstdc++ of the SDK's choosing): this header uses
// the C API of libcairn.so and the standard library only, so an app built
// with any compiler and standard library (libc++ included) links just
// -lcairn. Everything here is inline and lives in the app; libcairn.so
// exports only the cairn_* functions.
//
// Names are chosen not to clash with the static C++ SDK (cairn/client.h):
// cairn::Telemetry is the client, cairn::TelemetryOptions its options.
// Errors are values (cairn::Result<T>), never exceptions, except
// Result::value() on an error, which throws BadResultAccess like
// std::optional::value() does (or aborts when exceptions are off).
// Thread safety is the C API's: every call may come from any thread except
// destruction and assignment of a Telemetry, which must be its last call.
#ifndef CAIRN_CAIRN_HPP_
#define CAIRN_CAIRN_HPP_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/cairn.h"
#include "cairn/cairn_result.hpp"
#include "cairn/cairn_types.hpp"

namespace cairn {

namespace detail {

// The calling thread's last error from the library, as an Error.
inline Error LastError(cairn_status_code code) {
  return Error{static_cast<ErrorCode>(code), cairn_last_error_message()};
}

inline Result<void> Check(cairn_status_code code) {
  if (code == CAIRN_OK) return {};
  return LastError(code);
}

// NUL-terminated copies of string_view arguments for the C API. A view with
// an embedded NUL would be cut short silently, so it is refused instead.
// Take pointers with Get only after the last Add: a growing vector moves
// its strings, and a short string's characters move with it.
class CStrings {
 public:
  // Copies `s`; false when it holds a NUL.
  bool Add(std::string_view s) {
    if (s.find('\0') != std::string_view::npos) return false;
    storage_.emplace_back(s);
    return true;
  }
  // The i-th copy; nullptr for an empty one when `empty_is_null`.
  const char* Get(size_t i, bool empty_is_null = false) const {
    if (empty_is_null && storage_[i].empty()) return nullptr;
    return storage_[i].c_str();
  }

 private:
  std::vector<std::string> storage_;
};

// Keeps the first failure of a run of calls, with its message read at once
// (the next call on this thread replaces the library's message).
class FirstError {
 public:
  void operator()(cairn_status_code code) {
    if (code != CAIRN_OK && !error_) error_ = LastError(code);
  }
  Result<void> result() const {
    if (error_) return *error_;
    return {};
  }

 private:
  std::optional<Error> error_;
};

inline Error NulError() {
  return Error{ErrorCode::kInvalidArgument, "a string argument holds a NUL character"};
}

// Adds every view to `out`; false if one holds a NUL.
inline bool AddAll(CStrings& out, std::initializer_list<std::string_view> views) {
  for (std::string_view v : views) {
    if (!out.Add(v)) return false;
  }
  return true;
}

inline int64_t ToMillis(std::chrono::milliseconds d) { return static_cast<int64_t>(d.count()); }

inline int64_t ToUnixMillis(const std::optional<std::chrono::system_clock::time_point>& t) {
  if (!t) return 0;
  return static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count());
}

inline std::optional<std::chrono::system_clock::time_point> FromUnixMillis(int64_t ms) {
  if (ms == 0) return std::nullopt;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::milliseconds(ms)));
}

// Takes a string the library returned and frees it.
inline std::string TakeString(char* s, size_t length) {
  std::string copy(s, length);
  cairn_string_free(s);
  return copy;
}

// The delivery-status callback as the C API calls it. Catches everything:
// an exception must not unwind through the library's delivery thread.
inline void DeliveryTrampoline(void* user_data, const cairn_delivery_status* status) noexcept {
  try {
    const auto& fn =
        *static_cast<const std::function<void(const TelemetryDeliveryStatus&)>*>(user_data);
    TelemetryDeliveryStatus copy;
    copy.error = Error{static_cast<ErrorCode>(status->code),
                       status->message != nullptr ? status->message : ""};
    copy.http_status = status->http_status;
    copy.buffered_rows = status->buffered_rows;
    copy.next_attempt_in = std::chrono::milliseconds(status->next_attempt_in_ms);
    fn(copy);
  } catch (...) {
  }
}

// Owns a cairn_options for the duration of Create.
struct OptionsDeleter {
  void operator()(cairn_options* o) const { cairn_options_free(o); }
};

}  // namespace detail

// A telemetry client over libcairn.so: consent, records, delivery, local
// data. Move-only; destroying it shuts the client down (waiting at most
// TelemetryOptions::shutdown_timeout) and frees it. A moved-from Telemetry
// holds no client: its calls fail with kInvalidArgument.
class Telemetry {
 public:
  // Starts a client (see cairn_client_create): loads consent, reopens the
  // buffer, starts the SDK's threads. Cost: opening files, a few ms. Fails
  // with kInvalidArgument for bad options, kFailedPrecondition when another
  // client holds storage_dir or the library has another ABI version, the
  // storage error otherwise.
  static Result<Telemetry> Create(const TelemetryOptions& options) {
    if (cairn_abi_version() != CAIRN_ABI_VERSION) {
      return Error{ErrorCode::kFailedPrecondition,
                   "libcairn's ABI version is not the one cairn.hpp was written for"};
    }
    std::unique_ptr<cairn_options, detail::OptionsDeleter> o(cairn_options_new());
    if (!o) return Error{ErrorCode::kResourceExhausted, "out of memory"};
    if (auto r = Configure(o.get(), options); !r) return r.error();
    std::unique_ptr<Callback> callback;
    if (options.on_delivery_status) {
      callback = std::make_unique<Callback>(options.on_delivery_status);
      if (auto r = detail::Check(cairn_options_set_delivery_status_callback(
              o.get(), &detail::DeliveryTrampoline, callback.get()));
          !r) {
        return r.error();
      }
    }
    cairn_client* client = nullptr;
    cairn_status_code code = cairn_client_create(o.get(), &client);
    if (code != CAIRN_OK) return detail::LastError(code);
    return Telemetry(client, std::move(callback));
  }

  Telemetry(Telemetry&& other) noexcept
      : client_(std::exchange(other.client_, nullptr)), callback_(std::move(other.callback_)) {}
  // Destroys this client first (its last call), then takes over `other`'s.
  Telemetry& operator=(Telemetry&& other) noexcept {
    if (this != &other) {
      Reset();
      client_ = std::exchange(other.client_, nullptr);
      callback_ = std::move(other.callback_);
    }
    return *this;
  }
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;
  // Shuts down (unless Shutdown was called) and frees the client.
  ~Telemetry() { Reset(); }

  // True while this object holds a client (false once moved from).
  explicit operator bool() const { return client_ != nullptr; }

  // Stops recording and tries to deliver until `timeout`; undelivered
  // events stay on the device. Later calls return the first one's result.
  Result<void> Shutdown(std::chrono::milliseconds timeout) {
    return detail::Check(cairn_client_shutdown(client_, detail::ToMillis(timeout)));
  }
  // Waits up to `timeout` until everything recorded before is durable and
  // acknowledged. kUnavailable: durable, delivery failed and goes on;
  // kPermissionDenied: key refused; kDeadlineExceeded.
  Result<void> Flush(std::chrono::milliseconds timeout) {
    return detail::Check(cairn_client_flush(client_, detail::ToMillis(timeout)));
  }
  // Connectivity came back: retry now (rate-limited). Never blocks.
  Result<void> OnNetworkAvailable() {
    return detail::Check(cairn_client_on_network_available(client_));
  }

  // Records a decision durably (one SQLite commit) and queues its proof for
  // the collector; a withdrawal deletes that user's unsent events of the
  // purpose.
  Result<void> SetConsent(const TelemetryConsentRequest& request) {
    detail::CStrings s;
    if (!detail::AddAll(
            s, {request.account_id, request.user_id, request.policy_id, request.policy_version,
                request.source_surface, request.grant_signature})) {
      return detail::NulError();
    }
    cairn_consent_request c;
    cairn_consent_request_init(&c);
    c.account_id = s.Get(0);
    c.user_id = s.Get(1);
    c.purpose = static_cast<cairn_purpose>(request.purpose);
    c.decision = static_cast<cairn_decision>(request.decision);
    c.policy_id = s.Get(2, true);
    c.policy_version = s.Get(3);
    c.source_surface = s.Get(4, true);
    c.expires_at_ms = detail::ToUnixMillis(request.expires_at);
    c.grant_signature = s.Get(5, true);
    c.signed_at_ms = detail::ToUnixMillis(request.signed_at);
    return detail::Check(cairn_set_consent(client_, &c));
  }
  // The renewal-notification choice (allowed false is the user's opt-out);
  // an empty source_surface means "settings".
  Result<void> SetRenewalNotifications(std::string_view account_id, std::string_view user_id,
                                       bool allowed, std::string_view policy_version,
                                       std::string_view source_surface = {}) {
    detail::CStrings s;
    if (!detail::AddAll(s, {account_id, user_id, policy_version, source_surface})) {
      return detail::NulError();
    }
    return detail::Check(cairn_set_renewal_notifications(
        client_, s.Get(0), s.Get(1), allowed ? 1 : 0, s.Get(2), s.Get(3, true)));
  }
  // The user's decision for `purpose` now. Cheap: a hash lookup.
  Result<ConsentDecision> GetConsent(std::string_view user_id, ConsentPurpose purpose) const {
    detail::CStrings s;
    if (!s.Add(user_id)) return detail::NulError();
    cairn_decision out = CAIRN_DECISION_UNKNOWN;
    cairn_status_code code =
        cairn_get_consent(client_, s.Get(0), static_cast<cairn_purpose>(purpose), &out);
    if (code != CAIRN_OK) return detail::LastError(code);
    return static_cast<ConsentDecision>(out);
  }
  // Every consentable purpose's decision for the user, in display order.
  Result<std::vector<TelemetryConsentChoice>> GetConsentChoices(std::string_view user_id) const {
    detail::CStrings s;
    if (!s.Add(user_id)) return detail::NulError();
    cairn_consent_choices* list = nullptr;
    cairn_status_code code = cairn_get_consent_choices(client_, s.Get(0), &list);
    if (code != CAIRN_OK) return detail::LastError(code);
    std::unique_ptr<cairn_consent_choices, void (*)(cairn_consent_choices*)> owned(
        list, &cairn_consent_choices_free);
    std::vector<TelemetryConsentChoice> choices;
    choices.reserve(list->count);
    for (size_t i = 0; i < list->count; ++i) {
      const cairn_consent_choice& c = list->items[i];
      TelemetryConsentChoice choice;
      choice.purpose = static_cast<ConsentPurpose>(c.purpose);
      choice.decision = static_cast<ConsentDecision>(c.decision);
      choice.policy_version = c.policy_version != nullptr ? c.policy_version : "";
      choice.decided_at = detail::FromUnixMillis(c.decided_at_ms);
      choice.expires_at = detail::FromUnixMillis(c.expires_at_ms);
      choices.push_back(std::move(choice));
    }
    return choices;
  }

  // The user signed in (method may be empty): starts a session.
  // kPermissionDenied without usage-analytics consent.
  Result<void> RecordLogin(std::string_view account_id, std::string_view user_id,
                           std::string_view method = {}) {
    detail::CStrings s;
    if (!detail::AddAll(s, {account_id, user_id, method})) return detail::NulError();
    return detail::Check(cairn_record_login(client_, s.Get(0), s.Get(1), s.Get(2, true)));
  }
  // The user signed out: ends the session, clears the identity.
  Result<void> RecordLogout() { return detail::Check(cairn_record_logout(client_)); }
  // The session ended without a logout (e.g. the app closes).
  Result<void> RecordSessionEnd() { return detail::Check(cairn_record_session_end(client_)); }
  // The signed-in user reached a milestone, with an optional value and
  // attributes (only allow-listed ones are kept). Cost: about a
  // microsecond plus the copies of the strings; no IO on this thread.
  Result<void> RecordMilestone(std::string_view name, std::optional<double> value = std::nullopt,
                               std::initializer_list<TelemetryAttribute> attributes = {}) {
    return RecordMilestoneOf(name, value, attributes);
  }
  // As above, with the attributes in a map.
  Result<void> RecordMilestone(std::string_view name, std::optional<double> value,
                               const std::map<std::string, std::string>& attributes) {
    return RecordMilestoneOf(name, value, attributes);
  }

  // The signed-in user answered an in-app survey: NPS 0-10 or CSAT 1-5, an
  // optional comment (at most 500 bytes of UTF-8; personal data) and an
  // optional survey id. kPermissionDenied without feedback consent;
  // kInvalidArgument for a value out of bounds (nothing is recorded). Cost:
  // like RecordMilestone.
  Result<void> RecordFeedback(TelemetryFeedbackKind kind, int score, std::string_view comment = {},
                              std::string_view survey_id = {}) {
    detail::CStrings s;
    if (!detail::AddAll(s, {comment, survey_id})) return detail::NulError();
    return detail::Check(cairn_record_feedback(client_, static_cast<int>(kind), score,
                                               s.Get(0, true), s.Get(1, true)));
  }

  // Everything the device holds about the user, as JSON. Cost: a scan of
  // the buffer.
  Result<std::string> ExportLocalData(std::string_view user_id) {
    detail::CStrings s;
    if (!s.Add(user_id)) return detail::NulError();
    char* out = nullptr;
    size_t length = 0;
    cairn_status_code code = cairn_export_local_data(client_, s.Get(0), &out, &length);
    if (code != CAIRN_OK) return detail::LastError(code);
    return detail::TakeString(out, length);
  }
  // Deletes the user's unsent events on the device (consent records stay).
  Result<void> EraseLocalData(std::string_view user_id) {
    detail::CStrings s;
    if (!s.Add(user_id)) return detail::NulError();
    return detail::Check(cairn_erase_local_data(client_, s.Get(0)));
  }
  // The user id as stored and sent (the HMAC when pseudonymisation is on).
  Result<std::string> WireUserId(std::string_view user_id) const {
    detail::CStrings s;
    if (!s.Add(user_id)) return detail::NulError();
    char* out = nullptr;
    cairn_status_code code = cairn_wire_user_id(client_, s.Get(0), &out);
    if (code != CAIRN_OK) return detail::LastError(code);
    return detail::TakeString(out, std::char_traits<char>::length(out));
  }

  // The SDK's counters. Cheap: atomic loads and a lock.
  Result<TelemetryStats> GetStats() const {
    cairn_stats c;
    cairn_stats_init(&c);
    cairn_status_code code = cairn_get_stats(client_, &c);
    if (code != CAIRN_OK) return detail::LastError(code);
    TelemetryStats s;
    s.recorded = c.recorded;
    s.refused_no_consent = c.refused_no_consent;
    s.refused_invalid = c.refused_invalid;
    s.refused_no_session = c.refused_no_session;
    s.refused_shut_down = c.refused_shut_down;
    s.refused_storage = c.refused_storage;
    s.durable_timeouts = c.durable_timeouts;
    s.persisted = c.persisted;
    s.sent = c.sent;
    s.acknowledged = c.acknowledged;
    s.duplicates = c.duplicates;
    s.retries = c.retries;
    s.batches_acknowledged = c.batches_acknowledged;
    s.consent_changes_pending = c.consent_changes_pending;
    s.erased = c.erased;
    s.buffered_rows = c.buffered_rows;
    s.buffered_bytes = c.buffered_bytes;
    for (size_t i = 0; i < s.dropped.size(); ++i) s.dropped[i] = c.dropped[i];
    c.last_error[sizeof(c.last_error) - 1] = '\0';
    s.last_error = c.last_error;
    return s;
  }

  // The loaded library's version, e.g. "0.1.0".
  static std::string_view Version() { return cairn_version(); }
  // The loaded library's ABI version; this header was written for
  // CAIRN_ABI_VERSION.
  static int AbiVersion() { return cairn_abi_version(); }

 private:
  using Callback = std::function<void(const TelemetryDeliveryStatus&)>;

  Telemetry(cairn_client* client, std::unique_ptr<Callback> callback)
      : client_(client), callback_(std::move(callback)) {}

  // Destroys the client before the callback it may still call.
  void Reset() {
    cairn_client_destroy(std::exchange(client_, nullptr));
    callback_.reset();
  }

  // Copies every option into `o`; the first refused setter's error.
  static Result<void> Configure(cairn_options* o, const TelemetryOptions& t) {
    using detail::ToMillis;
    detail::FirstError first;
    first(cairn_options_set_collector_url(o, t.collector_url.c_str()));
    first(cairn_options_set_write_key(o, t.write_key.c_str()));
    first(cairn_options_set_storage_dir(o, t.storage_dir.c_str()));
    first(cairn_options_set_app(o, t.app_name.c_str(), t.app_version.c_str()));
    first(cairn_options_set_queue(o, t.queue_capacity,
                                  static_cast<cairn_queue_full_policy>(t.queue_full_policy),
                                  ToMillis(t.enqueue_timeout)));
    first(cairn_options_set_durable_records(o, t.durable_records ? 1 : 0,
                                            ToMillis(t.durable_timeout)));
    first(cairn_options_set_commit(o, t.commit_max_events, ToMillis(t.commit_interval)));
    first(cairn_options_set_buffer_limits(o, t.max_buffer_rows, t.max_buffer_bytes,
                                          t.max_buffer_file_bytes, ToMillis(t.event_ttl)));
    first(cairn_options_set_batch(o, t.max_batch_events, t.max_batch_bytes,
                                  ToMillis(t.upload_interval)));
    first(cairn_options_set_requests_in_flight(o, t.max_requests_in_flight));
    first(cairn_options_set_timeouts(o, ToMillis(t.connect_timeout), ToMillis(t.request_timeout)));
    first(cairn_options_set_backoff(o, ToMillis(t.min_backoff), ToMillis(t.max_backoff),
                                    t.jitter_seed));
    first(cairn_options_set_network_retry_floor(o, ToMillis(t.network_retry_floor)));
    first(cairn_options_set_compression(o, static_cast<cairn_compression>(t.compression)));
    first(cairn_options_set_shutdown_timeout(o, ToMillis(t.shutdown_timeout)));
    first(cairn_options_set_allow_insecure_http(o, t.allow_insecure_http ? 1 : 0));
    first(cairn_options_set_ca_bundle_path(o, t.ca_bundle_path.c_str()));
    first(cairn_options_set_user_id_hmac_key(o, t.user_id_hmac_key.data(),
                                             t.user_id_hmac_key.size()));
    first(cairn_options_set_renewal_default(
        o, static_cast<cairn_renewal_default>(t.renewal_notifications_default),
        t.renewal_default_policy_id.empty() ? nullptr : t.renewal_default_policy_id.c_str(),
        t.renewal_default_policy_version.c_str()));
    for (const std::string& key : t.attribute_allowlist) {
      first(cairn_options_add_allowed_attribute(o, key.c_str()));
    }
    return first.result();
  }

  template <typename Attributes>
  Result<void> RecordMilestoneOf(std::string_view name, std::optional<double> value,
                                 const Attributes& attributes) {
    detail::CStrings s;
    if (!s.Add(name)) return detail::NulError();
    for (const auto& [key, val] : attributes) {
      if (!s.Add(key) || !s.Add(val)) return detail::NulError();
    }
    std::vector<cairn_attribute> c;
    c.reserve(attributes.size());
    for (size_t i = 0; i < attributes.size(); ++i) {
      c.push_back(cairn_attribute{s.Get(1 + 2 * i), s.Get(2 + 2 * i)});
    }
    return detail::Check(cairn_record_milestone(client_, s.Get(0), value.has_value() ? 1 : 0,
                                                value.value_or(0.0), c.data(), c.size()));
  }

  cairn_client* client_ = nullptr;
  // Heap-held so its address, the C callback's user_data, survives moves.
  std::unique_ptr<Callback> callback_;
};

}  // namespace cairn

#endif  // CAIRN_CAIRN_HPP_
