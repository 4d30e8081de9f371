// PgStore's write path: staging and the set-based insert, the consent check,
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
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_internal.h"
#include "store/postgres/pg_store.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

constexpr std::string_view kCopyStaging =
    "COPY cairn_staging (idx, event_id, account_id, user_id, user_hash, purpose, needs_consent, "
    "at_us, kind, occurred_at_ms, corrected_at_ms, received_at_ms, sequence, session_id, "
    "install_id, batch_id, milestone_name, milestone_value, session_duration_ms, "
    "attributes_json, event_proto) FROM STDIN";

#define CAIRN_PG_EVENT_COLUMNS                                                      \
  "event_id, account_id, user_id, purpose, kind, occurred_at_ms, corrected_at_ms, " \
  "received_at_ms, sequence, session_id, install_id, batch_id, milestone_name, "    \
  "milestone_value, session_duration_ms, attributes_json, event_proto"

// What the consent rule (consent_rule.h) needs about a staged group, in one
// query: the staged users that have a tombstone (erased = true), and for
// each (user, purpose) that needs consent its candidate decisions, from the
// latest one dated at or before the pair's earliest staged moment through
// its latest, sorted by (device time, stored order); seq is the stored
// order. One index range scan per pair.
constexpr std::string_view kConsentFacts =
    "WITH pairs AS ("
    "  SELECT user_id, purpose, min(at_us) AS lo, max(at_us) AS hi FROM cairn_staging"
    "  WHERE needs_consent GROUP BY user_id, purpose"
    ")"
    "SELECT false AS erased, g.user_id, g.purpose, r.device_time_us, r.decision,"
    "       r.expires_at_us, r.seq"
    "  FROM pairs g JOIN consent_records r"
    "    ON r.user_id = g.user_id AND r.purpose = g.purpose AND r.device_time_us <= g.hi"
    "   AND r.device_time_us >= coalesce((SELECT max(p.device_time_us) FROM consent_records p"
    "         WHERE p.user_id = g.user_id AND p.purpose = g.purpose"
    "           AND p.device_time_us <= g.lo), g.lo)"
    " UNION ALL "
    "SELECT DISTINCT true, s.user_id, 0, 0::bigint, 0, NULL::bigint, 0::bigint"
    "  FROM cairn_staging s"
    "  WHERE EXISTS (SELECT 1 FROM erased_users x WHERE x.user_hash = s.user_hash)"
    " ORDER BY 2, 3, 4, 7";

