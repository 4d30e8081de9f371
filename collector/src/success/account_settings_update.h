#ifndef CAIRN_COLLECTOR_SUCCESS_ACCOUNT_SETTINGS_UPDATE_H_
#define CAIRN_COLLECTOR_SUCCESS_ACCOUNT_SETTINGS_UPDATE_H_

#include "absl/status/status.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "store/engagement_store.h"

namespace cairn::collector {

// Applies the body of PUT /v1/accounts/{id} to `settings`: each field left
// out keeps its value, null clears it. Validates every field first and
// changes nothing on failure: InvalidArgument naming the field (seats an
// integer >= 0; renewal_date a real "YYYY-MM-DD"; at most kMaxKeyMilestones
// valid milestone names; owner 1-128 and plan 1-64 bytes of UTF-8 without
// control characters; arr or mrr (not both) a number 0-10^13 in currency
// units, kept to the cent; at most kMaxSegments tags of 1-64 bytes of
// [A-Za-z0-9_.:-], kept sorted and distinct). Free.
absl::Status ApplyAccountUpdate(const admin::v1::UpdateAccountRequest& update,
                                AccountSettings* settings);

// The settings as PUT /v1/accounts/{id} answers them. Free.
admin::v1::AccountSettings AccountSettingsMessage(const AccountSettings& settings);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_ACCOUNT_SETTINGS_UPDATE_H_
