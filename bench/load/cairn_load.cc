// cairn-load: an HTTP load generator for the collector (POST /v1/batch),
// with libcurl multi: one thread, one multi handle, N easy handles that each
// keep one HTTP/1.1 keep-alive connection busy.
//
//   cairn-load --url=http://127.0.0.1:8080 --write-key=KEY
//              --connections=32 --batch-events=500 --total-events=200000
//
// Flags (written --name=value; '-' or '_'):
//   --url=URL             collector base URL (/v1/batch is appended unless
//                         the URL already ends with it)              required
//   --write-key=KEY       Authorization: Bearer KEY                  required
//   --connections=N       concurrent requests / connections          32
//   --batch-events=N      events per batch                           100
//   --total-events=N      load events generated up front             100000
//   --duration=SECONDS    stop starting new batches after this (0: send all)
//   --compression=zstd|none                                          zstd
//   --users=N             distinct users (accounts = users/10)       1000
//   --consent=true|false  first send each user's consent grants      true
//   --timeout-ms=N        per-request timeout                        60000
//   --label=TEXT          copied into the JSON line (for scripts)
//
// What it does: builds every request body before the clock starts (fresh
// UUIDv7 event and batch ids, events that pass the collector's checks). Phase
// 1 sends, per user, ConsentChange grants for usage analytics and milestones
// dated an hour before the load, and waits for all of them, so the
// collector's consent enforcement accepts what follows. Phase 2, the
// measured one, sends the login/milestone batches. A 408, 429 or 5xx answer
// or a transport error resends the same bytes (same batch_id), after
// Retry-After if given (else 100 ms); other 4xx are counted and not resent.
//
// Reports for phase 2: accounted events/s (accepted + duplicates + rejected
// from 200 answers, over wall time), accepted/duplicates/rejected with the
// reject reasons, answers by status, retries, transport errors, and the
// latency of each attempt that got an HTTP answer (p50/p90/p99/max). Prints
// readable lines and then one line of JSON starting with {"cairn_load":.
// Exit status: 0 if every generated event (with --duration: every sent one)
// was accounted for in a 200, 1 if not, 2 on a usage error.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cairn/common/codec.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/strings.h"
#include "cairn/common/uuid.h"
#include "cairn/v1/batch.pb.h"
#include "workload.h"

namespace cairn::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string url;
  std::string write_key;
  int connections = 32;
  int batch_events = 100;
  int64_t total_events = 100000;
  double duration_s = 0;
  bool zstd = true;
  int users = 1000;
  bool consent = true;
  long timeout_ms = 60000;
  std::string label;
};

// Parses --name=value flags; names may use '-' or '_'. Usage error: message.
std::optional<std::string> ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return "unexpected argument " + arg;
    size_t eq = arg.find('=');
    std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    std::replace(name.begin(), name.end(), '_', '-');
    std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    auto integer = [&](auto& out) { return absl::SimpleAtoi(ToAbsl(value), &out) && out > 0; };
    bool ok = true;
    if (name == "url")
      flags.url = value;
    else if (name == "write-key")
      flags.write_key = value;
    else if (name == "connections")
      ok = integer(flags.connections);
    else if (name == "batch-events")
      ok = integer(flags.batch_events);
    else if (name == "total-events")
      ok = integer(flags.total_events);
    else if (name == "duration")
      ok = absl::SimpleAtod(ToAbsl(value), &flags.duration_s) && flags.duration_s >= 0;
    else if (name == "compression") {
      ok = value == "zstd" || value == "none";
      flags.zstd = value == "zstd";
    } else if (name == "users")
      ok = integer(flags.users);
    else if (name == "consent") {
      ok = value == "true" || value == "false";
      flags.consent = value == "true";
    } else if (name == "timeout-ms")
      ok = integer(flags.timeout_ms);
    else if (name == "label")
      flags.label = value;
    else
      return "unknown flag --" + name;
    if (!ok) return "bad value for --" + name + ": " + value;
  }
  if (flags.url.empty() || flags.write_key.empty()) return "--url and --write-key are required";
  return std::nullopt;
}

struct Request {
  std::string body;  // exact bytes; a retry resends them
  int events = 0;
  int attempts = 0;
};

