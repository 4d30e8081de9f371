#include "collector_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/sqlite.h"
#include "child_process.h"
#include "gtest/gtest.h"

namespace cairn::testing {
namespace {

constexpr std::string_view kListeningPrefix = "cairn-collector listening on ";
constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kStopTimeout = std::chrono::seconds(10);

#ifdef CAIRN_COLLECTOR_BINARY
constexpr const char* kBinary = CAIRN_COLLECTOR_BINARY;
#else
constexpr const char* kBinary = nullptr;
#endif

// Reads stdout until a whole line is there or the deadline passes.
absl::StatusOr<std::string> ReadFirstLine(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string data;
  while (data.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("collector did not start in time");
    pollfd pfd{fd, POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[256];
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::FailedPreconditionError("collector exited before listening");
    data.append(buffer, static_cast<size_t>(n));
  }
  return data.substr(0, data.find('\n'));
}

}  // namespace

std::string CollectorBinaryPath() { return kBinary == nullptr ? "" : kBinary; }

absl::StatusOr<std::unique_ptr<CollectorProcess>> CollectorProcess::Start(
    const CollectorProcessOptions& options) {
  if (kBinary == nullptr) return absl::FailedPreconditionError("built without cairn-collector");
  std::vector<std::string> args = {kBinary, absl::StrCat("--listen=127.0.0.1:", options.port),
                                   absl::StrCat("--db=", options.db_path)};
  if (!options.write_key.empty()) args.push_back(absl::StrCat("--write-key=", options.write_key));
  if (!options.admin_token.empty()) {
    args.push_back(absl::StrCat("--admin-token=", options.admin_token));
  }
  args.insert(args.end(), options.extra_flags.begin(), options.extra_flags.end());
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
  SpawnOptions spawn;
  spawn.stdout_fd = pipe_fds[1];
  absl::StatusOr<pid_t> pid = SpawnChild(std::move(args), spawn);
  close(pipe_fds[1]);
  if (!pid.ok()) {
    close(pipe_fds[0]);
    return pid.status();
  }
  std::unique_ptr<CollectorProcess> process(new CollectorProcess(*pid, pipe_fds[0], 0));

  absl::StatusOr<std::string> line =
      ReadFirstLine(pipe_fds[0], std::chrono::steady_clock::now() + kStartTimeout);
  if (!line.ok()) return line.status();  // the destructor stops the child
  int port = 0;
  size_t colon = line->rfind(':');
  if (line->rfind(kListeningPrefix, 0) != 0 || colon == std::string::npos ||
      !absl::SimpleAtoi(line->substr(colon + 1), &port) || port <= 0 || port > 65535) {
    return absl::InternalError(absl::StrCat("unexpected first line: ", *line));
  }
  process->port_ = port;
  return process;
}

CollectorProcess::~CollectorProcess() {
  if (pid_ > 0) Reap(SIGTERM);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::string CollectorProcess::base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }

int CollectorProcess::Reap(int signal_first) {
  int status = StopChild(pid_, signal_first, kStopTimeout);
  pid_ = -1;
  return status;
}

absl::Status CollectorProcess::Stop() {
  int status = Reap(SIGTERM);
  if (status < 0) return absl::FailedPreconditionError("collector was not running");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  if (WIFSIGNALED(status)) {
    return absl::InternalError(absl::StrCat("collector died of signal ", WTERMSIG(status)));
  }
  return absl::InternalError(absl::StrCat("collector exited with ", WEXITSTATUS(status)));
}

void CollectorProcess::Kill() { Reap(SIGKILL); }

std::map<std::string, int> StoredEventIds(const std::string& db_path) {
  std::map<std::string, int> ids;
  auto db = sqlite::Database::Open(db_path);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return ids;
  auto stmt = (*db)->Prepare("SELECT event_id FROM events WHERE kind != 'consent_change'");
  EXPECT_TRUE(stmt.ok()) << stmt.status();
  while (stmt.ok()) {
    auto row = stmt->Step();
    EXPECT_TRUE(row.ok()) << row.status();
    if (!row.ok() || !*row) break;
    ++ids[std::string(stmt->ColumnText(0))];
  }
  return ids;
}

int64_t SqliteQueryInt(const std::string& db_path, const std::string& sql) {
  auto db = sqlite::Database::Open(db_path, {.read_only = true});
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return -1;
  auto stmt = (*db)->Prepare(sql);
  EXPECT_TRUE(stmt.ok()) << stmt.status();
  if (!stmt.ok()) return -1;
  auto row = stmt->Step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  if (!row.ok() || !*row) return -1;
  return stmt->ColumnInt(0);
}

}  // namespace cairn::testing
