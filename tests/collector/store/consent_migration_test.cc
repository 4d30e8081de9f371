// The migration that keys consent state and the renewal suppression list by
// (account, user), on both stores: a database is put back into the old
// shape (one state row per user and purpose, one suppression entry per user
// hash, the old schema version), reopened, and its rows checked.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_batches.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::collector::testing::StoreKind;
using ::cairn::collector::testing::StoreSuite;
using ::cairn::collector::testing::TestDatabase;
using ::cairn::testing::MakeConsentChange;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kRenewal = cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS;
constexpr auto kGranted = cairn::v1::CONSENT_DECISION_GRANTED;
constexpr auto kDenied = cairn::v1::CONSENT_DECISION_DENIED;
constexpr absl::Time kNow = testing::kStoreTestNow;

class CollectorConsentMigrationTest : public StoreSuite {
 protected:
  std::string Hash(const std::string& user) { return TestDatabase::UserHash(*store_, user); }

  // One old-shape state row (user, purpose, hash, decision, decided at).
  static std::string OldState(const std::string& user, int purpose, const std::string& hash,
                              int decision, absl::Time at) {
    return absl::StrCat("INSERT INTO consent_state VALUES ('", user, "', ", purpose, ", '", hash,
                        "', ", decision, ", 'privacy', '2025-01', ", absl::ToUnixMicros(at),
                        ", NULL, 0);");
  }

  std::vector<std::string> Recipients(const std::string& account) {
    auto page = store_->RenewalRecipients(account, "", 100, kNow);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->user_ids : std::vector<std::string>{};
  }
};

TEST_P(CollectorConsentMigrationTest, OldRowsMoveToTheAccountTheyWereRecordedIn) {
  const absl::Time t0 = kNow - absl::Hours(3);
  const absl::Time t1 = kNow - absl::Hours(2);
  const absl::Time t2 = kNow - absl::Hours(1);
  cairn::v1::Event bob_default = MakeConsentChange("acme", "bob", kRenewal, kGranted, t2);
  bob_default.mutable_consent_change()->set_source_surface("vendor_default");
  // The records, as any version stored them: alice objects in acme and
  // grants in globex later; bob's objection was followed by an old SDK's
  // vendor default; carol granted analytics.
  Write({MakeConsentChange("acme", "alice", kRenewal, kGranted, t0),
         MakeConsentChange("acme", "alice", kRenewal, kDenied, t1),
         MakeConsentChange("globex", "alice", kRenewal, kGranted, t2),
         MakeConsentChange("acme", "bob", kRenewal, kDenied, t1), bob_default,
         MakeConsentChange("acme", "carol", kAnalytics, kGranted, t0)});
  const std::string alice = Hash("alice"), bob = Hash("bob"), carol = Hash("carol");
  const std::string lost = std::string(64, 'f');  // an entry whose records are gone

  // Back to the old shape, holding what the old code left: alice's and
  // bob's opt-outs lifted by the later grants, a state row without any
  // record (dave), an entry of unknown account.
  const std::string old_version = GetParam() == StoreKind::kSqlite
                                      ? "PRAGMA user_version = 5;"
                                      : "DELETE FROM schema_version WHERE version >= 4;";
  ASSERT_TRUE(db_->Exec(absl::StrCat(
      "DROP TABLE consent_state; DROP TABLE renewal_suppression;",
      "CREATE TABLE consent_state (user_id TEXT NOT NULL, purpose INTEGER NOT NULL, "
      "user_hash TEXT NOT NULL, decision INTEGER NOT NULL, policy_id TEXT NOT NULL, "
      "policy_version TEXT NOT NULL, decided_at_us BIGINT NOT NULL, expires_at_us BIGINT, "
      "updated_at_ms BIGINT NOT NULL, PRIMARY KEY (user_id, purpose));",
      "CREATE TABLE renewal_suppression (user_hash TEXT PRIMARY KEY, since_ms BIGINT NOT NULL, "
      "denied_at_us BIGINT NOT NULL);",
      OldState("alice", 3, alice, 1, t2), OldState("bob", 3, bob, 1, t2),
      OldState("carol", 1, carol, 1, t0), OldState("dave", 1, Hash("dave"), 1, t0),
      "INSERT INTO renewal_suppression VALUES ('", lost, "', 0, 1);", old_version)));
  store_.reset();
  Open();

  // State: one row per (account, user, purpose) from its latest record;
  // dave's row had no record and is gone.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_state"), 4);
  EXPECT_EQ(QueryInt("SELECT decision FROM consent_state WHERE account_id = 'acme' "
                     "AND user_id = 'alice'"),
            2);
  EXPECT_EQ(QueryInt("SELECT decision FROM consent_state WHERE account_id = 'globex' "
                     "AND user_id = 'alice'"),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_state WHERE account_id = 'acme' "
                     "AND user_id = 'carol' AND purpose = 1"),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM consent_state WHERE user_id = 'dave'"), 0);
  // Suppression: alice in acme only; bob's default no longer undoes his
  // objection; the entry of unknown account stays, for every account.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM renewal_suppression"), 3);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM renewal_suppression WHERE account_id = 'acme' "
                     "AND user_hash = ?1",
                     alice),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM renewal_suppression WHERE account_id = 'acme' "
                     "AND user_hash = ?1",
                     bob),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM renewal_suppression WHERE account_id = '' "
                     "AND user_hash = ?1",
                     lost),
            1);
  EXPECT_THAT(Recipients("acme"), IsEmpty());
  EXPECT_THAT(Recipients("globex"), ElementsAre("alice"));
}

INSTANTIATE_TEST_SUITE_P(CollectorStores, CollectorConsentMigrationTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
                         testing::StoreKindName);

}  // namespace
}  // namespace cairn::collector
