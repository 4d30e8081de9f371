// PgStore's write path: the consent check, the binary COPY of new events,
// consent records and state, the daily aggregates, batches and counters.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/strings.h"
#include "cairn/consent/consent_state.h"
#include "cairn/consent/purpose.h"
#include "store/consent_rule.h"
#include "store/daily_aggregates.h"
#include "store/event_row.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_copy.h"
#include "store/postgres/pg_internal.h"
#include "store/postgres/pg_store.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

// The COPY of a group's new events into event_rows (pg_copy.h).
const std::string& CopyEventsSql() {
  static const std::string* const sql = new std::string(absl::StrCat(
      "COPY event_rows (", ToAbsl(kPgEventRowColumns), ") FROM STDIN (FORMAT binary)"));
  return *sql;
}

// What the consent rule (consent_rule.h) needs about a group, in one query:
// which of the group's users ($5: their keyed hashes) have a tombstone
// (erased = true, with the hash), and for each (user, purpose) that needs
// consent ($1-$4: user, purpose, the pair's earliest and latest moments)
// its candidate decisions, from the latest one dated at or before the
// earliest moment through the latest, sorted by (device time, stored
// order); seq is the stored order. One index range scan per pair.
constexpr std::string_view kConsentFacts = R"sql(
WITH pairs AS (
  SELECT u COLLATE "C" AS user_id, purpose, lo, hi
  FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::bigint[]) AS g(u, purpose, lo, hi)
)
SELECT false AS erased, g.user_id, g.purpose, r.device_time_us, r.decision, r.expires_at_us,
       r.seq
  FROM pairs g JOIN consent_records r
    ON r.user_id = g.user_id AND r.purpose = g.purpose AND r.device_time_us <= g.hi
   AND r.device_time_us >= coalesce((SELECT max(p.device_time_us) FROM consent_records p
         WHERE p.user_id = g.user_id AND p.purpose = g.purpose
           AND p.device_time_us <= g.lo), g.lo)
UNION ALL
SELECT true, x.user_hash COLLATE "C", 0, 0::bigint, 0, NULL::bigint, 0::bigint
  FROM erased_users x WHERE x.user_hash = ANY($5::text[])
ORDER BY 2, 3, 4, 7
)sql";

// Which of the ids ($1) are stored already: asked only when a COPY met one.
constexpr std::string_view kStoredIds =
    "SELECT id::text FROM event_rows WHERE id = ANY($1::uuid[])";

// A consent change's own event row, stored alone before its record.
constexpr std::string_view kInsertOneEvent =
    "INSERT INTO event_rows (id, occurred_at_ms, corrected_at_ms, received_at_ms, sequence, "
    "milestone_value, session_duration_ms, purpose, body_case, account_id, user_id, session_id, "
    "install_id, batch_id, milestone_name, attributes_json, residual) VALUES ($1::uuid, "
    "$2::bigint, $3::bigint, $4::bigint, $5::bigint, NULL, NULL, $6::integer, $7::smallint, $8, "
    "$9, $10, $11, $12, NULL, $13, $14::bytea) ON CONFLICT (id) DO NOTHING";

constexpr std::string_view kInsertBatch =
    "INSERT INTO batches (batch_id, install_id, sent_at_ms, received_at_ms, last_received_at_ms, "
    "times_received, event_count, accepted, duplicates, rejected, client_ip, user_agent) "
    "VALUES ($1, $2, $3::bigint, $4::bigint, $4::bigint, 1, $5::bigint, $6::bigint, $7::bigint, "
    "$8::bigint, $9, $10) ON CONFLICT (batch_id) DO NOTHING";

constexpr std::string_view kNoteBatchRetry =
    "UPDATE batches SET times_received = times_received + 1, last_received_at_ms = $2::bigint "
    "WHERE batch_id = $1";

constexpr std::string_view kIsErased = "SELECT 1 FROM erased_users WHERE user_hash = $1";

