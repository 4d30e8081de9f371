#ifndef CAIRN_TESTS_SUPPORT_CHILD_PROCESS_H_
#define CAIRN_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cairn::testing {

// How SpawnChild starts a server process for a test.
struct SpawnOptions {
  // Where the child's stdout and stderr go (-1: inherited from the test).
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Working directory ("" keeps the test's).
  std::string cwd;
  // Run as this uid/gid (servers that refuse root, e.g. PostgreSQL).
  std::optional<std::pair<uid_t, gid_t>> run_as;
};

// Starts `args[0]` with `args` (an absolute path: no PATH search), stdin from
// /dev/null, all signals unblocked. The child gets SIGKILL if the test
// process dies (PR_SET_PDEATHSIG), so a crashed test leaves no server
// behind. The fds in `options` are dup'ed into the child; the caller keeps
// and closes its own. Cost: one fork and exec. InternalError if fork fails;
// a failed exec shows as exit status 127.
absl::StatusOr<pid_t> SpawnChild(std::vector<std::string> args, const SpawnOptions& options = {});

// Waits for `pid` to exit until `deadline`: its wait status, -1 if it was not
// our child, or nullopt if it still runs. Polls; bounds a wait, asserts no
// timing.
std::optional<int> WaitChildUntil(pid_t pid, std::chrono::steady_clock::time_point deadline);

// Sends `signal`, waits up to `timeout`, then SIGKILLs and reaps. Returns the
// wait status, or -1 if `pid` was not our child.
int StopChild(pid_t pid, int signal, std::chrono::steady_clock::duration timeout);

// A port the kernel just handed out on 127.0.0.1. Another process may take it
// before the server binds it: callers retry on a failed bind.
absl::StatusOr<int> FreeLoopbackPort();

// A socket listening on 127.0.0.1 at a port the kernel picks, for a fake
// server in a test: returns its fd (the caller closes it) and sets `*port`;
// -1 (and `*port` 0) if socket, bind or listen fails.
int ListenOnLoopback(int backlog, int* port);

// True if something accepts TCP connections on 127.0.0.1:`port`.
bool AcceptsOnLoopback(int port);

// What a shell command wrote to stdout, and how it ended.
struct ShellResult {
  std::string output;
  // As pclose returns it (a wait status).
  int wait_status = -1;
  // The exit code, or -1 if the command did not exit normally.
  int exit_code() const;
};

// Runs `command` through /bin/sh and reads its stdout until it ends; blocks
// as long as the command runs (bound it with `timeout` where it might not
// end). InternalError if the shell cannot be started.
absl::StatusOr<ShellResult> RunShell(const std::string& command);

// The last `max_bytes` of a (log) file, for error messages; "" if unreadable.
std::string FileTail(const std::string& path, size_t max_bytes = 2000);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_CHILD_PROCESS_H_
