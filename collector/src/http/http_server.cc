#include "http/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "http/http_session.h"
#include "ops/log.h"

namespace cairn::collector {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class HttpServer::Impl {
 public:
  Impl(const ServerOptions& options, HttpService* handler)
      : registry_(std::make_shared<ConnectionRegistry>(options, handler)),
        work_(net::make_work_guard(ioc_)),
        acceptor_(net::make_strand(ioc_)),
        retry_timer_(acceptor_.get_executor()) {}

  ~Impl() { Shutdown(absl::Seconds(10)); }

  absl::Status Listen() {
    const ServerOptions& options = registry_->options();
    boost::system::error_code ec;
    std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
    net::ip::address address = net::ip::make_address(host, ec);
    if (ec) return absl::InvalidArgumentError("listen host must be a numeric IP address");
    tcp::endpoint endpoint(address, options.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", host, ":", options.port, ": ", ec.message()));
    }
    bound_ = acceptor_.local_endpoint(ec);
    if (ec) return absl::UnavailableError("cannot read the bound address");
    return absl::OkStatus();
  }

  void Run() {
    net::post(acceptor_.get_executor(), [this] { Accept(); });
    int threads = registry_->options().io_threads < 1 ? 1 : registry_->options().io_threads;
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { RunLoop(); });
    }
  }

  void Shutdown(absl::Duration grace) {
    std::lock_guard lock(shutdown_mu_);
    if (stopped_) return;
    stopped_ = true;
    net::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      retry_timer_.cancel();
    });
    registry_->BeginShutdown();
    if (!registry_->AwaitEmpty(grace)) {
      Log(LogLevel::kWarning, "shutdown_forced",
          {{"open_connections", std::to_string(registry_->size())}});
    }
    work_.reset();
    ioc_.stop();
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
  }

  std::string host() const { return bound_.address().to_string(); }
  uint16_t port() const { return bound_.port(); }

 private:
  // An I/O thread: no exception may end it, and none may end the process.
  void RunLoop() {
    while (true) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception&) {
        Log(LogLevel::kError, "io_thread_exception");
      }
    }
  }

  void Accept() {
    // Each connection gets its own strand: its handlers never run
    // concurrently, yet connections spread over all I/O threads.
    acceptor_.async_accept(net::make_strand(ioc_),
                           [this](boost::system::error_code ec, tcp::socket socket) {
                             OnAccept(ec, std::move(socket));
                           });
  }

  void OnAccept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Typically out of file descriptors: back off instead of spinning.
      Log(LogLevel::kWarning, "accept_failed", {{"error", ec.message()}});
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([this](boost::system::error_code timer_ec) {
        if (!timer_ec && acceptor_.is_open()) Accept();
      });
      return;
    }
    std::make_shared<HttpSession>(std::move(socket), registry_)->Start();
    Accept();
  }

  std::shared_ptr<ConnectionRegistry> registry_;
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  tcp::endpoint bound_;
  std::vector<std::thread> threads_;
  std::mutex shutdown_mu_;
  bool stopped_ = false;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                              HttpService* handler) {
  try {
    auto impl = std::make_unique<Impl>(options, handler);
    if (absl::Status s = impl->Listen(); !s.ok()) return s;
    impl->Run();
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
  } catch (const std::exception& e) {
    // Thread creation or allocation failed.
    return absl::InternalError(absl::StrCat("cannot start the HTTP server: ", e.what()));
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

std::string HttpServer::host() const { return impl_->host(); }
uint16_t HttpServer::port() const { return impl_->port(); }
void HttpServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }

}  // namespace cairn::collector
