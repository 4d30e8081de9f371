#ifndef CAIRN_SDK_DEVICE_QUARANTINE_H_
#define CAIRN_SDK_DEVICE_QUARANTINE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sdk/src/device/event_buffer.h"

namespace cairn::sdk {

// Renames the SQLite file at `path` (with its -wal and -shm) to
// <path>.corrupt-<unix ms of now>, so a damaged file never blocks the app,
// and removes all but the newest two such copies so they never pile up.
// Best effort: a file that cannot be renamed is removed. Cost: a directory scan.
void MoveAside(const std::string& path, absl::Time now);

// Opens the event buffer at `path`; a damaged file (DataLoss) is moved
// aside, counted in `quarantined`, and a fresh one started, so the app keeps
// working. Cost: a full read of the file (Check). Fails with any other
// storage error.
absl::StatusOr<std::unique_ptr<EventBuffer>> OpenOrQuarantine(const std::string& path,
                                                              uint64_t max_file_bytes,
                                                              uint64_t& quarantined);

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_DEVICE_QUARANTINE_H_
