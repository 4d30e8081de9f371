#ifndef CAIRN_COLLECTOR_STORE_STORE_H_
#define CAIRN_COLLECTOR_STORE_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/consent/consent_state.h"
#include "cairn/v1/batch.pb.h"
#include "cairn/v1/event.pb.h"
#include "store/event_row.h"
#include "store/sql_runner.h"

namespace cairn::collector {

// One received batch, already validated: `events` holds only the events that
// passed the contract's rules, in their batch order. The store de-duplicates
// them by event_id.
struct BatchRecord {
  std::string batch_id;
  std::string install_id;
  // Device clock when the batch was sent (InfinitePast if the device gave none).
  absl::Time sent_at = absl::InfinitePast();
  // Collector clock when the request arrived.
  absl::Time received_at = absl::UnixEpoch();
  // ClientInfo.sdk_version, recorded with each consent record as its source.
  std::string sdk_version;
  // Set only when the operator turned on --store-client-ip /
  // --store-user-agent; kept with the batch row, never with events.
  std::optional<std::string> client_ip;
  std::optional<std::string> user_agent;
  // Events in the batch as sent, and how many of them validation refused.
  int64_t event_count = 0;
  int64_t rejected = 0;
  // Validation refusals by reason, added to the durable rejection counters
  // the first time this batch_id is seen.
  std::map<cairn::v1::RejectReason, int64_t> validation_rejections;
  // Device drop counters (Batch.dropped), merged by reason. Added to the
  // install's totals only the first time this batch_id is seen.
  std::map<cairn::v1::DropReason, uint64_t> drops;
  std::vector<cairn::v1::Event> events;
  // Indexes into `events` of consent changes whose grant signature ingest
  // verified (consent::HasValidGrantSignature): the only grants that may
  // lift a renewal opt-out (MayLiftSuppression).
  std::set<size_t> verified_grants;
  // The stored form of each of `events`, same order: made on the ingest I/O
  // thread (EncodeEventRows) after the last change to `events`, so the
  // store's writer only stores. A batch built elsewhere (tests, tools) may
  // leave it empty; the store then encodes the rows itself (RowsOf).
  std::vector<EventRow> rows;
};

// Fills batch.rows from batch.events unless it already matches them. About
// 1 us an event; cannot fail.
void EncodeEventRows(BatchRecord& batch);
// batch.rows if they match batch.events, else the rows encoded into
// `scratch`, which must outlive the span.
std::span<const EventRow> RowsOf(const BatchRecord& batch, std::vector<EventRow>& scratch);

// What happened to one event of a write.
enum class EventOutcome {
  kInserted,   // stored by this write
  kDuplicate,  // its event_id was already stored (earlier or in this write)
  kRejected,   // refused by the store (no consent, erased user); not stored
};

// An event the store refused: `index` is its position in BatchRecord::events.
struct StoreRejection {
  size_t index = 0;
  cairn::v1::RejectReason reason = cairn::v1::REJECT_REASON_UNSPECIFIED;
  std::string detail;  // short, fixed, free of personal data
};

// The result of writing one BatchRecord.
struct BatchWriteResult {
  // One outcome per BatchRecord::events entry, same order.
  std::vector<EventOutcome> outcomes;
  int64_t inserted = 0;
  int64_t duplicates = 0;
  // Refusals of consent enforcement and erasure tombstones, in event order.
  std::vector<StoreRejection> rejections;
  // False if the batch_id had been recorded before (a retry): its drop
  // counters were not added again.
  bool first_delivery = true;
  // Renewal grants stored as proof that left an (account, user) opt-out in
  // place (vendor defaults, unsigned grants): MayLiftSuppression said no.
  int64_t suppressions_kept = 0;
};

// One customer account in the human summary.
struct AccountSummary {
  std::string account_id;
  int64_t users = 0;
  int64_t logins = 0;
  // Distinct milestone names reached by any of the account's users.
  int64_t milestones_reached = 0;
  // Latest occurred_at (device time) of any of the account's events.
  absl::Time last_activity = absl::InfinitePast();
};

// A read-only overview of what the store holds, for operators and the demo.
struct StoreSummary {
  int64_t total_events = 0;
  // Event count per kind: "login", "logout", "session_end", "milestone",
  // "consent_change". Kinds with no events are absent.
  std::map<std::string, int64_t> events_by_kind;
  int64_t accounts = 0;
  int64_t users = 0;
  // The most recently active accounts, newest first, at most
  // kMaxSummaryAccounts of them (`accounts` tells the full count).
  std::vector<AccountSummary> top_accounts;
  // Distinct batch_ids received.
  int64_t batches = 0;
  // Device-reported drops summed over all installs, by reason.
  std::map<cairn::v1::DropReason, int64_t> client_drops;
  // Events the collector refused, by reason (validation and consent).
  std::map<cairn::v1::RejectReason, int64_t> rejections;
  // Erasure tombstones, renewal suppression entries, consent records kept.
  int64_t erased_users = 0;
  int64_t suppressed_users = 0;
  int64_t consent_records = 0;
};

// One stored event and when the collector received it.
struct StoredEvent {
  cairn::v1::Event event;
  absl::Time received_at = absl::UnixEpoch();
  // occurred_at corrected for device clock skew: received_at - (sent_at -
  // occurred_at) of the batch that delivered it, at most received_at; the
  // device time if the batch had no sent_at. event.occurred_at() keeps the
  // device time, which consent enforcement uses (consent records are dated
  // by the same device clock).
  absl::Time corrected_occurred_at = absl::UnixEpoch();
};

// One stored consent record (Art. 7(1) proof) with its storage keys.
struct StoredConsentRecord {
  std::string event_id;
  std::string account_id;
  // subject, decision, policy, device and collector time, source, expiry.
  consent::ConsentRecord record;
};

// The user's current decision for one purpose in one account (table
// consent_state).
struct StoredConsentState {
  std::string account_id;
  consent::Purpose purpose = consent::Purpose::kUsageAnalytics;
  consent::Decision decision = consent::Decision::kDenied;
  std::string policy_id;
  std::string policy_version;
  absl::Time decided_at = absl::UnixEpoch();  // device clock
  std::optional<absl::Time> expires_at;
  absl::Time updated_at = absl::UnixEpoch();  // collector clock
};

// One batch that delivered events of the user (table batches): the device
// install, its clock, and the IP address / User-Agent if the operator keeps
// them.
struct StoredBatchOfUser {
  std::string batch_id;
  std::string install_id;
  std::optional<absl::Time> sent_at;
  absl::Time received_at = absl::UnixEpoch();
  std::optional<std::string> client_ip;
  std::optional<std::string> user_agent;
};

// The user's rows in the engagement aggregates, one struct per table.
struct UserLoginDayRow {  // user_day
  std::string account_id;
  int64_t day = 0;  // days since 1970-01-01, UTC
  int64_t logins = 0;
};
struct UserFirstLoginRow {  // user_first_login
  std::string account_id;
  absl::Time first_login = absl::UnixEpoch();
};
struct UserMilestoneRow {  // user_milestone
  std::string account_id;
  std::string name;
  absl::Time first_reached = absl::UnixEpoch();
};
struct UserMilestoneDayRow {  // user_milestone_day
  std::string account_id;
  std::string name;
  int64_t day = 0;
  int64_t events = 0;
  double value_sum = 0;
};

struct UserFeedbackDayRow {  // user_feedback_day
  std::string account_id;
  int64_t kind = 0;  // wire FeedbackKind
  int64_t day = 0;
  int64_t score = 0;
  absl::Time answered_at = absl::UnixEpoch();
};

// Everything stored about one user (Art. 15/20), oldest first. Each member
// holds the user's rows of one table (store/user_data.h lists them).
struct UserExport {
  std::vector<StoredEvent> events;
  std::vector<StoredConsentRecord> consent_records;
  // True if the user has more events than the export's limit.
  bool truncated = false;
  std::vector<StoredConsentState> consent_state;
  // The user's entries on the renewal suppression list: the account each
  // holds in ('' for every account) and since when.
  struct Suppression {
    std::string account_id;
    absl::Time since = absl::UnixEpoch();
  };
  std::vector<Suppression> suppressions;
  // When the user was erased, if they were.
  std::optional<absl::Time> erased_at;
  std::vector<StoredBatchOfUser> batches;
  std::vector<UserLoginDayRow> user_day;
  std::vector<UserFirstLoginRow> user_first_login;
  std::vector<UserMilestoneRow> user_milestone;
  std::vector<UserMilestoneDayRow> user_milestone_day;
  std::vector<UserFeedbackDayRow> user_feedback_day;
};

// What one retention pass over the engagement aggregates did.
struct AggregatePurge {
  // Per-user rows deleted (all the per-user aggregate tables together).
  int64_t rows_deleted = 0;
  // Batch rows deleted (they may hold an IP address or User-Agent).
  int64_t batches_deleted = 0;
};

// What an erasure removed.
struct ErasureResult {
  int64_t events_deleted = 0;
  int64_t consent_states_deleted = 0;
  // Consent records kept as proof with the user id replaced by its keyed hash.
  int64_t consent_records_pseudonymised = 0;
  // True if a tombstone for the user already existed.
  bool already_erased = false;
};

// One page of renewal-notification recipients, sorted by user id.
struct RecipientsPage {
  std::vector<std::string> user_ids;
  // The cursor for the next page (the last id of this one), if there is more.
  std::optional<std::string> next_after;
};

// Bound on StoreSummary::top_accounts so a summary stays readable and cheap.
inline constexpr int kMaxSummaryAccounts = 50;

// Where validated events go. Implementations: SqliteStore (embedded
// default) and PgStore (PostgreSQL, shared by several collectors); OpenStore
// (store_factory.h) picks one from --db. Implementations are thread-safe,
// but callers should keep one writer (BatchWriter) for group commit.
class Store {
 public:
  virtual ~Store() = default;

