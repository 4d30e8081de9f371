#include "http/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "cairn/common/strings.h"
#include "http/request_head.h"
#include "ops/log.h"

namespace cairn::collector {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;

namespace {

// How long a closing connection keeps draining what the peer still sends.
constexpr auto kLingerTime = std::chrono::seconds(2);

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

}  // namespace

// ---- ConnectionRegistry ------------------------------------------------------

bool ConnectionRegistry::Add(uint64_t id, std::weak_ptr<HttpSession> session) {
  std::lock_guard lock(mu_);
  if (sessions_.size() >= options_.max_connections) return false;
  sessions_.emplace(id, std::move(session));
  return true;
}

void ConnectionRegistry::Remove(uint64_t id) {
  bool empty = false;
  {
    std::lock_guard lock(mu_);
    sessions_.erase(id);
    empty = sessions_.empty();
  }
  if (empty) emptied_.notify_all();
}

size_t ConnectionRegistry::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void ConnectionRegistry::BeginShutdown() {
  shutting_down_.store(true);
  std::vector<std::shared_ptr<HttpSession>> live;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, weak] : sessions_) {
      if (std::shared_ptr<HttpSession> session = weak.lock()) live.push_back(std::move(session));
    }
  }
  // Outside the lock: a session released here may unregister itself.
  for (const std::shared_ptr<HttpSession>& session : live) session->RequestClose();
}

bool ConnectionRegistry::AwaitEmpty(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  return emptied_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                           [this] { return sessions_.empty(); });
}

// ---- HttpSession -------------------------------------------------------------

HttpSession::HttpSession(net::ip::tcp::socket socket, std::shared_ptr<ConnectionRegistry> registry)
    : stream_(std::move(socket)), registry_(std::move(registry)), id_(registry_->NextId()) {}

HttpSession::~HttpSession() {
  if (registered_) registry_->Remove(id_);
}

void HttpSession::Start() {
  if (registry_->shutting_down() || !registry_->Add(id_, weak_from_this())) {
    if (!registry_->shutting_down()) {
      Log(LogLevel::kWarning, "connection_refused", {{"reason", "connection limit reached"}});
    }
    beast::error_code ignored;
    stream_.socket().close(ignored);
    return;
  }
  registered_ = true;
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
}

void HttpSession::RequestClose() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    // Cancelling the pending read ends the session through its handler.
    if (self->idle_) self->stream_.cancel();
  });
}

void HttpSession::ReadHeader() {
  if (registry_->shutting_down()) {
    Close();
    return;
  }
  const ServerOptions& options = registry_->options();
  ResetParser(parser_, options);
  idle_ = true;
  stream_.expires_after(ToChrono(options.idle_timeout));
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

void HttpSession::OnHeader(beast::error_code ec) {
  idle_ = false;
  if (ec) {
    FailRead(ec);
    return;
  }
  header_at_ = std::chrono::steady_clock::now();
  head_ = HeadFromParser(*parser_);
  route_ = registry_->handler().MetricRoute(head_.Path());
  beast::error_code endpoint_ec;
  auto peer = stream_.socket().remote_endpoint(endpoint_ec);
  if (!endpoint_ec) head_.remote_address = peer.address().to_string();

  if (std::optional<HttpResponse> refused =
          RefuseAmbiguousFraming(head_, parser_->get().version())) {
    // The body's length is unknown, so nothing after this header can be
    // trusted as the next request: refuse and close unread.
    Log(LogLevel::kWarning, "request_rejected",
        {{"status", std::to_string(refused->status)},
         {"reason", std::string(absl::StripTrailingAsciiWhitespace(ToAbsl(refused->body)))}});
    Send(*std::move(refused));
    return;
  }
  if (std::optional<HttpResponse> refused = registry_->handler().CheckHead(head_)) {
    // An unread body would be taken for the next request: close instead.
    if (!parser_->is_done()) refused->close_connection = true;
    Send(*std::move(refused));
    return;
  }
  head_.head_checked = true;
  std::optional<std::string_view> expect = head_.Header("expect");
  if (expect && absl::EqualsIgnoreCase(ToAbsl(*expect), "100-continue") && !parser_->is_done()) {
    // The client waits for this before it sends the body.
    continue_ = {http::status::continue_, parser_->get().version()};
    stream_.expires_after(ToChrono(registry_->options().request_timeout));
    http::async_write(stream_, continue_,
                      [self = shared_from_this()](beast::error_code write_ec, size_t) {
                        if (write_ec) {
                          self->Close();
                          return;
                        }
                        self->ReadBody();
                      });
    return;
  }
  ReadBody();
}

void HttpSession::ReadBody() {
  stream_.expires_after(ToChrono(registry_->options().request_timeout));
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
}

void HttpSession::OnBody(beast::error_code ec) {
  if (ec) {
    FailRead(ec);
    return;
  }
  HttpRequest request = std::move(head_);
  request.body = std::move(parser_->get().body());
  request.body_complete = true;
  // Nothing else runs on this connection until the response is sent; the
  // idle/request timers are off while the handler (and the writer) work.
  stream_.expires_never();
  registry_->handler().Handle(
      std::move(request), [self = shared_from_this()](HttpResponse response) mutable {
        // May run on the writer thread: hop back onto this session's strand.
        net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
          self->Send(std::move(response));
        });
      });
}

