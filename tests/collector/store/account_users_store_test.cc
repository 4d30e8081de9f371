// AccountUsers on both stores (SQLite and PostgreSQL, a fresh database per
// test): the per-user view of an account over the daily aggregates, its
// paging and order, the recent champion and shares, and that erasure and
// consent withdrawal take a user out of it.
#include <string>
#include <vector>

#include "cairn/engagement/day.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/account_users.h"
#include "test_batches.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::collector::testing::StoreKind;
using ::cairn::collector::testing::StoreSuite;
using ::cairn::engagement::DayIndex;
using ::cairn::engagement::DayOf;
using ::cairn::testing::MakeConsentChange;
using ::cairn::testing::MakeGrant;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeMilestone;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr auto kAnalytics = cairn::v1::PURPOSE_USAGE_ANALYTICS;
constexpr auto kMilestones = cairn::v1::PURPOSE_MILESTONES;

constexpr absl::Time kT0 = testing::kStoreTestNow;

absl::Time DaysAgo(int days) { return kT0 - absl::Hours(24 * days); }

std::vector<std::string> Ids(const std::vector<AccountUserLogins>& users) {
  std::vector<std::string> ids;
  for (const AccountUserLogins& u : users) ids.push_back(u.user_id);
  return ids;
}

class CollectorAccountUsersTest : public StoreSuite {
 protected:
  void Grant(const std::string& account, const std::string& user) {
    Write({MakeGrant(account, user, kAnalytics), MakeGrant(account, user, kMilestones)});
  }
  AccountUsersPage Read(const std::string& account, int days = 90, size_t offset = 0,
                        size_t limit = 100) {
    const DayIndex today = DayOf(kT0);
    AccountUsersQuery query;
    query.from = today - days + 1;
    query.to = today;
    query.recent_from = today - 27;
    query.offset = offset;
    query.limit = limit;
    absl::StatusOr<AccountUsersPage> page = AccountUsers(store_.get()).Read(account, query);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? *page : AccountUsersPage{};
  }
  // u1: 5 logins on 3 days, 2 of them in the last 28; u2: 3 logins on 3
  // recent days (the champion); u3: 1 login 60 days ago; u4 of another
  // account.
  void Seed() {
    for (const char* user : {"u1", "u2", "u3"}) Grant("acme", user);
    Grant("other", "u4");
    Write({MakeLogin("acme", "u1", kT0), MakeLogin("acme", "u1", kT0 - absl::Minutes(5)),
           MakeLogin("acme", "u1", DaysAgo(1)), MakeLogin("acme", "u1", DaysAgo(40)),
           MakeLogin("acme", "u1", DaysAgo(40) + absl::Minutes(1)), MakeLogin("acme", "u2", kT0),
           MakeLogin("acme", "u2", DaysAgo(2)), MakeLogin("acme", "u2", DaysAgo(3)),
           MakeLogin("acme", "u3", DaysAgo(60)), MakeLogin("other", "u4", kT0),
           MakeMilestone("acme", "u1", "invoice_sent", std::nullopt, DaysAgo(1)),
           MakeMilestone("acme", "u1", "first_quote", std::nullopt, DaysAgo(3)),
           MakeMilestone("acme", "u2", "first_quote", std::nullopt, kT0)});
  }
};

INSTANTIATE_TEST_SUITE_P(CollectorStores, CollectorAccountUsersTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
                         testing::StoreKindName);

