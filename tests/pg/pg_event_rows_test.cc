// The PostgreSQL store's events table of schema 6: the binary COPY of its
// rows, its monthly partitions (made ahead and on demand, the default
// partition for ids far from the clock), retention by partition, and the
// migration from schema 5.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/common/crypto.h"
#include "cairn/common/strings.h"
#include "cairn/common/uuid.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "pg_cluster.h"
#include "store/event_row.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_copy.h"
#include "store/postgres/pg_partitions.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_store.h"
#include "store/retention_purger.h"
#include "store/store_common.h"
#include "test_batches.h"
#include "test_database.h"

namespace cairn::collector {
namespace {

using ::cairn::testing::GrantsFor;
using ::cairn::testing::MakeLogin;
using ::cairn::testing::MakeMilestone;
using ::cairn::testing::PgCluster;

constexpr absl::Duration kDay = absl::Hours(24);

// An event id made at `at` (its UUIDv7 time, hence its partition). A
// generator of its own: one generator never goes back in time.
std::string IdAt(absl::Time at) {
  UuidV7Generator generator;
  return generator.Next(at);
}

// The serialized event with map entries in key order, to compare events
// whose NaN values make field-by-field equality useless.
std::string Canonical(const cairn::v1::Event& event) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    event.SerializeToCodedStream(&coded);
  }
  return out;
}

BatchRecord Record(std::vector<cairn::v1::Event> events) {
  return testing::MakeRecord(std::move(events), absl::Now());
}

TEST(PgCopyWriterTest, WritesHeaderFieldsInNetworkOrderAndTrailer) {
  PgCopyWriter copy;
  copy.BeginRow(4);
  copy.AddInt64(-2);
  copy.AddNull();
  copy.AddText(std::string("a\0b", 3));
  copy.AddFloat8(1.0);
  const std::string& data = copy.Finish();
  const std::string expected =
      std::string("PGCOPY\n\377\r\n\0", 11) + std::string(8, '\0') +  // header, flags, extension
      std::string("\0\4", 2) +                                        // 4 fields
      std::string("\0\0\0\x8\xff\xff\xff\xff\xff\xff\xff\xfe", 12) +  // int8 -2
      std::string("\xff\xff\xff\xff", 4) +                            // NULL
      std::string(
          "\0\0\0\5a\xEF\xBF\xBD"
          "b",
          9) +                                            // NUL as U+FFFD
      std::string("\0\0\0\x8\x3f\xf0\0\0\0\0\0\0", 12) +  // float8 1.0
      std::string("\xff\xff", 2);                         // trailer
  EXPECT_EQ(data, expected);
  EXPECT_EQ(copy.rows(), 1);
}

TEST(PgPartitionsTest, MonthsNamesAndUuidTimes) {
  const absl::Time t = absl::FromUnixSeconds(1764979200);  // 2025-12-06 00:00 UTC
  const PgMonth month = MonthOf(t);
  EXPECT_EQ(PartitionName(month), "event_rows_y2025m12");
  EXPECT_EQ(PartitionName(month + 1), "event_rows_y2026m01");
  EXPECT_EQ(MonthStartMillis(month), 1764547200000);  // 2025-12-01
  EXPECT_EQ(UuidMillis(EventKey(IdAt(t))), absl::ToUnixMillis(t));
  EXPECT_TRUE(WantsPartition(month - kPgMonthsBack, month));
  EXPECT_FALSE(WantsPartition(month - kPgMonthsBack - 1, month));
  EXPECT_TRUE(WantsPartition(month + kPgMonthsAhead, month));
  EXPECT_FALSE(WantsPartition(month + kPgMonthsAhead + 1, month));
  EXPECT_EQ(PgEventUuid("not-a-uuid").size(), 16u);
  EXPECT_EQ(PgEventUuid("not-a-uuid"), PgEventUuid("not-a-uuid"));
}

class PgEventRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgCluster::Available()) GTEST_SKIP() << "PostgreSQL not installed";
    auto cluster = PgCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }
  std::unique_ptr<PgStore> Open() {
    auto store = PgStore::Open(cluster_->connection_uri());
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  int64_t Count(const std::string& sql) { return cluster_->ScalarInt(sql).value_or(-1); }
  // The first column of the first row as text ("?" if none).
  std::string Text(const std::string& sql) {
    if (sql_ == nullptr) {
      auto conn = PgConnection::Connect(cluster_->connection_uri());
      if (!conn.ok()) return "?";
      sql_ = *std::move(conn);
    }
    auto rows = sql_->Exec(sql);
    if (!rows.ok() || rows->rows() == 0) return "?";
    return std::string(rows->Text(0, 0));
  }
  // The partition holding event `id`.
  std::string PartitionOf(const std::string& id) {
    return Text(
        absl::StrCat("SELECT tableoid::regclass::text FROM event_rows WHERE id = '", id, "'"));
  }
  BatchWriteResult WriteOk(PgStore& store, BatchRecord record) {
    auto results = store.Write({&record, 1});
    EXPECT_TRUE(results.ok()) << results.status();
    return results.ok() ? results->front() : BatchWriteResult{};
  }

  std::unique_ptr<PgCluster> cluster_;
  std::unique_ptr<PgConnection> sql_;
};

TEST_F(PgEventRowsTest, AwkwardValuesRoundTripThroughTheBinaryCopy) {
  std::unique_ptr<PgStore> store = Open();
  ASSERT_NE(store, nullptr);
  // Grants dated before the 1969 event below.
  const absl::Time before_1970 = absl::FromUnixSeconds(-86400 * 400);
  WriteOk(*store, Record({cairn::testing::MakeGrant(
                              "acct-ü", "user-1", cairn::v1::PURPOSE_USAGE_ANALYTICS, before_1970),
                          cairn::testing::MakeGrant("acct-ü", "user-1",
                                                    cairn::v1::PURPOSE_MILESTONES, before_1970)}));
  std::vector<cairn::v1::Event> events;
  for (double value : {std::nan(""), std::numeric_limits<double>::infinity(),
                       -std::numeric_limits<double>::infinity(), -0.0, 1e308, 5e-324}) {
    events.push_back(MakeMilestone("acct-ü", "user-1", "m", value));
  }
  cairn::v1::Event no_value = MakeMilestone("acct-ü", "user-1", "");
  (*no_value.mutable_attributes())[""] = "";
  (*no_value.mutable_attributes())["long"] = std::string(4096, 'x');
  (*no_value.mutable_attributes())["text"] = "Grüße, 世界 \"q\" \\ \t\n 🎉";
  no_value.set_session_id("");
  events.push_back(no_value);
  // Before 1970 by the device clock, and the largest sequence.
  cairn::v1::Event old = MakeLogin("acct-ü", "user-1", absl::FromUnixSeconds(-86400 * 365));
  old.set_sequence(std::numeric_limits<uint64_t>::max());
  events.push_back(old);
  BatchWriteResult result = WriteOk(*store, Record(events));
  EXPECT_EQ(result.inserted, static_cast<int64_t>(events.size()));

  // Non-finite values are not stored as values; the others are exact.
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'milestone' AND "
                  "milestone_value IS NULL"),
            4);  // NaN, +inf, -inf and none
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE milestone_value = 1e308"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE milestone_value = 5e-324"), 1);
  EXPECT_EQ(Count(absl::StrCat("SELECT occurred_at_ms FROM events WHERE event_id = '",
                               old.event_id(), "'")),
            -86400LL * 365 * 1000);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE account_id = 'acct-ü' AND session_id = ''"),
            1);

  auto exported = store->ExportUser("user-1", 100);
  ASSERT_TRUE(exported.ok()) << exported.status();
  int matched = 0;
  for (const StoredEvent& stored : exported->events) {
    for (const cairn::v1::Event& event : events) {
      if (stored.event.event_id() != event.event_id()) continue;
      ++matched;
      // Every field reads back, the non-finite values too (from the residual).
      EXPECT_EQ(Canonical(stored.event), Canonical(event));
    }
  }
  EXPECT_EQ(matched, static_cast<int>(events.size()));

  // A retry of the whole batch stores nothing again.
  result = WriteOk(*store, Record(events));
  EXPECT_EQ(result.inserted, 0);
  EXPECT_EQ(result.duplicates, static_cast<int64_t>(events.size()));
}

