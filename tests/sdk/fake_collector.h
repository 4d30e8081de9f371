#ifndef CAIRN_TESTS_SDK_FAKE_COLLECTOR_H_
#define CAIRN_TESTS_SDK_FAKE_COLLECTOR_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cairn/transport.h"
#include "cairn/v1/batch.pb.h"

namespace cairn::testing {

// An in-memory collector behind the Transport seam. It decodes each request
// like the real one (Content-Encoding, Batch), keeps every batch it saw, and
// answers through `script` (default: store new event ids, count repeats as
// duplicates). A script may return a transport error or any status code.
class FakeCollector : public Transport {
 public:
  using Script = std::function<absl::StatusOr<HttpResponse>(int call, const cairn::v1::Batch&)>;

  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override;
  void Abort() override;

  void SetScript(Script script);
  // Makes Post block until Abort (a collector that stops answering).
  void StallUntilAbort();
  // The standard answer: stores new ids, reports repeats as duplicates.
  HttpResponse Accept(const cairn::v1::Batch& batch);

  int posts() const;
  std::vector<cairn::v1::Batch> batches() const;
  // Ids stored so far: of recorded events, and of ConsentChange events.
  std::set<std::string> stored_ids() const;
  std::set<std::string> stored_consent_ids() const;
  std::vector<HttpRequest> requests() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable abort_cv_;
  Script script_;
  bool stall_ = false;
  bool aborted_ = false;
  int posts_ = 0;
  std::vector<cairn::v1::Batch> batches_;
  std::vector<HttpRequest> requests_;
  std::set<std::string> stored_;
  std::set<std::string> stored_consent_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SDK_FAKE_COLLECTOR_H_
