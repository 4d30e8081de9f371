#ifndef CAIRN_COLLECTOR_STORE_AUDIT_STORE_H_
#define CAIRN_COLLECTOR_STORE_AUDIT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace cairn::collector {

// One admin action as the audit log keeps it (table admin_audit). Holds no
// personal data: the actor is a token's name, the route a pattern
// ("/v1/users/{id}", never the path), the account a customer company.
struct AuditEntry {
  std::string audit_id;  // set by Append
  absl::Time at = absl::UnixEpoch();
  std::string actor;
  std::string role;
  std::string method;
  std::string route;
  std::optional<std::string> account_id;
  int64_t status = 0;
};

// Which entries List returns: newest first, optionally only one actor's
// and only since a time, at most `limit`, strictly older than the cursor
// `before` (a previous page's next_page_token).
struct AuditQuery {
  std::string actor;  // empty: everyone
  std::optional<absl::Time> since;
  std::string before;  // empty: from the newest
  size_t limit = 100;
};

// One page of the log.
struct AuditPage {
  std::vector<AuditEntry> entries;
  std::string next_page_token;  // empty at the end
};

// The admin audit log over a Store's engagement SQL surface (SQLite and
// PostgreSQL alike). Every method is one statement; fails with the store's
// error (Unavailable when busy), InvalidArgument for a malformed cursor,
// DataLoss for a row that does not parse. Thread-safe as the Store is.
class AuditStore {
 public:
  explicit AuditStore(Store* store) : store_(store) {}

  // Appends `entry` under a fresh random id (returned). Cost: one insert.
  absl::StatusOr<std::string> Append(const AuditEntry& entry);
  // A page of the log. Cost: an index range read of at most limit + 1 rows.
  absl::StatusOr<AuditPage> List(const AuditQuery& query);
  // Deletes entries older than `cutoff`; how many. Cost: an index range
  // delete.
  absl::StatusOr<int64_t> PurgeBefore(absl::Time cutoff);

 private:
  Store* const store_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_AUDIT_STORE_H_
