// The monthly partitions of the PostgreSQL store's event_rows table. Private
// to the PostgreSQL store; not part of the collector's API.
//
// event_rows is range-partitioned on its primary key, the event id as a
// uuid. A UUIDv7 leads with its creation time in milliseconds, so a month
// of ids is one key range, and the partition key is the de-duplication key
// itself: a retried event has the same id, lands in the same partition and
// is a duplicate there, whatever its other fields say. Ids of months near
// the collector's clock get a partition of their own (created ahead and on
// demand); any other id (a device clock years off, an id that is not a
// UUIDv7) goes to the default partition, so no batch ever fails for want
// of a partition and no client can make the store create partitions
// without bound.
#ifndef CAIRN_COLLECTOR_STORE_POSTGRES_PG_PARTITIONS_H_
#define CAIRN_COLLECTOR_STORE_POSTGRES_PG_PARTITIONS_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/postgres/pg_connection.h"

namespace cairn::collector {

// A month as months since 1970-01 (UTC).
using PgMonth = int64_t;

// Months from the collector's current month that get their own partition:
// back for late events of devices that were offline, ahead for clocks that
// run fast. Created ahead: the current month and the next two.
inline constexpr PgMonth kPgMonthsBack = 24;
inline constexpr PgMonth kPgMonthsAhead = 3;
inline constexpr PgMonth kPgMonthsCreatedAhead = 2;

// The month of `time`.
PgMonth MonthOf(absl::Time time);
// A uuid's (16 bytes) first 48 bits: a UUIDv7's Unix milliseconds.
int64_t UuidMillis(std::string_view uuid16);
// The first millisecond of `month`.
int64_t MonthStartMillis(PgMonth month);
// The partition's name, event_rows_yYYYYmMM.
std::string PartitionName(PgMonth month);
// Whether ids of `month` get a partition of their own when the collector's
// clock is in `now_month`.
bool WantsPartition(PgMonth month, PgMonth now_month);

// The months that have a partition (parsed from the partitions' names).
// One catalog query.
absl::StatusOr<std::set<PgMonth>> ListMonthPartitions(PgConnection& conn);

// Creates the partition of `month` unless it exists, moving any rows of
// its range out of the default partition first, in one transaction of its
// own that holds event_rows exclusively for a moment (run it outside any
// other transaction of `conn`; other collectors' writes wait, none fail).
absl::Status CreateMonthPartition(PgConnection& conn, PgMonth month);

// CREATE TABLE ... PARTITION OF for `month`, for callers that already hold
// event_rows (the migration).
std::string CreatePartitionSql(PgMonth month);

// Retention by partition: drops each month partition whose whole id range
// lies before `cutoff_ms` and none of whose rows occurred at or after it,
// and returns how many rows they held. Each drop is a transaction of its
// own holding event_rows exclusively for a moment; the rows are counted
// before it. Rows of a partition that is only partly old are left to the
// caller's DELETE.
absl::StatusOr<int64_t> DropPartitionsBefore(PgConnection& conn, int64_t cutoff_ms);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_POSTGRES_PG_PARTITIONS_H_