// One statement per group: inserts the staged events the consent rule
// allowed ($1: their idx values as an integer array), the first copy of
// each event_id only, in event_id order (a fixed lock order between
// collectors), and returns the event_ids it inserted. The same statement
// folds the inserted logins ($2: the usage_analytics purpose) and
// milestones ($3: milestones) into the daily aggregates.
constexpr std::string_view kInsertAllowed =
    "WITH inserted AS ("
    "  INSERT INTO events (" CAIRN_PG_EVENT_COLUMNS
    ")"
    "  SELECT DISTINCT ON (event_id) " CAIRN_PG_EVENT_COLUMNS
    "  FROM cairn_staging JOIN unnest($1::integer[]) AS allowed(idx) USING (idx)"
    "  ORDER BY event_id, idx"
    "  ON CONFLICT (event_id) DO NOTHING"
    "  RETURNING event_id, account_id, user_id, purpose, kind, corrected_at_ms, milestone_name,"
    "            milestone_value"
    "), logins AS ("
    "  SELECT account_id, user_id, floor(corrected_at_ms / 86400000.0)::bigint AS day,"
    "         corrected_at_ms FROM inserted WHERE kind = 'login' AND purpose = $2::integer"
    "), milestones AS ("
    "  SELECT account_id, user_id, milestone_name AS name,"
    "         floor(corrected_at_ms / 86400000.0)::bigint AS day, corrected_at_ms,"
    "         coalesce(milestone_value, 0) AS value"
    "  FROM inserted WHERE kind = 'milestone' AND purpose = $3::integer"
    "    AND milestone_name IS NOT NULL"
    "), add_login_days AS ("
    "  INSERT INTO user_day AS t (account_id, user_id, day, logins)"
    "  SELECT account_id, user_id, day, count(*) FROM logins GROUP BY 1, 2, 3"
    "  ON CONFLICT (account_id, user_id, day) DO UPDATE SET logins = t.logins + excluded.logins"
    "), lower_first_logins AS ("
    "  INSERT INTO user_first_login AS t (account_id, user_id, first_login_ms)"
    "  SELECT account_id, user_id, min(corrected_at_ms) FROM logins GROUP BY 1, 2"
    "  ON CONFLICT (account_id, user_id) DO UPDATE"
    "  SET first_login_ms = least(t.first_login_ms, excluded.first_login_ms)"
    "), lower_milestones AS ("
    "  INSERT INTO user_milestone AS t (account_id, user_id, name, first_reached_ms)"
    "  SELECT account_id, user_id, name, min(corrected_at_ms) FROM milestones GROUP BY 1, 2, 3"
    "  ON CONFLICT (account_id, user_id, name) DO UPDATE"
    "  SET first_reached_ms = least(t.first_reached_ms, excluded.first_reached_ms)"
    "), add_milestone_days AS ("
    "  INSERT INTO user_milestone_day AS t (account_id, user_id, name, day, events, value_sum)"
    "  SELECT account_id, user_id, name, day, count(*), sum(value) FROM milestones"
    "  GROUP BY 1, 2, 3, 4"
    "  ON CONFLICT (account_id, user_id, name, day) DO UPDATE"
    "  SET events = t.events + excluded.events, value_sum = t.value_sum + excluded.value_sum"
    ")"
    "SELECT event_id FROM inserted";

constexpr std::string_view kInsertOneEvent =
    "INSERT INTO events (" CAIRN_PG_EVENT_COLUMNS
    ") VALUES ($1, $2, $3, $4::integer, $5, "
    "$6::bigint, $7::bigint, $8::bigint, $9::bigint, $10, $11, $12, $13, $14::double precision, "
    "$15::bigint, $16, $17::bytea) ON CONFLICT (event_id) DO NOTHING";

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

// Column values of an event row shared by COPY and the single insert.
struct PgEventRow {
  int64_t occurred_ms;
  int64_t corrected_ms;
  std::optional<std::string> milestone_name;
  std::optional<std::string> milestone_value;  // %.17g: round-trips a double
  std::optional<int64_t> session_duration_ms;
  std::string attributes_json;
  std::string proto;
};

PgEventRow MakePgEventRow(const cairn::v1::Event& event, const BatchRecord& batch) {
  PgEventRow row;
  const absl::Time occurred_at = FromProto(event.occurred_at());
  row.occurred_ms = absl::ToUnixMillis(occurred_at);
  row.corrected_ms =
      absl::ToUnixMillis(CorrectedOccurredAt(occurred_at, batch.sent_at, batch.received_at));
  if (event.has_milestone()) {
    row.milestone_name = event.milestone().name();
    if (event.milestone().has_value() && std::isfinite(event.milestone().value())) {
      row.milestone_value = absl::StrFormat("%.17g", event.milestone().value());
    }
  }
  if (event.has_session_end()) {
    row.session_duration_ms = absl::ToInt64Milliseconds(FromProto(event.session_end().duration()));
  }
  row.attributes_json = AttributesJson(event);
  row.proto = event.SerializeAsString();
  return row;
}

void AddCopyInt(int64_t value, std::string* line) { absl::StrAppend(line, value); }

void AddCopyNull(std::string* line) { line->append("\\N"); }

}  // namespace