constexpr std::string_view kInsertConsentRecord =
    "INSERT INTO consent_records (event_id, account_id, user_id, purpose, decision, policy_id, "
    "policy_version, device_time_us, collector_time_ms, sdk_version, source_surface, "
    "expires_at_us) VALUES ($1, $2, $3, $4::integer, $5::integer, $6, $7, $8::bigint, "
    "$9::bigint, $10, $11, $12::bigint) ON CONFLICT (event_id) DO NOTHING";

// The current state follows the latest decision by device time, whatever
// order the records arrive in.
constexpr std::string_view kUpsertConsentState =
    "INSERT INTO consent_state AS c (account_id, user_id, purpose, user_hash, decision, "
    "policy_id, policy_version, decided_at_us, expires_at_us, updated_at_ms) VALUES ($10, $1, "
    "$2::integer, $3, $4::integer, $5, $6, $7::bigint, $8::bigint, $9::bigint) "
    "ON CONFLICT (account_id, user_id, purpose) DO UPDATE SET "
    "user_hash = excluded.user_hash, decision = excluded.decision, "
    "policy_id = excluded.policy_id, policy_version = excluded.policy_version, "
    "decided_at_us = excluded.decided_at_us, expires_at_us = excluded.expires_at_us, "
    "updated_at_ms = excluded.updated_at_ms "
    "WHERE excluded.decided_at_us >= c.decided_at_us";

// The suppression list is per (account, user hash); account_id '' is an
// entry of unknown account (schema version 4), which holds in every account.
constexpr std::string_view kSuppress =
    "INSERT INTO renewal_suppression AS s (account_id, user_hash, since_ms, denied_at_us) "
    "VALUES ($4, $1, $2::bigint, $3::bigint) ON CONFLICT (account_id, user_hash) DO UPDATE SET "
    "denied_at_us = greatest(s.denied_at_us, excluded.denied_at_us)";

// Only a grant made after the latest opt-out lifts it: the account's entry
// and one of unknown account.
constexpr std::string_view kLiftSuppression =
    "DELETE FROM renewal_suppression WHERE account_id IN ($3, '') AND user_hash = $1 "
    "AND denied_at_us < $2::bigint";
// The entries kLiftSuppression would lift: a grant that may not lift them
// leaves them, counted.
constexpr std::string_view kIsSuppressed =
    "SELECT 1 FROM renewal_suppression WHERE account_id IN ($3, '') AND user_hash = $1 "
    "AND denied_at_us < $2::bigint";

// Saturating adds: a hostile or buggy device must not overflow a counter.
constexpr std::string_view kAddRejections =
    "INSERT INTO rejections AS r (reason, count) VALUES ($1::integer, $2::bigint) "
    "ON CONFLICT (reason) DO UPDATE SET count = CASE WHEN r.count > "
    "9223372036854775807 - excluded.count THEN 9223372036854775807 "
    "ELSE r.count + excluded.count END";

constexpr std::string_view kAddClientDrops =
    "INSERT INTO client_drops AS d (install_id, reason, count) VALUES ($1, $2::integer, "
    "$3::bigint) ON CONFLICT (install_id, reason) DO UPDATE SET count = CASE WHEN d.count > "
    "9223372036854775807 - excluded.count THEN 9223372036854775807 "
    "ELSE d.count + excluded.count END";

int64_t SaturatingAdd(int64_t a, int64_t b) {
  return a > std::numeric_limits<int64_t>::max() - b ? std::numeric_limits<int64_t>::max() : a + b;
}

}  // namespace

// State of one Write attempt. Tombstones cannot change during it (the
// erasure gate), so memoising them is safe; nothing outlives the attempt.
struct PgStore::WriteContext {
  std::unordered_map<std::string, std::string> hashes;  // user_id -> UserHash
  std::unordered_map<std::string, bool> erased;         // user_id -> has a tombstone
  // (batch, event) pairs of the group not yet flushed, in write order.
  std::vector<std::pair<size_t, size_t>> pending;
  // The daily aggregates of the group's new events, stored with the group.
  DailyAggregates aggregates;
  // Per batch: rejections by reason (validation and store), counted only if
  // it is the batch's first delivery.
  std::vector<std::map<cairn::v1::RejectReason, int64_t>> rejection_counts;

