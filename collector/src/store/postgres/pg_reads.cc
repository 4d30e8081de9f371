// PgStore's reads: the summary, renewal recipients, the readiness probe and
// the engagement tables' SQL runner.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_internal.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store.h"
#include "store/store_common.h"

namespace cairn::collector {
namespace {

absl::Status ReadSummary(PgConnection& db, StoreSummary* summary) {
  absl::StatusOr<PgResult> r = db.Exec("SELECT count(*), count(DISTINCT account_id) FROM events");
  if (!r.ok()) return r.status();
  summary->total_events = r->Int(0, 0);
  summary->accounts = r->Int(0, 1);
  // A user id is only meaningful within its account.
  r = db.Exec("SELECT count(*) FROM (SELECT DISTINCT account_id, user_id FROM events) u");
  if (!r.ok()) return r.status();
  summary->users = r->Int(0, 0);
  r = db.Exec("SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind");
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i)
    summary->events_by_kind[std::string(r->Text(i, 0))] = r->Int(i, 1);
  r = db.Exec(absl::StrCat(
      "SELECT account_id, count(DISTINCT user_id), count(*) FILTER (WHERE kind = 'login'), "
      "count(DISTINCT milestone_name), max(occurred_at_ms) FROM events GROUP BY account_id "
      "ORDER BY max(occurred_at_ms) DESC, account_id LIMIT ",
      kMaxSummaryAccounts));
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    AccountSummary account;
    account.account_id = std::string(r->Text(i, 0));
    account.users = r->Int(i, 1);
    account.logins = r->Int(i, 2);
    account.milestones_reached = r->Int(i, 3);
    account.last_activity = absl::FromUnixMillis(r->Int(i, 4));
    summary->top_accounts.push_back(std::move(account));
  }
  r = db.Exec(
      "SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM erased_users), "
      "(SELECT count(DISTINCT user_hash) FROM renewal_suppression), "
      "(SELECT count(*) FROM consent_records)");
  if (!r.ok()) return r.status();
  summary->batches = r->Int(0, 0);
  summary->erased_users = r->Int(0, 1);
  summary->suppressed_users = r->Int(0, 2);
  summary->consent_records = r->Int(0, 3);
  r = db.Exec("SELECT reason, count FROM rejections ORDER BY reason");
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    summary->rejections[static_cast<cairn::v1::RejectReason>(r->Int(i, 0))] = r->Int(i, 1);
  }
  // sum() of bigint is numeric in PostgreSQL: it cannot overflow; clamp it.
  r = db.Exec(
      "SELECT reason, least(sum(count), 9223372036854775807)::bigint FROM client_drops "
      "GROUP BY reason ORDER BY reason");
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    summary->client_drops[static_cast<cairn::v1::DropReason>(r->Int(i, 0))] = r->Int(i, 1);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StoreSummary> PgStore::Summarize() {
  absl::StatusOr<PgPool::Lease> conn = readers_->Acquire();
  if (!conn.ok()) return WithContext(conn.status(), "summarizing the collector database");
  StoreSummary summary;
  absl::Status s = InSnapshot(**conn, [&] { return ReadSummary(**conn, &summary); });
  if (!s.ok()) return WithContext(s, "summarizing the collector database");
  return summary;
}

absl::Status PgStore::Ping() {
  absl::StatusOr<PgPool::Lease> conn = readers_->Acquire();
  if (!conn.ok()) return WithContext(conn.status(), "reaching the collector database");
  if (absl::Status s = (*conn)->Run("SELECT 1"); !s.ok()) {
    return WithContext(s, "reaching the collector database");
  }
  return absl::OkStatus();
}