TEST_P(CollectorAccountUsersTest, ReadsEachUsersWindowMostLoginsFirst) {
  Seed();
  AccountUsersPage page = Read("acme");
  ASSERT_THAT(Ids(page.users), ElementsAre("u1", "u2", "u3"));
  EXPECT_EQ(page.users[0].active_days, 3);
  EXPECT_EQ(page.users[0].logins, 5);
  EXPECT_EQ(page.users[0].last_seen, DayOf(kT0));
  EXPECT_EQ(page.users[1].active_days, 3);
  EXPECT_EQ(page.users[1].logins, 3);
  EXPECT_EQ(page.users[2].logins, 1);
  EXPECT_EQ(page.users[2].last_seen, DayOf(DaysAgo(60)));
  EXPECT_EQ(page.total_users, 3);
  EXPECT_EQ(page.total_logins, 9);
  EXPECT_EQ(page.known_users, 3);
  ASSERT_THAT(page.milestones, SizeIs(3u));
  EXPECT_EQ(page.milestones[0].user_id, "u1");
  EXPECT_EQ(page.milestones[0].name, "first_quote");
  EXPECT_EQ(page.milestones[0].first_reached, DaysAgo(3));
  EXPECT_EQ(page.milestones[1].name, "invoice_sent");
  EXPECT_EQ(page.milestones[2].user_id, "u2");
  // The last 28 days: u2 has 3 active days to u1's 2.
  ASSERT_TRUE(page.champion.has_value());
  EXPECT_EQ(page.champion->user_id, "u2");
  EXPECT_EQ(page.champion->active_days, 3);
  EXPECT_EQ(page.champion->logins, 3);
  EXPECT_EQ(page.recent_logins, 6);
  EXPECT_EQ(page.recent_top_user_logins, 3);
}

TEST_P(CollectorAccountUsersTest, TheWindowBoundsRowsAndTotals) {
  Seed();
  AccountUsersPage page = Read("acme", 7);
  ASSERT_THAT(Ids(page.users), ElementsAre("u1", "u2"));
  EXPECT_EQ(page.users[0].logins, 3);
  EXPECT_EQ(page.users[0].active_days, 2);
  EXPECT_EQ(page.total_users, 2);
  EXPECT_EQ(page.total_logins, 6);
  // Known users do not depend on the window.
  EXPECT_EQ(page.known_users, 3);
}

TEST_P(CollectorAccountUsersTest, PagesFollowTheOrderWithTiesByUserId) {
  for (const char* user : {"b", "a", "c"}) Grant("acme", user);
  Write({MakeLogin("acme", "b", kT0), MakeLogin("acme", "a", kT0), MakeLogin("acme", "c", kT0),
         MakeLogin("acme", "c", DaysAgo(1))});
  AccountUsersPage first = Read("acme", 90, 0, 2);
  EXPECT_THAT(Ids(first.users), ElementsAre("c", "a"));
  EXPECT_EQ(first.total_users, 3);
  AccountUsersPage second = Read("acme", 90, 2, 2);
  EXPECT_THAT(Ids(second.users), ElementsAre("b"));
  EXPECT_THAT(Read("acme", 90, 3, 2).users, IsEmpty());
  // c has the most active days of the last 28.
  ASSERT_TRUE(first.champion.has_value());
  EXPECT_EQ(first.champion->user_id, "c");
}

TEST_P(CollectorAccountUsersTest, AnUnknownAccountHasNoUsers) {
  Seed();
  AccountUsersPage page = Read("nobody");
  EXPECT_THAT(page.users, IsEmpty());
  EXPECT_EQ(page.total_users, 0);
  EXPECT_EQ(page.known_users, 0);
  EXPECT_FALSE(page.champion.has_value());
  EXPECT_EQ(page.recent_logins, 0);
  EXPECT_EQ(page.recent_top_user_logins, 0);
}

TEST_P(CollectorAccountUsersTest, ErasedAndWithdrawnUsersDisappear) {
  Seed();
  ASSERT_TRUE(store_->EraseUser("u1", kT0).ok());
  Write({MakeConsentChange("acme", "u3", kAnalytics, cairn::v1::CONSENT_DECISION_DENIED, kT0)});
  AccountUsersPage page = Read("acme");
  EXPECT_THAT(Ids(page.users), ElementsAre("u2"));
  EXPECT_EQ(page.total_users, 1);
  EXPECT_EQ(page.total_logins, 3);
  EXPECT_EQ(page.known_users, 1);
  ASSERT_THAT(page.milestones, SizeIs(1u));
  EXPECT_EQ(page.milestones[0].user_id, "u2");
  EXPECT_EQ(page.recent_logins, 3);
}

}  // namespace
}  // namespace cairn::collector
