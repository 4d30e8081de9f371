#include "store/audit_store.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cairn/common/uuid.h"
#include "store/sql_rows.h"

namespace cairn::collector {
namespace {

constexpr char kColumns[] = "audit_id, at_ms, actor, role, method, route, account_id, status";

absl::StatusOr<AuditEntry> ParseEntry(const SqlRow& row) {
  SqlRowReader r{row};
  AuditEntry e;
  e.audit_id = r.Text(0);
  e.at = absl::FromUnixMillis(r.Int(1));
  e.actor = r.Text(2);
  e.role = r.Text(3);
  e.method = r.Text(4);
  e.route = r.Text(5);
  if (row.size() > 6 && row[6]) e.account_id = *row[6];
  e.status = r.Int(7);
  if (!r.ok) return absl::DataLossError("admin_audit: bad row");
  return e;
}

}  // namespace

absl::StatusOr<std::string> AuditStore::Append(const AuditEntry& entry) {
  const std::string id = RandomHexId();
  const std::array<SqlValue, 8> params = {SqlText(id),
                                          SqlMillis(entry.at),
                                          SqlText(entry.actor),
                                          SqlText(entry.role),
                                          SqlText(entry.method),
                                          SqlText(entry.route),
                                          SqlOptText(entry.account_id),
                                          SqlValue(entry.status)};
  absl::StatusOr<int64_t> n = ExecuteSql(store_,
                                         absl::StrCat("INSERT INTO admin_audit (", kColumns,
                                                      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                                         params);
  if (!n.ok()) return n.status();
  return id;
}

absl::StatusOr<AuditPage> AuditStore::List(const AuditQuery& query) {
  std::vector<SqlValue> params;
  params.reserve(6);  // no reallocation (and GCC sees no moved-from variant)
  std::string where = "WHERE 1 = 1";
  if (!query.actor.empty()) {
    params.emplace_back(std::string(query.actor));
    absl::StrAppend(&where, " AND actor = ?", params.size());
  }
  if (query.since) {
    params.push_back(SqlMillis(*query.since));
    absl::StrAppend(&where, " AND at_ms >= ?", params.size());
  }
  if (!query.before.empty()) {
    absl::Status s = AppendKeysetAfter(query.before, "at_ms", "audit_id", true, &params, &where);
    if (!s.ok()) return s;
  }
  params.emplace_back(static_cast<int64_t>(query.limit + 1));
  absl::StatusOr<std::vector<AuditEntry>> rows = ReadSqlRows<AuditEntry>(
      store_,
      absl::StrCat("SELECT ", kColumns, " FROM admin_audit ", where,
                   " ORDER BY at_ms DESC, audit_id DESC LIMIT ?", params.size()),
      params, ParseEntry);
  if (!rows.ok()) return rows.status();
  AuditPage page;
  page.entries = *std::move(rows);
  if (page.entries.size() > query.limit) {
    page.entries.resize(query.limit);
    const AuditEntry& last = page.entries.back();
    page.next_page_token = KeysetCursor(absl::ToUnixMillis(last.at), last.audit_id);
  }
  return page;
}

absl::StatusOr<int64_t> AuditStore::PurgeBefore(absl::Time cutoff) {
  const std::array<SqlValue, 1> params = {SqlMillis(cutoff)};
  return ExecuteSql(store_, "DELETE FROM admin_audit WHERE at_ms < ?1", params);
}

}  // namespace cairn::collector
