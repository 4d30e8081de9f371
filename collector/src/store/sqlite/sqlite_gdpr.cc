// SqliteStore's data-subject and retention operations: export, erasure
// (with its tombstone) and the retention purge.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"
#include "cairn/consent/purpose.h"
#include "store/event_row.h"
#include "store/sqlite/sqlite_internal.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_common.h"
#include "store/user_data.h"

namespace cairn::collector {
namespace {

absl::Status ReadUserExport(sqlite::Database& db, std::string_view user_id, size_t max_events,
                            UserExport* out) {
  absl::StatusOr<sqlite::Statement> events = db.Prepare(
      "SELECT event_id, account_id, purpose, sequence, session_id, milestone_name, "
      "milestone_value, attributes_json, event_proto, received_at_ms, corrected_at_ms "
      "FROM events WHERE user_id = ?1 ORDER BY occurred_at_ms, event_id LIMIT ?2");
  if (!events.ok()) return events.status();
  events->Bind(1, user_id).Bind(2, static_cast<int64_t>(max_events) + 1);
  absl::Status corrupt;
  absl::Status s = ForEachRow(*events, [&](const sqlite::Statement& r) {
    if (out->events.size() == max_events) {
      out->truncated = true;
      return;
    }
    StoredEventColumns columns;
    columns.event_id = r.ColumnText(0);
    columns.account_id = r.ColumnText(1);
    columns.user_id = user_id;
    columns.purpose = r.ColumnInt(2);
    columns.sequence = r.ColumnInt(3);
    columns.session_id = r.ColumnText(4);
    if (!r.ColumnIsNull(5)) columns.milestone_name = r.ColumnText(5);
    if (!r.ColumnIsNull(6)) columns.milestone_value = r.ColumnDouble(6);
    columns.attributes_json = r.ColumnText(7);
    columns.residual = r.ColumnBlob(8);
    absl::StatusOr<cairn::v1::Event> event = EventFromRow(columns);
    if (!event.ok()) {
      corrupt = event.status();
      return;
    }
    StoredEvent& stored = out->events.emplace_back();
    stored.event = *std::move(event);
    stored.received_at = absl::FromUnixMillis(r.ColumnInt(9));
    stored.corrected_occurred_at = absl::FromUnixMillis(r.ColumnInt(10));
  });
  if (!s.ok()) return s;
  if (!corrupt.ok()) return corrupt;

  absl::StatusOr<sqlite::Statement> records = db.Prepare(
      "SELECT event_id, account_id, purpose, decision, policy_id, policy_version, "
      "device_time_us, collector_time_ms, sdk_version, source_surface, expires_at_us "
      "FROM consent_records WHERE user_id = ?1 ORDER BY device_time_us, rowid LIMIT ?2");
  if (!records.ok()) return records.status();
  records->Bind(1, user_id).Bind(2, static_cast<int64_t>(max_events) + 1);
  return ForEachRow(*records, [&](const sqlite::Statement& r) {
    if (out->consent_records.size() == max_events) {
      out->truncated = true;
      return;
    }
    StoredConsentRecord& stored = out->consent_records.emplace_back();
    stored.event_id = std::string(r.ColumnText(0));
    stored.account_id = std::string(r.ColumnText(1));
    consent::ConsentRecord& record = stored.record;
    record.subject = std::string(user_id);
    record.purpose = consent::FromWire(static_cast<int>(r.ColumnInt(2)))
                         .value_or(consent::Purpose::kUsageAnalytics);
    record.decision = consent::DecisionFromWire(static_cast<int>(r.ColumnInt(3)));
    record.policy_id = std::string(r.ColumnText(4));
    record.policy_version = std::string(r.ColumnText(5));
    record.device_time = absl::FromUnixMicros(r.ColumnInt(6));
    record.collector_time = absl::FromUnixMillis(r.ColumnInt(7));
    record.source_sdk_version = std::string(r.ColumnText(8));
    record.source_surface = std::string(r.ColumnText(9));
    if (!r.ColumnIsNull(10)) record.expires_at = absl::FromUnixMicros(r.ColumnInt(10));
  });
}

}  // namespace

absl::StatusOr<UserExport> SqliteStore::ExportUser(std::string_view user_id, size_t max_events) {
  UserExport out;
  // One read transaction on the reader connection for every table.
  absl::Status s = RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
    if (absl::Status read = ReadUserExport(*reader_, user_id, max_events, &out); !read.ok()) {
      return read;
    }
    return ReadUserData(sql, user_id, UserHash(user_id), &out);
  });
  if (!s.ok()) return WithContext(s, "exporting a user");
  return out;
}

