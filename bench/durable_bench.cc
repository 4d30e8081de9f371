// Sustained durable throughput: events per second from Record* until they
// are persisted in the SDK's SQLite buffer, as a ratio of the raw SQLite
// batched insert rate of rows of the same size, measured by this program in
// the same run.
//
//   build/bench/durable_bench --benchmark_repetitions=5
//
// Benchmarks:
//  - BM_RawSqliteInsert/indexed:0: the baseline. One connection opened like
//    the SDK's buffer (cairn::sqlite, WAL, synchronous=NORMAL) inserts rows
//    into a table shaped like the buffer (seq INTEGER PRIMARY KEY, user_id
//    TEXT, purpose INTEGER, created_ms INTEGER, payload BLOB), 4096 rows per
//    transaction (the SDK's commit_max_events), one prepared statement,
//    999,424 rows per run. The payload is as long as the SDK's serialized
//    event (measured at start). indexed:1 adds a (user_id, purpose) index,
//    which the buffer had until its schema v2, for reference.
//  - BM_SdkDurable/ack:0: one thread records milestones on a real Client as
//    fast as it can, 100,000 per iteration (10 iterations, 1,000,000 events
//    per run); the iteration ends when GetStats().persisted has caught up
//    (polled every 50 us). The transport
//    fails every request and the backoff is an hour, so the sender stays out
//    of the way after one attempt: this is the writer's throughput. ack:1
//    uses a transport that acknowledges at once: the sender reads, encodes,
//    compresses and deletes rows at the same time, as in production.
//    Options are the defaults except the transport, the backoff (ack:0),
//    queue_capacity (raised so no event is dropped) and the buffer bounds
//    (none, as for the raw table, so nothing is evicted): dropped must be 0.
//  - BM_RawSqliteDelete/mode:{0,1,2}/indexed:{1,0}: the cost of deleting
//    delivered rows by statement shape (0: per row with RETURNING, as the
//    SDK did before schema v2; 1: per row; 2: one range per 500-row batch,
//    as it does now). Context for docs/performance.md, not a target.
// After the table, a summary prints the median rates and the ratios.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "cairn/common/sqlite.h"

namespace cairn::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int64_t kRowsPerTransaction = 4096;
constexpr int64_t kEventsPerIteration = 100'000;
size_t event_payload_bytes = 150;  // replaced by the measured size in main

