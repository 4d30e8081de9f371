#ifndef CAIRN_COLLECTOR_APP_FLAGS_H_
#define CAIRN_COLLECTOR_APP_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "app/config.h"

namespace cairn::collector {

// Makes --help list the collector's flags (absl's default looks for a file
// named after the program).
void ConfigureFlagUsage();

// The --db flag ("" when not given).
std::string DbFlag();

// The config the parsed flags describe: bounds checked, key files and
// secrets read, combinations refused (both --write-key and a key file, an
// admin token equal to a write key, a webhook without a secret, ...).
// Fails with InvalidArgument or NotFound naming the flag; the caller exits
// with kExitUsage. Cost: reads the key and secret files.
absl::StatusOr<CollectorConfig> ConfigFromFlags();

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_APP_FLAGS_H_
