#include "client.h"

#include <string>

#include "napi_util.h"
#include "options.h"

namespace cairn_node {
namespace {

// Marks the Externals this addon made, so a foreign External passed as a
// handle is refused instead of being read as a ClientBox.
constexpr napi_type_tag kClientTag = {0x636169726e6f6465ULL, 0x636c69656e743031ULL};

// Pending delivery-status callbacks beyond this are dropped (the JS thread
// is busy; stats() still counts what happened).
constexpr size_t kMaxQueuedStatuses = 64;

// A copy of cairn_delivery_status that outlives the SDK's callback.
struct DeliveryStatus {
  int code = 0;
  std::string message;
  int http_status = 0;
  uint64_t buffered_rows = 0;
  int64_t next_attempt_in_ms = 0;
};

// On the SDK's delivery thread: queue a copy for the JS thread. Never
// blocks (a full queue drops the status).
void OnDeliveryStatus(void* user_data, const cairn_delivery_status* status) {
  auto* box = static_cast<ClientBox*>(user_data);
  std::lock_guard<std::mutex> lock(box->tsfn_mu);
  if (box->tsfn == nullptr) return;
  auto* copy =
      new DeliveryStatus{status->code, status->message != nullptr ? status->message : "",
                         status->http_status, status->buffered_rows, status->next_attempt_in_ms};
  if (napi_call_threadsafe_function(box->tsfn, copy, napi_tsfn_nonblocking) != napi_ok) {
    delete copy;
  }
}

// On the JS thread: onDeliveryStatus({code, message, httpStatus,
// bufferedRows, nextAttemptInMs}). env is null while the function is being
// torn down; then only the copy is freed.
void CallDeliveryStatus(napi_env env, napi_value js_callback, void*, void* data) {
  auto* status = static_cast<DeliveryStatus*>(data);
  napi_value object = nullptr, undefined = nullptr;
  if (env != nullptr && js_callback != nullptr && napi_create_object(env, &object) == napi_ok &&
      napi_get_undefined(env, &undefined) == napi_ok &&
      SetString(env, object, "code", cairn_status_code_name(status->code)) &&
      SetString(env, object, "message", status->message.c_str()) &&
      SetNumber(env, object, "httpStatus", status->http_status) &&
      SetNumber(env, object, "bufferedRows", static_cast<double>(status->buffered_rows)) &&
      SetNumber(env, object, "nextAttemptInMs", static_cast<double>(status->next_attempt_in_ms))) {
    // An exception thrown by the app's callback surfaces as Node's
    // uncaughtException, like any other callback's.
    napi_call_function(env, undefined, js_callback, 1, &object, nullptr);
  }
  delete status;
}

// Stops further delivery-status calls; with `release`, gives the function
// back to Node (not during environment teardown, when Node frees it).
void DetachCallback(ClientBox* box, bool release) {
  napi_threadsafe_function tsfn = nullptr;
  {
    std::lock_guard<std::mutex> lock(box->tsfn_mu);
    tsfn = box->tsfn;
    box->tsfn = nullptr;
  }
  if (tsfn != nullptr && release) napi_release_threadsafe_function(tsfn, napi_tsfn_release);
}

// Destroys the client unless a worker is inside a call on it (then, at
// environment teardown only, it is left to the process's exit).
void DestroyClient(ClientBox* box) {
  if (box->client == nullptr || box->in_flight > 0) return;
  // Bounded by the options' shutdown_timeout when the app never called
  // shutdown(); immediate after it.
  cairn_client_destroy(box->client);
  box->client = nullptr;
}

// The environment is ending (process exit, worker termination): stop the
// callback before Node frees the thread-safe function (this hook was added
// after it, so it runs first) and shut the client down.
void OnEnvCleanup(void* arg) {
  auto* box = static_cast<ClientBox*>(arg);
  box->cleanup_hook = false;
  DetachCallback(box, /*release=*/false);
  DestroyClient(box);
}

// The JS Client was collected without being needed any more (or the
// environment ended): the app forgot shutdown(), or did it and dropped it.
void FinalizeClient(napi_env env, void* data, void*) {
  auto* box = static_cast<ClientBox*>(data);
  if (box->cleanup_hook) napi_remove_env_cleanup_hook(env, OnEnvCleanup, box);
  DetachCallback(box, /*release=*/true);
  DestroyClient(box);
  if (box->client == nullptr) delete box;
}

bool MakeCallback(napi_env env, napi_value callback, ClientBox* box, cairn_options* options) {
  if (IsNullish(env, callback)) return true;
  napi_valuetype type = napi_undefined;
  napi_value name = nullptr;
  if (napi_typeof(env, callback, &type) != napi_ok || type != napi_function) {
    Throw(env, CAIRN_INVALID_ARGUMENT, "onDeliveryStatus must be a function");
    return false;
  }
  if (napi_create_string_utf8(env, "cairn.onDeliveryStatus", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, callback, nullptr, name, kMaxQueuedStatuses, 1, nullptr,
                                      nullptr, box, CallDeliveryStatus, &box->tsfn) != napi_ok) {
    Throw(env, CAIRN_INTERNAL, "cannot create the delivery-status callback");
    return false;
  }
  // Telemetry must never be what keeps an app's process alive.
  napi_unref_threadsafe_function(env, box->tsfn);
  return Check(env, cairn_options_set_delivery_status_callback(options, OnDeliveryStatus, box));
}

// One flush or shutdown on a worker thread.
struct Pending {
  ClientBox* box = nullptr;
  bool shutdown = false;
  int64_t timeout_ms = 0;
  napi_ref handle = nullptr;  // keeps the External (and the client) alive
  napi_deferred deferred = nullptr;
  napi_async_work work = nullptr;
  cairn_status_code code = CAIRN_OK;
  std::string message;
};

void RunPending(napi_env, void* data) {
  auto* p = static_cast<Pending*>(data);
  p->code = p->shutdown ? cairn_client_shutdown(p->box->client, p->timeout_ms)
                        : cairn_client_flush(p->box->client, p->timeout_ms);
  if (p->code != CAIRN_OK) p->message = cairn_last_error_message();
}

void FinishPending(napi_env env, napi_status, void* data) {
  auto* p = static_cast<Pending*>(data);
  --p->box->in_flight;
  // The SDK's threads are stopped: no more delivery-status calls can come.
  if (p->shutdown) DetachCallback(p->box, /*release=*/true);
  if (p->code == CAIRN_OK) {
    napi_value undefined = nullptr;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, p->deferred, undefined);
  } else {
    napi_value error = MakeError(env, p->code, p->message.c_str());
    if (error != nullptr) napi_reject_deferred(env, p->deferred, error);
  }
  napi_delete_reference(env, p->handle);
  napi_delete_async_work(env, p->work);
  delete p;
}

napi_value StartPending(napi_env env, napi_callback_info info, bool shutdown) {
  napi_value argv[2] = {nullptr, nullptr};
  if (!Args(env, info, 2, argv)) return nullptr;
  ClientBox* box = Unwrap(env, argv[0]);
  double timeout = 0;
  if (box == nullptr || !GetNumber(env, argv[1], "timeoutMs", &timeout)) return nullptr;
  if (timeout < 0) return Throw(env, CAIRN_INVALID_ARGUMENT, "timeoutMs must not be negative");
  auto* p = new Pending;
  p->box = box;
  p->shutdown = shutdown;
  p->timeout_ms = static_cast<int64_t>(timeout);
  napi_value promise = nullptr, name = nullptr;
  if (napi_create_promise(env, &p->deferred, &promise) != napi_ok ||
      napi_create_reference(env, argv[0], 1, &p->handle) != napi_ok ||
      napi_create_string_utf8(env, shutdown ? "cairn.shutdown" : "cairn.flush", NAPI_AUTO_LENGTH,
                              &name) != napi_ok ||
      napi_create_async_work(env, nullptr, name, RunPending, FinishPending, p, &p->work) !=
          napi_ok ||
      napi_queue_async_work(env, p->work) != napi_ok) {
    // The promise (if any) is left unsettled and unreachable: the throw wins.
    if (p->work != nullptr) napi_delete_async_work(env, p->work);
    if (p->handle != nullptr) napi_delete_reference(env, p->handle);
    delete p;
    return Throw(env, CAIRN_INTERNAL, "cannot start the worker");
  }
  ++box->in_flight;
  return promise;
}

}  // namespace

