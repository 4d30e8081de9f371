// SqliteStore's write path: events and batches, the consent check, consent
// records and state, the daily aggregates, rejection and drop counters.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/strings.h"
#include "cairn/consent/purpose.h"
#include "store/consent_rule.h"
#include "store/sqlite/sqlite_internal.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

// Daily aggregates: a write sums its events per key in memory
// (DailyAggregates), then one upsert per key adds the sums.
constexpr std::string_view kAddLoginDay = R"sql(
INSERT INTO user_day (account_id, user_id, day, logins) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (account_id, user_id, day) DO UPDATE SET logins = logins + excluded.logins
)sql";
constexpr std::string_view kLowerFirstLogin = R"sql(
INSERT INTO user_first_login (account_id, user_id, first_login_ms) VALUES (?1, ?2, ?3)
ON CONFLICT (account_id, user_id) DO UPDATE
SET first_login_ms = min(first_login_ms, excluded.first_login_ms)
)sql";
constexpr std::string_view kLowerMilestone = R"sql(
INSERT INTO user_milestone (account_id, user_id, name, first_reached_ms) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (account_id, user_id, name) DO UPDATE
SET first_reached_ms = min(first_reached_ms, excluded.first_reached_ms)
)sql";
constexpr std::string_view kAddMilestoneDay = R"sql(
INSERT INTO user_milestone_day (account_id, user_id, name, day, events, value_sum)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (account_id, user_id, name, day) DO UPDATE
SET events = events + excluded.events, value_sum = value_sum + excluded.value_sum
)sql";
// The later answer wins, the higher score on a tie (DailyAggregates::FeedbackDay).
constexpr std::string_view kKeepLatestFeedback = R"sql(
INSERT INTO user_feedback_day (account_id, user_id, kind, day, answered_at_ms, score)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (account_id, user_id, kind, day) DO UPDATE
SET answered_at_ms = excluded.answered_at_ms, score = excluded.score
WHERE excluded.answered_at_ms > answered_at_ms
   OR (excluded.answered_at_ms = answered_at_ms AND excluded.score > score)
)sql";

constexpr std::string_view kInsertEvent = R"sql(
INSERT INTO event_rows (id, account_id, user_id, purpose, body_case, occurred_at_ms,
                        corrected_at_ms, received_at_ms, sequence, session_id, install_id,
                        batch_id, milestone_name, milestone_value, session_duration_ms,
                        attributes_json, residual)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
ON CONFLICT (id) DO NOTHING
)sql";

constexpr std::string_view kInsertBatch = R"sql(
INSERT INTO batches (batch_id, install_id, sent_at_ms, received_at_ms, last_received_at_ms,
                     times_received, event_count, accepted, duplicates, rejected,
                     client_ip, user_agent)
VALUES (?1, ?2, ?3, ?4, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT (batch_id) DO NOTHING
)sql";

constexpr std::string_view kDataVersion = "PRAGMA data_version";

constexpr std::string_view kIsErased = "SELECT 1 FROM erased_users WHERE user_hash = ?1";

// The candidate decisions the consent rule needs (consent_rule.h) for the
// events of one (user, purpose) from ?3 on: every record from the latest
// one dated at or before ?3 onwards, in (device time, stored order); rowid
// is the stored order. One indexed range scan.
constexpr std::string_view kConsentDecisions = R"sql(
SELECT device_time_us, decision, expires_at_us FROM consent_records
WHERE user_id = ?1 AND purpose = ?2 AND device_time_us >= coalesce(
  (SELECT max(device_time_us) FROM consent_records
   WHERE user_id = ?1 AND purpose = ?2 AND device_time_us <= ?3), ?3)
ORDER BY device_time_us, rowid
)sql";

constexpr std::string_view kInsertConsentRecord = R"sql(
INSERT INTO consent_records (event_id, account_id, user_id, purpose, decision, policy_id,
                             policy_version, device_time_us, collector_time_ms, sdk_version,
                             source_surface, expires_at_us)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (event_id) DO NOTHING
)sql";

// The current state follows the latest decision by device time, whatever
// order the records arrive in.
constexpr std::string_view kUpsertConsentState = R"sql(
INSERT INTO consent_state (account_id, user_id, purpose, user_hash, decision, policy_id,
                           policy_version, decided_at_us, expires_at_us, updated_at_ms)
