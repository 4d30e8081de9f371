#ifndef CAIRN_TESTS_SUPPORT_WEBHOOK_SINK_H_
#define CAIRN_TESTS_SUPPORT_WEBHOOK_SINK_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cairn::testing {

// A tiny HTTP/1.1 server on 127.0.0.1 (free port) that records every request
// it receives, for webhook tests. One request per connection (it answers
// with "Connection: close"). Thread-safe.
class WebhookSink {
 public:
  // One received request. Header names are lowercase.
  struct Request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;
    std::string body;
    int answered = 0;  // the status it was answered with
  };

  // Listens on 127.0.0.1 with a free port and starts the server thread.
  static absl::StatusOr<std::unique_ptr<WebhookSink>> Start();
  // Stops the thread and closes the socket.
  ~WebhookSink();
  WebhookSink(const WebhookSink&) = delete;
  WebhookSink& operator=(const WebhookSink&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT/hook"
  std::string url() const;
  // Statuses for the next requests, in order; once used up, 200.
  void QueueStatuses(std::vector<int> statuses);
  // The body of every later answer (default: none).
  void SetAnswerBody(std::string body);
  // Every request received so far, in order.
  std::vector<Request> requests() const;
  // Waits (real time, up to `timeout`) until at least `n` requests arrived.
  bool WaitForRequests(size_t n, absl::Duration timeout = absl::Seconds(30)) const;

 private:
  WebhookSink(int listen_fd, int wake_fd, int port);
  void Serve();
  void HandleConnection(int fd);

  const int listen_fd_;
  const int wake_fd_;  // eventfd: Stop wakes poll()
  const int port_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::deque<int> statuses_;
  std::string answer_body_;
  std::vector<Request> requests_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_WEBHOOK_SINK_H_
