#include "sdk/src/upload/batch_builder.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "cairn/client.h"
#include "cairn/common/codec.h"
#include "cairn/common/proto_time.h"
#include "sdk/src/upload/batch_encoder.h"

namespace cairn::sdk {
namespace {

// The ConsentChange event a consent.db entry is sent as.
void ToEvent(const consent::LogEntry& entry, cairn::v1::Event* event) {
  event->set_event_id(entry.event_id);
  event->set_account_id(entry.account_id);
  event->set_user_id(entry.record.subject);
  ToProto(entry.record.device_time, event->mutable_occurred_at());
  event->set_purpose(cairn::v1::PURPOSE_CONSENT_RECORD);
  consent::ToConsentChange(entry.record, event->mutable_consent_change());
}

}  // namespace

BatchBuilder::BatchBuilder(const Options& options, Clock* clock, UuidV7Generator& ids,
                           Writer& writer, ConsentKeeper& keeper, const ConsentGate& gate,
                           Progress& progress, Counters& counters, DropCounters& drops)
    : options_(options),
      clock_(clock),
      ids_(ids),
      writer_(writer),
      keeper_(keeper),
      gate_(gate),
      progress_(progress),
      counters_(counters),
      drops_(drops) {}

absl::StatusOr<std::vector<BufferedEvent>> BatchBuilder::ReadRows(size_t max_events,
                                                                  const Outstanding& outstanding) {
  EventBuffer* const buffer = writer_.SenderConnection();
  if (!buffer) return std::vector<BufferedEvent>();
  // A batch is one range of the buffer (it is deleted as one), so it is read
  // from a single gap between what outstanding batches and acknowledged
  // ranges hold: the oldest gap with events in it.
  for (const SequenceGap& gap : outstanding.Gaps()) {
    while (true) {
      absl::StatusOr<std::vector<BufferedEvent>> read =
          buffer->ReadBetween(gap.after, gap.before, max_events, options_.max_batch_bytes);
      if (!read.ok()) return read.status();
      if (read->empty()) break;
      // Consent may have changed since these were recorded (a withdrawal,
      // an expired grant): what is no longer allowed never leaves the device.
      std::vector<int64_t> refused;
      gate_.RemoveDisallowed(*read, clock_->Now(), std::nullopt, &refused);
      if (!refused.empty()) {
        absl::StatusOr<BufferSize> removed = writer_.RemoveSequences(*buffer, refused);
        if (!removed.ok()) return removed.status();
        counters_.RemoveBuffered(*removed);
        drops_.Count(cairn::v1::DROP_REASON_CONSENT_WITHDRAWN, removed->rows);
      }
      if (!read->empty()) return read;
      // Everything read was refused: read again (the refused rows are gone).
    }
  }
  return std::vector<BufferedEvent>();
}

absl::StatusOr<bool> BatchBuilder::Build(size_t max_events, const Outstanding& outstanding,
                                         OutgoingBatch& batch) {
  batch.limit = max_events;
  batch.epoch = gate_.Epoch();
  // No eviction under the read: rows read must not also be counted dropped.
  // Narrowed to the batches' own rows once this one is built.
  progress_.SetInFlightThrough(
      std::max(outstanding.ReservedThrough(), progress_.PersistedThrough()));
  absl::StatusOr<std::vector<BufferedEvent>> rows = ReadRows(max_events, outstanding);
  if (!rows.ok()) return rows.status();
  // Read after the events: a grant is in the outbox before any event it
  // allows is recorded, so each event travels with or after its grant
  // (with an earlier batch, which is answered before this one is sent).
  const int64_t last_position = progress_.ConsentLastPosition();
  std::vector<consent::LogEntry> changes;
  const std::vector<int64_t> held = outstanding.ConsentPositions();
  if (progress_.ConsentPending()) {
    absl::StatusOr<std::vector<consent::LogEntry>> undelivered =
        keeper_.Undelivered(max_events + held.size());
    if (!undelivered.ok()) return undelivered.status();
    changes = std::move(*undelivered);
    std::erase_if(changes, [&](const consent::LogEntry& entry) {
      return std::binary_search(held.begin(), held.end(), entry.position);
    });
    if (changes.size() > max_events) changes.resize(max_events);
  }
  if (changes.empty() && held.empty()) progress_.ConsentDelivered(last_position);
  // Consent changes go first; the events fill the rest of the batch.
  if (rows->size() + changes.size() > max_events) {
    rows->resize(max_events - std::min(max_events, changes.size()));
  }
  // Drops still owed go even alone: counted after the last batch was built
  // (an offline session, an expiry or a withdrawal with nothing after it),
  // they would otherwise wait for the next event, or forever. One batch at a
  // time reports them, so the collector never counts them twice.
  if (!outstanding.DropsClaimed()) {
    for (const auto& [reason, count] : drops_.Unreported()) {
      if (count > 0) batch.drops[reason] = count;
    }
  }
  if (rows->empty() && changes.empty() && batch.drops.empty()) return false;

  absl::Time now = clock_->Now();
  cairn::v1::Batch header;
  header.set_batch_id(ids_.Next(now));
  ToProto(now, header.mutable_sent_at());
  cairn::v1::ClientInfo* client = header.mutable_client();
  client->set_sdk_name("cairn-cpp");
  client->set_sdk_version(std::string(kSdkVersion));
  client->set_app_name(options_.app.name);
  client->set_app_version(options_.app.version);
  // Empty while no buffer exists: a device that only ever denied consent
  // sends its decisions without an identifier.
  if (writer_.SenderConnection()) client->set_install_id(writer_.install_id());
  client->set_platform("linux");
  for (const auto& [reason, count] : batch.drops) {
    cairn::v1::DropCount* drop = header.add_dropped();
    drop->set_reason(reason);
    drop->set_count(count);
  }
  for (const consent::LogEntry& entry : changes) {
    ToEvent(entry, header.add_events());
    batch.consent_positions.push_back(entry.position);
  }
  batch.events = rows->size() + changes.size();
  if (!rows->empty()) {
    batch.first_sequence = rows->front().sequence;
    batch.last_sequence = rows->back().sequence;
    batch.rows = rows->size();
    for (const BufferedEvent& e : *rows) batch.row_bytes += e.payload.size();
  }
  absl::StatusOr<std::string> body = Compress(options_.compression, EncodeBatch(header, *rows));
  if (!body.ok()) return body.status();
  batch.body = std::move(*body);
  return true;
}

}  // namespace cairn::sdk
