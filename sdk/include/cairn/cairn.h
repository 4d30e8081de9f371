/* Cairn SDK: the C API.
 *
 * The stable face of the SDK for any app in any language: plain C types,
 * opaque handles, error codes. libcairn.so exports these functions and
 * nothing else; protobuf, abseil and the SDK's C++ internals are linked into
 * it and hidden, so an app built against any other version of them (or in
 * another language) can load it alongside its own.
 *
 * ABI promise (CAIRN_ABI_VERSION 1): within one ABI version no function is
 * removed or changes its signature or meaning, no enum value changes its
 * number, and the structs that carry a struct_size field only grow at their
 * end (the library reads and writes no further than the struct_size the
 * caller sets). New functions, enum values and options are added freely.
 * Breaking any of that means a new ABI version and a new soname.
 *
 * Threads: every function may be called from any thread at the same time,
 * on the same client, except cairn_client_destroy, which must be the last
 * call on a client, and cairn_options_* on one options object, which the
 * caller serialises.
 *
 * Memory: nothing allocated on one side is freed on the other. What the
 * library returns (cairn_string_free, cairn_consent_choices_free) has a
 * matching free function; what the caller passes is only read during the
 * call (strings are copied).
 *
 * Errors: functions return a cairn_status_code. cairn_last_error_message()
 * says why, in words without personal data, for the calling thread's last
 * call. A null handle or a null required argument is CAIRN_INVALID_ARGUMENT,
 * never a crash.
 *
 * Times: durations and timeouts are milliseconds; points in time are Unix
 * milliseconds (UTC), 0 meaning "none" where the field is optional.
 * Strings are NUL-terminated UTF-8.
 */
#ifndef CAIRN_CAIRN_H_
#define CAIRN_CAIRN_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#if defined(CAIRN_BUILDING_LIBRARY)
#define CAIRN_API __declspec(dllexport)
#else
#define CAIRN_API __declspec(dllimport)
#endif
#else
#define CAIRN_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define CAIRN_ABI_VERSION 1

/* ---------------------------------------------------------------- status */

/* The outcome of a call. The numbers are abseil's (and gRPC's) codes. */
typedef enum cairn_status_code {
  CAIRN_OK = 0,
  CAIRN_CANCELLED = 1,
  CAIRN_UNKNOWN = 2,
  CAIRN_INVALID_ARGUMENT = 3,  /* malformed input, a null handle */
  CAIRN_DEADLINE_EXCEEDED = 4, /* flush/shutdown/durable record timed out */
  CAIRN_NOT_FOUND = 5,
  CAIRN_ALREADY_EXISTS = 6,
  CAIRN_PERMISSION_DENIED = 7,   /* no consent for the purpose; key refused */
  CAIRN_RESOURCE_EXHAUSTED = 8,  /* queue full: the event was dropped */
  CAIRN_FAILED_PRECONDITION = 9, /* no session, shut down, storage in use */
  CAIRN_ABORTED = 10,
  CAIRN_OUT_OF_RANGE = 11,
  CAIRN_UNIMPLEMENTED = 12,
  CAIRN_INTERNAL = 13,
  CAIRN_UNAVAILABLE = 14, /* durable on the device, not yet delivered */
  CAIRN_DATA_LOSS = 15,
  CAIRN_UNAUTHENTICATED = 16
} cairn_status_code;

/* The message of the calling thread's last cairn_* call: "" after a
 * success. Valid until this thread's next cairn_* call; never NULL. Holds
 * no personal data. Cost: a thread-local read. */
CAIRN_API const char* cairn_last_error_message(void);

/* The code's name, e.g. "INVALID_ARGUMENT"; "UNKNOWN_CODE" for a number
 * outside the enum. A static string; never NULL. */
CAIRN_API const char* cairn_status_code_name(int code);

/* The SDK's version, e.g. "0.1.0" (static string), and CAIRN_ABI_VERSION
 * of the library loaded, so a binding can refuse a library it was not
 * written for. */
CAIRN_API const char* cairn_version(void);
CAIRN_API int cairn_abi_version(void);

/* ----------------------------------------------------------------- enums */

