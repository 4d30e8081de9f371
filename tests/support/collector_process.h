#ifndef CAIRN_TESTS_SUPPORT_COLLECTOR_PROCESS_H_
#define CAIRN_TESTS_SUPPORT_COLLECTOR_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cairn::testing {

struct CollectorProcessOptions {
  // --db: a SQLite file, or any other --db value (postgresql://...).
  std::string db_path;
  // Port on 127.0.0.1; 0 picks a free one. A fixed port lets a test restart
  // a collector behind a proxy at the same address.
  int port = 0;
  // Passed as --write-key unless empty (then give --write-key-file in
  // extra_flags).
  std::string write_key = "test-write-key";
  // Passed as --admin-token unless empty (the admin API is then off).
  std::string admin_token;
  // More flags, e.g. "--max-body-bytes=1024".
  std::vector<std::string> extra_flags;
};

// Path of the cairn-collector binary these tests run ("" if the build has no
// collector).
std::string CollectorBinaryPath();

// The real cairn-collector binary, started on 127.0.0.1 with a free port.
// Its stderr (the log) goes to the test's stderr. If the test process dies,
// the kernel kills the collector too (PR_SET_PDEATHSIG).
class CollectorProcess {
 public:
  // Starts the binary with --listen=127.0.0.1:PORT and waits (up to 20 s) for
  // its "listening on" line. Fails if it exits first or never says it.
  static absl::StatusOr<std::unique_ptr<CollectorProcess>> Start(
      const CollectorProcessOptions& options);
  // Stops it if still running: SIGTERM, then SIGKILL after 10 s.
  ~CollectorProcess();
  CollectorProcess(const CollectorProcess&) = delete;
  CollectorProcess& operator=(const CollectorProcess&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT"
  std::string base_url() const;
  pid_t pid() const { return pid_; }

  // SIGTERM and wait (SIGKILL after 10 s). Error unless it exited with 0.
  absl::Status Stop();
  // SIGKILL and wait: a crash, for durability tests.
  void Kill();

 private:
  CollectorProcess(pid_t pid, int stdout_fd, int port)
      : pid_(pid), stdout_fd_(stdout_fd), port_(port) {}
  // Waits for the child; returns its wait status or -1 if it was gone.
  int Reap(int signal_first);

  pid_t pid_;
  int stdout_fd_;
  int port_;
};

// event_id -> how many rows of the SQLite collector database at `db_path`
// hold it, consent changes left out (they are events too; the process tests
// count the others). Opens read-write: after a SIGKILL only a writer may
// recover the WAL. Records a test failure (and returns what it read) if the
// file cannot be read.
std::map<std::string, int> StoredEventIds(const std::string& db_path);

// The first column of the first row `sql` returns from the SQLite file at
// `db_path`, opened read-only. Records a test failure and returns -1 if the
// file cannot be opened, the statement fails or it returns no row.
int64_t SqliteQueryInt(const std::string& db_path, const std::string& sql);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_COLLECTOR_PROCESS_H_
