// Helpers of the delivery tests that run the SDK against the real
// cairn-collector: consent for the one test user, and what the collector's
// SQLite store says the device reported.
#ifndef CAIRN_TESTS_SDK_DELIVERY_SUPPORT_H_
#define CAIRN_TESTS_SDK_DELIVERY_SUPPORT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "cairn/client.h"
#include "cairn/common/sqlite.h"
#include "collector_process.h"
#include "gtest/gtest.h"

namespace cairn::testing {

// The real collector on 127.0.0.1:`port` (0: a free one), storing into
// `db_path` and accepting `write_key`. Fails as CollectorProcess::Start.
inline absl::StatusOr<std::unique_ptr<CollectorProcess>> StartCollectorFor(
    const std::string& db_path, const std::string& write_key, int port = 0) {
  CollectorProcessOptions options;
  options.db_path = db_path;
  options.write_key = write_key;
  options.port = port;
  return CollectorProcess::Start(options);
}

// Grants usage analytics and milestones to acme/alice (asserts it worked).
inline void GrantEventPurposes(Client& client) {
  for (consent::Purpose purpose :
       {consent::Purpose::kUsageAnalytics, consent::Purpose::kMilestones}) {
    ConsentRequest r;
    r.account_id = "acme";
    r.user_id = "alice";
    r.purpose = purpose;
    r.decision = consent::Decision::kGranted;
    r.policy_version = "2026-11";
    ASSERT_TRUE(client.SetConsent(r).ok());
  }
}

// Runs one query of a single number on the collector's store at `db_path`
// (read only), with `arg` bound to ?1 if the query has it; -1 on failure.
inline int64_t QueryNumber(const std::string& db_path, const char* sql, int64_t arg = 0) {
  auto db = sqlite::Database::Open(db_path, {.read_only = true});
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return -1;
  auto select = (*db)->Prepare(sql);
  EXPECT_TRUE(select.ok()) << select.status();
  if (!select.ok()) return -1;
  if (std::string(sql).find("?1") != std::string::npos) select->Bind(1, arg);
  absl::StatusOr<bool> row = select->Step();
  return row.ok() && *row ? select->ColumnInt(0) : -1;
}

// Drops of `reason` that devices reported to the collector, summed.
inline int64_t ReportedDrops(const std::string& db_path, cairn::v1::DropReason reason) {
  return QueryNumber(db_path, "SELECT COALESCE(SUM(count), 0) FROM client_drops WHERE reason = ?1",
                     static_cast<int64_t>(reason));
}

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SDK_DELIVERY_SUPPORT_H_