  void Reject(size_t batch, BatchWriteResult& result, size_t index, ConsentVerdict verdict,
              const cairn::v1::Event& event) {
    const ConsentRefusal refusal = RefusalOf(verdict, event);
    result.outcomes[index] = EventOutcome::kRejected;
    result.rejections.push_back(StoreRejection{index, refusal.reason, std::string(refusal.detail)});
    ++rejection_counts[batch][refusal.reason];
  }
  static void NoteStored(BatchWriteResult& result, size_t index, bool inserted) {
    if (inserted) {
      ++result.inserted;
    } else {
      result.outcomes[index] = EventOutcome::kDuplicate;
      ++result.duplicates;
    }
  }

  const std::string& Hash(const PgStore& store, const std::string& user_id) {
    auto it = hashes.find(user_id);
    if (it == hashes.end()) it = hashes.emplace(user_id, store.UserHash(user_id)).first;
    return it->second;
  }
};

absl::StatusOr<std::vector<BatchWriteResult>> PgStore::Write(std::span<const BatchRecord> batches) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  // Each batch's rows, made on the I/O threads unless a caller built the
  // batch without them.
  std::vector<std::vector<EventRow>> scratch(batches.size());
  std::vector<std::span<const EventRow>> rows(batches.size());
  for (size_t b = 0; b < batches.size(); ++b) rows[b] = RowsOf(batches[b], scratch[b]);
  return WithRetries([&] { return TryWrite(batches, rows); });
}

absl::StatusOr<bool> PgStore::IsErased(std::string_view user_id, WriteContext& context) {
  std::string key(user_id);
  auto it = context.erased.find(key);
  if (it != context.erased.end()) return it->second;
  PgParams params;
  params.Add(context.Hash(*this, key));
  absl::StatusOr<PgResult> row = writer_->Exec(kIsErased, params);
  if (!row.ok()) return WithContext(row.status(), "looking up a tombstone");
  bool erased = row->rows() > 0;
  context.erased.emplace(std::move(key), erased);
  return erased;
}

