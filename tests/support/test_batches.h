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
// A feedback answer (purpose PURPOSE_FEEDBACK); valid when `score` fits
// `kind` and `comment` is within its bound.
cairn::v1::Event MakeFeedback(const std::string& account_id, const std::string& user_id,
                              cairn::v1::FeedbackKind kind, int score,
                              absl::Time occurred_at = absl::Now(),
                              const std::string& comment = {});

// A valid ConsentChange event (purpose PURPOSE_CONSENT_RECORD) recording
// `decision` for `purpose` under policy "privacy" version `policy_version`.
cairn::v1::Event MakeConsentChange(const std::string& account_id, const std::string& user_id,
                                   cairn::v1::Purpose purpose, cairn::v1::ConsentDecision decision,
                                   absl::Time occurred_at = absl::Now(),
                                   const std::string& policy_version = "2025-01",
                                   std::optional<absl::Time> expires_at = std::nullopt);

// When MakeGrant dates its grants by default: 2001-01-01, before any event a
// test makes, so a granted user's events of any date are covered.
absl::Time LongAgo();

// A grant of `purpose`, dated `at`.
cairn::v1::Event MakeGrant(const std::string& account_id, const std::string& user_id,
                           cairn::v1::Purpose purpose, absl::Time at = LongAgo());

// Grants of usage analytics and milestones for each of `user_ids`.
std::vector<cairn::v1::Event> GrantsFor(const std::string& account_id,
                                        const std::vector<std::string>& user_ids);

// `events` preceded by one grant (dated LongAgo()) per distinct (account,
// user, purpose) among them, so the collector's consent check passes. The
// grants come first; the caller's events keep their order after them.
std::vector<cairn::v1::Event> WithGrants(std::vector<cairn::v1::Event> events);

// A batch with a fresh UUIDv7 batch_id, sent_at now, test client info
// (install id "test-install") and `events`.
cairn::v1::Batch MakeBatch(std::vector<cairn::v1::Event> events);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_TEST_BATCHES_H_
