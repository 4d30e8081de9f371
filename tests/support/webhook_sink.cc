#include "webhook_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cairn::testing {

absl::StatusOr<std::unique_ptr<WebhookSink>> WebhookSink::Start() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::InternalError("bind/listen failed");
  }
  int wake = eventfd(0, EFD_CLOEXEC);
  if (wake < 0) {
    close(fd);
    return absl::InternalError("eventfd failed");
  }
  return std::unique_ptr<WebhookSink>(new WebhookSink(fd, wake, ntohs(addr.sin_port)));
}

WebhookSink::WebhookSink(int listen_fd, int wake_fd, int port)
    : listen_fd_(listen_fd), wake_fd_(wake_fd), port_(port), thread_([this] { Serve(); }) {}

WebhookSink::~WebhookSink() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
  close(wake_fd_);
}

std::string WebhookSink::url() const { return absl::StrCat("http://127.0.0.1:", port_, "/hook"); }

void WebhookSink::SetAnswerBody(std::string body) {
  std::lock_guard lock(mu_);
  answer_body_ = std::move(body);
}

void WebhookSink::QueueStatuses(std::vector<int> statuses) {
  std::lock_guard lock(mu_);
  statuses_.insert(statuses_.end(), statuses.begin(), statuses.end());
}

std::vector<WebhookSink::Request> WebhookSink::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

bool WebhookSink::WaitForRequests(size_t n, absl::Duration timeout) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, absl::ToChronoSeconds(timeout),
                           [&] { return requests_.size() >= n; });
}

void WebhookSink::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    if (fds[0].revents & POLLIN) {
      int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn >= 0) {
        HandleConnection(conn);
        close(conn);
      }
    }
  }
}

void WebhookSink::HandleConnection(int fd) {
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string data;
  char buf[4096];
  size_t header_end = std::string::npos;
  while (header_end == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return;
    data.append(buf, static_cast<size_t>(n));
    header_end = data.find("\r\n\r\n");
    if (data.size() > (1 << 20)) return;
  }
  Request request;
  std::string_view head(data.data(), header_end);
  size_t line_end = head.find("\r\n");
  std::string_view request_line = head.substr(0, line_end);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = request_line.find(' ', sp1 + 1);
  request.method = std::string(request_line.substr(0, sp1));
  request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
  size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      request.headers[name] = std::string(value);
    }
    pos = end + 2;
  }
  size_t length = 0;
  if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
    if (!absl::SimpleAtoi(it->second, &length)) length = 0;
  }
  std::string body = data.substr(header_end + 4);
  while (body.size() < length) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return;
    body.append(buf, static_cast<size_t>(n));
  }
  request.body = body.substr(0, length);
  int status = 200;
  std::string answer_body;
  {
    std::lock_guard lock(mu_);
    answer_body = answer_body_;
    if (!statuses_.empty()) {
      status = statuses_.front();
      statuses_.pop_front();
    }
  }
  request.answered = status;
  std::string response =
      absl::StrCat("HTTP/1.1 ", status, " X\r\nContent-Length: ", answer_body.size(),
                   "\r\nX-Sink: yes\r\nConnection: close\r\n\r\n", answer_body);
  (void)!write(fd, response.data(), response.size());
  {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(request));
  }
  changed_.notify_all();
}

}  // namespace cairn::testing
