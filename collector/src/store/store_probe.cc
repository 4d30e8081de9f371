#include "store/store_probe.h"

#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "ops/log.h"

namespace cairn::collector {

StoreProbe::StoreProbe(Store* store, absl::Duration interval) : store_(store), interval_(interval) {
  PingNow().IgnoreError();
  thread_ = std::thread([this] { Run(); });
}

StoreProbe::~StoreProbe() { Stop(); }

bool StoreProbe::Reachable() const {
  std::lock_guard lock(mu_);
  return reachable_;
}

int64_t StoreProbe::pings() const {
  std::lock_guard lock(mu_);
  return pings_;
}

absl::Status StoreProbe::PingNow() {
  absl::Status status = store_->Ping();
  bool was_reachable;
  {
    std::lock_guard lock(mu_);
    was_reachable = reachable_ || pings_ == 0;
    reachable_ = status.ok();
    ++pings_;
  }
  // Log the transitions only: a store that stays away would otherwise log
  // every interval. The code, not the message: it may name the host.
  if (was_reachable != status.ok()) {
    Log(status.ok() ? LogLevel::kInfo : LogLevel::kError,
        status.ok() ? "store_reachable" : "store_unreachable",
        {{"code", std::string(absl::StatusCodeToString(status.code()))}});
  }
  return status;
}

void StoreProbe::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StoreProbe::Run() {
  const auto period = absl::ToChronoNanoseconds(interval_);
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    lock.unlock();
    PingNow().IgnoreError();
    lock.lock();
  }
}

}  // namespace cairn::collector