/* What a consent decision is about. */
typedef enum cairn_purpose {
  CAIRN_PURPOSE_USAGE_ANALYTICS = 1,       /* logins, logouts, sessions */
  CAIRN_PURPOSE_MILESTONES = 2,            /* value moments */
  CAIRN_PURPOSE_RENEWAL_NOTIFICATIONS = 3, /* renewal marketing (opt-out) */
  CAIRN_PURPOSE_FEEDBACK = 5               /* survey answers (NPS, CSAT) and comments */
} cairn_purpose;

/* The kind of an in-app survey answer (cairn_record_feedback). */
typedef enum cairn_feedback_kind {
  CAIRN_FEEDBACK_NPS = 1, /* "how likely are you to recommend us", 0-10 */
  CAIRN_FEEDBACK_CSAT = 2 /* satisfaction, 1-5 */
} cairn_feedback_kind;

typedef enum cairn_decision {
  CAIRN_DECISION_UNKNOWN = 0, /* never asked, or a grant that expired */
  CAIRN_DECISION_GRANTED = 1,
  CAIRN_DECISION_DENIED = 2
} cairn_decision;

/* Why events were dropped on the device (the wire's DropReason numbers). */
typedef enum cairn_drop_reason {
  CAIRN_DROP_QUEUE_FULL = 1,
  CAIRN_DROP_BUFFER_BYTES = 2,
  CAIRN_DROP_BUFFER_ROWS = 3,
  CAIRN_DROP_EXPIRED = 4,
  CAIRN_DROP_REJECTED = 5,
  CAIRN_DROP_CORRUPT_BUFFER = 6,
  CAIRN_DROP_DISK_FULL = 7,
  CAIRN_DROP_CONSENT_WITHDRAWN = 8,
  CAIRN_DROP_ATTRIBUTE_FILTERED = 9
} cairn_drop_reason;

/* Size of cairn_stats.dropped: indexes 0..CAIRN_DROP_REASON_SLOTS-1, by
 * cairn_drop_reason; index 0 is unused. */
#define CAIRN_DROP_REASON_SLOTS 16

typedef enum cairn_queue_full_policy {
  CAIRN_QUEUE_FULL_BLOCK_WITH_DEADLINE = 0, /* default: wait enqueue_timeout */
  CAIRN_QUEUE_FULL_DROP_NEWEST = 1
} cairn_queue_full_policy;

typedef enum cairn_compression {
  CAIRN_COMPRESSION_ZSTD = 0, /* default */
  CAIRN_COMPRESSION_GZIP = 1,
  CAIRN_COMPRESSION_NONE = 2
} cairn_compression;

typedef enum cairn_renewal_default {
  CAIRN_RENEWAL_NOT_ASKED = 0,  /* default: nothing until the user grants */
  CAIRN_RENEWAL_SOFT_OPT_IN = 1 /* existing customers; the opt-out wins */
} cairn_renewal_default;

/* --------------------------------------------------------------- options */

/* Everything cairn_client_create needs; defaults as the C++ cairn::Options
 * documents them (docs/sdk.md). Setters copy their arguments and check
 * only what they can alone (CAIRN_INVALID_ARGUMENT for a null string or a
 * negative duration); cairn_client_create checks the whole. */
typedef struct cairn_options cairn_options;

/* A new options object with the defaults; NULL only when out of memory.
 * Free with cairn_options_free (NULL is ignored). */
CAIRN_API cairn_options* cairn_options_new(void);
CAIRN_API void cairn_options_free(cairn_options* options);

/* Required: collector base URL, write key, storage directory. */
CAIRN_API cairn_status_code cairn_options_set_collector_url(cairn_options* options,
                                                            const char* url);
CAIRN_API cairn_status_code cairn_options_set_write_key(cairn_options* options,
                                                        const char* write_key);
CAIRN_API cairn_status_code cairn_options_set_storage_dir(cairn_options* options, const char* dir);
/* The app's name and version, sent in every batch. */
CAIRN_API cairn_status_code cairn_options_set_app(cairn_options* options, const char* name,
                                                  const char* version);
/* Record path: queue bound, what a full queue does, how long it may wait. */
CAIRN_API cairn_status_code cairn_options_set_queue(cairn_options* options, size_t capacity,
                                                    cairn_queue_full_policy policy,
                                                    int64_t enqueue_timeout_ms);