VALUES (?10, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT (account_id, user_id, purpose) DO UPDATE SET
  user_hash = excluded.user_hash, decision = excluded.decision,
  policy_id = excluded.policy_id, policy_version = excluded.policy_version,
  decided_at_us = excluded.decided_at_us, expires_at_us = excluded.expires_at_us,
  updated_at_ms = excluded.updated_at_ms
WHERE excluded.decided_at_us >= consent_state.decided_at_us
)sql";

// The suppression list is per (account, user hash); account_id '' is an
// entry of unknown account (schema version 6), which holds in every account.
constexpr std::string_view kSuppress = R"sql(
INSERT INTO renewal_suppression (account_id, user_hash, since_ms, denied_at_us)
VALUES (?4, ?1, ?2, ?3)
ON CONFLICT (account_id, user_hash) DO UPDATE
SET denied_at_us = max(denied_at_us, excluded.denied_at_us)
)sql";

// Only a grant made after the latest opt-out lifts it; a late-arriving older
// grant does not. It lifts the account's entry and one of unknown account.
constexpr std::string_view kLiftSuppression =
    "DELETE FROM renewal_suppression WHERE account_id IN (?3, '') AND user_hash = ?1 "
    "AND denied_at_us < ?2";
// The entries kLiftSuppression would lift: a grant that may not lift them
// leaves them, counted.
constexpr std::string_view kIsSuppressed =
    "SELECT 1 FROM renewal_suppression WHERE account_id IN (?3, '') AND user_hash = ?1 "
    "AND denied_at_us < ?2";

constexpr std::string_view kAddRejections = R"sql(
INSERT INTO rejections (reason, count) VALUES (?1, ?2)
ON CONFLICT (reason) DO UPDATE SET count =
  CASE WHEN count > 9223372036854775807 - excluded.count THEN 9223372036854775807
       ELSE count + excluded.count END
)sql";

constexpr std::string_view kNoteBatchRetry = R"sql(
UPDATE batches SET times_received = times_received + 1, last_received_at_ms = ?2
WHERE batch_id = ?1
)sql";

// Saturating add: a hostile or buggy device must not overflow the counter.
constexpr std::string_view kAddClientDrops = R"sql(
INSERT INTO client_drops (install_id, reason, count) VALUES (?1, ?2, ?3)
ON CONFLICT (install_id, reason) DO UPDATE SET count =
  CASE WHEN count > 9223372036854775807 - excluded.count THEN 9223372036854775807
       ELSE count + excluded.count END
)sql";

// Binds a CompactId's bytes: a BLOB if they are binary, else TEXT.
sqlite::Statement& BindCompact(sqlite::Statement& statement, int index, std::string_view bytes,
                               bool binary) {
  return binary ? statement.BindBlob(index, bytes) : statement.Bind(index, bytes);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore::WriteStatements>> SqliteStore::PrepareWriteStatements(
    sqlite::Database& db) {
  auto statements = std::make_unique<WriteStatements>();
  struct {
    sqlite::Statement* target;
    std::string_view sql;
  } const prepared[] = {{&statements->insert_event, kInsertEvent},
                        {&statements->insert_batch, kInsertBatch},
                        {&statements->note_batch_retry, kNoteBatchRetry},
                        {&statements->add_client_drops, kAddClientDrops},
                        {&statements->is_erased, kIsErased},
                        {&statements->data_version, kDataVersion},
                        {&statements->consent_decisions, kConsentDecisions},
                        {&statements->insert_consent_record, kInsertConsentRecord},
                        {&statements->upsert_consent_state, kUpsertConsentState},
                        {&statements->suppress, kSuppress},
                        {&statements->lift_suppression, kLiftSuppression},
                        {&statements->is_suppressed, kIsSuppressed},
                        {&statements->add_rejections, kAddRejections},
                        {&statements->add_login_day, kAddLoginDay},
                        {&statements->lower_first_login, kLowerFirstLogin},
                        {&statements->lower_milestone, kLowerMilestone},
                        {&statements->add_milestone_day, kAddMilestoneDay},
                        {&statements->keep_latest_feedback, kKeepLatestFeedback}};
  for (const auto& p : prepared) {
    absl::StatusOr<sqlite::Statement> stmt = db.Prepare(p.sql);
    if (!stmt.ok()) return stmt.status();
    *p.target = *std::move(stmt);
  }
  return statements;
}

absl::StatusOr<std::vector<BatchWriteResult>> SqliteStore::Write(
    std::span<const BatchRecord> batches) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  absl::StatusOr<std::vector<BatchWriteResult>> results = WriteLocked(batches);
  if (!results.ok()) ForgetKnownState();
  return results;
}

