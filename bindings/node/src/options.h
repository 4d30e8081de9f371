// Builds the C API's cairn_options from the JS options object of
// `new Client({...})`: the names are the C++ cairn::Options fields in
// camelCase (see index.d.ts).
#ifndef CAIRN_BINDINGS_NODE_OPTIONS_H_
#define CAIRN_BINDINGS_NODE_OPTIONS_H_

#include <node_api.h>

#include "cairn/cairn.h"

namespace cairn_node {

// Copies every option present in `js` into `out` (which holds the defaults).
// A grouped C setter (e.g. queue capacity, policy and timeout) gets the
// defaults of cairn::Options for the fields left out. On a wrong type or a
// value the C API refuses, throws CairnError INVALID_ARGUMENT and returns
// false. The delivery-status callback is not handled here (see client.cc).
bool BuildOptions(napi_env env, napi_value js, cairn_options* out);

}  // namespace cairn_node

#endif  // CAIRN_BINDINGS_NODE_OPTIONS_H_
