#include "pg_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"
#include "child_process.h"

namespace cairn::testing {
namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(60);
constexpr auto kStopTimeout = std::chrono::seconds(10);
constexpr const char* kSuperuser = "cairn";
constexpr const char* kInstallRoot = "/usr/lib/postgresql/";

struct Account {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Who runs initdb and the server: ourselves, or an unprivileged account
// when we are root (PostgreSQL refuses root).
absl::StatusOr<Account> ServerAccount() {
  Account account;
  if (geteuid() != 0) return account;
  for (const char* name : {"postgres", "nobody"}) {
    if (passwd* pw = getpwnam(name)) {
      account.switch_user = true;
      account.uid = pw->pw_uid;
      account.gid = pw->pw_gid;
      return account;
    }
  }
  return absl::FailedPreconditionError("running as root and no 'postgres' or 'nobody' account");
}

// Starts argv[0] with stdout and stderr appended to `log_path`, in `cwd`,
// as `account`, dying with this process.
absl::StatusOr<pid_t> Spawn(std::vector<std::string> args, const Account& account,
                            const std::string& cwd, const std::string& log_path) {
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("cannot open ", log_path));
  if (account.switch_user && fchown(log_fd, account.uid, account.gid) != 0) {
    close(log_fd);
    return absl::InternalError("fchown of the log failed");
  }
  SpawnOptions options;
  options.stdout_fd = log_fd;
  options.stderr_fd = log_fd;
  options.cwd = cwd;
  if (account.switch_user) options.run_as = std::make_pair(account.uid, account.gid);
  absl::StatusOr<pid_t> pid = SpawnChild(std::move(args), options);
  close(log_fd);
  return pid;
}

// Runs `args` as `account` to the end (60 s at most); OK if it exits 0,
// else `what` failed, with the tail of `log_path`.
absl::Status RunToEnd(std::vector<std::string> args, const Account& account, const std::string& cwd,
                      const std::string& log_path, const char* what) {
  absl::StatusOr<pid_t> pid = Spawn(std::move(args), account, cwd, log_path);
  if (!pid.ok()) return pid.status();
  std::optional<int> status =
      WaitChildUntil(*pid, std::chrono::steady_clock::now() + kReadyTimeout);
  if (!status) {
    kill(*pid, SIGKILL);
    waitpid(*pid, nullptr, 0);
    return absl::DeadlineExceededError(absl::StrCat(what, " did not finish in 60 s"));
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return absl::InternalError(absl::StrCat(what, " failed: ", FileTail(log_path)));
  }
  return absl::OkStatus();
}

// initdb costs about a second of CPU, and ctest runs every test in a process
// of its own, each with its own cluster. So the first initdb of a build
// keeps a copy of its fresh data directory, and later clusters copy that
// (a tenth of the cost): an untouched initdb output is the same whoever
// made it. The copy lives in the build tree (CAIRN_PG_TEMPLATE_DIR), one
// per initdb command line; cp -a keeps the owner, so as root the server
// account owns the copies and needs no access to the build tree. Any
// failure here falls back to initdb.
#ifdef CAIRN_PG_TEMPLATE_DIR
// The template of an initdb command line (whose program path names the
// server's major version), less its data directory.
std::string TemplatePath(const std::vector<std::string>& initdb) {
  std::string key;
  for (const std::string& arg : initdb) {
    if (!arg.starts_with("--pgdata=")) absl::StrAppend(&key, arg, " ");
  }
  return absl::StrCat(CAIRN_PG_TEMPLATE_DIR, "/initdb-", absl::Hex(std::hash<std::string>{}(key)));
}

bool CopyTemplate(const std::vector<std::string>& initdb, const std::string& data,
                  const std::string& log) {
  const std::string from = TemplatePath(initdb);
  if (access(from.c_str(), R_OK | X_OK) != 0) return false;
  if (RunToEnd({"/bin/cp", "-a", from, data}, Account{}, "/", log, "cp").ok()) return true;
  std::error_code ignored;
  std::filesystem::remove_all(data, ignored);
  return false;
}

// Keeps `data`, fresh from initdb, as the template if there is none yet:
// copied aside, then renamed into place under a lock, so a reader sees a
// whole copy or none.
void KeepTemplate(const std::vector<std::string>& initdb, const std::string& data,
                  const std::string& log) {
  const std::string to = TemplatePath(initdb);
  if (mkdir(CAIRN_PG_TEMPLATE_DIR, 0755) != 0 && errno != EEXIST) return;
  const std::string lock_path = to + ".lock";
  int lock = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) return;
  if (flock(lock, LOCK_EX) == 0 && access(to.c_str(), F_OK) != 0) {
    const std::string partial = absl::StrCat(to, ".partial.", getpid());
    const bool kept = RunToEnd({"/bin/cp", "-a", data, partial}, Account{}, "/", log, "cp").ok() &&
                      rename(partial.c_str(), to.c_str()) == 0;
    std::error_code ignored;
    if (!kept) std::filesystem::remove_all(partial, ignored);
  }
  close(lock);  // releases the lock
}
#endif

