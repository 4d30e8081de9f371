#ifndef CAIRN_COLLECTOR_HTTP_HTTP_SESSION_H_
#define CAIRN_COLLECTOR_HTTP_HTTP_SESSION_H_

// Private to the collector library: one Beast connection.

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "http/http_server.h"
#include "http/http_service.h"
#include "http/request_head.h"
#include "ops/metrics.h"

namespace cairn::collector {

class HttpSession;

// What all sessions of one server share: options, the handler, and the set
// of live sessions (for the connection limit and for graceful shutdown).
class ConnectionRegistry {
 public:
  ConnectionRegistry(const ServerOptions& options, HttpService* handler)
      : options_(options), handler_(handler) {}

  const ServerOptions& options() const { return options_; }
  HttpService& handler() const { return *handler_; }
  bool shutting_down() const { return shutting_down_.load(); }

  // Adds a session; false if the connection limit is reached.
  bool Add(uint64_t id, std::weak_ptr<HttpSession> session);
  void Remove(uint64_t id);
  size_t size() const;
  // Marks shutdown and asks every live session to close once idle.
  void BeginShutdown();
  // Waits until no session is left or `timeout` passes; true if none left.
  bool AwaitEmpty(absl::Duration timeout);
  uint64_t NextId() { return next_id_.fetch_add(1); }

 private:
  const ServerOptions options_;
  HttpService* const handler_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<uint64_t> next_id_{1};
  // std primitives: visible to ThreadSanitizer (Debian's abseil is not).
  mutable std::mutex mu_;
  std::condition_variable emptied_;
  absl::flat_hash_map<uint64_t, std::weak_ptr<HttpSession>> sessions_;  // guarded by mu_
};

// One connection: reads a request header, checks it, reads the body, hands
// the request to the handler, writes the response, and repeats while the
// connection is kept alive. All its work runs on its own strand.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<ConnectionRegistry> registry);
  ~HttpSession();

  // Registers the session and starts reading. Closes the socket at once if
  // the connection limit is reached or the server is shutting down.
  void Start();
  // Closes the connection if it is waiting for a request; otherwise it
  // closes after the response in progress. Safe from any thread.
  void RequestClose();

 private:
  void ReadHeader();
  void OnHeader(boost::beast::error_code ec);
  void ReadBody();
  void OnBody(boost::beast::error_code ec);
  void Send(HttpResponse response);
  void OnWrite(bool keep_alive, boost::beast::error_code ec);
  // Reacts to a read error: a protocol error gets a response, the rest
  // (peer gone, timeout, shutdown) closes quietly.
  void FailRead(boost::beast::error_code ec);
  // Half-closes and discards what the peer still sends (bounded in time),
  // so the peer reads our response before it sees the connection close.
  void LingerThenClose();
  void OnLingerRead(boost::beast::error_code ec);
  void Close();

  boost::beast::tcp_stream stream_;
  std::shared_ptr<ConnectionRegistry> registry_;
  const uint64_t id_;
  boost::beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  HttpRequest head_;
  boost::beast::http::response<boost::beast::http::empty_body> continue_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  std::array<char, 4096> discard_{};
  // The request being answered, for metrics: its route and when its header
  // arrived. Unset between requests and for requests the parser refused.
  std::optional<Route> route_;
  std::chrono::steady_clock::time_point header_at_;
  // True while waiting for a request header or lingering: nothing is lost
  // by closing now.
  bool idle_ = false;
  bool closed_ = false;
  bool registered_ = false;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_HTTP_HTTP_SESSION_H_
