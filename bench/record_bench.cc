// Cost of Client::RecordMilestone on the caller's thread, with the real
// writer (SQLite buffer in a temp dir) behind it and a transport that
// acknowledges every batch at once.
//
//   build/bench/record_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>

#include "cairn/client.h"

namespace {

class AckEverything : public cairn::Transport {
 public:
  absl::StatusOr<cairn::HttpResponse> Post(const cairn::HttpRequest&) override {
    // An empty BatchResponse is enough: the SDK settles the batch either way.
    return cairn::HttpResponse{200, "", {}};
  }
  void Abort() override {}
};

std::unique_ptr<cairn::Client> MakeClient(const std::string& dir) {
  cairn::Options o;
  o.collector_url = "http://127.0.0.1:1";
  o.write_key = "bench";
  o.storage_dir = dir;
  o.compression = cairn::Codec::kIdentity;
  o.queue_capacity = 1 << 20;
  o.transport = std::make_shared<AckEverything>();
  auto client = cairn::Client::Create(o);
  if (!client.ok()) std::abort();
  using cairn::consent::Decision;
  using cairn::consent::Purpose;
  (*client)->SetConsent("bench-user", Purpose::kUsageAnalytics, Decision::kGranted, "v1").IgnoreError();
  (*client)->SetConsent("bench-user", Purpose::kMilestones, Decision::kGranted, "v1").IgnoreError();
  (*client)->RecordLogin("bench-account", "bench-user").IgnoreError();
  return std::move(*client);
}

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-bench.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

cairn::Client* shared_client = nullptr;
std::string shared_dir;

void BM_RecordMilestone(benchmark::State& state) {
  if (state.thread_index() == 0) {
    shared_dir = TempDir();
    shared_client = MakeClient(shared_dir).release();
  }
  const cairn::Attributes attributes = {{"plan", "pro"}};
  for (auto _ : state) {
    absl::Status s = shared_client->RecordMilestone("invoice_sent", 1, attributes);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete shared_client;  // shuts down: drains the queue to the buffer
    shared_client = nullptr;
    std::filesystem::remove_all(shared_dir);
  }
}
BENCHMARK(BM_RecordMilestone)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
