#ifndef CAIRN_SDK_DEVICE_LOCAL_DATA_H_
#define CAIRN_SDK_DEVICE_LOCAL_DATA_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cairn/options.h"
#include "sdk/src/counters.h"
#include "sdk/src/device/consent_gate.h"
#include "sdk/src/device/consent_keeper.h"
#include "sdk/src/device/writer.h"

namespace cairn::sdk {

// The user's rights over what the device holds: export (Art. 15, 20) and
// erasure (Art. 17) of their events and consent records. Owns no state and
// no lock of its own: each call holds the consent keeper's decision lock
// throughout (first in the lock order), so no decision interleaves, then
// takes the writer's write lock inside the writer. Caller threads.
class LocalData {
 public:
  // Everything passed must outlive this.
  LocalData(const Options& options, ConsentKeeper& keeper, ConsentGate& gate, Writer& writer,
            Counters& counters)
      : options_(options), keeper_(keeper), gate_(gate), writer_(writer), counters_(counters) {}

  // Client::ExportLocalData (see there for the JSON). Cost: a read of
  // consent.db and a scan of the buffer. Fails with the storage error,
  // DataLoss for an unreadable buffered event.
  absl::StatusOr<std::string> Export(std::string_view user_id);
  // Client::EraseLocalData: deletes the user's unsent events, queued and
  // buffered (counted in Stats::erased); consent records stay. Cost: a scan
  // of the buffer. Fails with the storage error.
  absl::Status Erase(std::string_view user_id);

 private:
  const Options& options_;
  ConsentKeeper& keeper_;
  ConsentGate& gate_;
  Writer& writer_;
  Counters& counters_;
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_DEVICE_LOCAL_DATA_H_