/* Record calls return only once the event is committed (or timeout_ms). */
CAIRN_API cairn_status_code cairn_options_set_durable_records(cairn_options* options, int enabled,
                                                              int64_t timeout_ms);
/* Buffer commits: events per transaction, linger before a commit. */
CAIRN_API cairn_status_code cairn_options_set_commit(cairn_options* options, size_t max_events,
                                                     int64_t interval_ms);
/* Buffer bounds (0: unbounded) and the age past which events expire. */
CAIRN_API cairn_status_code cairn_options_set_buffer_limits(cairn_options* options,
                                                            uint64_t max_rows, uint64_t max_bytes,
                                                            uint64_t max_file_bytes,
                                                            int64_t event_ttl_ms);
/* Batches: events and bytes per request, linger of a partial batch. */
CAIRN_API cairn_status_code cairn_options_set_batch(cairn_options* options, size_t max_events,
                                                    size_t max_bytes, int64_t upload_interval_ms);
/* Requests to the collector at once: 1 or 2 (the default; Create refuses
 * anything else). The next batch is always prepared while one is in flight;
 * with 2, it also goes out before the answer to the previous one. */
CAIRN_API cairn_status_code cairn_options_set_requests_in_flight(cairn_options* options,
                                                                 size_t max_requests);
/* Network: timeouts, retry backoff bounds, early-retry floor. */
CAIRN_API cairn_status_code cairn_options_set_timeouts(cairn_options* options,
                                                       int64_t connect_timeout_ms,
                                                       int64_t request_timeout_ms);
CAIRN_API cairn_status_code cairn_options_set_backoff(cairn_options* options,
                                                      int64_t min_backoff_ms,
                                                      int64_t max_backoff_ms, uint64_t jitter_seed);
CAIRN_API cairn_status_code cairn_options_set_network_retry_floor(cairn_options* options,
                                                                  int64_t floor_ms);
CAIRN_API cairn_status_code cairn_options_set_compression(cairn_options* options,
                                                          cairn_compression compression);
/* How long destroying a client that was not shut down may take. */
CAIRN_API cairn_status_code cairn_options_set_shutdown_timeout(cairn_options* options,
                                                               int64_t timeout_ms);
/* Transport security: plain http to a non-loopback host (never in
 * production); a PEM file of CAs to trust instead of the system store. */
CAIRN_API cairn_status_code cairn_options_set_allow_insecure_http(cairn_options* options,
                                                                  int allowed);
CAIRN_API cairn_status_code cairn_options_set_ca_bundle_path(cairn_options* options,
                                                             const char* path);
/* Pseudonymisation key (bytes; length 0 turns it off). */
CAIRN_API cairn_status_code cairn_options_set_user_id_hmac_key(cairn_options* options,
                                                               const char* key, size_t length);
/* Adds one attribute key the SDK keeps (none is kept by default). */
CAIRN_API cairn_status_code cairn_options_add_allowed_attribute(cairn_options* options,
                                                                const char* key);
/* What a user never asked about renewal notifications gets; policy_id may
 * be NULL; policy_version is required with CAIRN_RENEWAL_SOFT_OPT_IN. */
CAIRN_API cairn_status_code cairn_options_set_renewal_default(cairn_options* options,
                                                              cairn_renewal_default value,
                                                              const char* policy_id,
                                                              const char* policy_version);

/* A delivery problem, passed to the delivery-status callback. No personal
 * data. `message` is valid only during the callback. */
typedef struct cairn_delivery_status {
  cairn_status_code code; /* e.g. UNAVAILABLE (network), PERMISSION_DENIED */
  const char* message;
  int http_status;        /* 0 when no response came back */
  uint64_t buffered_rows; /* events waiting on the device */
  int64_t next_attempt_in_ms;
} cairn_delivery_status;

/* Called on the SDK's delivery thread after each failed attempt. Must be
 * quick and must not call back into the client. */
typedef void (*cairn_delivery_status_fn)(void* user_data, const cairn_delivery_status* status);

/* Sets (or, with fn NULL, clears) the delivery-status callback. user_data
 * is passed back as is and must outlive the client. */
CAIRN_API cairn_status_code cairn_options_set_delivery_status_callback(cairn_options* options,
                                                                       cairn_delivery_status_fn fn,
                                                                       void* user_data);

