#include "store/postgres/pg_partitions.h"

#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "cairn/common/strings.h"
#include "store/postgres/pg_store.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

constexpr std::string_view kPartitionPrefix = "event_rows_y";

// The uuid text of the first id of `month`: its start in milliseconds as
// the 48-bit UUIDv7 time, the rest zero.
std::string MonthBound(PgMonth month) {
  const int64_t ms = std::max<int64_t>(0, MonthStartMillis(month));
  const std::string hex = absl::StrFormat("%012x", static_cast<uint64_t>(ms));
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-0000-0000-000000000000");
}

// Takes event_rows (and so every partition) exclusively for the rest of the
// transaction, then says whether partition `name` exists: what another
// collector did before the lock is seen, nothing can change after it.
absl::StatusOr<bool> LockAndFind(PgConnection& conn, const std::string& name) {
  if (absl::Status s = conn.Run("LOCK TABLE event_rows IN ACCESS EXCLUSIVE MODE"); !s.ok()) {
    return s;
  }
  PgParams named;
  named.Add(name);
  absl::StatusOr<PgResult> found = conn.Exec("SELECT to_regclass($1) IS NOT NULL", named);
  if (!found.ok()) return found.status();
  return found->Bool(0, 0);
}

// Runs `body` (returning StatusOr<T>) in a transaction of its own:
// committed if it succeeds, rolled back if anything fails.
template <typename Body>
auto InTransaction(PgConnection& conn, Body body) -> decltype(body()) {
  if (absl::Status s = conn.Run("BEGIN"); !s.ok()) return s;
  auto result = body();
  absl::Status s = result.status();
  if (s.ok()) s = conn.Run("COMMIT");
  if (!s.ok()) {
    conn.RollbackQuietly();
    return s;
  }
  return result;
}

}  // namespace

PgMonth MonthOf(absl::Time time) {
  const absl::CivilMonth month = absl::ToCivilMonth(time, absl::UTCTimeZone());
  return (static_cast<int64_t>(month.year()) - 1970) * 12 + (month.month() - 1);
}

int64_t UuidMillis(std::string_view uuid16) {
  uint64_t ms = 0;
  for (size_t i = 0; i < 6 && i < uuid16.size(); ++i) {
    ms = (ms << 8) | static_cast<unsigned char>(uuid16[i]);
  }
  return static_cast<int64_t>(ms);
}

int64_t MonthStartMillis(PgMonth month) {
  const int64_t year = 1970 + (month >= 0 ? month / 12 : (month - 11) / 12);
  const int64_t index = month - (year - 1970) * 12;
  return absl::ToUnixMillis(
      absl::FromCivil(absl::CivilMonth(year, static_cast<int>(index) + 1), absl::UTCTimeZone()));
}

std::string PartitionName(PgMonth month) {
  const int64_t year = 1970 + (month >= 0 ? month / 12 : (month - 11) / 12);
  const int64_t index = month - (year - 1970) * 12;
  return absl::StrFormat("%s%04dm%02d", ToAbsl(kPartitionPrefix), year, index + 1);
}

bool WantsPartition(PgMonth month, PgMonth now_month) {
  return month >= now_month - kPgMonthsBack && month <= now_month + kPgMonthsAhead;
}

std::string CreatePartitionSql(PgMonth month) {
  return absl::StrCat("CREATE TABLE ", PartitionName(month),
                      " PARTITION OF event_rows FOR VALUES FROM ('", MonthBound(month), "') TO ('",
                      MonthBound(month + 1), "')");
}

