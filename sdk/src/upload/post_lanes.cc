#include "sdk/src/upload/post_lanes.h"

#include <algorithm>
#include <utility>

#include "common/src/platform/platform.h"

namespace cairn::sdk {

PostLanes::PostLanes(Transport& transport, size_t lanes, std::function<void()> on_answer)
    : transport_(transport), on_answer_(std::move(on_answer)) {
  for (size_t i = 0; i < std::max<size_t>(1, lanes); ++i) {
    lanes_.push_back(std::make_unique<Lane>());
  }
}

void PostLanes::Start() {
  for (const std::unique_ptr<Lane>& lane : lanes_) {
    lane->thread = std::thread([this, &lane = *lane] {
      platform::SetCurrentThreadName("cairn-post");
      Run(lane);
    });
  }
}

void PostLanes::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  for (const std::unique_ptr<Lane>& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
}

size_t PostLanes::Busy() const {
  std::lock_guard lock(mu_);
  size_t busy = 0;
  for (const std::unique_ptr<Lane>& lane : lanes_) busy += lane->state != State::kIdle;
  return busy;
}

size_t PostLanes::Post(HttpRequest request) {
  size_t index = 0;
  {
    std::lock_guard lock(mu_);
    while (index + 1 < lanes_.size() && lanes_[index]->state != State::kIdle) ++index;
    Lane& lane = *lanes_[index];
    lane.request = std::move(request);
    lane.state = State::kPosting;
  }
  work_.notify_all();
  return index;
}

std::optional<absl::StatusOr<HttpResponse>> PostLanes::TakeAnswer(size_t lane) {
  std::lock_guard lock(mu_);
  Lane& taken = *lanes_[lane];
  if (taken.state != State::kAnswered) return std::nullopt;
  taken.state = State::kIdle;
  std::optional<absl::StatusOr<HttpResponse>> answer = std::move(taken.answer);
  taken.answer.reset();
  return answer;
}

void PostLanes::Run(Lane& lane) {
  std::unique_lock lock(mu_);
  while (true) {
    work_.wait(lock, [&] { return stop_ || lane.state == State::kPosting; });
    if (stop_) return;
    HttpRequest request = std::move(lane.request);
    lock.unlock();
    absl::StatusOr<HttpResponse> answer = transport_.Post(request);
    lock.lock();
    lane.answer = std::move(answer);
    lane.state = State::kAnswered;
    lock.unlock();
    on_answer_();
    lock.lock();
  }
}

}  // namespace cairn::sdk