absl::StatusOr<ErasureResult> SqliteStore::EraseUser(std::string_view user_id, absl::Time now) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  // The user's tombstone and consent records change below.
  ForgetKnownState();
  const std::string hash = UserHash(user_id);
  sqlite::Transaction txn(*writer_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  ErasureResult result;
  // Binds ?1 user id, then ?2 keyed hash and ?3 now if `params` says so.
  auto run = [&](std::string_view sql, int params = 1) -> absl::StatusOr<int64_t> {
    absl::StatusOr<sqlite::Statement> stmt = writer_->Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, user_id);
    if (params >= 2) stmt->Bind(2, hash);
    if (params >= 3) stmt->Bind(3, absl::ToUnixMillis(now));
    if (absl::Status s = stmt->Run(); !s.ok()) return WithContext(s, "erasing a user");
    return writer_->Changes();
  };
  absl::StatusOr<int64_t> events = run("DELETE FROM event_rows WHERE user_id = ?1");
  if (!events.ok()) return events.status();
  result.events_deleted = *events;
  for (std::string_view table : kAggregateTables) {
    absl::StatusOr<int64_t> rows =
        run(absl::StrCat("DELETE FROM ", ToAbsl(table), " WHERE user_id = ?1"));
    if (!rows.ok()) return rows.status();
  }
  absl::StatusOr<int64_t> states = run("DELETE FROM consent_state WHERE user_id = ?1");
  if (!states.ok()) return states.status();
  result.consent_states_deleted = *states;
  // Proof of consent stays (Art. 7(1), 17(3)(e)), without the clear id.
  absl::StatusOr<int64_t> records =
      run("UPDATE consent_records SET user_id = NULL, user_hash = ?2 WHERE user_id = ?1", 2);
  if (!records.ok()) return records.status();
  result.consent_records_pseudonymised = *records;
  absl::StatusOr<int64_t> tombstones_added =
      run("INSERT INTO erased_users (user_hash, erased_at_ms) "
          "SELECT ?2, ?3 WHERE ?1 IS NOT NULL ON CONFLICT (user_hash) DO NOTHING",
          3);
  if (!tombstones_added.ok()) return tombstones_added.status();
  result.already_erased = *tombstones_added == 0;
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return result;
}

absl::StatusOr<int64_t> SqliteStore::LiftRenewalSuppression(std::string_view account_id,
                                                            std::string_view user_id) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  absl::StatusOr<sqlite::Statement> stmt = writer_->Prepare(
      "DELETE FROM renewal_suppression WHERE account_id IN (?1, '') AND user_hash = ?2");
  if (!stmt.ok()) return stmt.status();
  const std::string hash = UserHash(user_id);
  stmt->Bind(1, account_id).Bind(2, hash);
  sqlite::Transaction txn(*writer_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  if (absl::Status s = stmt->Run(); !s.ok()) return WithContext(s, "lifting suppression");
  int64_t lifted = writer_->Changes();
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return lifted;
}

absl::StatusOr<int64_t> SqliteStore::PurgeEventsBefore(absl::Time cutoff, size_t max_rows) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  absl::StatusOr<sqlite::Statement> stmt = writer_->Prepare(
      "DELETE FROM event_rows WHERE id IN "
      "(SELECT id FROM event_rows WHERE occurred_at_ms < ?1 LIMIT ?2)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, absl::ToUnixMillis(cutoff)).Bind(2, static_cast<int64_t>(max_rows));
  sqlite::Transaction txn(*writer_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  if (absl::Status s = stmt->Run(); !s.ok()) return WithContext(s, "purging old events");
  int64_t deleted = writer_->Changes();
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return deleted;
}

}  // namespace cairn::collector