TEST_F(PgEventRowsTest, PartitionsAreMadeAheadAndOnDemandAndFarIdsGoToTheDefault) {
  std::unique_ptr<PgStore> store = Open();
  ASSERT_NE(store, nullptr);
  const absl::Time now = absl::Now();
  const PgMonth month = MonthOf(now);
  for (PgMonth m = month; m <= month + kPgMonthsCreatedAhead; ++m) {
    EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM pg_class WHERE relname = '",
                                 PartitionName(m), "'")),
              1)
        << PartitionName(m);
  }
  WriteOk(*store, Record(GrantsFor("acct", {"u1"})));
  // A device that was offline for five months, one whose clock is years
  // behind, one years ahead.
  cairn::v1::Event late = MakeLogin("acct", "u1", now - 150 * kDay);
  late.set_event_id(IdAt(now - 150 * kDay));
  cairn::v1::Event ancient = MakeLogin("acct", "u1", now - 3650 * kDay);
  ancient.set_event_id(IdAt(now - 3650 * kDay));
  cairn::v1::Event future = MakeLogin("acct", "u1");
  future.set_event_id(IdAt(now + 5 * 365 * kDay));
  BatchWriteResult result = WriteOk(*store, Record({late, ancient, future}));
  EXPECT_EQ(result.inserted, 3);
  EXPECT_EQ(PartitionOf(late.event_id()), PartitionName(MonthOf(now - 150 * kDay)));
  EXPECT_EQ(PartitionOf(ancient.event_id()), "event_rows_default");
  EXPECT_EQ(PartitionOf(future.event_id()), "event_rows_default");
  // Duplicates of each are found wherever they are.
  result = WriteOk(*store, Record({late, ancient, future}));
  EXPECT_EQ(result.duplicates, 3);

  // When the future month's partition is made (as it will be when the
  // clock gets near), its rows move out of the default partition.
  auto conn = PgConnection::Connect(cluster_->connection_uri());
  ASSERT_TRUE(conn.ok()) << conn.status();
  const PgMonth future_month = MonthOf(now + 5 * 365 * kDay);
  ASSERT_TRUE(CreateMonthPartition(**conn, future_month).ok());
  ASSERT_TRUE(CreateMonthPartition(**conn, future_month).ok());  // already there: nothing
  EXPECT_EQ(PartitionOf(future.event_id()), PartitionName(future_month));
  EXPECT_EQ(Count("SELECT count(*) FROM event_rows_default"), 1);
  result = WriteOk(*store, Record({future}));
  EXPECT_EQ(result.duplicates, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'login'"), 3);
}