struct Stats {
  int64_t requests_ok = 0;
  int64_t accepted = 0, duplicates = 0, rejected = 0;
  int64_t events_failed = 0;  // in requests given up on (4xx, too many attempts)
  int64_t retries = 0, transport_errors = 0;
  std::map<long, int64_t> by_status;
  std::map<std::string, int64_t> reject_reasons;
  std::vector<double> latency_ms;  // one per attempt with an HTTP answer
  double seconds = 0;
};

// Builds the request bodies: batches of `batch_events` of `events`, each
// from one of `installs` simulated devices with its own install id.
std::vector<Request> BuildRequests(std::vector<cairn::v1::Event> events, int batch_events,
                                   int installs, bool zstd, UuidV7Generator& ids) {
  std::vector<std::string> install_ids;
  for (int i = 0; i < installs; ++i) install_ids.push_back(RandomHexId());
  std::vector<Request> requests;
  for (size_t start = 0; start < events.size(); start += static_cast<size_t>(batch_events)) {
    size_t end = std::min(events.size(), start + static_cast<size_t>(batch_events));
    cairn::v1::Batch batch;
    batch.set_batch_id(ids.Next(absl::Now()));
    ToProto(absl::Now(), batch.mutable_sent_at());
    cairn::v1::ClientInfo* client = batch.mutable_client();
    client->set_sdk_name("cairn-load");
    client->set_sdk_version("0.1.0");
    client->set_app_name("load-bench");
    client->set_app_version("1.0");
    client->set_install_id(install_ids[requests.size() % install_ids.size()]);
    client->set_platform("linux");
    for (size_t i = start; i < end; ++i) *batch.add_events() = std::move(events[i]);
    Request request;
    request.events = static_cast<int>(end - start);
    std::string raw = batch.SerializeAsString();
    if (zstd) {
      absl::StatusOr<std::string> compressed = Compress(Codec::kZstd, raw);
      request.body = compressed.ok() ? std::move(*compressed) : std::string();
    } else {
      request.body = std::move(raw);
    }
    requests.push_back(std::move(request));
  }
  return requests;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// One connection's worth of state: an easy handle and its current request.
struct Slot {
  CURL* easy = nullptr;
  size_t request = 0;
  bool busy = false;
  Clock::time_point started;
  std::string response;
};

// Sends every request in `requests` with `connections` in flight at most,
// resending retryable failures; fills `stats`. Stops starting new requests
// at `deadline` if set. Cost: one thread, busy with libcurl and parsing.
void Run(const Flags& flags, std::vector<Request>& requests,
         std::optional<Clock::time_point> deadline, Stats& stats) {
  std::string url = flags.url;
  if (url.size() < 9 || url.compare(url.size() - 9, 9, "/v1/batch") != 0) {
    if (!url.empty() && url.back() == '/') url.pop_back();
    url += "/v1/batch";
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/x-protobuf");
  if (flags.zstd) headers = curl_slist_append(headers, "Content-Encoding: zstd");
  headers = curl_slist_append(headers, ("Authorization: Bearer " + flags.write_key).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip

  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(flags.connections));
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(flags.connections));
  std::vector<Slot> slots(static_cast<size_t>(flags.connections));
  for (Slot& slot : slots) {
    slot.easy = curl_easy_init();
    curl_easy_setopt(slot.easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(slot.easy, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(slot.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(slot.easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(slot.easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(slot.easy, CURLOPT_TIMEOUT_MS, flags.timeout_ms);
    curl_easy_setopt(slot.easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(slot.easy, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(slot.easy, CURLOPT_WRITEDATA, &slot.response);
    curl_easy_setopt(slot.easy, CURLOPT_PRIVATE, &slot);
  }

  std::deque<size_t> ready;
  for (size_t i = 0; i < requests.size(); ++i) ready.push_back(i);
  using Delayed = std::pair<Clock::time_point, size_t>;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed;
  constexpr int kMaxAttempts = 50;
  int in_flight = 0;
  bool stopped = false;
  Clock::time_point begin = Clock::now();

  auto start_idle = [&] {
    Clock::time_point now = Clock::now();
    while (!delayed.empty() && delayed.top().first <= now) {
      ready.push_front(delayed.top().second);  // a resend goes first
      delayed.pop();
    }
    if (deadline && now >= *deadline) stopped = true;
    for (Slot& slot : slots) {
      if (ready.empty() || stopped) break;
      if (slot.busy) continue;
      slot.request = ready.front();
      ready.pop_front();
      Request& request = requests[slot.request];
      ++request.attempts;
      slot.response.clear();
      curl_easy_setopt(slot.easy, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(slot.easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      slot.busy = true;
      slot.started = Clock::now();
      curl_multi_add_handle(multi, slot.easy);
      ++in_flight;
    }
  };
  auto resend_later = [&](size_t index, Clock::duration after) {
    if (requests[index].attempts >= kMaxAttempts) {
      stats.events_failed += requests[index].events;
      return;
    }
    ++stats.retries;
    delayed.emplace(Clock::now() + after, index);
  };
  auto finish = [&](Slot& slot, CURLcode code) {
    curl_multi_remove_handle(multi, slot.easy);
    slot.busy = false;
    --in_flight;
    Request& request = requests[slot.request];
    if (code != CURLE_OK) {
      ++stats.transport_errors;
      resend_later(slot.request, std::chrono::milliseconds(100));
      return;
    }
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - slot.started).count();
    stats.latency_ms.push_back(ms);
    long status = 0;
    curl_easy_getinfo(slot.easy, CURLINFO_RESPONSE_CODE, &status);
    ++stats.by_status[status];
    if (status == 200) {
      cairn::v1::BatchResponse response;
      if (!response.ParseFromString(slot.response)) {
        stats.events_failed += request.events;
        return;
      }
      ++stats.requests_ok;
      stats.accepted += response.accepted();
      stats.duplicates += response.duplicates();
      stats.rejected += response.rejected_size();
      for (const cairn::v1::RejectedEvent& rejected : response.rejected()) {
        ++stats.reject_reasons[cairn::v1::RejectReason_Name(rejected.reason())];
      }
    } else if (status == 408 || status == 429 || status >= 500) {
      curl_off_t retry_after = 0;
      curl_easy_getinfo(slot.easy, CURLINFO_RETRY_AFTER, &retry_after);
      resend_later(slot.request, retry_after > 0 ? std::chrono::duration_cast<Clock::duration>(
                                                       std::chrono::seconds(retry_after))
                                                 : std::chrono::milliseconds(100));
    } else {
      stats.events_failed += request.events;  // final: resending cannot help
    }
  };

  start_idle();
  while (in_flight > 0 || (!stopped && (!ready.empty() || !delayed.empty()))) {
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      Slot* slot = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &slot);
      finish(*slot, message->data.result);
    }
    start_idle();
    int wait_ms = 100;
    if (!delayed.empty()) {
      auto until =
          std::chrono::duration_cast<std::chrono::milliseconds>(delayed.top().first - Clock::now());
      wait_ms = static_cast<int>(std::clamp<int64_t>(until.count(), 0, 100));
    }
    if (in_flight > 0 || wait_ms > 0) curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
  }
  stats.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  // Whatever was never sent (duration reached) is neither failed nor done.
  for (Slot& slot : slots) curl_easy_cleanup(slot.easy);
  curl_multi_cleanup(multi);
  curl_slist_free_all(headers);
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

int Main(int argc, char** argv) {
  Flags flags;
  if (std::optional<std::string> error = ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr, "cairn-load: %s (see the comment at the top of cairn_load.cc)\n",
                 error->c_str());
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  absl::Time origin = absl::Now();
  Workload workload(flags.users, origin);
  UuidV7Generator batch_ids;

  auto prepare_start = Clock::now();
  std::vector<cairn::v1::Event> grants;
  if (flags.consent) {
    for (int user = 0; user < flags.users; ++user) {
      for (cairn::v1::Event& event : workload.ConsentGrants(user))
        grants.push_back(std::move(event));
    }
  }
  std::vector<cairn::v1::Event> load;
  load.reserve(static_cast<size_t>(flags.total_events));
  for (int64_t i = 0; i < flags.total_events; ++i) load.push_back(workload.LoadEvent(i));
  std::vector<Request> consent_requests = BuildRequests(std::move(grants), flags.batch_events,
                                                        flags.connections, flags.zstd, batch_ids);
  std::vector<Request> load_requests =
      BuildRequests(std::move(load), flags.batch_events, flags.connections, flags.zstd, batch_ids);
  size_t body_bytes = 0;
  for (const Request& request : load_requests) body_bytes += request.body.size();
  double prepare_s = std::chrono::duration<double>(Clock::now() - prepare_start).count();
  std::printf(
      "cairn-load: %zu load batches of %d events (%.0f bytes each on average, %s), "
      "%d users; prepared in %.2f s\n",
      load_requests.size(), flags.batch_events,
      load_requests.empty() ? 0.0 : static_cast<double>(body_bytes) / load_requests.size(),
      flags.zstd ? "zstd" : "uncompressed", flags.users, prepare_s);

  if (!consent_requests.empty()) {
    Stats consent;
    Run(flags, consent_requests, std::nullopt, consent);
    std::printf(
        "consent phase: %lld grants accepted, %lld duplicates, %lld rejected, "
        "%lld failed in %.2f s\n",
        static_cast<long long>(consent.accepted), static_cast<long long>(consent.duplicates),
        static_cast<long long>(consent.rejected), static_cast<long long>(consent.events_failed),
        consent.seconds);
  }

  Stats stats;
  std::optional<Clock::time_point> deadline;
  if (flags.duration_s > 0) {
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(flags.duration_s));
  }
  Run(flags, load_requests, deadline, stats);

  std::sort(stats.latency_ms.begin(), stats.latency_ms.end());
  int64_t accounted = stats.accepted + stats.duplicates + stats.rejected;
  double events_per_s = stats.seconds > 0 ? static_cast<double>(accounted) / stats.seconds : 0;
  int64_t http_4xx = 0, http_5xx = 0;
  for (const auto& [status, count] : stats.by_status) {
    if (status >= 400 && status < 500) http_4xx += count;
    if (status >= 500) http_5xx += count;
  }
  double p50 = Percentile(stats.latency_ms, 50), p90 = Percentile(stats.latency_ms, 90),
         p99 = Percentile(stats.latency_ms, 99),
         max = stats.latency_ms.empty() ? 0 : stats.latency_ms.back();
  std::printf(
      "load phase: %lld events in %.2f s = %.0f events/s (%lld batches/s) over %d "
      "connections, batches of %d\n",
      static_cast<long long>(accounted), stats.seconds, events_per_s,
      static_cast<long long>(stats.seconds > 0 ? stats.requests_ok / stats.seconds : 0),
      flags.connections, flags.batch_events);
  std::printf(
      "  accepted %lld, duplicates %lld, rejected %lld, failed %lld; retries %lld, "
      "transport errors %lld, 4xx %lld, 5xx %lld\n",
      static_cast<long long>(stats.accepted), static_cast<long long>(stats.duplicates),
      static_cast<long long>(stats.rejected), static_cast<long long>(stats.events_failed),
      static_cast<long long>(stats.retries), static_cast<long long>(stats.transport_errors),
      static_cast<long long>(http_4xx), static_cast<long long>(http_5xx));
  std::printf("  request latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", p50, p90, p99, max);
  std::string reasons;
  for (const auto& [reason, count] : stats.reject_reasons) {
    absl::StrAppend(&reasons, reasons.empty() ? "" : ",", "\"", reason, "\":", count);
    std::printf("  rejected %s: %lld\n", reason.c_str(), static_cast<long long>(count));
  }
  std::string statuses;
  for (const auto& [status, count] : stats.by_status) {
    absl::StrAppend(&statuses, statuses.empty() ? "" : ",", "\"", status, "\":", count);
  }
  std::printf("%s\n",
              absl::StrFormat(
                  "{\"cairn_load\":1,\"label\":\"%s\",\"connections\":%d,\"batch_events\":%d,"
                  "\"compression\":\"%s\",\"users\":%d,\"events\":%d,\"seconds\":%.3f,"
                  "\"events_per_s\":%.0f,\"accepted\":%d,\"duplicates\":%d,\"rejected\":%d,"
                  "\"failed\":%d,\"retries\":%d,\"transport_errors\":%d,\"http_4xx\":%d,"
                  "\"http_5xx\":%d,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
                  "\"status\":{%s},\"reject_reasons\":{%s}}",
                  flags.label, flags.connections, flags.batch_events, flags.zstd ? "zstd" : "none",
                  flags.users, accounted, stats.seconds, events_per_s, stats.accepted,
                  stats.duplicates, stats.rejected, stats.events_failed, stats.retries,
                  stats.transport_errors, http_4xx, http_5xx, p50, p90, p99, max, statuses, reasons)
                  .c_str());
  std::fflush(stdout);
  curl_global_cleanup();
  // With --duration not every batch is sent; then only failures count.
  bool complete = flags.duration_s > 0 || accounted == flags.total_events;
  return complete && stats.events_failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) { return cairn::bench::Main(argc, argv); }
