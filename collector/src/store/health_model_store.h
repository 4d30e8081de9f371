#ifndef CAIRN_COLLECTOR_STORE_HEALTH_MODEL_STORE_H_
#define CAIRN_COLLECTOR_STORE_HEALTH_MODEL_STORE_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cairn/engagement/health_model.h"
#include "store/store.h"

namespace cairn::collector {

// The vendor's health model as stored, with who set it and when.
struct StoredHealthModel {
  engagement::HealthModel model;
  // nullopt (and `updated_by` empty) while the built-in default applies.
  std::optional<absl::Time> updated_at;
  std::string updated_by;  // a token name, never a person's data
};

// The health model in the store's settings table (one row, the same on
// SQLite and PostgreSQL), so every collector on the store scores alike.
// Thread-safe as the store is.
class HealthModelStore {
 public:
  explicit HealthModelStore(Store* store) : store_(store) {}

  // The stored model, or the default when none was set. Cost: one indexed
  // read. Fails with the store's error; DataLoss when the stored row does
  // not parse or fails engagement::ValidateHealthModel (a hand edit).
  absl::StatusOr<StoredHealthModel> Get();

  // Replaces the model. `model` must pass ValidateHealthModel
  // (InvalidArgument otherwise, nothing written). Cost: one write
  // transaction. Fails with the store's error.
  absl::Status Put(const engagement::HealthModel& model, std::string_view updated_by,
                   absl::Time now);

  // Goes back to the built-in default. Cost: one write transaction. Fails
  // with the store's error.
  absl::Status Reset();

 private:
  Store* const store_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_STORE_HEALTH_MODEL_STORE_H_
