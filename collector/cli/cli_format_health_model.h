#ifndef CAIRN_COLLECTOR_CLI_CLI_FORMAT_HEALTH_MODEL_H_
#define CAIRN_COLLECTOR_CLI_CLI_FORMAT_HEALTH_MODEL_H_

#include <string>

#include "cairn/admin/v1/health_model.pb.h"

namespace cairn::cli {

// GET/PUT/DELETE /v1/health-model answer: the weights of both profiles as a
// table, then the onboarding age, band thresholds, cap and NPS minimum, who
// set it, and how many accounts were rescored. Pure like cli_format.h.
std::string FormatHealthModel(const admin::v1::HealthModel& model);

}  // namespace cairn::cli

#endif  // CAIRN_COLLECTOR_CLI_CLI_FORMAT_HEALTH_MODEL_H_