  // Stores the events of `batches` and records each batch, all in one
  // transaction: either everything is durable when this returns OK, or
  // nothing was stored. Returns one result per batch, same order. An event
  // whose event_id is already stored (or repeated in the same write) is a
  // duplicate, never an error.
  // Consent is enforced here, in write order: each batch's ConsentChange
  // events are stored (consent record, current state, suppression list)
  // before its other events are checked (consent state and suppression are
  // per (account, user); a renewal grant lifts a suppression only when
  // MayLiftSuppression allows), and every event is judged by the
  // consent rule (store/consent_rule.h): an event of purpose P is stored
  // only if the latest consent record of (user, P) dated at or before the
  // event is a grant not expired then (else REJECT_REASON_NO_CONSENT); any
  // event of an erased user is refused (REJECT_REASON_USER_ERASED).
  // Rejections are counted durably per reason, once per batch_id.
  // Cost: per user one tombstone lookup and per (user, purpose) one indexed
  // read of its candidate consent decisions, per event one insert, plus one
  // commit (fsync) for the whole call.
  // Fails with Unavailable or ResourceExhausted when storage is busy or full;
  // the caller may retry.
  virtual absl::StatusOr<std::vector<BatchWriteResult>> Write(
      std::span<const BatchRecord> batches) = 0;

