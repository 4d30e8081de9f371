// cairn_get_stats: the counters, written no further than the caller's struct.
#include <algorithm>
#include <cstring>

#include "sdk/src/capi/capi_internal.h"

using cairn::capi::Guard;
using cairn::capi::Invalid;
using cairn::capi::Ok;

extern "C" {

void cairn_stats_init(cairn_stats* stats) {
  if (stats == nullptr) return;
  std::memset(stats, 0, sizeof(*stats));
  stats->struct_size = sizeof(*stats);
}

cairn_status_code cairn_get_stats(const cairn_client* client, cairn_stats* out) {
  return Guard([&]() -> cairn_status_code {
    if (client == nullptr) return Invalid("client is NULL");
    if (out == nullptr) return Invalid("out is NULL");
    const size_t size = out->struct_size;
    if (size < sizeof(out->struct_size)) {
      return Invalid("stats struct_size is too small: set it with cairn_stats_init");
    }
    const cairn::Stats s = client->client->GetStats();
    cairn_stats full;
    cairn_stats_init(&full);
    full.recorded = s.recorded;
    full.refused_no_consent = s.refused_no_consent;
    full.refused_invalid = s.refused_invalid;
    full.refused_no_session = s.refused_no_session;
    full.refused_shut_down = s.refused_shut_down;
    full.refused_storage = s.refused_storage;
    full.durable_timeouts = s.durable_timeouts;
    full.persisted = s.persisted;
    full.sent = s.sent;
    full.acknowledged = s.acknowledged;
    full.duplicates = s.duplicates;
    full.retries = s.retries;
    full.batches_acknowledged = s.batches_acknowledged;
    full.consent_changes_pending = s.consent_changes_pending;
    full.erased = s.erased;
    full.buffered_rows = s.buffered_rows;
    full.buffered_bytes = s.buffered_bytes;
    for (const auto& [reason, count] : s.dropped) {
      const int slot = static_cast<int>(reason);
      if (slot > 0 && slot < CAIRN_DROP_REASON_SLOTS) full.dropped[slot] = count;
    }
    const size_t n = std::min(s.last_error.size(), sizeof(full.last_error) - 1);
    std::memcpy(full.last_error, s.last_error.data(), n);
    full.last_error[n] = '\0';

    // Everything after struct_size, up to the caller's size: an older
    // caller's struct ends sooner and is written no further.
    const size_t head = sizeof(out->struct_size);
    const size_t end = std::min(size, sizeof(full));
    std::memcpy(reinterpret_cast<char*>(out) + head, reinterpret_cast<const char*>(&full) + head,
                end - head);
    // A struct cut inside last_error still gets a terminated string.
    constexpr size_t kTextStart = offsetof(cairn_stats, last_error);
    if (end > kTextStart && end < sizeof(full)) reinterpret_cast<char*>(out)[end - 1] = '\0';
    return Ok();
  });
}

}  // extern "C"
