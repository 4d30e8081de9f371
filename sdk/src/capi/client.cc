// cairn_client: creating, flushing, shutting down and destroying a client.
#include <memory>
#include <utility>

#include "sdk/src/capi/capi_internal.h"

using cairn::capi::FromStatus;
using cairn::capi::Guard;
using cairn::capi::Invalid;
using cairn::capi::Ok;

namespace {

// Runs `call` on the client with the deadline timeout_ms from now, once the
// handle and the timeout are checked.
template <typename Call>
cairn_status_code WithDeadline(cairn_client* client, int64_t timeout_ms, Call&& call) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    const auto deadline = cairn::capi::DeadlineIn(timeout_ms, "timeout_ms is negative");
    if (!deadline) return CAIRN_INVALID_ARGUMENT;
    return FromStatus(call(*client->client, *deadline));
  });
}

}  // namespace

extern "C" {

cairn_status_code cairn_client_create(const cairn_options* options, cairn_client** out) {
  return Guard([&]() -> cairn_status_code {
    if (out == nullptr) return Invalid("out is NULL");
    *out = nullptr;
    if (options == nullptr) return Invalid("options is NULL");
    auto handle = std::make_unique<cairn_client>();
    absl::StatusOr<std::unique_ptr<cairn::Client>> client = cairn::Client::Create(options->options);
    if (!client.ok()) return FromStatus(client.status());
    handle->client = *std::move(client);
    *out = handle.release();
    return Ok();
  });
}

void cairn_client_destroy(cairn_client* client) {
  // The destructor shuts down with the options' shutdown_timeout; it throws
  // nothing, and nothing else here allocates.
  delete client;
}

cairn_status_code cairn_client_shutdown(cairn_client* client, int64_t timeout_ms) {
  return WithDeadline(client, timeout_ms,
                      [](cairn::Client& c, absl::Time deadline) { return c.Shutdown(deadline); });
}

cairn_status_code cairn_client_flush(cairn_client* client, int64_t timeout_ms) {
  return WithDeadline(client, timeout_ms,
                      [](cairn::Client& c, absl::Time deadline) { return c.Flush(deadline); });
}

cairn_status_code cairn_client_on_network_available(cairn_client* client) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    client->client->OnNetworkAvailable();
    return Ok();
  });
}

}  // extern "C"
