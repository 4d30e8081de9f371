#ifndef CAIRN_COLLECTOR_STORE_USER_DATA_H_
#define CAIRN_COLLECTOR_STORE_USER_DATA_H_

#include <array>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/sql_runner.h"
#include "store/store.h"

namespace cairn::collector {

// Every table of both stores with a column naming a user (user_id or
// user_hash), each a section of the same name in the export (UserExport,
// docs/privacy.md). A new table that names users must be added here, to
// ReadUserData and to the export; the export test compares this list with
// the schema.
inline constexpr std::array<std::string_view, 10> kUserDataTables = {
    "events",   "consent_records",  "consent_state",  "renewal_suppression", "erased_users",
    "user_day", "user_first_login", "user_milestone", "user_milestone_day",  "user_feedback_day"};

// Reads the user's rows of every table of kUserDataTables except events and
// consent_records (which the stores read themselves, with their binary
// columns) into `out`, plus the batches that delivered the user's events.
// `user_hash` is the store's keyed hash of `user_id` (the suppression list
// and tombstones hold only it). Runs inside the caller's read snapshot.
// Cost: one indexed read per table. Fails with the runner's error, or
// DataLoss for a row that does not parse.
absl::Status ReadUserData(SqlRunner& sql, std::string_view user_id, std::string_view user_hash,
                          UserExport* out);

// Retention of the engagement aggregates and batch rows, in one write
// transaction (Store::RunEngagementWrite), ordered with Write:
// - user_first_login and user_milestone rows dated before `cutoff` are
//   folded (minimum) into account_first_login and account_milestone, which
//   keep only the account, the milestone name and the time;
// - user_milestone_day rows of days before `cutoff`'s day are added into
//   account_milestone_day (events and value per account, name and day);
// - user_day rows of days before `cutoff`'s day are deleted: the health
//   formulas count distinct users over windows, which no total keeps, and
//   read only the last engagement::kHistoryDays days anyway;
// - user_feedback_day rows of days before `cutoff`'s day are deleted: NPS
//   counts each user's latest answer, which no account total keeps;
// - batches received before `cutoff` are deleted (they may hold an IP
//   address or User-Agent and the install id).
// The folded rows are then deleted. The engagement figures stay the same as
// long as the retention window covers kHistoryDays. Zero counts and OK for
// a store without engagement tables. Fails like Store::Write.
absl::StatusOr<AggregatePurge> PurgeAggregatesBefore(Store& store, absl::Time cutoff);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_USER_DATA_H_