void HttpSession::FailRead(beast::error_code ec) {
  if (ec == http::error::header_limit) {
    Log(LogLevel::kWarning, "request_rejected",
        {{"status", "431"}, {"reason", "request header is too large"}});
    HttpResponse response = TextResponse(431, "request header is too large");
    response.close_connection = true;
    Send(std::move(response));
    return;
  }
  if (ec == http::error::body_limit) {
    Log(LogLevel::kWarning, "request_rejected",
        {{"status", "413"}, {"reason", "body is over the size limit"}});
    HttpResponse response = TextResponse(413, "body is over the size limit");
    response.close_connection = true;
    Send(std::move(response));
    return;
  }
  bool peer_gone = ec == http::error::end_of_stream || ec == net::error::eof ||
                   ec == net::error::operation_aborted || ec == beast::error::timeout ||
                   ec == net::error::connection_reset || ec == http::error::partial_message ||
                   ec == net::error::broken_pipe;
  if (peer_gone) {
    Close();
    return;
  }
  // Anything else is a malformed request: say so once, then close.
  Log(LogLevel::kWarning, "request_rejected",
      {{"status", "400"}, {"reason", "malformed HTTP request"}});
  HttpResponse response = TextResponse(400, "malformed HTTP request");
  response.close_connection = true;
  Send(std::move(response));
}

void HttpSession::Send(HttpResponse response) {
  if (closed_) return;
  std::optional<absl::Duration> latency;
  if (route_) latency = absl::FromChrono(std::chrono::steady_clock::now() - header_at_);
  registry_->handler().metrics().RecordResponse(route_.value_or(Route::kOther), response.status,
                                                latency);
  route_.reset();
  unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
  bool keep_alive = !response.close_connection && !registry_->shutting_down() && parser_ &&
                    parser_->is_header_done() && parser_->get().keep_alive();
  response_ = {};
  response_.version(version);
  response_.result(static_cast<unsigned>(response.status));
  response_.set(http::field::server, "cairn-collector");
  response_.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) response_.set(name, value);
  response_.body() = std::move(response.body);
  response_.keep_alive(keep_alive);
  response_.prepare_payload();
  stream_.expires_after(ToChrono(registry_->options().request_timeout));
  http::async_write(stream_, response_,
                    [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                      self->OnWrite(keep_alive, ec);
                    });
}

void HttpSession::OnWrite(bool keep_alive, beast::error_code ec) {
  if (ec) {
    Close();
    return;
  }
  if (!keep_alive) {
    LingerThenClose();
    return;
  }
  ReadHeader();
}

void HttpSession::LingerThenClose() {
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  idle_ = true;
  stream_.expires_after(kLingerTime);
  if (registry_->shutting_down()) {
    Close();
    return;
  }
  stream_.async_read_some(net::buffer(discard_),
                          [self = shared_from_this()](beast::error_code read_ec, size_t) {
                            self->OnLingerRead(read_ec);
                          });
}

void HttpSession::OnLingerRead(beast::error_code ec) {
  if (ec) {
    // End of stream, timeout or shutdown: done lingering.
    Close();
    return;
  }
  stream_.async_read_some(net::buffer(discard_),
                          [self = shared_from_this()](beast::error_code read_ec, size_t) {
                            self->OnLingerRead(read_ec);
                          });
}

void HttpSession::Close() {
  if (closed_) return;
  closed_ = true;
  idle_ = false;
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
}

}  // namespace cairn::collector