absl::StatusOr<std::vector<BatchWriteResult>> PgStore::TryWrite(
    std::span<const BatchRecord> batches, std::span<const std::span<const EventRow>> rows) {
  // Outside the write's transaction: a partition is made under a lock of
  // its own, which a transaction holding event_rows could deadlock on.
  if (absl::Status s = EnsurePartitions(rows); !s.ok()) return s;
  // One round trip: the transaction and its shared hold of the erasure gate.
  if (absl::Status s = writer_->Run(
          absl::StrCat("BEGIN; SELECT pg_advisory_xact_lock_shared(", kErasureGateKey, ")"));
      !s.ok()) {
    return s;
  }
  WriteContext context;
  std::vector<BatchWriteResult> results(batches.size());
  context.rejection_counts.resize(batches.size());
  for (size_t b = 0; b < batches.size(); ++b) {
    const BatchRecord& batch = batches[b];
    results[b].outcomes.assign(batch.events.size(), EventOutcome::kInserted);
    context.rejection_counts[b] = batch.validation_rejections;
    const bool has_consent_changes =
        std::any_of(batch.events.begin(), batch.events.end(),
                    [](const cairn::v1::Event& e) { return e.has_consent_change(); });
    if (has_consent_changes) {
      // Earlier batches are judged before this batch's consent changes, as
      // SqliteStore does batch by batch.
      if (absl::Status s = FlushGroup(batches, rows, results, context); !s.ok()) return s;
      for (size_t i = 0; i < batch.events.size(); ++i) {
        if (!batch.events[i].has_consent_change()) continue;
        if (absl::Status s = WriteConsentChange(b, batch, rows[b][i], i, results[b], context);
            !s.ok()) {
          return s;
        }
      }
    }
    for (size_t i = 0; i < batch.events.size(); ++i) {
      if (!batch.events[i].has_consent_change()) context.pending.emplace_back(b, i);
    }
  }
  if (absl::Status s = FlushGroup(batches, rows, results, context); !s.ok()) return s;

  // One row per batch; counters of first deliveries summed for the whole
  // write, then added in key order.
  std::map<cairn::v1::RejectReason, int64_t> rejections;
  std::map<std::pair<std::string, int64_t>, int64_t> drops;
  for (size_t b = 0; b < batches.size(); ++b) {
    const BatchRecord& batch = batches[b];
    BatchWriteResult& result = results[b];
    std::sort(result.rejections.begin(), result.rejections.end(),
              [](const StoreRejection& x, const StoreRejection& y) { return x.index < y.index; });
    const int64_t received_ms = absl::ToUnixMillis(batch.received_at);
    PgParams row;
    row.Add(batch.batch_id).Add(batch.install_id);
    if (batch.sent_at == absl::InfinitePast()) {
      row.AddNull();
    } else {
      row.Add(absl::ToUnixMillis(batch.sent_at));
    }
    row.Add(received_ms)
        .Add(batch.event_count)
        .Add(result.inserted)
        .Add(result.duplicates)
        .Add(batch.rejected + static_cast<int64_t>(result.rejections.size()))
        .AddOptional(batch.client_ip)
        .AddOptional(batch.user_agent);
    absl::StatusOr<PgResult> inserted = writer_->Exec(kInsertBatch, row);
    if (!inserted.ok()) return WithContext(inserted.status(), "recording a batch");
    result.first_delivery = inserted->AffectedRows() == 1;
    if (result.first_delivery) {
      // Counted once per batch_id, so a retried batch cannot inflate them.
      for (const auto& [reason, count] : batch.drops) {
        if (count == 0) continue;
        int64_t& total = drops[{batch.install_id, static_cast<int64_t>(reason)}];
        total = SaturatingAdd(total, ClampToInt64(count));
      }
      for (const auto& [reason, count] : context.rejection_counts[b]) {
        if (count > 0) rejections[reason] = SaturatingAdd(rejections[reason], count);
      }
    } else {
      PgParams retry;
      retry.Add(batch.batch_id).Add(received_ms);
      if (absl::Status s = writer_->Run(kNoteBatchRetry, retry); !s.ok()) {
        return WithContext(s, "recording a retry");
      }
    }
  }
  for (const auto& [key, count] : drops) {
    PgParams params;
    params.Add(key.first).Add(key.second).Add(count);
    if (absl::Status s = writer_->Run(kAddClientDrops, params); !s.ok()) {
      return WithContext(s, "adding drop counters");
    }
  }
  for (const auto& [reason, count] : rejections) {
    PgParams params;
    params.Add(static_cast<int64_t>(reason)).Add(count);
    if (absl::Status s = writer_->Run(kAddRejections, params); !s.ok()) {
      return WithContext(s, "counting rejections");
    }
  }
  if (absl::Status s = writer_->Run("COMMIT"); !s.ok()) return s;
  return results;
}

