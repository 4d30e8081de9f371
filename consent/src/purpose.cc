#include "cairn/consent/purpose.h"

namespace cairn::consent {

std::string_view PurposeName(Purpose purpose) {
  switch (purpose) {
    case Purpose::kUsageAnalytics:
      return "usage_analytics";
    case Purpose::kMilestones:
      return "milestones";
    case Purpose::kRenewalNotifications:
      return "renewal_notifications";
    case Purpose::kConsentRecord:
      return "consent_record";
    case Purpose::kFeedback:
      return "feedback";
  }
  return "unknown";
}

std::optional<Purpose> PurposeFromName(std::string_view name) {
  for (Purpose p : {Purpose::kUsageAnalytics, Purpose::kMilestones, Purpose::kRenewalNotifications,
                    Purpose::kConsentRecord, Purpose::kFeedback}) {
    if (PurposeName(p) == name) return p;
  }
  return std::nullopt;
}

cairn::v1::Purpose ToWire(Purpose purpose) {
  switch (purpose) {
    case Purpose::kUsageAnalytics:
      return cairn::v1::PURPOSE_USAGE_ANALYTICS;
    case Purpose::kMilestones:
      return cairn::v1::PURPOSE_MILESTONES;
    case Purpose::kRenewalNotifications:
      return cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS;
    case Purpose::kConsentRecord:
      return cairn::v1::PURPOSE_CONSENT_RECORD;
    case Purpose::kFeedback:
      return cairn::v1::PURPOSE_FEEDBACK;
  }
  return cairn::v1::PURPOSE_UNSPECIFIED;
}

std::optional<Purpose> FromWire(int wire_value) {
  switch (wire_value) {
    case cairn::v1::PURPOSE_USAGE_ANALYTICS:
      return Purpose::kUsageAnalytics;
    case cairn::v1::PURPOSE_MILESTONES:
      return Purpose::kMilestones;
    case cairn::v1::PURPOSE_RENEWAL_NOTIFICATIONS:
      return Purpose::kRenewalNotifications;
    case cairn::v1::PURPOSE_CONSENT_RECORD:
      return Purpose::kConsentRecord;
    case cairn::v1::PURPOSE_FEEDBACK:
      return Purpose::kFeedback;
    default:
      return std::nullopt;
  }
}

std::optional<Purpose> FromWire(cairn::v1::Purpose purpose) {
  return FromWire(static_cast<int>(purpose));
}

}  // namespace cairn::consent
