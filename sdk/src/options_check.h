#ifndef CAIRN_SDK_OPTIONS_CHECK_H_
#define CAIRN_SDK_OPTIONS_CHECK_H_

#include <string>

#include "absl/status/status.h"
#include "cairn/options.h"

namespace cairn::sdk {

// InvalidArgument naming the first problem with `options` (missing URL, key
// or directory, http:// to a non-loopback host, bounds that are zero, a bad
// backoff range, an allowlist over its bounds, soft opt-in without a policy
// version). Pure: no file or network access; cost linear in the allowlist.
absl::Status ValidateOptions(const Options& options);

// Where a client talks to and keeps its files, derived from valid Options.
struct ClientPaths {
  std::string endpoint;      // <collector_url>/v1/batch
  std::string buffer_path;   // <storage_dir>/cairn-buffer.db
  std::string consent_path;  // <storage_dir>/consent.db
};

// Builds the paths; creates nothing. Cost: a few string copies.
ClientPaths ResolvePaths(const Options& options);

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_OPTIONS_CHECK_H_
