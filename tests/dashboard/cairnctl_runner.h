#ifndef CAIRN_TESTS_DASHBOARD_CAIRNCTL_RUNNER_H_
#define CAIRN_TESTS_DASHBOARD_CAIRNCTL_RUNNER_H_

#include <string>
#include <vector>

#include "temp_dir.h"

namespace cairn::testing {

// What one cairnctl run did.
struct CtlRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] the binary) with stdout and stderr captured in files
// of `dir`, waiting up to 60 s (then kills it and fails the test).
CtlRun RunCairnctl(const std::vector<std::string>& argv, const TempDir& dir);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_DASHBOARD_CAIRNCTL_RUNNER_H_