std::string KeyValueConninfo(int port, const std::string& database) {
  return absl::StrCat("host=127.0.0.1 port=", port, " user=", kSuperuser, " dbname=", database,
                      " connect_timeout=10");
}

}  // namespace

// ---- PgConnection ----------------------------------------------------------

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& uri) {
  // connect_timeout via the expanded form: works for URIs and key=value.
  const char* keys[] = {"dbname", "connect_timeout", nullptr};
  const char* values[] = {uri.c_str(), "10", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", message));
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

absl::Status PgConnection::Exec(std::string_view sql) {
  std::string text(sql);
  PGresult* result = PQexec(conn_, text.c_str());
  ExecStatusType status = PQresultStatus(result);
  absl::Status out = absl::OkStatus();
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    out = absl::InternalError(absl::StrCat("query failed: ", PQerrorMessage(conn_)));
  }
  PQclear(result);
  return out;
}

absl::StatusOr<std::string> PgConnection::ScalarText(std::string_view sql) {
  std::string text(sql);
  PGresult* result = PQexec(conn_, text.c_str());
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    std::string message = PQerrorMessage(conn_);
    PQclear(result);
    return absl::InternalError(absl::StrCat("query failed: ", message));
  }
  if (PQntuples(result) < 1 || PQnfields(result) < 1 || PQgetisnull(result, 0, 0)) {
    PQclear(result);
    return absl::NotFoundError("query returned no value");
  }
  std::string value = PQgetvalue(result, 0, 0);
  PQclear(result);
  return value;
}

absl::StatusOr<int64_t> PgConnection::ScalarInt(std::string_view sql) {
  absl::StatusOr<std::string> text = ScalarText(sql);
  if (!text.ok()) return text.status();
  int64_t value = 0;
  if (!absl::SimpleAtoi(ToAbsl(*text), &value)) {
    return absl::InvalidArgumentError(absl::StrCat("not an integer: ", *text));
  }
  return value;
}

// ---- PgCluster -------------------------------------------------------------

std::string PgCluster::BinDir() {
  glob_t matches{};
  std::vector<std::string> dirs;
  std::string pattern = std::string(kInstallRoot) + "*/bin";
  if (glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (size_t i = 0; i < matches.gl_pathc; ++i) dirs.push_back(matches.gl_pathv[i]);
  }
  globfree(&matches);
  // Newest major version first: compare the version number, not the text.
  const size_t root = std::strlen(kInstallRoot);
  std::sort(dirs.begin(), dirs.end(), [root](const std::string& a, const std::string& b) {
    return std::atoi(a.c_str() + root) > std::atoi(b.c_str() + root);
  });
  for (const std::string& dir : dirs) {
    if (access((dir + "/initdb").c_str(), X_OK) == 0 &&
        access((dir + "/postgres").c_str(), X_OK) == 0) {
      return dir;
    }
  }
  return "";
}

bool PgCluster::Available() { return !BinDir().empty(); }