void WaitPersisted(Client& client, uint64_t target) {
  while (client.GetStats().persisted < target) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

// Serialized size of the benchmark event as the SDK stores it.
size_t MeasurePayloadBytes() {
  TempDir dir;
  Options options = BenchOptions(dir.path(), std::make_shared<UnreachableTransport>());
  options.min_backoff = options.max_backoff = absl::Hours(1);
  std::unique_ptr<Client> client = MakeSignedInClient(std::move(options));
  WaitPersisted(*client, 1);
  Stats before = client->GetStats();
  constexpr int kEvents = 1000;
  for (int i = 0; i < kEvents; ++i) RecordOne(*client, 1000 + i).IgnoreError();
  WaitPersisted(*client, before.persisted + kEvents);
  Stats after = client->GetStats();
  return static_cast<size_t>((after.buffered_bytes - before.buffered_bytes) / kEvents);
}

void Check(benchmark::State& state, const absl::Status& s) {
  if (!s.ok()) state.SkipWithError(s.ToString().c_str());
}

void BM_RawSqliteInsert(benchmark::State& state) {
  const bool indexed = state.range(0) != 0;
  TempDir dir;
  absl::StatusOr<std::unique_ptr<sqlite::Database>> db =
      sqlite::Database::Open(dir.file("raw.db"));  // WAL, synchronous=NORMAL: as the SDK
  if (!db.ok()) return Check(state, db.status());
  Check(state, (*db)->Exec("CREATE TABLE events (seq INTEGER PRIMARY KEY, user_id TEXT NOT NULL, "
                           "purpose INTEGER NOT NULL, created_ms INTEGER NOT NULL, "
                           "payload BLOB NOT NULL)"));
  if (indexed)
    Check(state, (*db)->Exec("CREATE INDEX events_by_user ON events (user_id, purpose)"));
  absl::StatusOr<sqlite::Statement> insert = (*db)->Prepare(
      "INSERT INTO events (seq, user_id, purpose, created_ms, payload) VALUES (?,?,?,?,?)");
  if (!insert.ok()) return Check(state, insert.status());
  std::string payload(event_payload_bytes, '\0');
  std::mt19937 random(42);
  for (char& c : payload) c = static_cast<char>(random());
  int64_t seq = 0;
  for (auto _ : state) {
    sqlite::Transaction txn(**db);
    if (absl::Status s = txn.Begin(); !s.ok()) return Check(state, s);
    const int64_t created_ms = absl::ToUnixMillis(absl::Now());
    for (int64_t i = 0; i < kRowsPerTransaction; ++i) {
      insert->Bind(1, ++seq).Bind(2, kUser).Bind(3, int64_t{2}).Bind(4, created_ms + i);
      insert->BindBlob(5, payload);
      if (absl::Status s = insert->Run(); !s.ok()) return Check(state, s);
    }
    if (absl::Status s = txn.Commit(); !s.ok()) return Check(state, s);
  }
  state.SetItemsProcessed(state.iterations() * kRowsPerTransaction);
  state.counters["row_payload_bytes"] = static_cast<double>(event_payload_bytes);
}
// About 1,000,000 rows per run, as many as BM_SdkDurable writes, so both
// measure tables of the same size.
BENCHMARK(BM_RawSqliteInsert)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("indexed")
    ->Iterations(10 * kEventsPerIteration / kRowsPerTransaction)
    ->UseRealTime();

// What the buffer's deletes cost per row, by the shape of the statement
// (docs/performance.md, "Delivery"). 300,000 rows inserted first (untimed),
// then 200,000 deleted oldest first, 500 per transaction (a batch).
void BM_RawSqliteDelete(benchmark::State& state) {
  const int64_t mode = state.range(0);  // 0: seq = ? RETURNING; 1: seq = ?; 2: BETWEEN
  const bool indexed = state.range(1) != 0;
  constexpr int64_t kRows = 300'000, kBatch = 500;
  TempDir dir;
  absl::StatusOr<std::unique_ptr<sqlite::Database>> db = sqlite::Database::Open(dir.file("raw.db"));
  if (!db.ok()) return Check(state, db.status());
  Check(state, (*db)->Exec("CREATE TABLE events (seq INTEGER PRIMARY KEY, user_id TEXT NOT NULL, "
                           "purpose INTEGER NOT NULL, created_ms INTEGER NOT NULL, "
                           "payload BLOB NOT NULL)"));
  if (indexed)
    Check(state, (*db)->Exec("CREATE INDEX events_by_user ON events (user_id, purpose)"));
  Check(state, (*db)->Exec(absl::StrCat(
                   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ",
                   kRows, ") INSERT INTO events SELECT x, '", kUser,
                   "', 2, 1700000000000 + x, randomblob(", event_payload_bytes, ") FROM c")));
  const char* sql[] = {"DELETE FROM events WHERE seq = ? RETURNING length(payload)",
                       "DELETE FROM events WHERE seq = ?",
                       "DELETE FROM events WHERE seq BETWEEN ? AND ?"};
  absl::StatusOr<sqlite::Statement> del = (*db)->Prepare(sql[mode]);
  if (!del.ok()) return Check(state, del.status());
  int64_t next = 1;
  for (auto _ : state) {
    sqlite::Transaction txn(**db);
    if (absl::Status s = txn.Begin(); !s.ok()) return Check(state, s);
    if (mode == 2) {
      del->Bind(1, next).Bind(2, next + kBatch - 1);
      if (absl::Status s = del->Run(); !s.ok()) return Check(state, s);
    } else {
      for (int64_t seq = next; seq < next + kBatch; ++seq) {
        del->Bind(1, seq);
        while (true) {  // drain the RETURNING rows, as the SDK does
          absl::StatusOr<bool> row = del->Step();
          if (!row.ok()) return Check(state, row.status());
          if (!*row) break;
        }
        del->Reset();
      }
    }
    next += kBatch;
    if (absl::Status s = txn.Commit(); !s.ok()) return Check(state, s);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_RawSqliteDelete)
    ->ArgsProduct({{0, 1, 2}, {1, 0}})
    ->ArgNames({"mode", "indexed"})
    ->Iterations(400)
    ->UseRealTime();

void BM_SdkDurable(benchmark::State& state) {
  const bool ack = state.range(0) != 0;
  TempDir dir;
  Options options =
      BenchOptions(dir.path(), ack ? std::shared_ptr<Transport>(std::make_shared<AckTransport>())
                                   : std::make_shared<UnreachableTransport>());
  if (!ack) options.min_backoff = options.max_backoff = absl::Hours(1);
  options.queue_capacity = 2 * kEventsPerIteration;
  // Unbounded, like the raw table: a bound would make the writer evict (and
  // count) the oldest rows, which is extra work this figure must not include.
  options.max_buffer_rows = 0;
  options.max_buffer_bytes = 0;
  std::unique_ptr<Client> client = MakeSignedInClient(std::move(options));
  WaitPersisted(*client, 1);
  uint64_t target = client->GetStats().persisted;
  double value = 0;
  double record_seconds = 0, total_seconds = 0;
  for (auto _ : state) {
    auto start = SteadyClock::now();
    for (int64_t i = 0; i < kEventsPerIteration; ++i) {
      if (absl::Status s = RecordOne(*client, ++value); !s.ok()) return Check(state, s);
    }
    auto recorded = SteadyClock::now();
    target += kEventsPerIteration;
    WaitPersisted(*client, target);
    auto end = SteadyClock::now();
    record_seconds += std::chrono::duration<double>(recorded - start).count();
    total_seconds += std::chrono::duration<double>(end - start).count();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
  }
  Stats stats = client->GetStats();
  state.SetItemsProcessed(state.iterations() * kEventsPerIteration);
  state.counters["dropped"] = static_cast<double>(TotalDropped(stats));
  // Share of the time the recording thread was busy recording: well under 1
  // means the writer, not the caller, set the pace.
  state.counters["caller_busy"] = record_seconds / std::max(1e-9, total_seconds);
}
BENCHMARK(BM_SdkDurable)->Arg(0)->Arg(1)->ArgName("ack")->Iterations(10)->UseManualTime();

// The console table, then the median rates of every benchmark and the
// durable/raw ratios computed from them.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Color : OO_None) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      std::string key = run.run_name.function_name + "/" + run.run_name.args;
      rates_[key].push_back(it->second.value);
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nMedian rates (rows or events per second, %zu-byte payloads):\n",
                event_payload_bytes);
    std::map<std::string, double> median;
    for (auto& [key, values] : rates_) {
      median[key] = Percentile(values, 50);
      std::printf("  %-32s %12.0f /s  (median of %zu)\n", key.c_str(), median[key], values.size());
    }
    auto ratio = [&](const char* sdk, const char* raw) {
      if (!median.count(sdk) || !median.count(raw) || median[raw] <= 0) return;
      std::printf("  %s / %s = %.2f\n", sdk, raw, median[sdk] / median[raw]);
    };
    std::printf(
        "Durable throughput as a ratio of raw SQLite (target >= 0.50 against indexed:0):\n");
    ratio("BM_SdkDurable/ack:0", "BM_RawSqliteInsert/indexed:0");
    ratio("BM_SdkDurable/ack:1", "BM_RawSqliteInsert/indexed:0");
    ratio("BM_SdkDurable/ack:0", "BM_RawSqliteInsert/indexed:1");
    ratio("BM_SdkDurable/ack:1", "BM_RawSqliteInsert/indexed:1");
  }

 private:
  std::map<std::string, std::vector<double>> rates_;
};

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  cairn::bench::event_payload_bytes = cairn::bench::MeasurePayloadBytes();
  benchmark::AddCustomContext("event_payload_bytes",
                              std::to_string(cairn::bench::event_payload_bytes));
  cairn::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
