// The vendor's health model in both stores (SQLite and PostgreSQL, a fresh
// database per test): the default until one is set, every field round trips
// with who set it, a PUT of an invalid model writes nothing, reset goes back
// to the default and leaves the store's other settings alone, and a
// hand-damaged row is reported, not silently replaced by the default.
#include "store/health_model_store.h"

#include <array>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "store/sql_runner.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::collector::testing::StoreKind;
using ::cairn::collector::testing::StoreSuite;

constexpr absl::Time kT0 = testing::kStoreTestNow;

class CollectorHealthModelStoreTest : public StoreSuite {
 protected:
  // The value of settings row `name`, or "" when there is none.
  std::string SettingValue(const std::string& name) {
    std::string value;
    EXPECT_TRUE(store_
                    ->RunEngagementRead([&](SqlRunner& sql) -> absl::Status {
                      const std::array<SqlValue, 1> params = {SqlValue(name)};
                      auto rows = sql.Query("SELECT value FROM settings WHERE name = ?1", params);
                      if (!rows.ok()) return rows.status();
                      if (!rows->empty() && rows->front()[0]) value = *rows->front()[0];
                      return absl::OkStatus();
                    })
                    .ok());
    return value;
  }
};

INSTANTIATE_TEST_SUITE_P(CollectorStores, CollectorHealthModelStoreTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
                         testing::StoreKindName);

engagement::HealthModel Custom() {
  engagement::HealthModel m;
  m.weights = {.frequency = 11,
               .trend = 12,
               .breadth = 13,
               .time_to_value = 14,
               .dependence = 15,
               .nps = 16};
  m.onboarding_weights = {
      .frequency = 21, .trend = 0, .breadth = 23, .time_to_value = 24, .dependence = 25, .nps = 26};
  m.onboarding_days = 45;
  m.good_at = 80;
  m.watch_at = 50;
  m.poor_factor_caps = false;
  m.nps_min_responses = 7;
  return m;
}

TEST_P(CollectorHealthModelStoreTest, DefaultUntilSetThenEveryFieldRoundTrips) {
  HealthModelStore models(store_.get());
  absl::StatusOr<StoredHealthModel> read = models.Get();
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->model, engagement::HealthModel{});
  EXPECT_FALSE(read->updated_at.has_value());
  EXPECT_EQ(read->updated_by, "");

  ASSERT_TRUE(models.Put(Custom(), "ana", kT0).ok());
  read = models.Get();
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->model, Custom());
  EXPECT_EQ(read->updated_at, kT0);
  EXPECT_EQ(read->updated_by, "ana");

  // A second Put replaces the first.
  engagement::HealthModel again = Custom();
  again.good_at = 90;
  ASSERT_TRUE(models.Put(again, "ben", kT0 + absl::Hours(1)).ok());
  read = models.Get();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->model.good_at, 90);
  EXPECT_EQ(read->updated_by, "ben");
}

TEST_P(CollectorHealthModelStoreTest, AnInvalidModelWritesNothing) {
  HealthModelStore models(store_.get());
  ASSERT_TRUE(models.Put(Custom(), "ana", kT0).ok());
  engagement::HealthModel bad = Custom();
  bad.watch_at = bad.good_at;
  EXPECT_EQ(models.Put(bad, "eve", kT0).code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<StoredHealthModel> read = models.Get();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->model, Custom());
  EXPECT_EQ(read->updated_by, "ana");
}

TEST_P(CollectorHealthModelStoreTest, ResetRestoresTheDefaultAndKeepsOtherSettings) {
  // The same table holds the store's own settings (its hash key check).
  ASSERT_TRUE(store_
                  ->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
                    return sql
                        .Execute("INSERT INTO settings (name, value) VALUES ('neighbour', 'kept')",
                                 {})
                        .status();
                  })
                  .ok());
  HealthModelStore models(store_.get());
  ASSERT_TRUE(models.Put(Custom(), "ana", kT0).ok());
  ASSERT_TRUE(models.Reset().ok());
  absl::StatusOr<StoredHealthModel> read = models.Get();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->model, engagement::HealthModel{});
  EXPECT_EQ(read->updated_by, "");
  EXPECT_EQ(SettingValue("neighbour"), "kept");
  EXPECT_EQ(SettingValue("health_model"), "");
}

TEST_P(CollectorHealthModelStoreTest, ADamagedRowIsReportedNotReplaced) {
  HealthModelStore models(store_.get());
  ASSERT_TRUE(models.Put(Custom(), "ana", kT0).ok());
  for (const char* damaged : {"weights.trend=lots\n", "weights.trend=500\n", "no equals sign"}) {
    ASSERT_TRUE(store_
                    ->RunEngagementWrite([&](SqlRunner& sql) -> absl::Status {
                      const std::array<SqlValue, 1> params = {SqlValue(std::string(damaged))};
                      return sql
                          .Execute("UPDATE settings SET value = ?1 WHERE name = 'health_model'",
                                   params)
                          .status();
                    })
                    .ok());
    EXPECT_EQ(models.Get().status().code(), absl::StatusCode::kDataLoss) << damaged;
  }
  // A new Put mends it.
  ASSERT_TRUE(models.Put(Custom(), "ana", kT0).ok());
  EXPECT_TRUE(models.Get().ok());
}

}  // namespace
}  // namespace cairn::collector
