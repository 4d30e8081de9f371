#ifndef CAIRN_TESTS_SUPPORT_TEST_BATCHES_H_
#define CAIRN_TESTS_SUPPORT_TEST_BATCHES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cairn/v1/batch.pb.h"
#include "cairn/v1/event.pb.h"

namespace cairn::testing {

// A fresh UUIDv7 (process-wide generator, strictly increasing).
std::string NewUuidV7();

// Valid events (they pass cairn::CheckEvent) with fresh event ids, the
// right purpose for their body, and a per-process increasing sequence.
cairn::v1::Event MakeLogin(const std::string& account_id, const std::string& user_id,
                           absl::Time occurred_at = absl::Now());
cairn::v1::Event MakeLogout(const std::string& account_id, const std::string& user_id,
                            absl::Time occurred_at = absl::Now());
cairn::v1::Event MakeMilestone(const std::string& account_id, const std::string& user_id,
                               const std::string& name, std::optional<double> value = std::nullopt,
                               absl::Time occurred_at = absl::Now());

// A batch with a fresh UUIDv7 batch_id, sent_at now, test client info
// (install id "test-install") and `events`.
cairn::v1::Batch MakeBatch(std::vector<cairn::v1::Event> events);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_TEST_BATCHES_H_