absl::StatusOr<std::vector<BatchWriteResult>> SqliteStore::WriteLocked(
    std::span<const BatchRecord> batches) {
  sqlite::Transaction txn(*writer_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  // Read inside the transaction: no other connection can commit until it ends.
  sqlite::Statement& version = statements_->data_version;
  absl::StatusOr<bool> row = version.Step();
  if (!row.ok() || !*row) {
    version.Reset();
    return WithContext(row.ok() ? absl::InternalError("no data_version") : row.status(),
                       "reading the data version");
  }
  const int64_t data_version = version.ColumnInt(0);
  version.Reset();
  if (known_ == nullptr || known_->data_version != data_version ||
      known_->erased.size() + known_->consent.size() > kMaxKnownSubjects) {
    ForgetKnownState();
    known_->data_version = data_version;
  }
  WriteContext& context = *known_;
  context.aggregates = {};
  std::vector<BatchWriteResult> results;
  results.reserve(batches.size());
  for (const BatchRecord& batch : batches) {
    absl::StatusOr<BatchWriteResult> result = WriteOne(batch, context);
    if (!result.ok()) return result.status();  // txn rolls back
    results.push_back(*std::move(result));
  }
  if (absl::Status s = FlushAggregates(context); !s.ok()) return s;
  if (absl::Status s = txn.Commit(); !s.ok()) return s;
  return results;
}

void SqliteStore::ForgetKnownState() { known_ = std::make_unique<WriteContext>(); }

absl::StatusOr<bool> SqliteStore::IsErased(std::string_view user_id, WriteContext& context) {
  auto it = context.erased.find(user_id);
  if (it != context.erased.end()) return it->second;
  std::string hash = UserHash(user_id);
  sqlite::Statement& query = statements_->is_erased;
  query.Bind(1, hash);
  absl::StatusOr<bool> row = query.Step();
  query.Reset();
  if (!row.ok()) return WithContext(row.status(), "looking up a tombstone");
  context.erased.emplace(std::string(user_id), *row);
  return *row;
}

absl::StatusOr<std::span<const consent::PurposeState>> SqliteStore::ConsentDecisions(
    const cairn::v1::Event& event, int64_t from_us, WriteContext& context) {
  const auto view =
      std::make_tuple(std::string_view(event.user_id()), static_cast<int64_t>(event.purpose()));
  auto it = context.consent.find(view);
  if (it != context.consent.end() && it->second.from_us <= from_us) return it->second.sorted;
  WriteContext::Decisions decisions;
  decisions.from_us = from_us;
  sqlite::Statement& query = statements_->consent_decisions;
  query.Bind(1, std::get<0>(view)).Bind(2, std::get<1>(view)).Bind(3, from_us);
  absl::Status s = ForEachRow(query, [&](const sqlite::Statement& r) {
    std::optional<int64_t> expires_at_us;
    if (!r.ColumnIsNull(2)) expires_at_us = r.ColumnInt(2);
    decisions.sorted.push_back(DecisionFromRow(r.ColumnInt(0), r.ColumnInt(1), expires_at_us));
  });
  if (!s.ok()) {
    query.Reset();
    return WithContext(s, "looking up consent");
  }
  auto key = std::make_tuple(event.user_id(), std::get<1>(view));
  return context.consent.insert_or_assign(std::move(key), std::move(decisions))
      .first->second.sorted;
}

absl::Status SqliteStore::StoreConsentRecord(const cairn::v1::Event& event,
                                             const BatchRecord& batch, bool signature_verified,
                                             WriteContext& context, BatchWriteResult& result) {
  // The caller checked it with RecordFromEvent already.
  absl::StatusOr<consent::ConsentRecord> record =
      consent::RecordFromEvent(event, batch.sdk_version);
  if (!record.ok()) return record.status();
  const int64_t device_us = absl::ToUnixMicros(record->device_time);
  const int64_t received_ms = absl::ToUnixMillis(batch.received_at);
  const int64_t purpose = static_cast<int64_t>(consent::ToWire(record->purpose));
  const int64_t decision = StoredDecision(record->decision);
  const std::string hash = UserHash(event.user_id());

  sqlite::Statement& insert = statements_->insert_consent_record;
  insert.Bind(1, event.event_id())
      .Bind(2, event.account_id())
      .Bind(3, event.user_id())
      .Bind(4, purpose)
      .Bind(5, decision)
      .Bind(6, record->policy_id)
      .Bind(7, record->policy_version)
      .Bind(8, device_us)
      .Bind(9, received_ms)
      .Bind(10, record->source_sdk_version)
      .Bind(11, record->source_surface);
  if (record->expires_at) {
    insert.Bind(12, absl::ToUnixMicros(*record->expires_at));
  } else {
    insert.BindNull(12);
  }
  if (absl::Status s = insert.Run(); !s.ok()) return WithContext(s, "storing a consent record");
  // The memoised latest record of this (user, purpose) may be stale now.
  context.consent.erase(std::make_tuple(event.user_id(), purpose));

  sqlite::Statement& upsert = statements_->upsert_consent_state;
  upsert.Bind(1, event.user_id())
      .Bind(2, purpose)
      .Bind(3, hash)
      .Bind(4, decision)
      .Bind(5, record->policy_id)
      .Bind(6, record->policy_version)
      .Bind(7, device_us);
  if (record->expires_at) {
    upsert.Bind(8, absl::ToUnixMicros(*record->expires_at));
  } else {
    upsert.BindNull(8);
  }
  upsert.Bind(9, received_ms).Bind(10, event.account_id());
  if (absl::Status s = upsert.Run(); !s.ok()) return WithContext(s, "updating consent state");

  if (record->decision == consent::Decision::kDenied) {
    // Events stored earlier in this write are in the aggregates first, so
    // the deletion below takes them too.
    if (absl::Status s = FlushAggregates(context); !s.ok()) return s;
    // Withdrawal: what the purpose produced stops counting (docs/metrics.md),
    // if the denial is the user's current decision (consent_state, just
    // updated): an older denial arriving after a later grant deletes nothing.
    for (std::string_view table : WithdrawnAggregateTables(record->purpose)) {
      absl::StatusOr<sqlite::Statement> del = writer_->Prepare(absl::StrCat(
          "DELETE FROM ", ToAbsl(table),
          " WHERE user_id = ?1 AND EXISTS (SELECT 1 FROM consent_state c WHERE c.user_id = ?1 "
          "AND c.purpose = ?2 AND c.decision = ?3 AND c.account_id = ?4)"));
      if (!del.ok()) return del.status();
      del->Bind(1, event.user_id()).Bind(2, purpose).Bind(3, decision).Bind(4, event.account_id());
      if (absl::Status s = del->Run(); !s.ok()) return WithContext(s, "withdrawing aggregates");
    }
  }
  if (record->purpose == consent::Purpose::kRenewalNotifications) {
    if (record->decision == consent::Decision::kDenied) {
      sqlite::Statement& suppress = statements_->suppress;
      suppress.Bind(1, hash).Bind(2, received_ms).Bind(3, device_us).Bind(4, event.account_id());
      if (absl::Status s = suppress.Run(); !s.ok()) return WithContext(s, "suppressing");
    } else if (MayLiftSuppression(event, signature_verified)) {
      sqlite::Statement& lift = statements_->lift_suppression;
      lift.Bind(1, hash).Bind(2, device_us).Bind(3, event.account_id());
      if (absl::Status s = lift.Run(); !s.ok()) return WithContext(s, "lifting suppression");
    } else {
      sqlite::Statement& query = statements_->is_suppressed;
      query.Bind(1, hash).Bind(2, device_us).Bind(3, event.account_id());
      absl::StatusOr<bool> suppressed = query.Step();
      query.Reset();
      if (!suppressed.ok()) return WithContext(suppressed.status(), "looking up suppression");
      if (*suppressed) ++result.suppressions_kept;
    }
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::AddRejections(const std::map<cairn::v1::RejectReason, int64_t>& counts) {
  sqlite::Statement& add = statements_->add_rejections;
  for (const auto& [reason, count] : counts) {
    if (count <= 0) continue;
    add.Bind(1, static_cast<int64_t>(reason)).Bind(2, count);
    if (absl::Status s = add.Run(); !s.ok()) return WithContext(s, "counting rejections");
  }
  return absl::OkStatus();
}

absl::StatusOr<BatchWriteResult> SqliteStore::WriteOne(const BatchRecord& batch,
                                                       WriteContext& context) {
  BatchWriteResult result;
  result.outcomes.assign(batch.events.size(), EventOutcome::kInserted);
  const int64_t received_ms = absl::ToUnixMillis(batch.received_at);
  std::map<cairn::v1::RejectReason, int64_t> rejection_counts = batch.validation_rejections;
  auto reject = [&](size_t index, ConsentVerdict verdict, const cairn::v1::Event& event) {
    const ConsentRefusal refusal = RefusalOf(verdict, event);
    result.outcomes[index] = EventOutcome::kRejected;
    result.rejections.push_back(StoreRejection{index, refusal.reason, std::string(refusal.detail)});
    ++rejection_counts[refusal.reason];
  };

  std::vector<EventRow> encoded;
  const std::span<const EventRow> rows = RowsOf(batch, encoded);
  const CompactId batch_key = CompactUuid(batch.batch_id);
  const CompactId install_key = CompactHex(batch.install_id);
  sqlite::Statement& insert = statements_->insert_event;
  // Returns whether the event was new (false: duplicate). The row was made
  // on the I/O thread; binding does not copy it.
  auto insert_event = [&](size_t index) -> absl::StatusOr<bool> {
    const cairn::v1::Event& event = batch.events[index];
    const EventRow& row = rows[index];
    BindCompact(insert, 1, row.id, row.id_binary)
        .Bind(2, event.account_id())
        .Bind(3, event.user_id())
        .Bind(4, static_cast<int64_t>(event.purpose()))
        .Bind(5, static_cast<int64_t>(row.body_case))
        .Bind(6, row.occurred_at_ms)
        .Bind(7, row.corrected_at_ms)
        .Bind(8, received_ms)
        .Bind(9, static_cast<int64_t>(event.sequence()));  // wraps above 2^63
    BindCompact(insert, 10, row.session_id.bytes, row.session_id.binary);
    BindCompact(insert, 11, install_key.bytes, install_key.binary);
    BindCompact(insert, 12, batch_key.bytes, batch_key.binary);
    if (event.has_milestone()) {
      insert.Bind(13, event.milestone().name());
    } else {
      insert.BindNull(13);
    }
    if (row.milestone_value) {
      insert.Bind(14, *row.milestone_value);
    } else {
      insert.BindNull(14);
    }
    if (row.session_duration_ms) {
      insert.Bind(15, *row.session_duration_ms);
    } else {
      insert.BindNull(15);
    }
    insert.Bind(16, row.attributes_json).BindBlob(17, row.residual);
    if (absl::Status s = insert.Run(); !s.ok()) return WithContext(s, "storing an event");
    return writer_->Changes() == 1;
  };
  auto note_stored = [&](size_t index, bool inserted) {
    if (inserted) {
      ++result.inserted;
    } else {
      result.outcomes[index] = EventOutcome::kDuplicate;
      ++result.duplicates;
    }
  };

  // Pass 1: consent changes, so the batch's other events are judged with
  // them. The event row and the record share the event_id, so a replayed
  // change is a duplicate and appends no second record.
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const cairn::v1::Event& event = batch.events[i];
    if (!event.has_consent_change()) continue;
    absl::StatusOr<bool> erased = IsErased(event.user_id(), context);
    if (!erased.ok()) return erased.status();
    if (ConsentVerdict v = JudgeEvent(event, *erased, {}); v != ConsentVerdict::kAllowed) {
      reject(i, v, event);
      continue;
    }
    absl::StatusOr<bool> inserted = insert_event(i);
    if (!inserted.ok()) return inserted.status();
    note_stored(i, *inserted);
    if (*inserted) {
      if (absl::Status s =
              StoreConsentRecord(event, batch, batch.verified_grants.contains(i), context, result);
          !s.ok()) {
        return s;
      }
    }
  }
  // Pass 2: everything else, each against the consent that held when it
  // occurred. The decisions of a (user, purpose) are read from the
  // earliest such event of the batch on, so one read serves them all.
  // Views into the batch's events, which outlive the map.
  std::map<std::tuple<std::string_view, int64_t>, int64_t> earliest_us;
  for (const cairn::v1::Event& event : batch.events) {
    if (!NeedsDecisions(event)) continue;
    const int64_t at_us = ConsentMomentMicros(event);
    auto [it, added] = earliest_us.try_emplace(
        std::make_tuple(std::string_view(event.user_id()), static_cast<int64_t>(event.purpose())),
        at_us);
    if (!added) it->second = std::min(it->second, at_us);
  }
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const cairn::v1::Event& event = batch.events[i];
    if (event.has_consent_change()) continue;
    absl::StatusOr<bool> erased = IsErased(event.user_id(), context);
    if (!erased.ok()) return erased.status();
    absl::StatusOr<std::span<const consent::PurposeState>> decisions =
        std::span<const consent::PurposeState>();
    if (!*erased && NeedsDecisions(event)) {
      const int64_t from_us = earliest_us.at(std::make_tuple(
          std::string_view(event.user_id()), static_cast<int64_t>(event.purpose())));
      decisions = ConsentDecisions(event, from_us, context);
      if (!decisions.ok()) return decisions.status();
    }
    if (ConsentVerdict v = JudgeEvent(event, *erased, *decisions); v != ConsentVerdict::kAllowed) {
      reject(i, v, event);
      continue;
    }
    absl::StatusOr<bool> inserted = insert_event(i);
    if (!inserted.ok()) return inserted.status();
    note_stored(i, *inserted);
    if (*inserted) context.aggregates.Fold(event, rows[i]);
  }
  std::sort(result.rejections.begin(), result.rejections.end(),
            [](const StoreRejection& a, const StoreRejection& b) { return a.index < b.index; });

  sqlite::Statement& insert_batch = statements_->insert_batch;
  insert_batch.Bind(1, batch.batch_id).Bind(2, batch.install_id);
  if (batch.sent_at == absl::InfinitePast()) {
    insert_batch.BindNull(3);
  } else {
    insert_batch.Bind(3, absl::ToUnixMillis(batch.sent_at));
  }
  insert_batch.Bind(4, received_ms)
      .Bind(5, batch.event_count)
      .Bind(6, result.inserted)
      .Bind(7, result.duplicates)
      .Bind(8, batch.rejected + static_cast<int64_t>(result.rejections.size()));
  if (batch.client_ip) {
    insert_batch.Bind(9, *batch.client_ip);
  } else {
    insert_batch.BindNull(9);
  }
  if (batch.user_agent) {
    insert_batch.Bind(10, *batch.user_agent);
  } else {
    insert_batch.BindNull(10);
  }
  if (absl::Status s = insert_batch.Run(); !s.ok()) return WithContext(s, "recording a batch");
  result.first_delivery = writer_->Changes() == 1;

  if (result.first_delivery) {
    // Drop and rejection counters travel with the batch; counting them once
    // per batch_id keeps a retried batch from inflating them.
    sqlite::Statement& add_drops = statements_->add_client_drops;
    for (const auto& [reason, count] : batch.drops) {
      if (count == 0) continue;
      add_drops.Bind(1, batch.install_id)
          .Bind(2, static_cast<int64_t>(reason))
          .Bind(3, ClampToInt64(count));
      if (absl::Status s = add_drops.Run(); !s.ok()) {
        return WithContext(s, "adding drop counters");
      }
    }
    if (absl::Status s = AddRejections(rejection_counts); !s.ok()) return s;
  } else {
    sqlite::Statement& retry = statements_->note_batch_retry;
    retry.Bind(1, batch.batch_id).Bind(2, received_ms);
    if (absl::Status s = retry.Run(); !s.ok()) return WithContext(s, "recording a retry");
  }
  return result;
}

absl::Status SqliteStore::FlushAggregates(WriteContext& context) {
  DailyAggregates& pending = context.aggregates;
  if (pending.empty()) return absl::OkStatus();
  // Each pending row is its key's fields, then its values, bound in order.
  auto run = [](sqlite::Statement& statement, std::string_view what, const auto& key,
                const auto&... values) {
    int index = 0;
    std::apply([&](const auto&... field) { (statement.Bind(++index, field), ...); }, key);
    (statement.Bind(++index, values), ...);
    absl::Status s = statement.Run();
    return s.ok() ? s : WithContext(s, what);
  };
  for (const auto& [key, logins] : pending.login_days) {
    if (absl::Status s = run(statements_->add_login_day, "aggregating logins", key, logins);
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [key, at_ms] : pending.first_login_ms) {
    if (absl::Status s = run(statements_->lower_first_login, "aggregating logins", key, at_ms);
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [key, at_ms] : pending.first_milestone_ms) {
    if (absl::Status s = run(statements_->lower_milestone, "aggregating milestones", key, at_ms);
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [key, sums] : pending.milestone_days) {
    if (absl::Status s = run(statements_->add_milestone_day, "aggregating milestones", key,
                             sums.events, sums.value_sum);
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [key, answer] : pending.feedback_days) {
    if (absl::Status s = run(statements_->keep_latest_feedback, "aggregating feedback", key,
                             answer.answered_at_ms, answer.score);
        !s.ok()) {
      return s;
    }
  }
  pending = {};
  return absl::OkStatus();
}

}  // namespace cairn::collector
