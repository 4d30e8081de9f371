#ifndef CAIRN_COLLECTOR_STORE_POSTGRES_PG_POOL_H_
#define CAIRN_COLLECTOR_STORE_POSTGRES_PG_POOL_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/postgres/pg_connection.h"

namespace cairn::collector {

// A small pool of reader connections to one database, opened on demand up
// to `max_connections`; a caller beyond that waits for one to come back.
// Thread-safe.
class PgPool {
 public:
  // A connection on loan; goes back to the pool when destroyed.
  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) pool_->Return(std::move(conn_));
    }
    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  PgPool(std::string uri, size_t max_connections)
      : uri_(std::move(uri)), max_(max_connections == 0 ? 1 : max_connections) {}

  // An idle connection (reconnected if the server dropped it) or a new one.
  // Unavailable if no connection can be made.
  absl::StatusOr<Lease> Acquire();

 private:
  void Return(std::unique_ptr<PgConnection> conn);

  const std::string uri_;
  const size_t max_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mu_
  size_t open_ = 0;                                  // guarded by mu_
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_POSTGRES_PG_POOL_H_