  // Computes the human summary. Cost: a few scans of the events table; meant
  // for operators and demos, not for request paths. Fails like Write.
  virtual absl::StatusOr<StoreSummary> Summarize() = 0;

  // Every stored event (at most `max_events`, oldest first), every consent
  // record of `user_id` and the user's rows of every other table that names
  // them (ReadUserData), from one consistent snapshot. Cost: index scans by
  // user; memory proportional to the result. Fails like Write.
  virtual absl::StatusOr<UserExport> ExportUser(std::string_view user_id, size_t max_events) = 0;

  // Art. 17 erasure in one write transaction: deletes the user's events and
  // current consent state, pseudonymises their consent records, and leaves a
  // tombstone (keyed hash) so later events of the user are refused. The
  // renewal suppression entry stays. Ordered with Write, so no batch of the
  // user can slip in between. Idempotent. Fails like Write.
  virtual absl::StatusOr<ErasureResult> EraseUser(std::string_view user_id, absl::Time now) = 0;

  // Users of `account_id` (with at least one stored event there) whose
  // current renewal_notifications decision in that account is a grant live
  // at `now`, who are neither erased nor on that account's suppression list
  // (nor on an entry of unknown account, which holds in every account); user ids greater than
  // `after`, sorted, at most `limit`. Cost: an index scan of live renewal grants.
  virtual absl::StatusOr<RecipientsPage> RenewalRecipients(std::string_view account_id,
                                                           std::string_view after, size_t limit,
                                                           absl::Time now) = 0;

  // Lifts the renewal opt-out of `user_id` in `account_id` (and an entry of
  // unknown account) in one write transaction, for the operator's admin
  // call; returns how many entries it deleted (0 if none). The user becomes
  // a recipient again only if their current decision there is a live grant.
  // Fails like Write; default: Unimplemented (stores without the list).
  virtual absl::StatusOr<int64_t> LiftRenewalSuppression(std::string_view account_id,
                                                         std::string_view user_id) {
    (void)account_id;
    (void)user_id;
    return absl::UnimplementedError("this store keeps no suppression list");
  }

  // Deletes at most `max_rows` events that occurred before `cutoff`, in one
  // short write transaction, and returns how many it deleted (fewer than
  // `max_rows`: nothing older is left). Consent records are kept. Fails like
  // Write.
  virtual absl::StatusOr<int64_t> PurgeEventsBefore(absl::Time cutoff, size_t max_rows) = 0;

  // Checks that the store answers a read right now (for /readyz): SQLite
  // reads the database header through the reader connection, PostgreSQL
  // runs SELECT 1 on a pooled reader (reconnecting if needed). Cost: one
  // round trip; may wait behind another read, or for a connection attempt
  // when the server is away. Fails with the store's error (Unavailable when
  // PostgreSQL cannot be reached).
  virtual absl::Status Ping() = 0;

  // The secret keying the store's keyed hashes (tombstones, suppression
  // list); customer links are signed with it too. Empty for a read-only or
  // keyless store. Free.
  virtual std::string_view KeyedHashKey() const { return {}; }

  // Engagement tables (daily aggregates kept by Write, account settings,
  // goals, alerts; see EngagementStore, which is their typed API). Runs
  // `body` inside one read snapshot with a runner bound to it. Cost: the
  // queries `body` makes. Returns body's status, or the store's error
  // (Unavailable when busy). Default: Unimplemented (stores without them).
  virtual absl::Status RunEngagementRead(absl::FunctionRef<absl::Status(SqlRunner&)> body) {
    (void)body;
    return absl::UnimplementedError("this store keeps no engagement tables");
  }
  // Runs `body` inside one write transaction, ordered with Write and
  // EraseUser; commits if it returns OK, rolls everything back otherwise.
  // Fails like Write. Default: Unimplemented.
  virtual absl::Status RunEngagementWrite(absl::FunctionRef<absl::Status(SqlRunner&)> body) {
    (void)body;
    return absl::UnimplementedError("this store keeps no engagement tables");
  }
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_STORE_H_