/* ---------------------------------------------------------------- client */

typedef struct cairn_client cairn_client;

/* Starts a client: loads consent, reopens the buffer, starts the threads
 * (see cairn::Client::Create). The options are copied and may be freed
 * after. On failure *out is NULL and the code says why: INVALID_ARGUMENT
 * for bad options, FAILED_PRECONDITION when another client holds the
 * storage directory, the storage error otherwise. */
CAIRN_API cairn_status_code cairn_client_create(const cairn_options* options, cairn_client** out);

/* Shuts down (with the options' shutdown_timeout, if cairn_client_shutdown
 * was not called) and frees the client. NULL is ignored. Must be the last
 * call on this client; no other thread may be inside a call on it. */
CAIRN_API void cairn_client_destroy(cairn_client* client);

/* Stops recording, tries to deliver until timeout_ms, stops the threads.
 * Later calls return the first call's result; record calls after it return
 * FAILED_PRECONDITION. Undelivered events stay on the device. */
CAIRN_API cairn_status_code cairn_client_shutdown(cairn_client* client, int64_t timeout_ms);

/* Waits up to timeout_ms until everything recorded before is durable and
 * acknowledged: OK; UNAVAILABLE (durable, delivery failed and goes on);
 * PERMISSION_DENIED (write key refused); DEADLINE_EXCEEDED. */
CAIRN_API cairn_status_code cairn_client_flush(cairn_client* client, int64_t timeout_ms);

/* The app saw connectivity come back: retry now (rate-limited). Cheap;
 * never blocks. */
CAIRN_API cairn_status_code cairn_client_on_network_available(cairn_client* client);

/* ---------------------------------------------------------------- consent */

/* A consent decision as the user made it. Set struct_size to
 * sizeof(cairn_consent_request) (cairn_consent_request_init does, and
 * zeroes the rest). account_id, user_id, purpose, decision (GRANTED or
 * DENIED) and policy_version are required; the other strings may be NULL;
 * the times are Unix ms, 0 for none. grant_signature and signed_at_ms go
 * together (a vendor-signed grant that lifts a renewal opt-out). */
typedef struct cairn_consent_request {
  size_t struct_size;
  const char* account_id;
  const char* user_id;
  cairn_purpose purpose;
  cairn_decision decision;
  const char* policy_id;
  const char* policy_version;
  const char* source_surface;
  int64_t expires_at_ms;
  const char* grant_signature;
  int64_t signed_at_ms;
} cairn_consent_request;

/* Zeroes *request and sets its struct_size. */
CAIRN_API void cairn_consent_request_init(cairn_consent_request* request);

/* Records the decision durably before returning; a withdrawal deletes that
 * user's unsent events of the purpose. Cost: one SQLite commit. */
CAIRN_API cairn_status_code cairn_set_consent(cairn_client* client,
                                              const cairn_consent_request* request);

/* The renewal-notification choice (allowed 0 is the user's opt-out).
 * source_surface may be NULL ("settings"). */
CAIRN_API cairn_status_code cairn_set_renewal_notifications(cairn_client* client,
                                                            const char* account_id,
                                                            const char* user_id, int allowed,
                                                            const char* policy_version,
                                                            const char* source_surface);

/* The user's decision for the purpose now. Cheap: a hash lookup. */
CAIRN_API cairn_status_code cairn_get_consent(const cairn_client* client, const char* user_id,
                                              cairn_purpose purpose, cairn_decision* out);

/* One purpose's decision as a consent switch shows it. */
typedef struct cairn_consent_choice {
  cairn_purpose purpose;
  cairn_decision decision;
  const char* policy_version; /* "" when never asked; owned by the list */
  int64_t decided_at_ms;      /* 0 when never asked */
  int64_t expires_at_ms;      /* 0 when the grant has no end */
} cairn_consent_choice;

typedef struct cairn_consent_choices {
  size_t count;
  const cairn_consent_choice* items; /* in display order */
} cairn_consent_choices;

/* Every consentable purpose's decision for the user. Free the list with
 * cairn_consent_choices_free. */
CAIRN_API cairn_status_code cairn_get_consent_choices(const cairn_client* client,
                                                      const char* user_id,
                                                      cairn_consent_choices** out);
