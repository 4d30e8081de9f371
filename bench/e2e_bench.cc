// Whole-process end-to-end benchmark: this process embeds the SDK, records
// N milestone events (after one login, with consent granted) and delivers
// them to the real cairn-collector binary on loopback; then it checks the
// collector's store holds every event exactly once.
//
//   build/bench/cairn-e2e-bench                 # 1,000,000 events
//   build/bench/cairn-e2e-bench --events=100000
//
// Flags:
//   --events=N        milestones to record (default 1000000), plus one login
//   --batch-events=N  Options::max_batch_events (default: the SDK's default)
//   --queue-capacity=N  Options::queue_capacity (default: the SDK's default)
//   --keep            keep the temp dir (collector DB, SDK buffer, collector log)
//
// Reports wall time from the first record call until Flush returned OK (all
// events acknowledged by the collector), events/s, the phases, CPU time of
// both processes, and memory: RSS before the Client was created and the peak
// RSS of this process (getrusage ru_maxrss), whose difference is the SDK's
// own overhead. The SDK runs with default Options except the URL, the key,
// the storage dir and, if given, max_batch_events and queue_capacity. Its
// transport is its own libcurl transport (sdk/src/upload/curl_transport.h, what it
// uses by default) wrapped to time each request, so the report can say how
// long the sender waited on the collector; it also prints CPU time per
// thread of both processes.
//
// The SDK drops (and counts) an event recorded while its in-memory queue is
// full, and evicts (and counts) the oldest buffered events when its disk
// buffer is over its bounds; a real app records far slower than this loop,
// so the loop paces itself instead: every 1024 events it checks GetStats()
// and waits while the queue is nearly full or more than 200,000 events are
// recorded but not yet acknowledged. The waits are reported; with them no
// event is dropped, which the check at the end verifies.
//
// Exit status: 0 if every event was delivered and stored exactly once.
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "cairn/common/sqlite.h"
#include "sdk/src/upload/curl_transport.h"

#ifndef CAIRN_COLLECTOR_BINARY
#error "CAIRN_COLLECTOR_BINARY must name the cairn-collector binary"
#endif

namespace cairn::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr const char* kWriteKey = "bench-e2e-write-key";
constexpr std::string_view kListeningPrefix = "cairn-collector listening on ";
// MakeSignedInClient grants two purposes: two ConsentChange events are
// delivered along with the recorded ones.
constexpr uint64_t kConsentGrants = 2;

// Most events recorded but not yet acknowledged: keeps the on-device buffer
// well inside its default bounds (rows and bytes), which would otherwise
// evict (and count) the oldest events.
constexpr uint64_t kMaxUndelivered = 200'000;

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }
double Mb(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }
double CpuSeconds(const timeval& user, const timeval& sys) {
  return static_cast<double>(user.tv_sec + sys.tv_sec) +
         static_cast<double>(user.tv_usec + sys.tv_usec) / 1e6;
}

struct Flags {
  int64_t events = 1'000'000;
  int64_t batch_events = 0;    // 0: SDK default
  int64_t queue_capacity = 0;  // 0: SDK default
  bool keep = false;
};

bool ParseInt(std::string_view text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out > 0;
}

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.rfind("--events=", 0) == 0) {
      if (!ParseInt(arg.substr(9), flags.events)) return false;
    } else if (arg.rfind("--batch-events=", 0) == 0) {
      if (!ParseInt(arg.substr(15), flags.batch_events)) return false;
    } else if (arg.rfind("--queue-capacity=", 0) == 0) {
      if (!ParseInt(arg.substr(17), flags.queue_capacity)) return false;
    } else if (arg == "--keep") {
      flags.keep = true;
    } else {
      return false;
    }
  }
  return true;
}

