#ifndef CAIRN_TESTS_SUPPORT_NGINX_PROXY_H_
#define CAIRN_TESTS_SUPPORT_NGINX_PROXY_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "temp_dir.h"

namespace cairn::testing {

struct NginxProxyOptions {
  // Loopback ports of the collectors behind the proxy (at least one).
  std::vector<int> upstream_ports;
  // Matches the collector's default --max-body-bytes (4 MiB), so nginx does
  // not refuse what a collector would take; over it nginx answers 413 itself.
  int64_t client_max_body_bytes = 4 << 20;
  // Idle keep-alive connections nginx keeps open to the upstreams.
  int upstream_keepalive = 64;
  // Connections nginx may hold at once (each proxied request uses two).
  int worker_connections = 4096;
};

// Debian's nginx (/usr/sbin/nginx) as a round-robin HTTP/1.1 load balancer
// on 127.0.0.1 and a free port, in front of loopback upstreams, with a
// generated configuration in a fresh temporary directory (pid, logs and
// temp files there too), so it needs no root. It runs in the foreground as
// a single process (`daemon off; master_process off;`), a child of this
// process with PR_SET_PDEATHSIG: it dies with the test. Start takes ~10 ms.
//
// A request that fails on one upstream before an answer (connection refused
// or reset, timeout) is passed to the next one, even a POST: safe because
// the collector stores each event_id at most once. A 503 (back-pressure) or
// any other HTTP answer reaches the client unchanged.
class NginxProxy {
 public:
  // True if /usr/sbin/nginx is installed. Tests GTEST_SKIP loudly when false.
  static bool Available();

  // Writes the config, starts nginx and waits (up to 20 s) until its port
  // accepts connections. Fails with the tail of its error log if it exits.
  static absl::StatusOr<std::unique_ptr<NginxProxy>> Start(const NginxProxyOptions& options);
  // Stops it (SIGTERM, SIGKILL after 10 s) and removes the directory.
  ~NginxProxy();
  NginxProxy(const NginxProxy&) = delete;
  NginxProxy& operator=(const NginxProxy&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT"
  std::string base_url() const;
  // The generated nginx.conf and the error log, for diagnosing a test.
  std::string ConfigPath() const;
  std::string ErrorLogPath() const;

  // Fast shutdown and wait. Idempotent.
  void Stop();

 private:
  NginxProxy() = default;
  absl::Status StartOnce(const NginxProxyOptions& options);

  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// The nginx.conf text for `options` listening on `listen_port`, with every
// path under `dir`. Exposed so a test can check the directives.
std::string NginxConfig(const NginxProxyOptions& options, int listen_port, const std::string& dir);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_NGINX_PROXY_H_
