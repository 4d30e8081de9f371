// Small helpers shared by the benchmark programs: temp dirs, stub transports,
// a client factory, latency percentiles and memory figures. Header-only.
#ifndef CAIRN_BENCH_BENCH_SUPPORT_H_
#define CAIRN_BENCH_BENCH_SUPPORT_H_

#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/client.h"

namespace cairn::bench {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object goes away.
class TempDir {
 public:
  explicit TempDir(const char* prefix = "cairn-bench") {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + ".XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Answers every batch at once with 200 and an empty BatchResponse, which the
// SDK settles (deletes from its buffer) like a real acknowledgement.
class AckTransport : public Transport {
 public:
  absl::StatusOr<HttpResponse> Post(const HttpRequest&) override {
    return HttpResponse{200, "", {}};
  }
  void Abort() override {}
};

// Fails every request as if the collector were unreachable. With a long
// min_backoff the sender makes one attempt and then stays idle, so delivery
// takes no CPU and no SQLite locks away from the writer.
class UnreachableTransport : public Transport {
 public:
  absl::StatusOr<HttpResponse> Post(const HttpRequest&) override {
    return absl::UnavailableError("bench: collector unreachable");
  }
  void Abort() override {}
};

inline constexpr const char* kAccount = "acct-000042";
inline constexpr const char* kUser = "user-000042";

// Options for a client writing its buffer in `dir` and using `transport`.
inline Options BenchOptions(const std::string& dir, std::shared_ptr<Transport> transport) {
  Options o;
  o.collector_url = "http://127.0.0.1:1";
  o.write_key = "bench-write-key";
  o.storage_dir = dir;
  o.app = {"cairn-bench", "1.0"};
  o.transport = std::move(transport);
  o.attribute_allowlist = {"plan"};  // the attribute every bench event carries
  return o;
}

// Creates the client, grants both consentable purposes to kUser and signs
// them in (one login event). Aborts on failure: a benchmark cannot go on.
inline std::unique_ptr<Client> MakeSignedInClient(Options options) {
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(std::move(options));
  if (!client.ok()) {
    std::fprintf(stderr, "Client::Create: %s\n", client.status().ToString().c_str());
    std::abort();
  }
  using consent::Decision;
  using consent::Purpose;
  auto grant = [&](Purpose purpose) {
    cairn::ConsentRequest request;
    request.account_id = kAccount;
    request.user_id = kUser;
    request.purpose = purpose;
    request.decision = Decision::kGranted;
    request.policy_version = "v1";
    return (*client)->SetConsent(request).ok();
  };
  if (!grant(Purpose::kUsageAnalytics) || !grant(Purpose::kMilestones) ||
      !(*client)->RecordLogin(kAccount, kUser, "password").ok()) {
    std::fprintf(stderr, "consent or login refused\n");
    std::abort();
  }
  return std::move(*client);
}

// The event every benchmark records: a milestone with a value and one
// attribute (about 150 serialized bytes, see docs/performance.md).
inline const Attributes& BenchAttributes() {
  static const Attributes* attributes = new Attributes{{"plan", "pro"}};
  return *attributes;
}
inline absl::Status RecordOne(Client& client, double value) {
  return client.RecordMilestone("invoice_sent", value, BenchAttributes());
}

inline uint64_t TotalDropped(const Stats& stats) {
  uint64_t n = 0;
  for (const auto& [reason, count] : stats.dropped) n += count;
  return n;
}

// Percentile `p` (0..100) of `samples`, which it sorts.
template <typename T>
double Percentile(std::vector<T>& samples, double p) {
  if (samples.empty()) return 0;
  if (!std::is_sorted(samples.begin(), samples.end())) std::sort(samples.begin(), samples.end());
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(samples.size() - 1) + 0.5);
  return static_cast<double>(samples[std::min(rank, samples.size() - 1)]);
}

// Peak resident set size of this process so far, in bytes (getrusage).
inline int64_t PeakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux: kilobytes
}

// Current resident set size, in bytes (VmRSS from /proc/self/status).
inline int64_t CurrentRssBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return -1;
}

}  // namespace cairn::bench

#endif  // CAIRN_BENCH_BENCH_SUPPORT_H_
