#ifndef CAIRN_SDK_CLIENT_IMPL_H_
#define CAIRN_SDK_CLIENT_IMPL_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "cairn/client.h"
#include "cairn/common/uuid.h"
#include "sdk/src/counters.h"
#include "sdk/src/device/consent_gate.h"
#include "sdk/src/device/consent_keeper.h"
#include "sdk/src/device/event_queue.h"
#include "sdk/src/device/local_data.h"
#include "sdk/src/device/writer.h"
#include "sdk/src/options_check.h"
#include "sdk/src/progress.h"
#include "sdk/src/record_path.h"
#include "sdk/src/stamp_clock.h"
#include "sdk/src/upload/sender.h"

namespace cairn {

// The client's machinery: owns the parts, wires them, and keeps the order in
// which they start and stop. The parts (see sdk/src/README.md):
//  - RecordPath (caller threads): identity, consent check, stamp, queue;
//  - EventQueue: the bounded queue between the record calls and the writer;
//  - Writer (writer thread): queue -> SQLite buffer, bounds, expiry;
//  - Sender (sender thread): buffer and consent outbox -> collector;
//  - ConsentKeeper + ConsentGate: decisions, consent.db, consent state;
//  - LocalData: export and erasure of a user's data on the device;
//  - Progress: delivery progress, where Flush and the threads wait.
// Lock order, first to last: shutdown_mu_, the keeper's decision lock, the
// writer's storage and write locks, then leaves (queue, gate, consent log,
// progress, drop counters, identity), never two leaves at once.
//
// Nothing exists in storage_dir until it is needed (default deny): the
// buffer (and the install id in it) is opened at the first grant of an
// event purpose, consent.db at the first decision.
class Client::Impl {
 public:
  // Wires the parts; touches no file. `clock` must outlive this.
  Impl(Options options, Clock* clock, std::shared_ptr<Transport> transport);
  // Shuts down at once if Shutdown was not called after Start.
  ~Impl();

  // Loads consent.db (if any) and opens the buffer if it exists or a grant
  // needs it. Before Start only. Fails with the storage error.
  absl::Status Open();
  // Starts the writer, then the sender.
  void Start();

  // The Client methods of the same names (see cairn/client.h).
  absl::Status SetConsent(const ConsentRequest& request) { return keeper_.SetConsent(request); }
  consent::Decision GetConsent(std::string_view user_id, consent::Purpose purpose) const {
    return keeper_.GetConsent(user_id, purpose);
  }
  std::vector<ConsentChoice> GetConsentChoices(std::string_view user_id) const {
    return keeper_.GetConsentChoices(user_id);
  }
  absl::StatusOr<std::string> ExportLocalData(std::string_view user_id) {
    return local_data_.Export(user_id);
  }
  absl::Status EraseLocalData(std::string_view user_id) { return local_data_.Erase(user_id); }
  std::string WireUserId(std::string_view user_id) const { return keeper_.Subject(user_id); }
  absl::Status RecordLogin(std::string_view account_id, std::string_view user_id,
                           std::string_view method) {
    return record_path_.Login(account_id, user_id, method);
  }
  absl::Status RecordLogout() { return record_path_.Logout(); }
  absl::Status RecordSessionEnd() { return record_path_.SessionEnd(); }
  absl::Status RecordMilestone(std::string_view name, std::optional<double> value,
                               const Attributes& attributes) {
    return record_path_.Milestone(name, value, attributes);
  }
  absl::Status RecordFeedback(FeedbackKind kind, int score, std::string_view comment,
                              std::string_view survey_id) {
    return record_path_.Feedback(kind, score, comment, survey_id);
  }
  absl::Status Flush(absl::Time deadline);
  absl::Status Shutdown(absl::Time deadline);
  void OnNetworkAvailable() { progress_.RequestAttempt(/*reset_backoff=*/true); }
  // Flush and Shutdown for `timeout` of the monotonic clock.
  absl::Status FlushWithin(absl::Duration timeout);
  absl::Status ShutdownWithin(absl::Duration timeout);
  absl::Duration shutdown_timeout() const { return options_.shutdown_timeout; }
  Stats GetStats() const;
  // For tests: sees each batch the sender builds (see Sender). Before Start.
  void SetBuildObserver(std::function<void(const sdk::OutgoingBatch&)> observer) {
    sender_.SetBuildObserver(std::move(observer));
  }

 private:
  // Declared in construction order: each part gets references to those above it.
  const Options options_;
  // The app's clock, which Flush and Shutdown read their deadlines against.
  Clock* const app_clock_;
  // What the parts see: the app's clock, its wall time never running back.
  sdk::StampClock stamp_clock_;
  Clock* const clock_;
  const sdk::ClientPaths paths_;
  UuidV7Generator ids_;
  sdk::Counters counters_;
  sdk::DropCounters drops_;
  sdk::Progress progress_;
  sdk::ConsentGate gate_;
  sdk::EventQueue queue_;
  sdk::Writer writer_;
  sdk::ConsentKeeper keeper_;
  sdk::LocalData local_data_;
  sdk::RecordPath record_path_;
  sdk::Sender sender_;

  std::mutex shutdown_mu_;
  bool started_ = false;                         // set by Start, before any other thread
  std::optional<absl::Status> shutdown_result_;  // guarded by shutdown_mu_
};

}  // namespace cairn

#endif  // CAIRN_SDK_CLIENT_IMPL_H_
