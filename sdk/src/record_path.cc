#include "sdk/src/record_path.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "cairn/common/event_rules.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/strings.h"

namespace cairn::sdk {
namespace {

// One Event per thread, cleared and refilled by each record call: Clear keeps
// the allocated submessages and string capacity, so a steady stream of record
// calls allocates almost nothing for the message itself.
cairn::v1::Event& ScratchEvent() {
  thread_local cairn::v1::Event event;
  event.Clear();
  return event;
}

}  // namespace

absl::Status RecordPath::Login(std::string_view account_id, std::string_view user_id,
                               std::string_view method) {
  if (!IsValidId(account_id) || !IsValidId(user_id)) {
    return Refuse(counters_.refused_invalid,
                  absl::InvalidArgumentError("account and user ids must be 1-128 printable bytes"));
  }
  if (method.size() > kMaxIdBytes || !IsValidUtf8(method)) {
    return Refuse(counters_.refused_invalid,
                  absl::InvalidArgumentError("login method: at most 128 bytes of UTF-8"));
  }
  absl::Time now = clock_->Now();
  auto identity = std::make_shared<const Identity>(
      Identity{std::string(account_id), keeper_.Subject(user_id), ids_.Next(now), now});
  if (absl::Status s = keeper_.OnIdentified(identity->account_id, identity->user_id); !s.ok()) {
    return Refuse(counters_.refused_storage, std::move(s));
  }
  std::shared_ptr<const Identity> previous;
  {
    std::unique_lock lock(identity_mu_);
    previous = std::exchange(identity_, identity);
  }
  // Every login opens a new session, so whatever session was open ends
  // first: another identity's (an account switch) or this one's (a login
  // again). It is that user's SessionEnd, under that user's consent; a
  // refusal for lack of it is not the app's refusal, so it is not counted.
  if (previous && !previous->session_id.empty()) {
    cairn::v1::Event& end = ScratchEvent();
    ToProto(std::max(absl::ZeroDuration(), now - previous->login_time),
            end.mutable_session_end()->mutable_duration());
    Enqueue(*previous, end, /*count_refusal=*/false).IgnoreError();
  }
  cairn::v1::Event& event = ScratchEvent();
  event.mutable_login()->set_method(method.data(), method.size());
  return Enqueue(*identity, event);
}

absl::Status RecordPath::Logout() {
  std::shared_ptr<const Identity> identity;
  {
    std::unique_lock lock(identity_mu_);
    identity.swap(identity_);
  }
  if (!identity) return NoSession("no user is signed in");
  cairn::v1::Event& event = ScratchEvent();
  event.mutable_logout();
  return Enqueue(*identity, event);
}

absl::Status RecordPath::SessionEnd() {
  std::shared_ptr<const Identity> identity;
  {
    std::unique_lock lock(identity_mu_);
    identity = identity_;
    if (identity_ && !identity_->session_id.empty()) {
      Identity without_session = *identity_;  // later events have no session
      without_session.session_id.clear();
      identity_ = std::make_shared<const Identity>(std::move(without_session));
    }
  }
  if (!identity) return NoSession("no user is signed in");
  if (identity->session_id.empty()) return NoSession("no open session");
  cairn::v1::Event& event = ScratchEvent();
  ToProto(std::max(absl::ZeroDuration(), clock_->Now() - identity->login_time),
          event.mutable_session_end()->mutable_duration());
  return Enqueue(*identity, event);
}

absl::Status RecordPath::Milestone(std::string_view name, std::optional<double> value,
                                   const Attributes& attributes) {
  if (!IsValidMilestoneName(name)) {
    return Refuse(counters_.refused_invalid,
                  absl::InvalidArgumentError("milestone names are 1-128 of [A-Za-z0-9_.:-]"));
  }
  std::shared_ptr<const Identity> identity = SignedIn();
  if (!identity) return NoSession("no user is signed in");
  cairn::v1::Event& event = ScratchEvent();
  cairn::v1::Milestone* milestone = event.mutable_milestone();
  milestone->set_name(name.data(), name.size());
  if (value) milestone->set_value(*value);
  // Minimisation: only allowlisted attributes within their bounds are kept.
  uint64_t filtered = 0;
  for (const auto& [key, val] : attributes) {
    if (!options_.attribute_allowlist.contains(key) || val.size() > kMaxAttributeValueBytes ||
        !IsValidUtf8(val) || static_cast<size_t>(event.attributes_size()) >= kMaxAttributes) {
      ++filtered;
      continue;
    }
    (*event.mutable_attributes())[key] = val;
  }
  absl::Status status = Enqueue(*identity, event);
  if (status.ok()) drops_.Count(cairn::v1::DROP_REASON_ATTRIBUTE_FILTERED, filtered);
  return status;
}

absl::Status RecordPath::Feedback(FeedbackKind kind, int score, std::string_view comment,
                                  std::string_view survey_id) {
  cairn::v1::Event& event = ScratchEvent();
  cairn::v1::Feedback* feedback = event.mutable_feedback();
  feedback->set_kind(static_cast<cairn::v1::FeedbackKind>(kind));
  feedback->set_score(score);
  feedback->set_comment(comment.data(), comment.size());
  feedback->set_survey_id(survey_id.data(), survey_id.size());
  // The collector's own rule, so what the SDK accepts the collector stores.
  if (std::optional<std::string_view> problem = FeedbackProblem(*feedback)) {
    return Refuse(counters_.refused_invalid, absl::InvalidArgumentError(ToAbsl(*problem)));
  }
  std::shared_ptr<const Identity> identity = SignedIn();
  if (!identity) return NoSession("no user is signed in");
  return Enqueue(*identity, event);
}

std::shared_ptr<const Identity> RecordPath::SignedIn() const {
  std::shared_lock lock(identity_mu_);
  return identity_;
}

absl::Status RecordPath::Enqueue(const Identity& identity, cairn::v1::Event& event,
                                 bool count_refusal) {
  if (progress_.closed()) {
    absl::Status closed = absl::FailedPreconditionError("the client is shut down");
    return count_refusal ? Refuse(counters_.refused_shut_down, std::move(closed)) : closed;
  }
  absl::Time now = clock_->Now();
  cairn::v1::Purpose purpose = RequiredPurpose(event);
  uint64_t epoch = 0;
  if (absl::Status s = gate_.Check(identity.user_id, purpose, now, epoch); !s.ok()) {
    if (count_refusal) counters_.refused.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  event.set_event_id(ids_.Next(now));
  event.set_account_id(identity.account_id);
  event.set_user_id(identity.user_id);
  event.set_session_id(identity.session_id);
  event.set_purpose(purpose);
  ToProto(now, event.mutable_occurred_at());
  BufferedEvent buffered;
  buffered.user_id = identity.user_id;
  buffered.purpose = purpose;
  buffered.created_ms = absl::ToUnixMillis(now);
  buffered.epoch = epoch;
  // Sized once, with room for the sequence stamped under the queue lock: no
  // second size pass and no reallocation when it is appended.
  const size_t size = event.ByteSizeLong();
  buffered.payload.reserve(size + kMaxSequenceFieldBytes);
  buffered.payload.resize(size);
  event.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(buffered.payload.data()));
  const int64_t sequence = queue_.Push(std::move(buffered));
  if (sequence == 0) {
    drops_.Count(cairn::v1::DROP_REASON_QUEUE_FULL, 1);
    return absl::ResourceExhaustedError("event queue full: event dropped and counted");
  }
  counters_.recorded.fetch_add(1, std::memory_order_relaxed);
  if (!options_.durable_records) return absl::OkStatus();
  absl::Status durable = progress_.AwaitDurable(sequence, options_.durable_timeout);
  // A failed write is counted as a DISK_FULL drop by the writer; a wait that
  // ran out is counted here (the event is still queued and may yet land).
  if (absl::IsDeadlineExceeded(durable)) {
    counters_.durable_timeouts.fetch_add(1, std::memory_order_relaxed);
  }
  return durable;
}

absl::Status RecordPath::Refuse(std::atomic<uint64_t>& counter, absl::Status status) {
  counter.fetch_add(1, std::memory_order_relaxed);
  return status;
}

absl::Status RecordPath::NoSession(const char* message) {
  return Refuse(counters_.refused_no_session, absl::FailedPreconditionError(message));
}

}  // namespace cairn::sdk
