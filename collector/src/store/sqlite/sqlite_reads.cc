// SqliteStore's reads: the summary, renewal recipients, the readiness
// probe and the engagement tables' SQL runner.
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "store/sqlite/sqlite_internal.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

int64_t TotalToInt64(double total) {
  return total >= 9.2e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(total);
}

absl::Status ReadSummary(sqlite::Database& db, StoreSummary* summary) {
  absl::Status s = ForEachRow(db, "SELECT count(*), count(DISTINCT account_id) FROM events",
                              [&](const sqlite::Statement& r) {
                                summary->total_events = r.ColumnInt(0);
                                summary->accounts = r.ColumnInt(1);
                              });
  if (!s.ok()) return s;
  // A user id is only meaningful within its account.
  s = ForEachRow(db, "SELECT count(*) FROM (SELECT DISTINCT account_id, user_id FROM events)",
                 [&](const sqlite::Statement& r) { summary->users = r.ColumnInt(0); });
  if (!s.ok()) return s;
  s = ForEachRow(db, "SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind",
                 [&](const sqlite::Statement& r) {
                   summary->events_by_kind[std::string(r.ColumnText(0))] = r.ColumnInt(1);
                 });
  if (!s.ok()) return s;
  s = ForEachRow(db,
                 absl::StrCat("SELECT account_id, count(DISTINCT user_id), "
                              "sum(kind = 'login'), count(DISTINCT milestone_name), "
                              "max(occurred_at_ms) FROM events GROUP BY account_id "
                              "ORDER BY max(occurred_at_ms) DESC, account_id LIMIT ",
                              kMaxSummaryAccounts),
                 [&](const sqlite::Statement& r) {
                   AccountSummary account;
                   account.account_id = std::string(r.ColumnText(0));
                   account.users = r.ColumnInt(1);
                   account.logins = r.ColumnInt(2);
                   account.milestones_reached = r.ColumnInt(3);
                   account.last_activity = absl::FromUnixMillis(r.ColumnInt(4));
                   summary->top_accounts.push_back(std::move(account));
                 });
  if (!s.ok()) return s;
  s = ForEachRow(db,
                 "SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM erased_users), "
                 "(SELECT count(DISTINCT user_hash) FROM renewal_suppression), "
                 "(SELECT count(*) FROM consent_records)",
                 [&](const sqlite::Statement& r) {
                   summary->batches = r.ColumnInt(0);
                   summary->erased_users = r.ColumnInt(1);
                   summary->suppressed_users = r.ColumnInt(2);
                   summary->consent_records = r.ColumnInt(3);
                 });
  if (!s.ok()) return s;
  s = ForEachRow(
      db, "SELECT reason, count FROM rejections ORDER BY reason", [&](const sqlite::Statement& r) {
        summary->rejections[static_cast<cairn::v1::RejectReason>(r.ColumnInt(0))] = r.ColumnInt(1);
      });
  if (!s.ok()) return s;
  // total() sums as a double and cannot overflow, unlike sum().
  return ForEachRow(db,
                    "SELECT reason, total(count) FROM client_drops GROUP BY reason ORDER BY reason",
                    [&](const sqlite::Statement& r) {
                      summary->client_drops[static_cast<cairn::v1::DropReason>(r.ColumnInt(0))] =
                          TotalToInt64(r.ColumnDouble(1));
                    });
}

}  // namespace

absl::StatusOr<StoreSummary> SqliteStore::Summarize() {
  std::lock_guard lock(read_mu_);
  // One read transaction: every figure comes from the same snapshot.
  if (absl::Status s = reader_->Exec("BEGIN"); !s.ok()) return s;
  StoreSummary summary;
  absl::Status s = ReadSummary(*reader_, &summary);
  reader_->Exec(s.ok() ? "COMMIT" : "ROLLBACK").IgnoreError();
  if (!s.ok()) return WithContext(s, "summarizing the collector database");
  return summary;
}

absl::StatusOr<RecipientsPage> SqliteStore::RenewalRecipients(std::string_view account_id,
                                                              std::string_view after, size_t limit,
                                                              absl::Time now) {
  std::lock_guard lock(read_mu_);
  // Erased users have no consent state left; the tombstone check is a
  // second guard, the suppression check the Art. 21 one.
  absl::StatusOr<sqlite::Statement> stmt = reader_->Prepare(R"sql(
SELECT c.user_id FROM consent_state c
WHERE c.purpose = ?1 AND c.decision = ?2 AND c.account_id = ?5 AND c.user_id > ?3
  AND (c.expires_at_us IS NULL OR c.expires_at_us > ?4)
  AND EXISTS (SELECT 1 FROM events e WHERE e.user_id = c.user_id AND e.account_id = ?5)
  AND NOT EXISTS (SELECT 1 FROM renewal_suppression s
                  WHERE s.user_hash = c.user_hash AND s.account_id IN (?5, ''))
  AND NOT EXISTS (SELECT 1 FROM erased_users x WHERE x.user_hash = c.user_hash)
ORDER BY c.user_id LIMIT ?6
)sql");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int64_t>(cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS))
      .Bind(2, StoredDecision(consent::Decision::kGranted))
      .Bind(3, after)
      .Bind(4, absl::ToUnixMicros(now))
      .Bind(5, account_id)
      .Bind(6, static_cast<int64_t>(limit) + 1);
  RecipientsPage page;
  bool more = false;
  absl::Status s = ForEachRow(*stmt, [&](const sqlite::Statement& r) {
    if (page.user_ids.size() == limit) {
      more = true;
      return;
    }
    page.user_ids.emplace_back(r.ColumnText(0));
  });
  if (!s.ok()) return WithContext(s, "listing renewal recipients");
  if (more && !page.user_ids.empty()) page.next_after = page.user_ids.back();
  return page;
}