// State of one Write attempt. Tombstones cannot change during it (the
// erasure gate), so memoising them is safe; nothing outlives the attempt.
struct PgStore::WriteContext {
  std::unordered_map<std::string, std::string> hashes;  // user_id -> UserHash
  std::unordered_map<std::string, bool> erased;         // user_id -> has a tombstone
  // (batch, event) pairs of the group not yet flushed, in write order.
  std::vector<std::pair<size_t, size_t>> pending;
  bool staged_before = false;  // staging may hold an earlier group's rows
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
  return WithRetries([&] { return TryWrite(batches); });
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
    std::span<const BatchRecord> batches) {
  if (absl::Status s = writer_->Run("BEGIN"); !s.ok()) return s;
  PgParams gate;
  gate.Add(kErasureGateKey);
  if (absl::Status s = writer_->Run("SELECT pg_advisory_xact_lock_shared($1)", gate); !s.ok()) {
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
      if (absl::Status s = FlushGroup(batches, results, context); !s.ok()) return s;
      for (size_t i = 0; i < batch.events.size(); ++i) {
        if (!batch.events[i].has_consent_change()) continue;
        if (absl::Status s = WriteConsentChange(b, batch, i, results[b], context); !s.ok()) {
          return s;
        }
      }
    }
    for (size_t i = 0; i < batch.events.size(); ++i) {
      if (!batch.events[i].has_consent_change()) context.pending.emplace_back(b, i);
    }
  }
  if (absl::Status s = FlushGroup(batches, results, context); !s.ok()) return s;

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