// The collector child process.
class Collector {
 public:
  // Starts cairn-collector on 127.0.0.1 port 0 with `db`, its log to `log`,
  // and waits (up to 20 s) for its "listening on" line.
  bool Start(const std::string& db, const std::string& log) {
    std::vector<std::string> args = {CAIRN_COLLECTOR_BINARY, "--listen=127.0.0.1:0", "--db=" + db,
                                     std::string("--write-key=") + kWriteKey};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return false;
    int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) return false;
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {  // only async-signal-safe calls from here
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(out[1], STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    close(log_fd);
    stdout_fd_ = out[0];
    std::string line;
    auto deadline = SteadyClock::now() + std::chrono::seconds(20);
    while (line.find('\n') == std::string::npos) {
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
              .count());
      if (left <= 0) return false;
      pollfd pfd{stdout_fd_, POLLIN, 0};
      if (poll(&pfd, 1, left) <= 0) continue;
      char buffer[256];
      ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      line.append(buffer, static_cast<size_t>(n));
    }
    line.resize(line.find('\n'));
    size_t colon = line.rfind(':');
    if (line.rfind(kListeningPrefix, 0) != 0 || colon == std::string::npos) return false;
    int64_t port = 0;
    if (!ParseInt(std::string_view(line).substr(colon + 1), port) || port > 65535) return false;
    url_ = "http://127.0.0.1:" + std::to_string(port);
    return true;
  }