ClientBox* Unwrap(napi_env env, napi_value handle) {
  bool tagged = false;
  void* data = nullptr;
  if (handle == nullptr ||
      napi_check_object_type_tag(env, handle, &kClientTag, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, handle, &data) != napi_ok || data == nullptr) {
    Throw(env, CAIRN_INVALID_ARGUMENT, "not a Cairn client handle");
    return nullptr;
  }
  return static_cast<ClientBox*>(data);
}

napi_value CreateClient(napi_env env, napi_callback_info info) {
  napi_value argv[2] = {nullptr, nullptr};
  if (!Args(env, info, 2, argv)) return nullptr;
  cairn_options* options = cairn_options_new();
  if (options == nullptr) return Throw(env, CAIRN_RESOURCE_EXHAUSTED, "out of memory");
  auto* box = new ClientBox;
  box->env = env;
  bool ok = BuildOptions(env, argv[0], options) && MakeCallback(env, argv[1], box, options) &&
            Check(env, cairn_client_create(options, &box->client));
  cairn_options_free(options);
  napi_value handle = nullptr;
  if (ok && (napi_create_external(env, box, FinalizeClient, nullptr, &handle) != napi_ok ||
             napi_type_tag_object(env, handle, &kClientTag) != napi_ok)) {
    // Without a finalizer the client would never be destroyed: undo it now.
    Throw(env, CAIRN_INTERNAL, "cannot create the client handle");
    if (handle == nullptr) {
      DetachCallback(box, /*release=*/true);
      DestroyClient(box);
      delete box;
    }
    return nullptr;
  }
  if (!ok) {
    DetachCallback(box, /*release=*/true);
    DestroyClient(box);
    delete box;
    return nullptr;
  }
  box->cleanup_hook = napi_add_env_cleanup_hook(env, OnEnvCleanup, box) == napi_ok;
  return handle;
}

napi_value Flush(napi_env env, napi_callback_info info) { return StartPending(env, info, false); }

napi_value Shutdown(napi_env env, napi_callback_info info) { return StartPending(env, info, true); }

}  // namespace cairn_node
