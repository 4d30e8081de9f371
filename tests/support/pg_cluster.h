#ifndef CAIRN_TESTS_SUPPORT_PG_CLUSTER_H_
#define CAIRN_TESTS_SUPPORT_PG_CLUSTER_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "temp_dir.h"

struct pg_conn;

namespace cairn::testing {

// One libpq connection, for tests and benchmarks (not thread-safe).
class PgConnection {
 public:
  // Connects to `uri` (postgresql://... or "key=value" form), with a 10 s
  // connect timeout. Unavailable with libpq's message on failure.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& uri);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one or more statements (no parameters); any rows are discarded.
  // Internal with the server's message on failure.
  absl::Status Exec(std::string_view sql);
  // Runs a query whose first row's first column is an integer (count(*),
  // ...). Internal on a failed query, NotFound on no row or a NULL,
  // InvalidArgument if the value is not an integer.
  absl::StatusOr<int64_t> ScalarInt(std::string_view sql);
  // Same, for any value as text.
  absl::StatusOr<std::string> ScalarText(std::string_view sql);

  // The raw handle, for COPY and prepared statements (benchmarks).
  pg_conn* raw() const { return conn_; }

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  pg_conn* conn_;
};

struct PgClusterOptions {
  // Database created after start; the superuser is "cairn", trust auth on
  // loopback only.
  std::string database = "cairn";
  // false (tests): fsync, synchronous_commit and full_page_writes off, so a
  // test's tables cost no disk flushes. true (benchmarks): the server's
  // durable defaults, so figures compare with a real deployment.
  bool durable = false;
  int max_connections = 200;
};

// A throwaway PostgreSQL server of Debian's `postgresql` package: initdb
// into a fresh temporary directory, listening only on 127.0.0.1 on a free
// port (unix socket in the same directory), one database. About 1-3 s to
// start, a second less once a build has one initdb output to copy (kept in
// the build tree's test-cache/). Stopped (immediate shutdown) and removed on
// destruction.
//
// How it runs:
// - The server is `postgres` itself, a child of this process with
//   PR_SET_PDEATHSIG, rather than `pg_ctl start`, which detaches it: if the
//   test binary dies, the kernel kills the postmaster and its backends exit
//   on their own (they watch the postmaster). Readiness is awaited the way
//   `pg_ctl -w` does it, by pinging with libpq; stopping sends SIGQUIT, which
//   is what `pg_ctl stop -m immediate` sends.
// - initdb and postgres refuse to run as root. As root, both run as the
//   `postgres` account that the package creates (else `nobody`), with the
//   temporary directory chowned to it; the temporary directory's parent
//   ($TMPDIR or /tmp) must be traversable by that account.
class PgCluster {
 public:
  // True if the server binaries (initdb, postgres) are installed under
  // /usr/lib/postgresql/*/bin. Tests GTEST_SKIP loudly when false.
  static bool Available();
  // Directory of the newest installed major version's binaries, or "".
  static std::string BinDir();

  // initdb + start + CREATE DATABASE. Fails with the tail of the server's log
  // in the message if initdb or the server fails, or it is not ready in 60 s.
  static absl::StatusOr<std::unique_ptr<PgCluster>> Start(const PgClusterOptions& options = {});
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  int port() const { return port_; }
  // postgresql://cairn@127.0.0.1:PORT/DATABASE
  std::string connection_uri() const;
  // Server log (stderr of postgres), for diagnosing a failed test.
  std::string LogPath() const;

  // Conveniences for tests: a new connection per call (a few ms).
  absl::Status Query(std::string_view sql) const;
  absl::StatusOr<int64_t> ScalarInt(std::string_view sql) const;

  // Immediate shutdown and wait (SIGKILL after 10 s). Idempotent.
  void Stop();

 private:
  PgCluster(const PgClusterOptions& options) : options_(options) {}
  absl::Status StartServer();

  PgClusterOptions options_;
  TempDir dir_;
  uid_t uid_ = 0;  // the account the server runs as
  gid_t gid_ = 0;
  bool switch_user_ = false;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_PG_CLUSTER_H_