TEST_F(PgEventRowsTest, RetentionDropsOldPartitionsAndDeletesOldRowsOfTheOthers) {
  std::unique_ptr<PgStore> store = Open();
  ASSERT_NE(store, nullptr);
  const absl::Time now = absl::Now();
  const absl::Time cutoff = now - 30 * kDay;
  WriteOk(*store, Record(GrantsFor("acct", {"u1"})));  // occurred in 2001: old
  std::vector<cairn::v1::Event> events;
  // Five months ago: all old, its partition goes whole.
  const absl::Time five_months = now - 150 * kDay;
  for (int i = 0; i < 5; ++i) {
    cairn::v1::Event e = MakeLogin("acct", "u1", five_months + absl::Minutes(i));
    e.set_event_id(IdAt(five_months));
    events.push_back(e);
  }
  // Three months ago, but one of its events occurred recently by the
  // device clock: its partition stays, its old rows go one by one.
  const absl::Time three_months = now - 90 * kDay;
  std::vector<cairn::v1::Event> mixed;
  for (int i = 0; i < 3; ++i) {
    cairn::v1::Event e = MakeLogin("acct", "u1", three_months);
    e.set_event_id(IdAt(three_months));
    mixed.push_back(e);
  }
  cairn::v1::Event young_in_old = MakeLogin("acct", "u1", now - kDay);
  young_in_old.set_event_id(IdAt(three_months));
  mixed.push_back(young_in_old);
  events.insert(events.end(), mixed.begin(), mixed.end());
  // This month: one old by the device clock, one young.
  cairn::v1::Event old_now = MakeLogin("acct", "u1", now - 60 * kDay);
  cairn::v1::Event young_now = MakeLogin("acct", "u1", now);
  events.push_back(old_now);
  events.push_back(young_now);
  // The default partition: an id of ten years ago.
  cairn::v1::Event ancient = MakeLogin("acct", "u1", now - 3650 * kDay);
  ancient.set_event_id(IdAt(now - 3650 * kDay));
  events.push_back(ancient);
  ASSERT_EQ(WriteOk(*store, Record(events)).inserted, static_cast<int64_t>(events.size()));
  const std::string old_partition = PartitionName(MonthOf(five_months));
  const std::string mixed_partition = PartitionName(MonthOf(three_months));
  ASSERT_EQ(Count(absl::StrCat("SELECT count(*) FROM ", old_partition)), 5);

  // 2 grant events + 5 + 3 + 1 + 1 old rows.
  RetentionOptions retention;
  retention.keep = 30 * kDay;
  retention.chunk_rows = 2;  // several calls: the drop, then chunks of rows
  auto deleted = PurgeExpiredEvents(*store, now, retention);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 12);
  EXPECT_EQ(
      Count(absl::StrCat("SELECT count(*) FROM pg_class WHERE relname = '", old_partition, "'")),
      0);
  EXPECT_EQ(
      Count(absl::StrCat("SELECT count(*) FROM pg_class WHERE relname = '", mixed_partition, "'")),
      1);
  EXPECT_EQ(Count("SELECT count(*) FROM event_rows"), 2);
  EXPECT_EQ(PartitionOf(young_in_old.event_id()), mixed_partition);
  EXPECT_EQ(PartitionOf(young_now.event_id()), PartitionName(MonthOf(now)));
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM event_rows WHERE occurred_at_ms < ",
                               absl::ToUnixMillis(cutoff))),
            0);

  // A late event of the dropped month is stored again (its partition made
  // anew), and a second purge finds nothing more.
  cairn::v1::Event late = MakeLogin("acct", "u1", now);
  late.set_event_id(IdAt(five_months));
  EXPECT_EQ(WriteOk(*store, Record({late})).inserted, 1);
  EXPECT_EQ(PartitionOf(late.event_id()), old_partition);
  deleted = PurgeExpiredEvents(*store, now, retention);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 0);
}