namespace {

// SqlRunner over one SQLite connection (its caller holds the lock), with
// the connection's cache of prepared statements.
class SqliteRunner final : public SqlRunner {
 public:
  SqliteRunner(sqlite::Database& db, std::unordered_map<std::string, sqlite::Statement>& cache)
      : db_(db), cache_(cache) {}

  absl::StatusOr<std::vector<SqlRow>> Query(std::string_view sql,
                                            std::span<const SqlValue> params) override {
    absl::StatusOr<sqlite::Statement*> stmt = Prepared(sql);
    if (!stmt.ok()) return stmt.status();
    sqlite::Statement& st = **stmt;
    BindAll(st, params);
    std::vector<SqlRow> rows;
    const int columns = st.ColumnCount();
    while (true) {
      absl::StatusOr<bool> has_row = st.Step();
      if (!has_row.ok()) {
        st.Reset();
        return has_row.status();
      }
      if (!*has_row) break;
      SqlRow& row = rows.emplace_back();
      row.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (st.ColumnIsNull(c)) {
          row.emplace_back();
        } else if (st.ColumnIsReal(c)) {
          row.emplace_back(absl::StrFormat("%.17g", st.ColumnDouble(c)));
        } else {
          row.emplace_back(std::string(st.ColumnText(c)));
        }
      }
    }
    st.Reset();
    return rows;
  }

  absl::StatusOr<int64_t> Execute(std::string_view sql, std::span<const SqlValue> params) override {
    absl::StatusOr<sqlite::Statement*> stmt = Prepared(sql);
    if (!stmt.ok()) return stmt.status();
    BindAll(**stmt, params);
    if (absl::Status s = (*stmt)->Run(); !s.ok()) return s;  // Run resets
    return db_.Changes();
  }

 private:
  absl::StatusOr<sqlite::Statement*> Prepared(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) return &it->second;
    absl::StatusOr<sqlite::Statement> stmt = db_.Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    return &cache_.emplace(std::string(sql), *std::move(stmt)).first->second;
  }

  static void BindAll(sqlite::Statement& stmt, std::span<const SqlValue> params) {
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        stmt.BindNull(index);
      } else if (const int64_t* n = std::get_if<int64_t>(&v)) {
        stmt.Bind(index, *n);
      } else if (const double* d = std::get_if<double>(&v)) {
        stmt.Bind(index, *d);
      } else {
        stmt.Bind(index, std::get<std::string>(v));
      }
    }
  }

  sqlite::Database& db_;
  std::unordered_map<std::string, sqlite::Statement>& cache_;
};

}  // namespace

absl::Status SqliteStore::RunEngagementRead(absl::FunctionRef<absl::Status(SqlRunner&)> body) {
  // A free reader if there is one, starting at a rotating index so the
  // load spreads; else wait for the one at that index.
  const size_t n = engagement_readers_.size();
  const size_t start = next_reader_.fetch_add(1, std::memory_order_relaxed) % n;
  std::unique_lock<std::mutex> lock;
  EngagementReader* reader = nullptr;
  for (size_t i = 0; i < n && reader == nullptr; ++i) {
    EngagementReader* candidate = engagement_readers_[(start + i) % n].get();
    std::unique_lock<std::mutex> attempt(candidate->mu, std::try_to_lock);
    if (attempt.owns_lock()) {
      lock = std::move(attempt);
      reader = candidate;
    }
  }
  if (reader == nullptr) {
    reader = engagement_readers_[start].get();
    lock = std::unique_lock<std::mutex>(reader->mu);
  }
  if (absl::Status s = reader->db->Exec("BEGIN"); !s.ok()) return s;
  SqliteRunner runner(*reader->db, reader->cache);
  absl::Status s = body(runner);
  reader->db->Exec(s.ok() ? "COMMIT" : "ROLLBACK").IgnoreError();
  return s;
}

absl::Status SqliteStore::RunEngagementWrite(absl::FunctionRef<absl::Status(SqlRunner&)> body) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  sqlite::Transaction txn(*writer_);
  if (absl::Status s = txn.Begin(); !s.ok()) return s;
  SqliteRunner runner(*writer_, write_cache_);
  if (absl::Status s = body(runner); !s.ok()) return s;  // txn rolls back
  return txn.Commit();
}

}  // namespace cairn::collector
