#include "cairn/consent/consent_log.h"

#include <fstream>
#include <string>
#include <vector>

#include "cairn/common/sqlite.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn::consent {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1790000000);

LogEntry Entry(std::string subject, Purpose purpose, Decision decision, absl::Time at) {
  LogEntry e;
  e.account_id = "acme";
  e.event_id = "id-" + subject + "-" + std::to_string(absl::ToUnixSeconds(at));
  e.record.subject = std::move(subject);
  e.record.purpose = purpose;
  e.record.decision = decision;
  e.record.policy_id = "privacy";
  e.record.policy_version = "2026-11";
  e.record.device_time = at;
  e.record.source_sdk_version = "0.1.0";
  e.record.source_surface = "settings";
  return e;
}

TEST(SqliteConsentLog, AFileOfTheFirstSchemaKeepsItsRecordsAndGainsGrantSignatures) {
  cairn::testing::TempDir dir;
  const std::string path = dir.File("consent.db");
  {
    auto db = sqlite::Database::Open(path);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)
                    ->Exec("CREATE TABLE consent_records (position INTEGER PRIMARY KEY, "
                           "event_id TEXT NOT NULL, account_id TEXT NOT NULL, subject TEXT NOT "
                           "NULL, purpose INTEGER NOT NULL, decision INTEGER NOT NULL, policy_id "
                           "TEXT NOT NULL, policy_version TEXT NOT NULL, device_time_us INTEGER "
                           "NOT NULL, collector_time_us INTEGER, source_sdk_version TEXT NOT "
                           "NULL, source_surface TEXT NOT NULL, expires_at_us INTEGER);"
                           "CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON "
                           "consent_records BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
                           "CREATE TABLE undelivered (position INTEGER PRIMARY KEY);"
                           "INSERT INTO consent_records VALUES (1, 'e1', 'acme', 'alice', 3, 2, "
                           "'', '2026-11', 1790000000000000, NULL, '0.1.0', 'settings', NULL);"
                           "PRAGMA user_version = 1;")
                    .ok());
  }
  auto log = SqliteConsentLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.status();
  LogEntry signed_grant =
      Entry("alice", Purpose::kRenewalNotifications, Decision::kGranted, kT0 + absl::Seconds(1));
  signed_grant.record.grant_signature = "abc123";
  signed_grant.record.signed_at = kT0;
  EXPECT_EQ(*(*log)->Append(signed_grant), 2);
  auto all = (*log)->LoadAll();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].record.decision, Decision::kDenied);
  EXPECT_EQ((*all)[0].record.grant_signature, "");
  EXPECT_EQ((*all)[0].record.signed_at, std::nullopt);
  EXPECT_EQ((*all)[1].record.grant_signature, "abc123");
  EXPECT_EQ((*all)[1].record.signed_at, kT0);
}

TEST(SqliteConsentLog, KeepsEveryFieldAcrossAReopen) {
  cairn::testing::TempDir dir;
  const std::string path = dir.File("consent.db");
  LogEntry grant = Entry("alice", Purpose::kMilestones, Decision::kGranted, kT0);
  grant.record.expires_at = kT0 + absl::Hours(24);
  grant.record.collector_time = kT0 + absl::Seconds(3);
  LogEntry deny = Entry("alice", Purpose::kMilestones, Decision::kDenied, kT0 + absl::Seconds(1));
  {
    auto log = SqliteConsentLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ(*(*log)->Append(grant), 1);
    EXPECT_EQ(*(*log)->Append(deny), 2);
  }
  auto log = SqliteConsentLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.status();
  auto all = (*log)->LoadAll();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  const LogEntry& a = (*all)[0];
  EXPECT_EQ(a.position, 1);
  EXPECT_EQ(a.event_id, grant.event_id);
  EXPECT_EQ(a.account_id, "acme");
  EXPECT_EQ(a.record.subject, "alice");
  EXPECT_EQ(a.record.purpose, Purpose::kMilestones);
  EXPECT_EQ(a.record.decision, Decision::kGranted);
  EXPECT_EQ(a.record.policy_id, "privacy");
  EXPECT_EQ(a.record.policy_version, "2026-11");
  EXPECT_EQ(a.record.device_time, kT0);
  EXPECT_EQ(a.record.collector_time, kT0 + absl::Seconds(3));
  EXPECT_EQ(a.record.expires_at, kT0 + absl::Hours(24));
  EXPECT_EQ(a.record.source_sdk_version, "0.1.0");
  EXPECT_EQ(a.record.source_surface, "settings");
  EXPECT_FALSE(a.delivered);
  EXPECT_EQ((*all)[1].record.decision, Decision::kDenied);
  EXPECT_FALSE((*all)[1].record.expires_at.has_value());

  // Folding the loaded records gives the latest decision.
  ConsentState state;
  for (const LogEntry& e : *all) ASSERT_TRUE(state.Apply(e.record).ok());
  EXPECT_EQ(state.Get("alice", Purpose::kMilestones).decision, Decision::kDenied);
}

