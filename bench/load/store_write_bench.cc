// cairn-store-write-bench: how much the collector's store costs per event
// on its writer thread, without HTTP and without other processes: Store::Write
// of prebuilt batches (rows encoded beforehand, as the I/O threads do), timed
// by the calling thread's CPU clock and the wall clock.
//
//   cairn-store-write-bench [--events=200000] [--users=1] [--batch=500]
//                           [--group=1] [--db=PATH]
//
// --users=1 is the end-to-end benchmark's shape (one device, one user);
// --users=1000 the ingest benchmark's (every batch from many users). --group
// is how many batches one Write (one transaction) takes, as group commit
// does. The database is a fresh SQLite file (synchronous=FULL, the
// collector's default options) in a temp dir unless --db names one.
// Prints events/s (wall), CPU us per event, and bytes on disk per event.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/common/strings.h"
#include "cairn/common/uuid.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "workload.h"

namespace cairn::bench {
namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

bool FlagInt(const char* arg, const char* name, int64_t* out) {
  const std::string prefix = absl::StrCat("--", name, "=");
  if (std::string_view(arg).substr(0, prefix.size()) != prefix) return false;
  return absl::SimpleAtoi(ToAbsl(std::string_view(arg).substr(prefix.size())), out);
}

int Main(int argc, char** argv) {
  int64_t events = 200000, users = 1, batch_events = 500, group = 1;
  std::string db;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (FlagInt(argv[i], "events", &events) || FlagInt(argv[i], "users", &users) ||
        FlagInt(argv[i], "batch", &batch_events) || FlagInt(argv[i], "group", &group)) {
      continue;
    }
    if (arg.substr(0, 5) == "--db=") {
      db = std::string(arg.substr(5));
      continue;
    }
    std::fprintf(stderr, "unknown flag %s\n", argv[i]);
    return 2;
  }
  std::string dir;
  if (db.empty()) {
    char pattern[] = "/tmp/cairn-store-write-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    dir = pattern;
    db = dir + "/collector.db";
  }
  auto opened = collector::SqliteStore::Open(db);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", std::string(opened.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<collector::SqliteStore> store = *std::move(opened);

  const absl::Time now = absl::Now();
  Workload workload(static_cast<int>(users), now);
  UuidV7Generator ids;
  auto make_batch = [&](std::vector<cairn::v1::Event> batch_events_list) {
    collector::BatchRecord record;
    record.batch_id = ids.Next(absl::Now());
    record.install_id = "0123456789abcdef0123456789abcdef";
    record.sent_at = now;
    record.received_at = now;
    record.sdk_version = "bench";
    record.event_count = static_cast<int64_t>(batch_events_list.size());
    record.events = std::move(batch_events_list);
    collector::EncodeEventRows(record);
    return record;
  };
  {
    std::vector<cairn::v1::Event> grants;
    for (int u = 0; u < workload.users(); ++u) {
      for (cairn::v1::Event& e : workload.ConsentGrants(u)) grants.push_back(std::move(e));
    }
    collector::BatchRecord record = make_batch(std::move(grants));
    if (!store->Write({&record, 1}).ok()) return 1;
  }
  std::vector<collector::BatchRecord> batches;
  for (int64_t i = 0; i < events; i += batch_events) {
    std::vector<cairn::v1::Event> list;
    for (int64_t j = i; j < i + batch_events && j < events; ++j) {
      list.push_back(workload.LoadEvent(j));
    }
    batches.push_back(make_batch(std::move(list)));
  }

  int64_t stored = 0;
  const double cpu_start = ThreadCpuSeconds();
  const absl::Time wall_start = absl::Now();
  for (size_t i = 0; i < batches.size(); i += static_cast<size_t>(group)) {
    const size_t n = std::min(batches.size() - i, static_cast<size_t>(group));
    auto results = store->Write({&batches[i], n});
    if (!results.ok()) {
      std::fprintf(stderr, "write: %s\n", std::string(results.status().message()).c_str());
      return 1;
    }
    for (const collector::BatchWriteResult& r : *results) stored += r.inserted;
  }
  const double wall = absl::ToDoubleSeconds(absl::Now() - wall_start);
  const double cpu = ThreadCpuSeconds() - cpu_start;
  store.reset();  // checkpoints the WAL into the file
  const auto bytes = std::filesystem::file_size(db);
  std::printf(
      "store-write: %lld events (%lld stored), users %lld, batch %lld, group %lld: %.0f events/s, "
      "%.2f us CPU/event, %.1f bytes/event on disk\n",
      static_cast<long long>(events), static_cast<long long>(stored), static_cast<long long>(users),
      static_cast<long long>(batch_events), static_cast<long long>(group),
      static_cast<double>(events) / wall, cpu * 1e6 / static_cast<double>(events),
      static_cast<double>(bytes) / static_cast<double>(stored + 2 * users));
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return stored == events ? 0 : 1;
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) { return cairn::bench::Main(argc, argv); }
