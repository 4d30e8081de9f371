#ifndef CAIRN_SDK_CLIENT_IMPL_H_
#define CAIRN_SDK_CLIENT_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cairn/client.h"
#include "cairn/common/uuid.h"
#include "cairn/consent/consent_log.h"
#include "cairn/consent/consent_state.h"
#include "cairn/v1/batch.pb.h"
#include "sdk/src/upload/backoff.h"
#include "sdk/src/device/event_buffer.h"

namespace cairn {

// Who events are about, set by RecordLogin.
struct Identity {
  std::string account_id;
  std::string user_id;  // as stored and sent (pseudonymised if configured)
  std::string session_id;
  absl::Time login_time;
};

// The client's machinery. Three parts meet here:
//  - the record path (any caller thread): check consent, serialize, queue;
//  - the writer thread: drains the queue into the SQLite buffer, one
//    transaction per drain (group commit);
//  - the sender thread: reads the oldest buffered events, sends them as one
//    Batch, deletes them once the collector said what it did with each.
// Progress is tracked by per-install sequence numbers: every event up to
// persisted_through_ is durable (or was dropped on the way), every event up
// to settled_through_ is out of the buffer (acknowledged, rejected or
// dropped). Consent records travel apart from the buffer: they wait in
// consent.db's outbox, and every batch carries the pending ones first.
//
// Nothing exists in storage_dir until it is needed (default deny): the
// buffer (and the install id in it) is opened by EnsureStorage at the first
// grant of an event purpose, consent.db at the first decision.
class Client::Impl {
 public:
  Impl(Options options, Clock* clock, std::shared_ptr<Transport> transport);
  ~Impl();

  // Loads consent.db (if any) and opens the buffer if it exists or a grant
  // needs it. Before Start only.
  absl::Status Open();
  void Start();

  absl::Status SetConsent(const ConsentRequest& request);
  consent::Decision GetConsent(std::string_view user_id, consent::Purpose purpose) const;
  std::vector<ConsentChoice> GetConsentChoices(std::string_view user_id) const;
  absl::StatusOr<std::string> ExportLocalData(std::string_view user_id);
  absl::Status EraseLocalData(std::string_view user_id);
  std::string WireUserId(std::string_view user_id) const;
  absl::Status RecordLogin(std::string_view account_id, std::string_view user_id,
                           std::string_view method);
  absl::Status RecordLogout();
  absl::Status RecordSessionEnd();
  absl::Status RecordMilestone(std::string_view name, std::optional<double> value,
                               const Attributes& attributes);
  absl::Status Flush(absl::Time deadline);
  absl::Status Shutdown(absl::Time deadline);
  Stats GetStats() const;

 private:
  struct InFlightBatch {
    std::string body;                 // encoded and compressed, resent byte for byte
    int64_t first_sequence = 0;  // the batch is the buffered events first..last
    int64_t last_sequence = 0;
    size_t events = 0;
    std::vector<int64_t> consent_positions;  // consent.db entries it carries
    uint64_t epoch = 0;  // purge_epoch_ when built: a later purge rebuilds it
    std::map<cairn::v1::DropReason, uint64_t> drops;  // counters it reports
  };
  enum class SendOutcome { kSettled, kRetry, kSplit, kAuthFailed };

  // Stamps, serializes and queues `event` for `identity` if its purpose is
  // consented. The body is already set.
  absl::Status Enqueue(const Identity& identity, cairn::v1::Event& event);
  // OK if `identity` may be recorded for `purpose` now; `epoch` gets the
  // purge epoch read under the same lock.
  absl::Status CheckIdentityConsent(const Identity& identity, cairn::v1::Purpose purpose,
                                    absl::Time now, uint64_t& epoch) const;
  void CountDrop(cairn::v1::DropReason reason, uint64_t n);

  // --- consent (consent_mu_ held unless said otherwise) ---
  // Opens the buffer and reads the install id, once. Any thread.
  absl::Status EnsureStorage();
  absl::Status EnsureConsentLog();
  // Persists, queues for delivery and applies one validated record.
  absl::Status AppendDecision(consent::ConsentRecord record, const std::string& account_id);
  // With RenewalDefault::kSoftOptIn: records the vendor default for a user
  // never asked about renewal notifications.
  absl::Status ApplyRenewalDefault(const std::string& account_id, const std::string& subject);
  // Marks queued events of `subject` (of `purpose` if given) as tombstones
  // and deletes the buffered ones; returns how many went.
  absl::StatusOr<uint64_t> PurgeUser(const std::string& subject, std::optional<int> purpose);
  // consent_mu_ not needed: pseudonymises a plain user id.
  std::string Subject(std::string_view user_id) const;
  // The ConsentChange event a log entry is sent as.
  static void ToEvent(const consent::LogEntry& entry, cairn::v1::Event* event);

