// PgStore's data-subject and retention operations: export, erasure (with
// its tombstone) and the retention purge.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"
#include "cairn/consent/consent_state.h"
#include "cairn/consent/purpose.h"
#include "store/event_row.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_copy.h"
#include "store/postgres/pg_internal.h"
#include "store/postgres/pg_partitions.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store.h"
#include "store/store_common.h"
#include "store/user_data.h"

namespace cairn::collector {
namespace {

absl::Status ReadUserExport(PgConnection& db, std::string_view user_id, size_t max_events,
                            UserExport* out) {
  PgParams params;
  params.Add(user_id).Add(LimitPlusOne(max_events));
  absl::StatusOr<PgResult> events = db.Exec(
      "SELECT id::text, account_id, purpose, sequence, session_id, milestone_name, "
      "milestone_value, attributes_json, residual, received_at_ms, corrected_at_ms "
      "FROM event_rows WHERE user_id = $1 ORDER BY occurred_at_ms, id LIMIT $2::bigint",
      params);
  if (!events.ok()) return events.status();
  for (int i = 0; i < events->rows(); ++i) {
    if (out->events.size() == max_events) {
      out->truncated = true;
      break;
    }
    const std::string key = UuidBytes(events->Text(i, 0));
    std::optional<std::string> residual = events->Bytes(i, 8);
    if (!residual) return absl::DataLossError("a stored event does not parse");
    std::optional<double> milestone_value;
    if (!events->IsNull(i, 6)) {
      double value = 0;
      if (!absl::SimpleAtod(ToAbsl(events->Text(i, 6)), &value)) {
        return absl::DataLossError("a stored milestone value does not parse");
      }
      milestone_value = value;
    }
    StoredEventColumns columns;
    columns.key = key;
    columns.account_id = events->Text(i, 1);
    columns.user_id = user_id;
    columns.purpose = events->Int(i, 2);
    columns.sequence = events->Int(i, 3);
    columns.session_id = events->Text(i, 4);
    if (!events->IsNull(i, 5)) columns.milestone_name = events->Text(i, 5);
    columns.milestone_value = milestone_value;
    columns.attributes_json = events->Text(i, 7);
    columns.residual = *residual;
    absl::StatusOr<cairn::v1::Event> event = EventFromRow(columns);
    if (!event.ok()) return event.status();
    StoredEvent& stored = out->events.emplace_back();
    stored.event = *std::move(event);
    stored.received_at = absl::FromUnixMillis(events->Int(i, 9));
    stored.corrected_occurred_at = absl::FromUnixMillis(events->Int(i, 10));
  }
  absl::StatusOr<PgResult> records = db.Exec(
      "SELECT event_id, account_id, purpose, decision, policy_id, policy_version, "
      "device_time_us, collector_time_ms, sdk_version, source_surface, expires_at_us "
      "FROM consent_records WHERE user_id = $1 ORDER BY device_time_us, seq LIMIT $2::bigint",
      params);
  if (!records.ok()) return records.status();
  for (int i = 0; i < records->rows(); ++i) {
    if (out->consent_records.size() == max_events) {
      out->truncated = true;
      break;
    }
    StoredConsentRecord& stored = out->consent_records.emplace_back();
    stored.event_id = std::string(records->Text(i, 0));
    stored.account_id = std::string(records->Text(i, 1));
    consent::ConsentRecord& record = stored.record;
    record.subject = std::string(user_id);
    record.purpose = consent::FromWire(static_cast<int>(records->Int(i, 2)))
                         .value_or(consent::Purpose::kUsageAnalytics);
    record.decision = consent::DecisionFromWire(static_cast<int>(records->Int(i, 3)));
    record.policy_id = std::string(records->Text(i, 4));
    record.policy_version = std::string(records->Text(i, 5));
    record.device_time = absl::FromUnixMicros(records->Int(i, 6));
    record.collector_time = absl::FromUnixMillis(records->Int(i, 7));
    record.source_sdk_version = std::string(records->Text(i, 8));
    record.source_surface = std::string(records->Text(i, 9));
    if (!records->IsNull(i, 10)) record.expires_at = absl::FromUnixMicros(records->Int(i, 10));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UserExport> PgStore::ExportUser(std::string_view user_id, size_t max_events) {
  absl::StatusOr<PgPool::Lease> conn = readers_->Acquire();
  if (!conn.ok()) return WithContext(conn.status(), "exporting a user");
  UserExport out;
  absl::Status s = InSnapshot(**conn, [&] {
    if (absl::Status read = ReadUserExport(**conn, user_id, max_events, &out); !read.ok()) {
      return read;
    }
    std::unique_ptr<SqlRunner> sql = MakePgRunner(**conn);
    return ReadUserData(*sql, user_id, UserHash(user_id), &out);
  });
  if (!s.ok()) return WithContext(s, "exporting a user");
  return out;
}

absl::StatusOr<ErasureResult> PgStore::EraseUser(std::string_view user_id, absl::Time now) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  const std::string hash = UserHash(user_id);
  return WithRetries([&]() -> absl::StatusOr<ErasureResult> {
    if (absl::Status s = writer_->Run("BEGIN"); !s.ok()) return s;
    // Exclusive: waits for writes in flight and holds back new ones, so no
    // event of the user can be stored between the check and the delete.
    PgParams gate;
    gate.Add(kErasureGateKey);
    if (absl::Status s = writer_->Run("SELECT pg_advisory_xact_lock($1)", gate); !s.ok()) {
      return s;
    }
    ErasureResult result;
    auto run = [&](std::string_view sql, PgParams params) -> absl::StatusOr<int64_t> {
      absl::StatusOr<PgResult> r = writer_->Exec(sql, params);
      if (!r.ok()) return WithContext(r.status(), "erasing a user");
      return r->AffectedRows();
    };
    PgParams by_user;
    by_user.Add(user_id);
    absl::StatusOr<int64_t> n = run("DELETE FROM event_rows WHERE user_id = $1", by_user);
    if (!n.ok()) return n.status();
    result.events_deleted = *n;
    for (std::string_view table : kAggregateTables) {
      n = run(absl::StrCat("DELETE FROM ", ToAbsl(table), " WHERE user_id = $1"), by_user);
      if (!n.ok()) return n.status();
    }
    n = run("DELETE FROM consent_state WHERE user_id = $1", by_user);
    if (!n.ok()) return n.status();
    result.consent_states_deleted = *n;
    // Proof of consent stays (Art. 7(1), 17(3)(e)), without the clear id.
    PgParams pseudonymise;
    pseudonymise.Add(user_id).Add(hash);
    n = run("UPDATE consent_records SET user_id = NULL, user_hash = $2 WHERE user_id = $1",
            pseudonymise);
    if (!n.ok()) return n.status();
    result.consent_records_pseudonymised = *n;
    PgParams tombstone;
    tombstone.Add(hash).Add(absl::ToUnixMillis(now));
    n =
        run("INSERT INTO erased_users (user_hash, erased_at_ms) VALUES ($1, $2::bigint) "
            "ON CONFLICT (user_hash) DO NOTHING",
            tombstone);
    if (!n.ok()) return n.status();
    result.already_erased = *n == 0;
    if (absl::Status s = writer_->Run("COMMIT"); !s.ok()) return s;
    return result;
  });
}

absl::StatusOr<int64_t> PgStore::LiftRenewalSuppression(std::string_view account_id,
                                                        std::string_view user_id) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  PgParams params;
  params.Add(account_id).Add(UserHash(user_id));
  return WithRetries([&]() -> absl::StatusOr<int64_t> {
    // One statement: autocommit is its own transaction.
    absl::StatusOr<PgResult> r = writer_->Exec(
        "DELETE FROM renewal_suppression WHERE account_id IN ($1, '') AND user_hash = $2", params);
    if (!r.ok()) return WithContext(r.status(), "lifting suppression");
    return r->AffectedRows();
  });
}

absl::StatusOr<int64_t> PgStore::PurgeEventsBefore(absl::Time cutoff, size_t max_rows) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  return WithRetries([&]() -> absl::StatusOr<int64_t> {
    const int64_t cutoff_ms = absl::ToUnixMillis(cutoff);
    // Whole months first: a partition all of whose rows are old goes at
    // once, without a dead row left behind.
    absl::StatusOr<int64_t> dropped = DropPartitionsBefore(*writer_, cutoff_ms);
    partitions_.clear();  // looked up again by the next write
    if (!dropped.ok()) return WithContext(dropped.status(), "dropping old partitions");
    if (*dropped >= static_cast<int64_t>(max_rows)) return *dropped;
    // Then the old rows of partitions that are only partly old. SKIP
    // LOCKED: collectors purging at the same time take different rows.
    PgParams params;
    params.Add(cutoff_ms).Add(static_cast<int64_t>(
        std::min<size_t>(max_rows - static_cast<size_t>(*dropped), size_t{1} << 40)));
    absl::StatusOr<PgResult> r = writer_->Exec(
        "DELETE FROM event_rows WHERE id IN (SELECT id FROM event_rows "
        "WHERE occurred_at_ms < $1::bigint LIMIT $2::bigint FOR UPDATE SKIP LOCKED)",
        params);
    if (!r.ok()) return WithContext(r.status(), "purging old events");
    return *dropped + r->AffectedRows();
  });
}

}  // namespace cairn::collector
