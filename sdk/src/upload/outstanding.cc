#include "sdk/src/upload/outstanding.h"

#include <algorithm>

namespace cairn::sdk {

OutgoingBatch* Outstanding::OldestUnsent() {
  for (OutgoingBatch& batch : batches_) {
    if (batch.state != OutgoingBatch::State::kPosting) return &batch;
  }
  return nullptr;
}

OutgoingBatch* Outstanding::OnLane(size_t lane) {
  for (OutgoingBatch& batch : batches_) {
    if (batch.state == OutgoingBatch::State::kPosting && batch.lane == lane) return &batch;
  }
  return nullptr;
}

size_t Outstanding::Posting() const {
  return static_cast<size_t>(std::count_if(batches_.begin(), batches_.end(), [](const auto& b) {
    return b.state == OutgoingBatch::State::kPosting;
  }));
}

bool Outstanding::PostingCarriesConsent() const {
  return std::any_of(batches_.begin(), batches_.end(), [](const OutgoingBatch& b) {
    return b.state == OutgoingBatch::State::kPosting && !b.consent_positions.empty();
  });
}

bool Outstanding::DropsClaimed() const {
  return std::any_of(batches_.begin(), batches_.end(),
                     [](const OutgoingBatch& b) { return !b.drops.empty(); });
}

void Outstanding::Remove(const OutgoingBatch& batch) {
  std::erase_if(batches_, [&](const OutgoingBatch& b) { return &b == &batch; });
}

bool Outstanding::DropPrepared() {
  return std::erase_if(batches_, [](const OutgoingBatch& b) { return !b.sent(); }) > 0;
}

void Outstanding::DropUnsent() {
  std::erase_if(batches_,
                [](const OutgoingBatch& b) { return b.state != OutgoingBatch::State::kPosting; });
}

void Outstanding::AddAcked(AckedRange range) {
  auto at =
      std::upper_bound(acked_.begin(), acked_.end(), range,
                       [](const AckedRange& a, const AckedRange& b) { return a.first < b.first; });
  acked_.insert(at, range);
}

std::vector<SequenceGap> Outstanding::Gaps() const {
  std::vector<AckedRange> held = acked_;
  for (const OutgoingBatch& b : batches_) {
    if (b.last_sequence > 0) held.push_back({b.first_sequence, b.last_sequence});
  }
  std::sort(held.begin(), held.end(),
            [](const AckedRange& a, const AckedRange& b) { return a.first < b.first; });
  std::vector<SequenceGap> gaps;
  int64_t after = 0;
  for (const AckedRange& range : held) {
    // Adjacent ranges leave nothing between them: no read needed there.
    if (range.first > after + 1) gaps.push_back({after, range.first});
    after = std::max(after, range.last);
  }
  gaps.push_back({after});
  return gaps;
}

int64_t Outstanding::AckedRangeEnd(int64_t sequence) const {
  for (const AckedRange& range : acked_) {
    if (sequence >= range.first && sequence <= range.last) return range.last;
  }
  return 0;
}

int64_t Outstanding::ReservedThrough() const {
  int64_t through = acked_.empty() ? 0 : acked_.back().last;
  for (const OutgoingBatch& b : batches_) through = std::max(through, b.last_sequence);
  return through;
}

int64_t Outstanding::ConsentReservedThrough() const {
  int64_t through = 0;
  for (const OutgoingBatch& b : batches_) {
    if (!b.consent_positions.empty()) through = std::max(through, b.consent_positions.back());
  }
  return through;
}

std::vector<int64_t> Outstanding::ConsentPositions() const {
  std::vector<int64_t> positions;
  for (const OutgoingBatch& b : batches_) {
    positions.insert(positions.end(), b.consent_positions.begin(), b.consent_positions.end());
  }
  std::sort(positions.begin(), positions.end());
  return positions;
}

}  // namespace cairn::sdk
