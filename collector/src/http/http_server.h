#ifndef CAIRN_COLLECTOR_HTTP_HTTP_SERVER_H_
#define CAIRN_COLLECTOR_HTTP_HTTP_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http/http_service.h"

namespace cairn::collector {

struct ServerOptions {
  // Numeric address to bind ("127.0.0.1", "::1", "0.0.0.0"; "localhost"
  // means 127.0.0.1). Port 0 picks a free port.
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  // Threads running the event loop; connections are multiplexed on them.
  int io_threads = 2;
  // The parser refuses bodies over this (413) and headers over that (431).
  size_t max_body_bytes = 4 << 20;
  size_t max_header_bytes = 16 << 10;
  // A keep-alive connection waiting for its next request header is closed
  // after idle_timeout; reading a body or writing a response must finish
  // within request_timeout.
  absl::Duration idle_timeout = absl::Seconds(30);
  absl::Duration request_timeout = absl::Seconds(30);
  // Connections beyond this are closed as soon as they are accepted.
  size_t max_connections = 1024;
};

// HTTP/1.1 server (Boost.Beast on Asio): an event loop on a few threads, one
// small session object per connection, keep-alive, bounded header and body,
// timeouts. Each complete request goes to the HttpService; request
// headers are checked with HttpService::CheckHead before any body byte is
// read. Never throws; a misbehaving client only loses its own connection.
class HttpServer {
 public:
  // Binds, listens and starts the I/O threads. `handler` must outlive the
  // server. Fails with InvalidArgument for a bad host, Unavailable if the
  // address cannot be bound (in use, no permission).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const ServerOptions& options,
                                                           HttpService* handler);
  // Calls Shutdown(10 s) if it was not called. Any BatchWriter completing
  // requests of this server must be stopped before the server is destroyed.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound address and port (the real port when 0 was asked for).
  std::string host() const;
  uint16_t port() const;

  // Stops accepting, closes idle connections, lets requests in flight get
  // their responses (waiting at most `grace`), then stops the I/O threads.
  // Blocks until they have joined. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  class Impl;  // Beast/Asio state, kept out of this header
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_HTTP_HTTP_SERVER_H_