CAIRN_API void cairn_consent_choices_free(cairn_consent_choices* choices);

/* ---------------------------------------------------------------- records */

/* A vendor attribute of a milestone (kept only if allow-listed). */
typedef struct cairn_attribute {
  const char* key;
  const char* value;
} cairn_attribute;

/* The user signed in (method may be NULL): starts a session. */
CAIRN_API cairn_status_code cairn_record_login(cairn_client* client, const char* account_id,
                                               const char* user_id, const char* method);
/* The user signed out: ends the session, clears the identity. */
CAIRN_API cairn_status_code cairn_record_logout(cairn_client* client);
/* The session ended without a logout (e.g. the app closes). */
CAIRN_API cairn_status_code cairn_record_session_end(cairn_client* client);
/* The signed-in user reached a milestone; value only if has_value is not 0;
 * attributes may be NULL when attribute_count is 0. Cost: about a
 * microsecond (serialise and queue; no IO on the caller's thread). */
CAIRN_API cairn_status_code cairn_record_milestone(cairn_client* client, const char* name,
                                                   int has_value, double value,
                                                   const cairn_attribute* attributes,
                                                   size_t attribute_count);

/* The signed-in user answered an in-app survey: kind a cairn_feedback_kind
 * (an int, so any number a binding passes is defined and refused if
 * unknown), an NPS score (0-10) or a CSAT score (1-5). comment (at most 500 bytes of UTF-8,
 * personal data) and survey_id ([A-Za-z0-9_.:-], 1-128 bytes) may be NULL. Needs consent for
 * CAIRN_PURPOSE_FEEDBACK (CAIRN_PERMISSION_DENIED without it). A kind,
 * score, comment or survey id out of bounds is CAIRN_INVALID_ARGUMENT and
 * nothing is recorded. Cost: like cairn_record_milestone. */
CAIRN_API cairn_status_code cairn_record_feedback(cairn_client* client, int kind, int score,
                                                  const char* comment, const char* survey_id);

/* ------------------------------------------------------------ local data */

/* Frees a string the library returned. NULL is ignored. */
CAIRN_API void cairn_string_free(char* s);

/* Everything the device holds about the user, as JSON (cairn::Client::
 * ExportLocalData). *out is a new string, *length its size (length may be
 * NULL). Cost: a scan of the buffer. */
CAIRN_API cairn_status_code cairn_export_local_data(cairn_client* client, const char* user_id,
                                                    char** out, size_t* length);

/* Deletes the user's unsent events on the device (consent records stay). */
CAIRN_API cairn_status_code cairn_erase_local_data(cairn_client* client, const char* user_id);

/* The user id as stored and sent (the HMAC when pseudonymisation is on),
 * what the collector's admin API needs. A new string in *out. */
CAIRN_API cairn_status_code cairn_wire_user_id(const cairn_client* client, const char* user_id,
                                               char** out);

/* ------------------------------------------------------------------ stats */

/* The SDK's counters (cairn::Stats). Set struct_size to sizeof(cairn_stats)
 * (cairn_stats_init does). */
typedef struct cairn_stats {
  size_t struct_size;
  uint64_t recorded;
  uint64_t refused_no_consent;
  uint64_t refused_invalid;
  uint64_t refused_no_session;
  uint64_t refused_shut_down;
  uint64_t refused_storage;
  uint64_t durable_timeouts;
  uint64_t persisted;
  uint64_t sent;
  uint64_t acknowledged;
  uint64_t duplicates;
  uint64_t retries;
  uint64_t batches_acknowledged;
  uint64_t consent_changes_pending;
  uint64_t erased;
  uint64_t buffered_rows;
  uint64_t buffered_bytes;
  uint64_t dropped[CAIRN_DROP_REASON_SLOTS]; /* by cairn_drop_reason */
  char last_error[256];                      /* truncated; "" if none */
} cairn_stats;

/* Zeroes *stats and sets its struct_size. */
CAIRN_API void cairn_stats_init(cairn_stats* stats);

/* Fills *out (up to out->struct_size). Cheap: atomic loads and a lock. */
CAIRN_API cairn_status_code cairn_get_stats(const cairn_client* client, cairn_stats* out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAIRN_CAIRN_H_ */
