#ifndef CAIRN_COLLECTOR_STORE_STORE_FACTORY_H_
#define CAIRN_COLLECTOR_STORE_STORE_FACTORY_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace cairn::collector {

// Which store a --db value names and where it is.
struct StoreSpec {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  // The SQLite file path, or the PostgreSQL connection URI as given.
  std::string target;
};

// Parses --db: "postgresql://..." or "postgres://..." is PostgreSQL; "sqlite:PATH"
// or a bare path is SQLite. InvalidArgument if empty (or "sqlite:" alone).
absl::StatusOr<StoreSpec> ParseStoreSpec(std::string_view db);

// Options that apply to whichever store --db names.
struct StoreOpenOptions {
  // For the `summary` subcommand: nothing is created or migrated.
  bool read_only = false;
  // --hash-key-file's secret, or empty for the database's generated key.
  std::string hash_key = {};
  // SQLite only: the writer connection's page cache in MiB
  // (SqliteStoreOptions::cache_mib, --sqlite-cache-mib).
  int sqlite_cache_mib = SqliteStoreOptions{}.cache_mib;
};

// Opens the store `db` names (ParseStoreSpec): SqliteStore::Open or
// PgStore::Open with `options`. Fails as they do, or with InvalidArgument for
// an empty spec.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view db,
                                                 const StoreOpenOptions& options);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_STORE_FACTORY_H_