absl::Status PgStore::WriteConsentChange(size_t b, const BatchRecord& batch, size_t index,
                                         BatchWriteResult& result, WriteContext& context) {
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
  PgEventRow row = MakePgEventRow(event, batch);
  PgParams insert;
  insert.Add(event.event_id())
      .Add(event.account_id())
      .Add(event.user_id())
      .Add(static_cast<int64_t>(event.purpose()))
      .Add(EventKind(event))
      .Add(row.occurred_ms)
      .Add(row.corrected_ms)
      .Add(absl::ToUnixMillis(batch.received_at))
      .Add(static_cast<int64_t>(event.sequence()))  // wraps above 2^63
      .Add(event.session_id())
      .Add(batch.install_id)
      .Add(batch.batch_id)
      .AddOptional(row.milestone_name)
      .AddOptional(row.milestone_value)
      .AddOptional(row.session_duration_ms)
      .Add(row.attributes_json)
      .AddBytes(row.proto);
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
                                 std::vector<BatchWriteResult>& results, WriteContext& context) {
  if (context.pending.empty()) return absl::OkStatus();
  std::vector<std::pair<size_t, size_t>> group = std::move(context.pending);
  context.pending.clear();
  if (context.staged_before) {
    // ON COMMIT DELETE ROWS empties it only at commit.
    if (absl::Status s = writer_->Run("DELETE FROM cairn_staging"); !s.ok()) return s;
  }
  context.staged_before = true;

  std::string data;
  data.reserve(group.size() * 600);
  for (size_t k = 0; k < group.size(); ++k) {
    const BatchRecord& batch = batches[group[k].first];
    const cairn::v1::Event& event = batch.events[group[k].second];
    PgEventRow row = MakePgEventRow(event, batch);
    auto text = [&](std::string_view value) {
      data.push_back('\t');
      AppendCopyText(value, &data);
    };
    auto number = [&](int64_t value) {
      data.push_back('\t');
      AddCopyInt(value, &data);
    };
    // An absent optional column is COPY's NULL, a present one goes to `put`.
    auto optional = [&](const auto& value, const auto& put) {
      if (value) return put(*value);
      data.push_back('\t');
      AddCopyNull(&data);
    };
    AddCopyInt(static_cast<int64_t>(k), &data);
    text(event.event_id());
    text(event.account_id());
    text(event.user_id());
    text(context.Hash(*this, event.user_id()));
    number(static_cast<int64_t>(event.purpose()));
    text(NeedsDecisions(event) ? "t" : "f");
    number(ConsentMomentMicros(event));
    text(EventKind(event));
    number(row.occurred_ms);
    number(row.corrected_ms);
    number(absl::ToUnixMillis(batch.received_at));
    number(static_cast<int64_t>(event.sequence()));  // wraps above 2^63
    text(event.session_id());
    text(batch.install_id);
    text(batch.batch_id);
    optional(row.milestone_name, text);
    optional(row.milestone_value, text);
    optional(row.session_duration_ms, number);
    text(row.attributes_json);
    data.push_back('\t');
    AppendCopyBytes(row.proto, &data);
    data.push_back('\n');
  }
  if (absl::Status s = writer_->CopyIn(kCopyStaging, data); !s.ok()) {
    return WithContext(s, "staging events");
  }
  // The facts the consent rule needs, read for the whole group at once.
  absl::StatusOr<PgResult> facts = writer_->Exec(kConsentFacts);
  if (!facts.ok()) return WithContext(facts.status(), "looking up consent");
  std::unordered_set<std::string_view> erased_users;
  std::map<std::pair<std::string_view, int64_t>, std::vector<consent::PurposeState>> decisions;
  for (int r = 0; r < facts->rows(); ++r) {
    if (facts->Bool(r, 0)) {
      erased_users.insert(facts->Text(r, 1));
      continue;
    }
    std::optional<int64_t> expires_at_us;
    if (!facts->IsNull(r, 5)) expires_at_us = facts->Int(r, 5);
    decisions[{facts->Text(r, 1), facts->Int(r, 2)}].push_back(
        DecisionFromRow(facts->Int(r, 3), facts->Int(r, 4), expires_at_us));
  }
  std::string allowed = "{";
  for (size_t k = 0; k < group.size(); ++k) {
    const auto [b, i] = group[k];
    const cairn::v1::Event& event = batches[b].events[i];
    std::span<const consent::PurposeState> candidates;
    if (NeedsDecisions(event)) {
      auto it = decisions.find({event.user_id(), static_cast<int64_t>(event.purpose())});
      if (it != decisions.end()) candidates = it->second;
    }
    const ConsentVerdict verdict =
        JudgeEvent(event, erased_users.contains(event.user_id()), candidates);
    if (verdict != ConsentVerdict::kAllowed) {
      context.Reject(b, results[b], i, verdict, event);
      continue;
    }
    if (allowed.size() > 1) allowed.push_back(',');
    absl::StrAppend(&allowed, k);
  }
  allowed.push_back('}');
  if (allowed.size() == 2) return absl::OkStatus();

  PgParams params;
  params.Add(allowed)
      .Add(static_cast<int64_t>(cairn::v1::PURPOSE_USAGE_ANALYTICS))
      .Add(static_cast<int64_t>(cairn::v1::PURPOSE_MILESTONES));
  absl::StatusOr<PgResult> inserted = writer_->Exec(kInsertAllowed, params);
  if (!inserted.ok()) return WithContext(inserted.status(), "storing events");
  std::unordered_set<std::string_view> inserted_ids;
  for (int r = 0; r < inserted->rows(); ++r) inserted_ids.insert(inserted->Text(r, 0));
  // The first allowed copy of an inserted event_id is the inserted one
  // (DISTINCT ON ... ORDER BY idx); any other copy is a duplicate.
  std::unordered_set<std::string_view> claimed;
  for (size_t k = 0; k < group.size(); ++k) {
    const auto [b, i] = group[k];
    BatchWriteResult& result = results[b];
    if (result.outcomes[i] == EventOutcome::kRejected) continue;
    const std::string& event_id = batches[b].events[i].event_id();
    WriteContext::NoteStored(result, i,
                             inserted_ids.contains(event_id) && claimed.insert(event_id).second);
  }
  return absl::OkStatus();
}

}  // namespace cairn::collector