absl::Status PgStore::WriteConsentChange(size_t b, const BatchRecord& batch, const EventRow& row,
                                         size_t index, BatchWriteResult& result,
                                         WriteContext& context) {
  const cairn::v1::Event& event = batch.events[index];
  absl::StatusOr<bool> erased = IsErased(event.user_id(), context);
  if (!erased.ok()) return erased.status();
  if (ConsentVerdict v = JudgeEvent(event, *erased, {}); v != ConsentVerdict::kAllowed) {
    context.Reject(b, result, index, v, event);
    return absl::OkStatus();
  }
  absl::StatusOr<consent::ConsentRecord> record =
      consent::RecordFromEvent(event, batch.sdk_version);
  if (!record.ok()) return record.status();  // JudgeEvent accepted it
  // The event row and the record share the event_id, so a replayed change
  // is a duplicate and appends no second record.
  PgParams insert;
  insert.Add(EventIdFromKey(PgEventUuid(row.id)))
      .Add(row.occurred_at_ms)
      .Add(row.corrected_at_ms)
      .Add(absl::ToUnixMillis(batch.received_at))
      .Add(static_cast<int64_t>(event.sequence()))  // wraps above 2^63
      .Add(static_cast<int64_t>(event.purpose()))
      .Add(static_cast<int64_t>(row.body_case))
      .Add(event.account_id())
      .Add(event.user_id())
      .Add(event.session_id())
      .Add(batch.install_id)
      .Add(batch.batch_id)
      .Add(row.attributes_json)
      .AddBytes(row.residual);
  absl::StatusOr<PgResult> inserted = writer_->Exec(kInsertOneEvent, insert);
  if (!inserted.ok()) return WithContext(inserted.status(), "storing an event");
  const bool is_new = inserted->AffectedRows() == 1;
  WriteContext::NoteStored(result, index, is_new);
  if (!is_new) return absl::OkStatus();

  const int64_t device_us = absl::ToUnixMicros(record->device_time);
  const int64_t received_ms = absl::ToUnixMillis(batch.received_at);
  const int64_t purpose = static_cast<int64_t>(consent::ToWire(record->purpose));
  const int64_t decision = StoredDecision(record->decision);
  const std::string& hash = context.Hash(*this, event.user_id());
  std::optional<int64_t> expires_us;
  if (record->expires_at) expires_us = absl::ToUnixMicros(*record->expires_at);

  PgParams proof;
  proof.Add(event.event_id())
      .Add(event.account_id())
      .Add(event.user_id())
      .Add(purpose)
      .Add(decision)
      .Add(record->policy_id)
      .Add(record->policy_version)
      .Add(device_us)
      .Add(received_ms)
      .Add(record->source_sdk_version)
      .Add(record->source_surface)
      .AddOptional(expires_us);
  if (absl::Status s = writer_->Run(kInsertConsentRecord, proof); !s.ok()) {
    return WithContext(s, "storing a consent record");
  }
  PgParams state;
  state.Add(event.user_id())
      .Add(purpose)
      .Add(hash)
      .Add(decision)
      .Add(record->policy_id)
      .Add(record->policy_version)
      .Add(device_us)
      .AddOptional(expires_us)
      .Add(received_ms)
      .Add(event.account_id());
  if (absl::Status s = writer_->Run(kUpsertConsentState, state); !s.ok()) {
    return WithContext(s, "updating consent state");
  }
  if (record->decision == consent::Decision::kDenied) {
    // Withdrawal: what the purpose produced stops counting (docs/metrics.md),
    // if the denial is the user's current decision (consent_state, just
    // updated): an older denial arriving after a later grant deletes nothing.
    PgParams by_user;
    by_user.Add(event.user_id()).Add(purpose).Add(decision).Add(event.account_id());
    for (std::string_view table : WithdrawnAggregateTables(record->purpose)) {
      if (absl::Status s = writer_->Run(
              absl::StrCat("DELETE FROM ", ToAbsl(table),
                           " WHERE user_id = $1 AND EXISTS (SELECT 1 FROM consent_state c "
                           "WHERE c.user_id = $1 AND c.purpose = $2::integer "
                           "AND c.decision = $3::integer AND c.account_id = $4)"),
              by_user);
          !s.ok()) {
        return WithContext(s, "withdrawing aggregates");
      }
    }
  }
  if (record->purpose == consent::Purpose::kRenewalNotifications) {
    PgParams params;
    if (record->decision == consent::Decision::kDenied) {
      params.Add(hash).Add(received_ms).Add(device_us).Add(event.account_id());
      if (absl::Status s = writer_->Run(kSuppress, params); !s.ok()) {
        return WithContext(s, "suppressing");
      }
    } else if (MayLiftSuppression(event, batch.verified_grants.contains(index))) {
      params.Add(hash).Add(device_us).Add(event.account_id());
      if (absl::Status s = writer_->Run(kLiftSuppression, params); !s.ok()) {
        return WithContext(s, "lifting suppression");
      }
    } else {
      params.Add(hash).Add(device_us).Add(event.account_id());
      absl::StatusOr<PgResult> suppressed = writer_->Exec(kIsSuppressed, params);
      if (!suppressed.ok()) return WithContext(suppressed.status(), "looking up suppression");
      if (suppressed->rows() > 0) ++result.suppressions_kept;
    }
  }
  return absl::OkStatus();
}

