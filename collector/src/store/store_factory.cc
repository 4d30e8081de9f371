#include "store/store_factory.h"

#include "absl/status/status.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace cairn::collector {

absl::StatusOr<StoreSpec> ParseStoreSpec(std::string_view db) {
  StoreSpec spec;
  if (db.starts_with("postgresql://") || db.starts_with("postgres://")) {
    spec.kind = StoreSpec::Kind::kPostgres;
    spec.target = std::string(db);
  } else {
    if (db.starts_with("sqlite:")) db.remove_prefix(std::string_view("sqlite:").size());
    spec.target = std::string(db);
  }
  if (spec.target.empty()) return absl::InvalidArgumentError("--db is required");
  return spec;
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view db,
                                                 const StoreOpenOptions& options) {
  absl::StatusOr<StoreSpec> spec = ParseStoreSpec(db);
  if (!spec.ok()) return spec.status();
  if (spec->kind == StoreSpec::Kind::kPostgres) {
    PgStoreOptions pg;
    pg.read_only = options.read_only;
    pg.hash_key = options.hash_key;
    absl::StatusOr<std::unique_ptr<PgStore>> store = PgStore::Open(spec->target, pg);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(*std::move(store));
  }
  SqliteStoreOptions sqlite;
  sqlite.read_only = options.read_only;
  sqlite.hash_key = options.hash_key;
  sqlite.cache_mib = options.sqlite_cache_mib;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(spec->target, sqlite);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(*std::move(store));
}

}  // namespace cairn::collector