absl::StatusOr<std::set<PgMonth>> ListMonthPartitions(PgConnection& conn) {
  absl::StatusOr<PgResult> rows = conn.Exec(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = 'event_rows'::regclass");
  if (!rows.ok()) return rows.status();
  std::set<PgMonth> months;
  for (int r = 0; r < rows->rows(); ++r) {
    std::string_view name = rows->Text(r, 0);
    int year = 0, month = 0;
    if (name.size() != kPartitionPrefix.size() + 7 || !name.starts_with(kPartitionPrefix) ||
        !absl::SimpleAtoi(ToAbsl(name.substr(kPartitionPrefix.size(), 4)), &year) ||
        !absl::SimpleAtoi(ToAbsl(name.substr(kPartitionPrefix.size() + 5, 2)), &month)) {
      continue;  // the default partition
    }
    months.insert((static_cast<int64_t>(year) - 1970) * 12 + (month - 1));
  }
  return months;
}

absl::Status CreateMonthPartition(PgConnection& conn, PgMonth month) {
  const std::string name = PartitionName(month);
  const std::string range =
      absl::StrCat("id >= '", MonthBound(month), "' AND id < '", MonthBound(month + 1), "'");
  return InTransaction(
             conn,
             [&]() -> absl::StatusOr<bool> {
               // Exclusive first, so no collector stores a row of the range into the
               // default partition between the move and the creation.
               absl::StatusOr<bool> found = LockAndFind(conn, name);
               if (!found.ok() || *found) return found;  // another collector made it
               absl::StatusOr<PgResult> stray = conn.Exec(absl::StrCat(
                   "SELECT EXISTS (SELECT 1 FROM event_rows_default WHERE ", range, ")"));
               if (!stray.ok()) return stray.status();
               const bool move = stray->Bool(0, 0);
               if (move) {
                 absl::Status s = conn.Run(
                     absl::StrCat("CREATE TEMP TABLE cairn_moving ON COMMIT DROP AS SELECT * FROM "
                                  "event_rows_default "
                                  "WHERE ",
                                  range, "; DELETE FROM event_rows_default WHERE ", range));
                 if (!s.ok()) return s;
               }
               if (absl::Status s = conn.Run(CreatePartitionSql(month)); !s.ok()) return s;
               if (move) {
                 if (absl::Status s = conn.Run("INSERT INTO event_rows SELECT * FROM cairn_moving");
                     !s.ok()) {
                   return s;
                 }
               }
               return true;
             })
      .status();
}

absl::StatusOr<int64_t> DropPartitionsBefore(PgConnection& conn, int64_t cutoff_ms) {
  absl::StatusOr<std::set<PgMonth>> months = ListMonthPartitions(conn);
  if (!months.ok()) return months.status();
  int64_t dropped = 0;
  for (PgMonth month : *months) {
    if (MonthStartMillis(month + 1) > cutoff_ms) break;  // ids up to the cutoff or later
    const std::string name = PartitionName(month);
    PgParams cutoff;
    cutoff.Add(cutoff_ms);
    const std::string young =
        absl::StrCat("SELECT EXISTS (SELECT 1 FROM ", name, " WHERE occurred_at_ms >= $1::bigint)");
    absl::StatusOr<PgResult> has_young = conn.Exec(young, cutoff);
    if (!has_young.ok()) return has_young.status();
    if (has_young->Bool(0, 0)) continue;  // left to the row by row purge
    absl::StatusOr<PgResult> count = conn.Exec(absl::StrCat("SELECT count(*) FROM ", name));
    if (!count.ok()) return count.status();
    absl::StatusOr<bool> done = InTransaction(conn, [&]() -> absl::StatusOr<bool> {
      absl::StatusOr<bool> found = LockAndFind(conn, name);
      if (!found.ok() || !*found) return found;  // another collector dropped it
      // Checked again under the lock: a late event may have come in since.
      has_young = conn.Exec(young, cutoff);
      if (!has_young.ok()) return has_young.status();
      if (has_young->Bool(0, 0)) return false;
      if (absl::Status s = conn.Run(absl::StrCat("DROP TABLE ", name)); !s.ok()) return s;
      return true;
    });
    if (!done.ok()) return done.status();
    if (*done) dropped += count->Int(0, 0);
  }
  return dropped;
}

absl::Status PgStore::EnsurePartitions(std::span<const std::span<const EventRow>> rows) {
  const PgMonth now = MonthOf(absl::Now());
  std::set<PgMonth> missing;
  auto want = [&](PgMonth month) {
    if (!partitions_.contains(month)) missing.insert(month);
  };
  for (PgMonth month = now; month <= now + kPgMonthsCreatedAhead; ++month) want(month);
  // Ids come in runs of one month: one calendar conversion per run.
  int64_t run_start = 0, run_end = 0;
  for (std::span<const EventRow> batch : rows) {
    for (const EventRow& row : batch) {
      if (row.id.size() != 16) continue;  // stored under a hash: the default partition
      const int64_t ms = UuidMillis(row.id);
      if (ms >= run_start && ms < run_end) continue;
      const PgMonth month = MonthOf(absl::FromUnixMillis(ms));
      run_start = MonthStartMillis(month);
      run_end = MonthStartMillis(month + 1);
      if (WantsPartition(month, now)) want(month);
    }
  }
  if (missing.empty()) return absl::OkStatus();
  // Another collector may have made them since the last look.
  absl::StatusOr<std::set<PgMonth>> listed = ListMonthPartitions(*writer_);
  if (!listed.ok()) return WithContext(listed.status(), "listing partitions");
  partitions_ = *std::move(listed);
  for (PgMonth month : missing) {
    if (partitions_.contains(month)) continue;
    if (absl::Status s = CreateMonthPartition(*writer_, month); !s.ok()) {
      return WithContext(s, "creating a partition");
    }
    partitions_.insert(month);
  }
  return absl::OkStatus();
}

}  // namespace cairn::collector