absl::Status PgStore::FlushGroup(std::span<const BatchRecord> batches,
                                 std::span<const std::span<const EventRow>> rows,
                                 std::vector<BatchWriteResult>& results, WriteContext& context) {
  if (context.pending.empty()) return absl::OkStatus();
  std::vector<std::pair<size_t, size_t>> group = std::move(context.pending);
  context.pending.clear();

  // The facts the consent rule needs, read for the whole group at once:
  // per (user, purpose) needing decisions the span of its moments, and the
  // hash of every user.
  std::map<std::pair<std::string_view, int64_t>, std::pair<int64_t, int64_t>> pairs;
  std::map<std::string_view, std::string_view> hash_of;  // user_id -> hash
  for (const auto& [b, i] : group) {
    const cairn::v1::Event& event = batches[b].events[i];
    if (!hash_of.contains(event.user_id())) {
      hash_of.emplace(event.user_id(), context.Hash(*this, event.user_id()));
    }
    if (!NeedsDecisions(event)) continue;
    const int64_t at = ConsentMomentMicros(event);
    auto [it, added] = pairs.try_emplace({event.user_id(), event.purpose()}, at, at);
    if (!added) {
      it->second.first = std::min(it->second.first, at);
      it->second.second = std::max(it->second.second, at);
    }
  }
  PgArrayLiteral users, purposes, los, his, hashes;
  for (const auto& [key, span] : pairs) {
    users.Add(key.first);
    purposes.Add(key.second);
    los.Add(span.first);
    his.Add(span.second);
  }
  for (const auto& [user, hash] : hash_of) hashes.Add(hash);
  PgParams facts_params;
  facts_params.Add(users.Finish())
      .Add(purposes.Finish())
      .Add(los.Finish())
      .Add(his.Finish())
      .Add(hashes.Finish());
  absl::StatusOr<PgResult> facts = writer_->Exec(kConsentFacts, facts_params);
  if (!facts.ok()) return WithContext(facts.status(), "looking up consent");
  std::unordered_set<std::string_view> erased_hashes;
  std::map<std::pair<std::string_view, int64_t>, std::vector<consent::PurposeState>> decisions;
  for (int r = 0; r < facts->rows(); ++r) {
    if (facts->Bool(r, 0)) {
      erased_hashes.insert(facts->Text(r, 1));
      continue;
    }
    std::optional<int64_t> expires_at_us;
    if (!facts->IsNull(r, 5)) expires_at_us = facts->Int(r, 5);
    decisions[{facts->Text(r, 1), facts->Int(r, 2)}].push_back(
        DecisionFromRow(facts->Int(r, 3), facts->Int(r, 4), expires_at_us));
  }

  // Judged in memory; of the allowed events the first copy of each id is
  // the one to store, any later copy in the group a duplicate.
  std::vector<std::pair<size_t, size_t>> fresh;
  std::unordered_set<std::string_view> claimed;
  for (const auto& [b, i] : group) {
    const cairn::v1::Event& event = batches[b].events[i];
    std::span<const consent::PurposeState> candidates;
    if (NeedsDecisions(event)) {
      auto it = decisions.find({event.user_id(), static_cast<int64_t>(event.purpose())});
      if (it != decisions.end()) candidates = it->second;
    }
    const bool erased = erased_hashes.contains(hash_of.at(event.user_id()));
    if (ConsentVerdict v = JudgeEvent(event, erased, candidates); v != ConsentVerdict::kAllowed) {
      context.Reject(b, results[b], i, v, event);
      continue;
    }
    if (claimed.insert(rows[b][i].id).second) {
      fresh.emplace_back(b, i);
    } else {
      WriteContext::NoteStored(results[b], i, /*inserted=*/false);
    }
  }
  // In id order: collectors storing the same ids wait on each other in the
  // same order instead of deadlocking.
  std::sort(fresh.begin(), fresh.end(), [&](const auto& x, const auto& y) {
    return rows[x.first][x.second].id < rows[y.first][y.second].id;
  });

  // Usually none of them is stored yet: one COPY. If one is (a retried
  // batch), the COPY is undone and only the others go in.
  absl::Status copied = CopyEvents(batches, rows, fresh, /*may_fail=*/true);
  if (copied.code() == absl::StatusCode::kAlreadyExists) {
    PgArrayLiteral ids;
    for (const auto& [b, i] : fresh) ids.Add(EventIdFromKey(PgEventUuid(rows[b][i].id)));
    PgParams params;
    params.Add(ids.Finish());
    absl::StatusOr<PgResult> stored = writer_->Exec(kStoredIds, params);
    if (!stored.ok()) return WithContext(stored.status(), "looking up stored events");
    std::unordered_set<std::string> stored_keys;
    for (int r = 0; r < stored->rows(); ++r) stored_keys.insert(UuidBytes(stored->Text(r, 0)));
    std::vector<std::pair<size_t, size_t>> remaining;
    for (const auto& [b, i] : fresh) {
      if (stored_keys.contains(PgEventUuid(rows[b][i].id))) {
        WriteContext::NoteStored(results[b], i, /*inserted=*/false);
      } else {
        remaining.emplace_back(b, i);
      }
    }
    fresh = std::move(remaining);
    copied = CopyEvents(batches, rows, fresh, /*may_fail=*/false);
  }
  if (!copied.ok()) return copied;
  for (const auto& [b, i] : fresh) {
    WriteContext::NoteStored(results[b], i, /*inserted=*/true);
    context.aggregates.Fold(batches[b].events[i], rows[b][i]);
  }
  return FlushAggregates(context.aggregates);
}

