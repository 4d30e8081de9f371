// The native side of a JS Client: one cairn_client behind a type-tagged
// napi External, its delivery-status thread-safe function, and the flush and
// shutdown promises run on libuv's worker threads.
#ifndef CAIRN_BINDINGS_NODE_CLIENT_H_
#define CAIRN_BINDINGS_NODE_CLIENT_H_

#include <node_api.h>

#include <mutex>

#include "cairn/cairn.h"

namespace cairn_node {

// Owns the cairn_client of one JS Client. Lives until the External's
// finalizer (the JS object was collected, or the environment ends).
struct ClientBox {
  cairn_client* client = nullptr;
  // Guards tsfn against the SDK's delivery thread, which may call back at
  // any time until the client is shut down.
  std::mutex tsfn_mu;
  napi_threadsafe_function tsfn = nullptr;
  // JS thread only: flush/shutdown workers inside a cairn call right now.
  int in_flight = 0;
  bool cleanup_hook = false;
  napi_env env = nullptr;
};

// The ClientBox behind a handle; throws CairnError INVALID_ARGUMENT and
// returns nullptr for anything that is not a live client handle.
ClientBox* Unwrap(napi_env env, napi_value handle);

// createClient(options, onDeliveryStatus?) -> handle. Starts the client
// (cairn_client_create: loads consent, starts the threads); throws
// CairnError when the options or the storage directory are refused.
napi_value CreateClient(napi_env env, napi_callback_info info);

// flush(handle, timeoutMs) / shutdown(handle, timeoutMs) -> Promise. The
// cairn call runs on a libuv worker thread, so the event loop never waits;
// the promise rejects with CairnError when the call does not return OK.
// Shutdown releases the delivery-status callback once the SDK's threads
// have stopped, so it no longer keeps anything alive.
napi_value Flush(napi_env env, napi_callback_info info);
napi_value Shutdown(napi_env env, napi_callback_info info);

}  // namespace cairn_node

#endif  // CAIRN_BINDINGS_NODE_CLIENT_H_