  // SIGTERM (SIGKILL after 30 s) and reap. True if it exited with 0.
  bool Stop() {
    if (pid_ <= 0) return false;
    kill(pid_, SIGTERM);
    auto deadline = SteadyClock::now() + std::chrono::seconds(30);
    int status = 0;
    while (true) {
      pid_t done = wait4(pid_, &status, WNOHANG, &usage_);
      if (done == pid_) break;
      if (done < 0 && errno != EINTR) break;
      if (SteadyClock::now() > deadline) {
        kill(pid_, SIGKILL);
        wait4(pid_, &status, 0, &usage_);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  ~Collector() {
    if (pid_ > 0) Stop();
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }

  const std::string& url() const { return url_; }
  pid_t pid() const { return pid_; }
  // Valid after Stop.
  const rusage& usage() const { return usage_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string url_;
  rusage usage_{};
};

// Samples queue depth, buffer rows and heap use every 10 ms and keeps the
// maxima: what the peak RSS is made of.
class Sampler {
 public:
  explicit Sampler(Client& client) : client_(client), thread_([this] { Loop(); }) {}
  ~Sampler() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t max_queued = 0, max_buffered_rows = 0;
  size_t max_heap = 0;

 private:
  void Loop() {
    while (!stop_) {
      Stats s = client_.GetStats();
      max_queued = std::max(max_queued, s.recorded - s.persisted);
      max_buffered_rows = std::max(max_buffered_rows, s.buffered_rows);
      struct mallinfo2 m = mallinfo2();
      max_heap = std::max(max_heap, m.uordblks + m.hblkhd);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  Client& client_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The SDK's own libcurl transport (what it uses when Options::transport is
// null), timed: how long the sender thread waits on the collector.
class TimedTransport : public Transport {
 public:
  TimedTransport() : inner_("") {}
  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override {
    auto start = SteadyClock::now();
    {
      std::lock_guard lock(mu_);
      if (in_flight_++ == 0) busy_since_ = start;
    }
    absl::StatusOr<HttpResponse> response = inner_.Post(request);
    auto end = SteadyClock::now();
    waited_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
    {
      std::lock_guard lock(mu_);
      if (--in_flight_ == 0) busy_ticks_ += (end - busy_since_).count();
    }
    ++posts_;
    return response;
  }
  void Abort() override { inner_.Abort(); }
  // As many requests at once as the SDK's own transport runs.
  int MaxConcurrentPosts() const override { return inner_.MaxConcurrentPosts(); }
  double waited_seconds() const { return static_cast<double>(waited_ns_.load()) / 1e9; }
  int64_t posts() const { return posts_.load(); }
  // Wall time with at least one request in flight.
  double busy_seconds() const {
    std::lock_guard lock(mu_);
    return std::chrono::duration<double>(SteadyClock::duration(busy_ticks_)).count();
  }

 private:
  sdk::CurlTransport inner_;
  std::atomic<int64_t> waited_ns_{0}, posts_{0};
  mutable std::mutex mu_;
  int in_flight_ = 0;                   // guarded by mu_
  SteadyClock::time_point busy_since_;  // guarded by mu_
  SteadyClock::rep busy_ticks_ = 0;     // guarded by mu_
};

// CPU seconds of every thread of process `pid` ("self" for this one), in
// thread id order (for this process: main, then the Client's threads in the
// order it starts them: writer, post lanes, sender).
std::string ThreadCpu(const std::string& pid) {
  std::string out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::vector<std::pair<long, double>> tasks;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + pid + "/task", ec)) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    size_t paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(line.substr(paren + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::atof(field.c_str());
      if (i == 15) stime = std::atof(field.c_str());
    }
    tasks.emplace_back(std::atol(entry.path().filename().c_str()), (utime + stime) / tick);
  }
  std::sort(tasks.begin(), tasks.end());
  for (const auto& [tid, seconds] : tasks) {
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%s%.2f", out.empty() ? "" : " ", seconds);
    out += buffer;
  }
  return out;
}

// Runs `cairn-collector summary --db=...` and prints its output indented.
bool PrintSummary(const std::string& db) {
  std::string command = std::string(CAIRN_COLLECTOR_BINARY) + " summary --db='" + db + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  std::array<char, 512> line;
  int lines = 0;
  while (fgets(line.data(), line.size(), pipe) != nullptr) {
    if (++lines <= 12) std::printf("    | %s", line.data());
  }
  return pclose(pipe) == 0;
}

int Main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr,
                 "usage: %s [--events=N] [--batch-events=N] [--queue-capacity=N] [--keep]\n",
                 argv[0]);
    return 2;
  }
  const int64_t n = flags.events;
  TempDir dir("cairn-e2e-bench");
  const std::string db = dir.file("collector.db");
  Collector collector;
  if (!collector.Start(db, dir.file("collector.log"))) {
    std::fprintf(stderr, "could not start %s (log: %s)\n", CAIRN_COLLECTOR_BINARY,
                 dir.file("collector.log").c_str());
    return 1;
  }

  const int64_t rss_before = CurrentRssBytes();
  const int64_t peak_before = PeakRssBytes();
  auto transport = std::make_shared<TimedTransport>();  // the SDK's libcurl transport, timed
  Options options = BenchOptions(dir.file("sdk"), transport);
  options.collector_url = collector.url();
  options.write_key = kWriteKey;
  if (flags.batch_events > 0) options.max_batch_events = static_cast<size_t>(flags.batch_events);
  if (flags.queue_capacity > 0) options.queue_capacity = static_cast<size_t>(flags.queue_capacity);
  const uint64_t queue_capacity = options.queue_capacity;
  const auto t_create = SteadyClock::now();
  std::unique_ptr<Client> client = MakeSignedInClient(options);  // + 1 login event
  const auto t_start = SteadyClock::now();
  Sampler sampler(*client);

  static constexpr const char* kNames[] = {
      "invoice_sent",    "quote_completed",  "profile_completed",     "project_created",
      "report_exported", "teammate_invited", "integration_connected", "dashboard_viewed"};
  uint64_t pacing_waits = 0;
  int64_t full_refusals = 0;
  for (int64_t i = 0; i < n; ++i) {
    if ((i & 1023) == 0) {
      while (true) {
        Stats s = client->GetStats();
        const uint64_t queued = s.recorded - s.persisted;
        // The two consent grants are acknowledged too, but were never "recorded".
        const uint64_t done = s.acknowledged + s.duplicates;
        const uint64_t undelivered =
            s.recorded + kConsentGrants > done ? s.recorded + kConsentGrants - done : 0;
        if (queued + 2048 <= queue_capacity && undelivered <= kMaxUndelivered) break;
        ++pacing_waits;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    absl::Status s =
        client->RecordMilestone(kNames[i % 8], static_cast<double>(i), BenchAttributes());
    if (absl::IsResourceExhausted(s)) {  // queue full despite the pacing: record it again
      ++full_refusals;
      --i;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    } else if (!s.ok()) {
      std::fprintf(stderr, "record failed: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  const auto t_recorded = SteadyClock::now();
  int flush_calls = 0;
  absl::Status flushed;
  const absl::Time flush_deadline = absl::Now() + absl::Minutes(10);
  do {  // Unavailable means a delivery attempt failed meanwhile: delivery goes on
    ++flush_calls;
    flushed = client->Flush(flush_deadline);
  } while (absl::IsUnavailable(flushed) && absl::Now() < flush_deadline);
  const auto t_delivered = SteadyClock::now();
  sampler.Stop();
  const int64_t peak_after = PeakRssBytes();
  const int64_t rss_after = CurrentRssBytes();
  Stats stats = client->GetStats();
  const std::string sdk_threads_cpu = ThreadCpu("self");
  const std::string collector_threads_cpu = ThreadCpu(std::to_string(collector.pid()));
  absl::Status shutdown = client->Shutdown(absl::Now() + absl::Seconds(10));
  client.reset();
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  const bool collector_ok = collector.Stop();

  const double wall = Seconds(t_delivered - t_start);
  const int64_t total = n + 1;
  std::printf(
      "Cairn end-to-end benchmark: %lld milestones + 1 login, SDK -> cairn-collector "
      "on loopback (libcurl, %s)\n",
      static_cast<long long>(n), std::string(CodecName(options.compression)).c_str());
  std::printf("  batch: max %zu events / %zu bytes; queue capacity %llu\n",
              options.max_batch_events, options.max_batch_bytes,
              static_cast<unsigned long long>(queue_capacity));
  std::printf("  Client::Create + consent + login: %8.3f s\n", Seconds(t_start - t_create));
  std::printf("  record phase:                     %8.3f s  (%.0f events/s; %llu pacing waits)\n",
              Seconds(t_recorded - t_start), static_cast<double>(n) / Seconds(t_recorded - t_start),
              static_cast<unsigned long long>(pacing_waits));
  std::printf("  flush phase (delivery tail):      %8.3f s  (%d Flush call(s): %s)\n",
              Seconds(t_delivered - t_recorded), flush_calls, flushed.ToString().c_str());
  std::printf("  WALL TIME record->delivered:      %8.3f s\n", wall);
  std::printf("  EVENTS/S end to end:              %8.0f\n", static_cast<double>(total) / wall);
  std::printf("  RSS before Client::Create:        %8.1f MB (peak so far %.1f MB)\n",
              Mb(rss_before), Mb(peak_before));
  std::printf("  PEAK RSS of this process:         %8.1f MB (RSS after Flush %.1f MB)\n",
              Mb(peak_after), Mb(rss_after));
  std::printf("  SDK overhead (peak - before):     %8.1f MB\n", Mb(peak_after - rss_before));
  std::printf(
      "  sampled every 10 ms: max queue %llu events, max heap in use %.1f MB "
      "(mallinfo2), max buffer %llu rows\n",
      static_cast<unsigned long long>(sampler.max_queued),
      Mb(static_cast<int64_t>(sampler.max_heap)),
      static_cast<unsigned long long>(sampler.max_buffered_rows));
  std::printf("  CPU: this process %.2f s; collector %.2f s; collector peak RSS %.1f MB\n",
              CpuSeconds(self.ru_utime, self.ru_stime),
              CpuSeconds(collector.usage().ru_utime, collector.usage().ru_stime),
              Mb(static_cast<int64_t>(collector.usage().ru_maxrss) * 1024));
  std::printf(
      "  CPU s per thread, in thread id order: this process [%s] (main, SDK writer, "
      "SDK post lanes, SDK sender); collector [%s]\n",
      sdk_threads_cpu.c_str(), collector_threads_cpu.c_str());
  std::printf(
      "  requests waited on the collector (inside Transport::Post, summed over the lanes): %.2f s "
      "over %lld "
      "requests (%.2f ms each)\n",
      transport->waited_seconds(), static_cast<long long>(transport->posts()),
      transport->posts() > 0
          ? 1e3 * transport->waited_seconds() / static_cast<double>(transport->posts())
          : 0.0);
  std::printf("  wall time with a request in flight: %.2f s\n", transport->busy_seconds());
  std::printf(
      "  SDK stats: recorded %llu, persisted %llu, sent %llu, acknowledged %llu, "
      "duplicates %llu, retries %llu, batches %llu, dropped %llu, queue-full "
      "re-records %lld\n",
      static_cast<unsigned long long>(stats.recorded),
      static_cast<unsigned long long>(stats.persisted), static_cast<unsigned long long>(stats.sent),
      static_cast<unsigned long long>(stats.acknowledged),
      static_cast<unsigned long long>(stats.duplicates),
      static_cast<unsigned long long>(stats.retries),
      static_cast<unsigned long long>(stats.batches_acknowledged),
      static_cast<unsigned long long>(TotalDropped(stats)), static_cast<long long>(full_refusals));
  std::printf("  shutdown: %s; collector stopped with SIGTERM: %s\n", shutdown.ToString().c_str(),
              collector_ok ? "exit 0" : "FAILED");

  // Verification: the collector's store, read directly.
  bool ok = flushed.ok() && collector_ok;
  sqlite::OpenOptions read_only;
  read_only.read_only = true;
  absl::StatusOr<std::unique_ptr<sqlite::Database>> store = sqlite::Database::Open(db, read_only);
  if (!store.ok()) {
    std::printf("  VERIFY: cannot open the store: %s\n", store.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<sqlite::Statement> q = (*store)->Prepare(
      "SELECT count(*), count(DISTINCT event_id), count(DISTINCT sequence), "
      "coalesce(sum(kind = 'login'), 0), coalesce(sum(kind = 'milestone'), 0) FROM events "
      "WHERE kind <> 'consent_change'");
  if (!q.ok() || !q->Step().value_or(false)) {
    std::printf("  VERIFY: cannot query the store\n");
    return 1;
  }
  const int64_t rows = q->ColumnInt(0), ids = q->ColumnInt(1), seqs = q->ColumnInt(2);
  const int64_t logins = q->ColumnInt(3), milestones = q->ColumnInt(4);
  const bool stored_once =
      rows == total && ids == total && seqs == total && logins == 1 && milestones == n;
  ok = ok && stored_once && stats.acknowledged == static_cast<uint64_t>(total) + kConsentGrants;
  std::printf(
      "  VERIFY store: %lld rows, %lld distinct event ids, %lld distinct sequences, "
      "%lld login, %lld milestones: %s\n",
      static_cast<long long>(rows), static_cast<long long>(ids), static_cast<long long>(seqs),
      static_cast<long long>(logins), static_cast<long long>(milestones),
      stored_once ? "every event stored exactly once" : "MISMATCH");
  std::printf("  cairn-collector summary:\n");
  ok = PrintSummary(db) && ok;
  std::printf("RESULT: %s\n", ok ? "OK" : "FAILED");
  if (flags.keep) {
    std::string kept = dir.path() + ".kept";
    std::rename(dir.path().c_str(), kept.c_str());
    std::printf("kept %s\n", kept.c_str());
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) { return cairn::bench::Main(argc, argv); }