absl::StatusOr<std::unique_ptr<PgCluster>> PgCluster::Start(const PgClusterOptions& options) {
  std::string bin = BinDir();
  if (bin.empty()) {
    return absl::FailedPreconditionError(
        "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
        "(install Debian's postgresql package: scripts/setup.sh)");
  }
  absl::StatusOr<Account> account = ServerAccount();
  if (!account.ok()) return account.status();
  std::unique_ptr<PgCluster> cluster(new PgCluster(options));
  cluster->switch_user_ = account->switch_user;
  cluster->uid_ = account->uid;
  cluster->gid_ = account->gid;
  const std::string& dir = cluster->dir_.path();
  if (account->switch_user && chown(dir.c_str(), account->uid, account->gid) != 0) {
    return absl::InternalError(absl::StrCat("chown ", dir, " failed"));
  }

  const std::string data = cluster->dir_.File("data");
  const std::string initdb_log = cluster->dir_.File("initdb.log");
  const std::vector<std::string> initdb = {bin + "/initdb", "--pgdata=" + data, "--username=cairn",
                                           "--auth=trust",  "--encoding=UTF8",  "--locale=C",
                                           "--no-sync",     "--no-instructions"};
#ifdef CAIRN_PG_TEMPLATE_DIR
  const bool copied = CopyTemplate(initdb, data, initdb_log);
#else
  const bool copied = false;
#endif
  if (!copied) {
    absl::Status made = RunToEnd(initdb, *account, dir, initdb_log, "initdb");
    if (!made.ok()) return made;
#ifdef CAIRN_PG_TEMPLATE_DIR
    KeepTemplate(initdb, data, initdb_log);
#endif
  }

  // A port taken between our probe and the server's bind shows as an early
  // exit: try another one.
  absl::Status started;
  for (int attempt = 0; attempt < 3; ++attempt) {
    started = cluster->StartServer();
    if (started.ok()) break;
  }
  if (!started.ok()) return started;

  absl::StatusOr<std::unique_ptr<PgConnection>> admin =
      PgConnection::Connect(KeyValueConninfo(cluster->port_, "postgres"));
  if (!admin.ok()) return admin.status();
  absl::Status created = (*admin)->Exec(absl::StrCat("CREATE DATABASE \"", options.database, "\""));
  if (!created.ok()) return created;
  return cluster;
}

absl::Status PgCluster::StartServer() {
  absl::StatusOr<int> port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  std::vector<std::string> args = {
      BinDir() + "/postgres",
      "-D",
      dir_.File("data"),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      absl::StrCat("port=", *port),
      "-c",
      "unix_socket_directories=" + dir_.path(),
      "-c",
      absl::StrCat("max_connections=", options_.max_connections),
      "-c",
      "logging_collector=off",
  };
  if (!options_.durable) {
    for (const char* setting : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      args.push_back("-c");
      args.push_back(setting);
    }
  }
  Account account{switch_user_, uid_, gid_};
  absl::StatusOr<pid_t> pid = Spawn(args, account, dir_.path(), LogPath());
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  port_ = *port;

  std::string conninfo = KeyValueConninfo(port_, "postgres");
  auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  while (true) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return absl::OkStatus();
    if (std::optional<int> exited = WaitChildUntil(pid_, std::chrono::steady_clock::now())) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat("postgres exited before it was ready: ", FileTail(LogPath())));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      Stop();
      return absl::DeadlineExceededError(
          absl::StrCat("postgres not ready in 60 s: ", FileTail(LogPath())));
    }
    // Polling readiness, like pg_ctl -w; bounds the wait, asserts no timing.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

PgCluster::~PgCluster() { Stop(); }

void PgCluster::Stop() {
  if (pid_ <= 0) return;
  StopChild(pid_, SIGQUIT, kStopTimeout);  // SIGQUIT: immediate shutdown
  pid_ = -1;
}

std::string PgCluster::connection_uri() const {
  return absl::StrCat("postgresql://", kSuperuser, "@127.0.0.1:", port_, "/", options_.database);
}

std::string PgCluster::LogPath() const { return dir_.File("postgres.log"); }

absl::Status PgCluster::Query(std::string_view sql) const {
  absl::StatusOr<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(connection_uri());
  if (!conn.ok()) return conn.status();
  return (*conn)->Exec(sql);
}

absl::StatusOr<int64_t> PgCluster::ScalarInt(std::string_view sql) const {
  absl::StatusOr<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(connection_uri());
  if (!conn.ok()) return conn.status();
  return (*conn)->ScalarInt(sql);
}

}  // namespace cairn::testing