TEST(SqliteConsentLog, DeliveryStateSurvivesAReopenAndKeepsOrder) {
  cairn::testing::TempDir dir;
  const std::string path = dir.File("consent.db");
  {
    auto log = SqliteConsentLog::Open(path);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE((*log)
                      ->Append(Entry("u" + std::to_string(i), Purpose::kUsageAnalytics,
                                     Decision::kGranted, kT0 + absl::Seconds(i)))
                      .ok());
    }
    LogEntry already = Entry("v", Purpose::kMilestones, Decision::kDenied, kT0);
    already.delivered = true;
    ASSERT_TRUE((*log)->Append(already).ok());
    auto first = (*log)->Undelivered(2);
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->size(), 2u);
    EXPECT_EQ((*first)[0].position, 1);
    EXPECT_EQ((*first)[1].position, 2);
    std::vector<int64_t> done = {1, 2, 99};
    ASSERT_TRUE((*log)->MarkDelivered(done).ok());
  }
  auto log = SqliteConsentLog::Open(path);
  ASSERT_TRUE(log.ok());
  auto rest = (*log)->Undelivered(100);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].position, 3);
  EXPECT_EQ((*rest)[2].position, 5);
  auto all = (*log)->LoadAll();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 6u);
  EXPECT_TRUE((*all)[0].delivered);
  EXPECT_FALSE((*all)[2].delivered);
  EXPECT_TRUE((*all)[5].delivered);
}

TEST(SqliteConsentLog, RecordsCannotBeRewrittenOrDeleted) {
  cairn::testing::TempDir dir;
  const std::string path = dir.File("consent.db");
  {
    auto log = SqliteConsentLog::Open(path);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append(Entry("alice", Purpose::kMilestones, Decision::kGranted, kT0)).ok());
  }
  auto db = sqlite::Database::Open(path);
  ASSERT_TRUE(db.ok());
  EXPECT_FALSE((*db)->Exec("UPDATE consent_records SET decision = 2").ok());
  EXPECT_FALSE((*db)->Exec("DELETE FROM consent_records").ok());
  db->reset();
  auto log = SqliteConsentLog::Open(path);
  ASSERT_TRUE(log.ok());
  auto all = (*log)->LoadAll();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].record.decision, Decision::kGranted);
}

TEST(SqliteConsentLog, ADamagedFileIsReportedAsDataLoss) {
  cairn::testing::TempDir dir;
  const std::string path = dir.File("consent.db");
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(8192, 'x');
  }
  EXPECT_EQ(SqliteConsentLog::Open(path).status().code(), absl::StatusCode::kDataLoss);
}

TEST(SqliteConsentLog, ATruncatedDatabaseIsReportedAsDataLoss) {
  cairn::testing::TempDir dir;
  const std::string path = dir.File("consent.db");
  {
    auto log = SqliteConsentLog::Open(path);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE((*log)
                      ->Append(Entry(std::string(100, 'a') + std::to_string(i),
                                     Purpose::kMilestones, Decision::kGranted, kT0))
                      .ok());
    }
  }
  // Keep the header, overwrite the pages after it with garbage.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    f << std::string(16384, '\x5a');
  }
  auto log = SqliteConsentLog::Open(path);
  EXPECT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kDataLoss) << log.status();
}

}  // namespace
}  // namespace cairn::consent
