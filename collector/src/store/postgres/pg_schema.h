#ifndef CAIRN_COLLECTOR_STORE_POSTGRES_PG_SCHEMA_H_
#define CAIRN_COLLECTOR_STORE_POSTGRES_PG_SCHEMA_H_

#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/postgres/pg_connection.h"

namespace cairn::collector {

// Schema version of the PostgreSQL store this build writes.
inline constexpr int kPgSchemaVersion = 11;

// Brings the database to kPgSchemaVersion: each missing step runs in its own
// transaction and records itself in `schema_version`. A session advisory
// lock around the whole run lets several collectors start at once: the
// first migrates, the others wait and then find nothing to do. Cost: a few
// round trips when current. FailedPrecondition if the database is newer
// than this build; the server's error otherwise.
absl::Status MigratePgSchema(PgConnection& conn);

// The steps' SQL, step i moving version i to i+1, for tests that build an
// older database. Step 6 is only its first half (MigratePgSchema also makes
// the partitions and moves the rows).
std::span<const std::string_view> PgMigrationSteps();

// The schema version recorded in the database (0 if it has none). Reads
// only; for read-only opens.
absl::StatusOr<int> PgSchemaVersion(PgConnection& conn);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_POSTGRES_PG_SCHEMA_H_
