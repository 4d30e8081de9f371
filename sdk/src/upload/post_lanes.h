#ifndef CAIRN_SDK_UPLOAD_POST_LANES_H_
#define CAIRN_SDK_UPLOAD_POST_LANES_H_

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "cairn/transport.h"

namespace cairn::sdk {

// The threads that wait in Transport::Post, so the sender thread can build
// and settle batches while requests are in flight. Each lane runs one
// request at a time; the sender hands a request to a free lane and later
// takes its answer. The lanes know nothing of batches.
//
// Its mutex is a leaf: no other lock is taken while it is held, and
// `on_answer` runs without it.
class PostLanes {
 public:
  // `lanes` threads (at least 1) posting through `transport`, which must
  // outlive this. `on_answer` runs on a lane's thread after each answer is
  // ready to take; it must be quick and must not call back into this.
  PostLanes(Transport& transport, size_t lanes, std::function<void()> on_answer);
  // Stop must have run if Start did.
  ~PostLanes() = default;

  // Starts the threads, named so debuggers and profilers tell them apart.
  void Start();
  // Ends the threads: a lane in Post returns once the transport is aborted,
  // which the caller does first; a request handed over but not yet begun
  // is never sent. Answers already in stay there to take. Call once.
  void Stop();

  size_t size() const { return lanes_.size(); }
  // Lanes with a request or an answer not yet taken. A lock.
  size_t Busy() const;
  // Hands `request` to a free lane and returns the lane's index. Only with
  // Busy() < size(). A lock and a notification; never blocks.
  size_t Post(HttpRequest request);
  // The answer of `lane` if it came back, which frees the lane; nullopt
  // while it is still posting or idle. A lock.
  std::optional<absl::StatusOr<HttpResponse>> TakeAnswer(size_t lane);

 private:
  enum class State { kIdle, kPosting, kAnswered };
  struct Lane {
    State state = State::kIdle;
    HttpRequest request;
    std::optional<absl::StatusOr<HttpResponse>> answer;
    std::thread thread;
  };
  void Run(Lane& lane);

  Transport& transport_;
  const std::function<void()> on_answer_;
  mutable std::mutex mu_;
  std::condition_variable work_;  // a request handed over, or stop
  // The lanes themselves are fixed at construction; their fields are
  // guarded by mu_, except `thread` (Start and Stop only).
  std::vector<std::unique_ptr<Lane>> lanes_;
  bool stop_ = false;  // guarded by mu_
};

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_UPLOAD_POST_LANES_H_
