#include "fake_collector.h"

#include "cairn/common/codec.h"

namespace cairn::testing {

absl::StatusOr<HttpResponse> FakeCollector::Post(const HttpRequest& request) {
  Codec codec = Codec::kIdentity;
  for (const auto& [name, value] : request.headers) {
    if (name == "Content-Encoding") codec = ParseCodec(value).value_or(Codec::kIdentity);
  }
  absl::StatusOr<std::string> body = Decompress(codec, request.body, 64 << 20);
  cairn::v1::Batch batch;
  if (!body.ok() || !batch.ParseFromString(*body)) return HttpResponse{400, "bad batch", {}};
  Script script;
  int call;
  {
    std::unique_lock lock(mu_);
    call = posts_++;
    batches_.push_back(batch);
    requests_.push_back(request);
    if (stall_) {
      abort_cv_.wait(lock, [this] { return aborted_; });
      return absl::CancelledError("aborted while stalled");
    }
    script = script_;
  }
  if (script) return script(call, batch);
  return Accept(batch);
}

void FakeCollector::Abort() {
  {
    std::unique_lock lock(mu_);
    aborted_ = true;
  }
  abort_cv_.notify_all();
}

void FakeCollector::SetScript(Script script) {
  std::unique_lock lock(mu_);
  script_ = std::move(script);
}

void FakeCollector::StallUntilAbort() {
  std::unique_lock lock(mu_);
  stall_ = true;
}

HttpResponse FakeCollector::Accept(const cairn::v1::Batch& batch) {
  cairn::v1::BatchResponse answer;
  std::unique_lock lock(mu_);
  for (const cairn::v1::Event& e : batch.events()) {
    std::set<std::string>& stored = e.has_consent_change() ? stored_consent_ : stored_;
    if (stored.insert(e.event_id()).second) {
      answer.set_accepted(answer.accepted() + 1);
    } else {
      answer.set_duplicates(answer.duplicates() + 1);
    }
  }
  return HttpResponse{200, answer.SerializeAsString(), {}};
}

int FakeCollector::posts() const {
  std::unique_lock lock(mu_);
  return posts_;
}

std::vector<cairn::v1::Batch> FakeCollector::batches() const {
  std::unique_lock lock(mu_);
  return batches_;
}

std::set<std::string> FakeCollector::stored_ids() const {
  std::unique_lock lock(mu_);
  return stored_;
}

std::set<std::string> FakeCollector::stored_consent_ids() const {
  std::unique_lock lock(mu_);
  return stored_consent_;
}

std::vector<HttpRequest> FakeCollector::requests() const {
  std::unique_lock lock(mu_);
  return requests_;
}

}  // namespace cairn::testing
