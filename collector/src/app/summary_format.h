#ifndef CAIRN_COLLECTOR_APP_SUMMARY_FORMAT_H_
#define CAIRN_COLLECTOR_APP_SUMMARY_FORMAT_H_

#include <string>

#include "store/store.h"

namespace cairn::collector {

// Renders a StoreSummary as a short plain-text report for people: totals,
// events by kind, one table row per account (users, logins, milestones, last
// activity in UTC), batches, device-reported drops, collector rejections by
// reason, and counts of consent records, erased users and renewal opt-outs.
// Pure; never fails.
std::string FormatSummary(const StoreSummary& summary);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_APP_SUMMARY_FORMAT_H_
