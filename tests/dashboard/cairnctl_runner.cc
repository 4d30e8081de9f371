#include "cairnctl_runner.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>

#include "child_process.h"
#include "gtest/gtest.h"

namespace cairn::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

CtlRun RunCairnctl(const std::vector<std::string>& argv, const TempDir& dir) {
  std::string out_path = dir.File("out.txt");
  std::string err_path = dir.File("err.txt");
  int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  SpawnOptions options;
  options.stdout_fd = out;
  options.stderr_fd = err;
  absl::StatusOr<pid_t> pid = SpawnChild(argv, options);
  ::close(out);
  ::close(err);
  CtlRun run;
  if (!pid.ok()) {
    ADD_FAILURE() << pid.status();
    return run;
  }
  std::optional<int> status =
      WaitChildUntil(*pid, std::chrono::steady_clock::now() + std::chrono::seconds(60));
  if (!status) {
    StopChild(*pid, SIGKILL, std::chrono::seconds(1));
    ADD_FAILURE() << "cairnctl hung";
    return run;
  }
  run.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  return run;
}

}  // namespace cairn::testing
