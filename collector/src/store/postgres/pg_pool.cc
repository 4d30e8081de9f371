#include "store/postgres/pg_pool.h"

#include <utility>

namespace cairn::collector {

absl::StatusOr<PgPool::Lease> PgPool::Acquire() {
  {
    std::unique_lock lock(mu_);
    returned_.wait(lock, [this] { return !idle_.empty() || open_ < max_; });
    if (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      if (conn->EnsureConnected()) return Lease(this, std::move(conn));
      lock.lock();
      --open_;  // dropped below; a fresh one takes its place
    }
    ++open_;
  }
  // Connecting (up to the connect timeout) happens outside the lock.
  absl::StatusOr<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(uri_);
  if (!conn.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    returned_.notify_one();
    return conn.status();
  }
  return Lease(this, *std::move(conn));
}

void PgPool::Return(std::unique_ptr<PgConnection> conn) {
  conn->RollbackQuietly();
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(conn));
  returned_.notify_one();
}

}  // namespace cairn::collector