absl::StatusOr<RecipientsPage> PgStore::RenewalRecipients(std::string_view account_id,
                                                          std::string_view after, size_t limit,
                                                          absl::Time now) {
  absl::StatusOr<PgPool::Lease> conn = readers_->Acquire();
  if (!conn.ok()) return WithContext(conn.status(), "listing renewal recipients");
  PgParams params;
  params.Add(static_cast<int64_t>(cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS))
      .Add(StoredDecision(consent::Decision::kGranted))
      .Add(after)
      .Add(absl::ToUnixMicros(now))
      .Add(account_id)
      .Add(LimitPlusOne(limit));
  // Erased users have no consent state left; the tombstone check is a
  // second guard, the suppression check the Art. 21 one.
  absl::StatusOr<PgResult> rows = (*conn)->Exec(R"sql(
SELECT c.user_id FROM consent_state c
WHERE c.purpose = $1::integer AND c.decision = $2::integer AND c.account_id = $5
  AND c.user_id > $3
  AND (c.expires_at_us IS NULL OR c.expires_at_us > $4::bigint)
  AND EXISTS (SELECT 1 FROM events e WHERE e.user_id = c.user_id AND e.account_id = $5)
  AND NOT EXISTS (SELECT 1 FROM renewal_suppression s
                  WHERE s.user_hash = c.user_hash AND s.account_id IN ($5, ''))
  AND NOT EXISTS (SELECT 1 FROM erased_users x WHERE x.user_hash = c.user_hash)
ORDER BY c.user_id LIMIT $6::bigint
)sql",
                                                params);
  if (!rows.ok()) return WithContext(rows.status(), "listing renewal recipients");
  RecipientsPage page;
  for (int i = 0; i < rows->rows(); ++i) {
    if (page.user_ids.size() == limit) {
      if (!page.user_ids.empty()) page.next_after = page.user_ids.back();
      break;
    }
    page.user_ids.emplace_back(rows->Text(i, 0));
  }
  return page;
}

namespace {

// SqlRunner over one PostgreSQL connection: "?N" placeholders become "$N";
// parameters go as text (reals with 17 significant digits), so their types
// come from the SQL's context.
class PgRunner final : public SqlRunner {
 public:
  explicit PgRunner(PgConnection& conn) : conn_(conn) {}

  absl::StatusOr<std::vector<SqlRow>> Query(std::string_view sql,
                                            std::span<const SqlValue> params) override {
    absl::StatusOr<PgResult> result = conn_.Exec(Rewrite(sql), Params(params));
    if (!result.ok()) return result.status();
    std::vector<SqlRow> rows(static_cast<size_t>(result->rows()));
    const int columns = result->columns();
    for (int r = 0; r < result->rows(); ++r) {
      SqlRow& row = rows[static_cast<size_t>(r)];
      for (int c = 0; c < columns; ++c) {
        if (result->IsNull(r, c)) {
          row.emplace_back();
        } else {
          row.emplace_back(std::string(result->Text(r, c)));
        }
      }
    }
    return rows;
  }

  absl::StatusOr<int64_t> Execute(std::string_view sql, std::span<const SqlValue> params) override {
    absl::StatusOr<PgResult> result = conn_.Exec(Rewrite(sql), Params(params));
    if (!result.ok()) return result.status();
    return result->AffectedRows();
  }

 private:
  static std::string Rewrite(std::string_view sql) {
    std::string out(sql);
    for (char& c : out) {
      if (c == '?') c = '$';
    }
    return out;
  }
  static PgParams Params(std::span<const SqlValue> params) {
    PgParams out;
    for (const SqlValue& v : params) {
      if (std::holds_alternative<std::nullptr_t>(v)) {
        out.AddNull();
      } else if (const int64_t* n = std::get_if<int64_t>(&v)) {
        out.Add(*n);
      } else if (const double* d = std::get_if<double>(&v)) {
        out.Add(std::string_view(absl::StrFormat("%.17g", *d)));
      } else {
        out.Add(std::string_view(std::get<std::string>(v)));
      }
    }
    return out;
  }

  PgConnection& conn_;
};

}  // namespace

std::unique_ptr<SqlRunner> MakePgRunner(PgConnection& conn) {
  return std::make_unique<PgRunner>(conn);
}

absl::Status PgStore::RunEngagementRead(absl::FunctionRef<absl::Status(SqlRunner&)> body) {
  absl::StatusOr<PgPool::Lease> conn = readers_->Acquire();
  if (!conn.ok()) return WithContext(conn.status(), "reading engagement tables");
  PgRunner runner(**conn);
  return InSnapshot(**conn, [&] { return body(runner); });
}

absl::Status PgStore::RunEngagementWrite(absl::FunctionRef<absl::Status(SqlRunner&)> body) {
  std::lock_guard lock(write_mu_);
  if (writer_ == nullptr) return absl::FailedPreconditionError("store opened read-only");
  absl::StatusOr<bool> done = WithRetries([&]() -> absl::StatusOr<bool> {
    if (absl::Status s = writer_->Run("BEGIN"); !s.ok()) return s;
    PgRunner runner(*writer_);
    if (absl::Status s = body(runner); !s.ok()) return s;
    if (absl::Status s = writer_->Run("COMMIT"); !s.ok()) return s;
    return true;
  });
  return done.status();
}

}  // namespace cairn::collector
