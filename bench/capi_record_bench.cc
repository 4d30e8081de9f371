// The C API's cost over the C++ one: cairn_record_milestone against
// Client::RecordMilestone with the same options and event, the time of
// cairn_client_create, and the threads a created, idle client keeps.
//
// One source, two programs: capi_record_bench (libcairn.so, CAIRN_BENCH_CAPI)
// and capi_record_bench_cxx (the static cairn::sdk). They cannot share one
// process while libcairn.so links Debian's shared libprotobuf: both copies
// of the cairn.v1 generated code would register the same .proto files in its
// one descriptor pool, which protobuf refuses (see sdk/src/capi/README.md).
//
//   build/bench/capi_record_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   build/bench/capi_record_bench_cxx (same flags)
//
// Options: a loopback URL nothing listens on and a one-hour upload
// interval, so nothing is ever sent; the writer commits to a real SQLite
// buffer. Record calls run in bursts of half the queue; between bursts
// (untimed) the writer catches up, so the timed calls never wait for room.
//  - BM_RecordMilestone: one milestone with a value and one allow-listed
//    attribute per call; items_per_second is calls/s.
//  - BM_ClientCreate: create (timed) and destroy (untimed) in a fresh
//    directory; counter threads_added = tasks of this process while the
//    client exists and idles, minus those before.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>

#ifdef CAIRN_BENCH_CAPI
#include "cairn/cairn.h"
#else
#include "cairn/client.h"
#endif

namespace {

constexpr const char* kAccount = "acct-000042";
constexpr const char* kUser = "user-000042";
constexpr int64_t kBurst = 16384;  // half the default queue_capacity

// A fresh directory, removed with its contents at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "cairn-capi-bench.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int TaskCount() {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    (void)entry;
    ++n;
  }
  return n;
}

void Die(const char* what) {
  std::fprintf(stderr, "%s failed\n", what);
  std::abort();
}

#ifdef CAIRN_BENCH_CAPI
// ------------------------------------------------------------- C API side

using Handle = cairn_client*;

Handle Create(const std::string& dir) {
  cairn_options* o = cairn_options_new();
  cairn_options_set_collector_url(o, "http://127.0.0.1:1");
  cairn_options_set_write_key(o, "bench-write-key");
  cairn_options_set_storage_dir(o, dir.c_str());
  cairn_options_set_app(o, "cairn-bench", "1.0");
  cairn_options_set_batch(o, 500, 512 * 1024, 3600 * 1000);
  cairn_options_add_allowed_attribute(o, "plan");
  cairn_client* client = nullptr;
  if (cairn_client_create(o, &client) != CAIRN_OK) Die("cairn_client_create");
  cairn_options_free(o);
  return client;
}

void SignIn(Handle c) {
  for (cairn_purpose p : {CAIRN_PURPOSE_USAGE_ANALYTICS, CAIRN_PURPOSE_MILESTONES}) {
    cairn_consent_request r;
    cairn_consent_request_init(&r);
    r.account_id = kAccount;
    r.user_id = kUser;
    r.purpose = p;
    r.decision = CAIRN_DECISION_GRANTED;
    r.policy_version = "v1";
    if (cairn_set_consent(c, &r) != CAIRN_OK) Die("cairn_set_consent");
  }
  if (cairn_record_login(c, kAccount, kUser, "password") != CAIRN_OK) Die("cairn_record_login");
}

bool Record(Handle c, double value) {
  static const cairn_attribute kPlan[] = {{"plan", "pro"}};
  return cairn_record_milestone(c, "invoice_sent", 1, value, kPlan, 1) == CAIRN_OK;
}

uint64_t Unpersisted(Handle c) {
  cairn_stats s;
  cairn_stats_init(&s);
  cairn_get_stats(c, &s);
  return s.recorded - s.persisted;
}

void Destroy(Handle c) { cairn_client_destroy(c); }

#else
// ------------------------------------------------------------- C++ side

using Handle = cairn::Client*;

Handle Create(const std::string& dir) {
  cairn::Options o;
  o.collector_url = "http://127.0.0.1:1";
  o.write_key = "bench-write-key";
  o.storage_dir = dir;
  o.app = {"cairn-bench", "1.0"};
  o.upload_interval = absl::Hours(1);
  o.attribute_allowlist = {"plan"};
  auto client = cairn::Client::Create(o);
  if (!client.ok()) Die("Client::Create");
  return client->release();
}

void SignIn(Handle c) {
  for (auto p : {cairn::consent::Purpose::kUsageAnalytics, cairn::consent::Purpose::kMilestones}) {
    cairn::ConsentRequest r;
    r.account_id = kAccount;
    r.user_id = kUser;
    r.purpose = p;
    r.decision = cairn::consent::Decision::kGranted;
    r.policy_version = "v1";
    if (!c->SetConsent(r).ok()) Die("SetConsent");
  }
  if (!c->RecordLogin(kAccount, kUser, "password").ok()) Die("RecordLogin");
}

bool Record(Handle c, double value) {
  static const cairn::Attributes* kPlan = new cairn::Attributes{{"plan", "pro"}};
  return c->RecordMilestone("invoice_sent", value, *kPlan).ok();
}

uint64_t Unpersisted(Handle c) {
  const cairn::Stats s = c->GetStats();
  return s.recorded - s.persisted;
}

void Destroy(Handle c) { delete c; }

#endif

void BM_RecordMilestone(benchmark::State& state) {
  ScratchDir dir;
  Handle client = Create(dir.path());
  SignIn(client);
  int64_t in_burst = 0, refused = 0, accepted = 0;
  double value = 0;
  for (auto _ : state) {
    if (++in_burst == kBurst) {
      state.PauseTiming();
      while (Unpersisted(client) > 1024)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      in_burst = 0;
      state.ResumeTiming();
    }
    if (Record(client, value += 1)) {
      ++accepted;
    } else {
      ++refused;
    }
  }
  state.SetItemsProcessed(accepted);
  state.counters["refused"] = static_cast<double>(refused);
  Destroy(client);  // after the timed loop
}
BENCHMARK(BM_RecordMilestone)->Iterations(500000)->UseRealTime();

void BM_ClientCreate(benchmark::State& state) {
  const int before = TaskCount();
  int added = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ScratchDir dir;
    state.ResumeTiming();
    Handle client = Create(dir.path());
    state.PauseTiming();
    added = TaskCount() - before;
    Destroy(client);
    state.ResumeTiming();
  }
  state.counters["threads_added"] = added;
}
BENCHMARK(BM_ClientCreate)->Iterations(50)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