// A schema 5 database (text ids, a whole-event blob per row) moves to the
// lean partitioned table: every event reads back exactly, the `events`
// view shows the old columns, a retry of a moved event is a duplicate,
// and erasure still finds it.
TEST_F(PgEventRowsTest, MigrationFromV5MovesEveryEventToTheLeanTable) {
  std::string steps;
  for (int i = 0; i < 5; ++i) absl::StrAppend(&steps, ToAbsl(PgMigrationSteps()[i]), ";");
  absl::StrAppend(&steps,
                  "CREATE TABLE schema_version (version integer PRIMARY KEY, "
                  "applied_at timestamptz NOT NULL DEFAULT now());"
                  "INSERT INTO schema_version (version) VALUES (1), (2), (3), (4), (5);");
  ASSERT_TRUE(cluster_->Query(steps).ok());
  cairn::v1::Event milestone = MakeMilestone("acct-1", "user-1", "invoice_sent", 2.5);
  (*milestone.mutable_attributes())["plan"] = "pro";
  const cairn::v1::Event login = MakeLogin("acct-1", "user-1");
  cairn::v1::Event last_year = MakeLogin("acct-1", "user-1", absl::Now() - 400 * kDay);
  last_year.set_event_id(IdAt(absl::Now() - 400 * kDay));
  cairn::v1::Event legacy = MakeLogin("acct-1", "user-1");
  legacy.set_event_id("legacy-event-1");
  const std::vector<cairn::v1::Event> old_events = {login, milestone, last_year, legacy};
  for (const cairn::v1::Event& event : old_events) {
    const int64_t ms = absl::ToUnixMillis(absl::FromUnixSeconds(event.occurred_at().seconds()));
    ASSERT_TRUE(
        cluster_
            ->Query(absl::StrCat(
                "INSERT INTO events (event_id, account_id, user_id, purpose, kind, "
                "occurred_at_ms, corrected_at_ms, received_at_ms, sequence, session_id, "
                "install_id, batch_id, milestone_name, milestone_value, attributes_json, "
                "event_proto) VALUES ('",
                event.event_id(), "', 'acct-1', 'user-1', ", static_cast<int>(event.purpose()),
                ", '", ToAbsl(EventKind(event)), "', ", ms, ", ", ms, ", ", ms, ", ",
                event.sequence(), ", '", event.session_id(), "', 'install-1', 'b1', ",
                event.has_milestone()
                    ? absl::StrCat("'", event.milestone().name(), "', ", event.milestone().value())
                    : "NULL, NULL",
                ", '", AttributesJson(event), "', '\\x", HexEncode(event.SerializeAsString()),
                "')"))
            .ok());
  }

  std::unique_ptr<PgStore> store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Count("SELECT max(version) FROM schema_version"), kPgSchemaVersion);
  EXPECT_EQ(Count("SELECT count(*) FROM event_rows"), 4);
  EXPECT_EQ(Count("SELECT count(*) FROM pg_views WHERE viewname = 'events'"), 1);
  EXPECT_EQ(
      Count(absl::StrCat("SELECT count(*) FROM events WHERE event_id = '", milestone.event_id(),
                         "' AND kind = 'milestone' AND milestone_value = 2.5 "
                         "AND attributes_json = '{\"plan\":\"pro\"}'")),
      1);
  // Last year's event has its month's partition.
  EXPECT_EQ(PartitionOf(last_year.event_id()), PartitionName(MonthOf(absl::Now() - 400 * kDay)));

  auto exported = store->ExportUser("user-1", 10);
  ASSERT_TRUE(exported.ok()) << exported.status();
  ASSERT_EQ(exported->events.size(), 4u);
  int exact = 0;
  for (const StoredEvent& stored : exported->events) {
    for (const cairn::v1::Event& event : {login, milestone, last_year}) {
      if (stored.event.event_id() != event.event_id()) continue;
      EXPECT_EQ(stored.event.SerializeAsString(), event.SerializeAsString());
      ++exact;
    }
  }
  EXPECT_EQ(exact, 3);

  WriteOk(*store, Record(GrantsFor("acct-1", {"user-1"})));
  BatchWriteResult retry = WriteOk(*store, Record({milestone, last_year, legacy}));
  EXPECT_EQ(retry.duplicates, 3);
  EXPECT_EQ(retry.inserted, 0);

  auto erased = store->EraseUser("user-1", absl::Now());
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->events_deleted, 6);  // the four moved and the two grants
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE user_id = 'user-1'"), 0);
}

}  // namespace
}  // namespace cairn::collector