absl::Status PgStore::CopyEvents(std::span<const BatchRecord> batches,
                                 std::span<const std::span<const EventRow>> rows,
                                 std::span<const std::pair<size_t, size_t>> events, bool may_fail) {
  if (events.empty()) return absl::OkStatus();
  PgCopyWriter copy;
  for (const auto& [b, i] : events) {
    const BatchRecord& batch = batches[b];
    AppendEventRow(batch.events[i], rows[b][i], absl::ToUnixMillis(batch.received_at),
                   batch.install_id, batch.batch_id, copy);
  }
  if (may_fail) {
    if (absl::Status s = writer_->Run("SAVEPOINT cairn_copy"); !s.ok()) return s;
  }
  absl::Status s = writer_->CopyIn(CopyEventsSql(), copy.Finish());
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    if (may_fail) {
      if (absl::Status undo = writer_->Run("ROLLBACK TO SAVEPOINT cairn_copy"); !undo.ok()) {
        return undo;
      }
      return s;
    }
    // Another collector stored one of them since the look: the rerun of
    // the whole write sees it.
    return absl::AbortedError(s.message());
  }
  if (!s.ok()) return WithContext(s, "storing events");
  if (may_fail) return writer_->Run("RELEASE SAVEPOINT cairn_copy");
  return absl::OkStatus();
}

}  // namespace cairn::collector