  void WriterLoop();
  // Drops from `taken` the tombstones and the events whose consent was
  // withdrawn after they were queued (counted). write_mu_ held.
  void FilterTaken(std::vector<sdk::BufferedEvent>& taken);
  // Writes one transaction's worth of events (possibly none) and publishes
  // progress through `through`.
  void CommitChunk(std::span<const sdk::BufferedEvent> chunk, int64_t through);
  // Applies the buffer's bounds after a commit (or at start), counting drops.
  void EnforceBufferBounds(bool check_expiry);
  void SenderLoop();
  // Fills `batch` from the oldest buffered events; false if none is buffered.
  absl::StatusOr<bool> BuildBatch(size_t max_events, InFlightBatch& batch);
  SendOutcome SendBatch(InFlightBatch& batch, std::optional<absl::Duration>& retry_after,
                        int& http_status, absl::Status& error);
  // Drops a batch's events from the buffer (after an answer, or a final refusal).
  void SettleBatch(const InFlightBatch& batch, uint64_t rejected);
  void RefreshSettled();
  void ReportProblem(const absl::Status& status, int http_status, absl::Duration next_in);

  const Options options_;
  Clock* const clock_;
  const std::shared_ptr<Transport> transport_;
  const std::string endpoint_;
  const std::string buffer_path_;
  const std::string consent_path_;
  UuidV7Generator ids_;
  sdk::Backoff backoff_;  // sender thread only

  // Serializes consent decisions and local-rights calls.
  std::mutex consent_mu_;
  // The log's one connection; guarded by log_mu_ (after consent_mu_).
  std::mutex log_mu_;
  std::unique_ptr<consent::ConsentLog> consent_log_;  // null until the first decision

  // The buffer, opened once by EnsureStorage under storage_mu_ and published
  // by storage_ready_ (release); read only after an acquire load sees it.
  std::mutex storage_mu_;
  std::atomic<bool> storage_ready_{false};
  std::string install_id_;
  // Guarded by write_mu_: the writer holds it from taking events to their
  // commit, so a purge sees every event either queued or durable.
  std::mutex write_mu_;
  std::unique_ptr<sdk::EventBuffer> buffer_;
  std::unique_ptr<sdk::EventBuffer> sender_buffer_;  // sender thread only
  // Bumped (under identity_mu_) by every withdrawal and erasure: queued
  // events and an in-flight batch from an older epoch are checked again.
  std::atomic<uint64_t> purge_epoch_{0};

  // Plain std:: primitives: they are pthread-based, so ThreadSanitizer sees
  // them (Debian's abseil is not built with TSan annotations).
  mutable std::shared_mutex identity_mu_;
  // Immutable once made: record calls share it instead of copying strings.
  std::shared_ptr<const Identity> identity_;  // guarded by identity_mu_
  consent::ConsentState consent_;       // guarded by identity_mu_

  std::mutex queue_mu_;
  std::condition_variable writer_wake_;
  std::condition_variable queue_space_;    // room freed in the queue
  std::vector<sdk::BufferedEvent> queue_;  // guarded by queue_mu_
  int64_t next_sequence_ = 1;              // guarded by queue_mu_
  bool stop_writer_ = false;               // guarded by queue_mu_
  size_t in_writer_ = 0;  // taken by the writer, not yet committed; guarded by queue_mu_
  // The writer skips commit_interval while a Flush or a durable record call
  // waits for a sequence at or above the queue's first one.
  int64_t writer_urgent_through_ = 0;      // guarded by queue_mu_
  absl::Time next_expiry_check_ = absl::InfinitePast();  // writer thread only

  mutable std::mutex progress_mu_;
  std::condition_variable sender_wake_;     // new durable events, flush, stop
  std::condition_variable progress_changed_;  // what Flush waits on
  // All guarded by progress_mu_:
  int64_t persisted_through_ = 0;
  int64_t settled_through_ = 0;
  // consent.db positions (1, 2, ... with no gaps): the last appended, and
  // every one up to consent_settled_through_ is delivered.
  int64_t consent_last_position_ = 0;
  int64_t consent_settled_through_ = 0;
  // Highest sequence a Flush waits for: the sender is urgent until it is settled.
  int64_t flush_through_ = 0;
  int64_t consent_flush_through_ = 0;  // the same for consent.db positions
  uint64_t failed_attempts_ = 0;
  bool in_backoff_ = false;
  bool auth_failed_ = false;
  bool stop_sender_ = false;
  std::string last_error_;
  // Sequence ranges whose commit failed (newest last, at most 64), so a
  // durable record call can tell "written" from "dropped".
  std::vector<std::pair<int64_t, int64_t>> failed_writes_;

  mutable std::mutex drops_mu_;
  std::map<cairn::v1::DropReason, uint64_t> unreported_drops_;  // guarded by drops_mu_
  std::map<cairn::v1::DropReason, uint64_t> total_drops_;       // guarded by drops_mu_

  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> recorded_{0}, refused_{0}, persisted_{0}, sent_{0}, acknowledged_{0},
      duplicates_{0}, retries_{0}, batches_acknowledged_{0}, erased_{0};
  std::atomic<int64_t> buffered_rows_{0}, buffered_bytes_{0};
  // Highest sequence in the sender's in-flight batch (0: none): never evicted.
  std::atomic<int64_t> in_flight_through_{0};

  std::mutex shutdown_mu_;
  std::optional<absl::Status> shutdown_result_;  // guarded by shutdown_mu_
  std::thread writer_;
  std::thread sender_;
};

}  // namespace cairn

#endif  // CAIRN_SDK_CLIENT_IMPL_H_
