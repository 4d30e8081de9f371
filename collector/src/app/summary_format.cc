#include "app/summary_format.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cairn/common/strings.h"

namespace cairn::collector {
namespace {

std::string FormatActivityTime(absl::Time t) {
  if (t == absl::InfinitePast()) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

// "DROP_REASON_QUEUE_FULL" -> "queue_full".
std::string DropReasonLabel(cairn::v1::DropReason reason) {
  const std::string& name = cairn::v1::DropReason_Name(reason);
  if (name.empty()) return absl::StrCat("reason_", static_cast<int>(reason));
  std::string label(absl::StripPrefix(name, "DROP_REASON_"));
  std::transform(label.begin(), label.end(), label.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return label;
}

// "REJECT_REASON_NO_CONSENT" -> "no_consent".
std::string RejectReasonLabel(cairn::v1::RejectReason reason) {
  const std::string& name = cairn::v1::RejectReason_Name(reason);
  if (name.empty()) return absl::StrCat("reason_", static_cast<int>(reason));
  std::string label(absl::StripPrefix(name, "REJECT_REASON_"));
  std::transform(label.begin(), label.end(), label.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return label;
}

int64_t SaturatingSum(int64_t a, int64_t b) {
  return b > std::numeric_limits<int64_t>::max() - a ? std::numeric_limits<int64_t>::max() : a + b;
}

}  // namespace

std::string FormatSummary(const StoreSummary& summary) {
  std::string out;
  absl::StrAppendFormat(&out, "Cairn collector summary\n");
  absl::StrAppendFormat(&out, "  events:   %d", summary.total_events);
  if (!summary.events_by_kind.empty()) {
    std::string kinds;
    for (const auto& [kind, count] : summary.events_by_kind) {
      absl::StrAppend(&kinds, kinds.empty() ? "" : ", ", kind, " ", count);
    }
    absl::StrAppendFormat(&out, " (%s)", kinds);
  }
  absl::StrAppendFormat(&out, "\n  accounts: %d\n  users:    %d\n  batches:  %d\n",
                        summary.accounts, summary.users, summary.batches);

  if (!summary.top_accounts.empty()) {
    size_t width = std::string_view("account").size();
    for (const AccountSummary& account : summary.top_accounts) {
      width = std::max(width, account.account_id.size());
    }
    width = std::min<size_t>(width, 40);
    absl::StrAppendFormat(&out, "\n  %-*s  %6s  %6s  %10s  %s\n", width, "account", "users",
                          "logins", "milestones", "last activity");
    for (const AccountSummary& account : summary.top_accounts) {
      absl::StrAppendFormat(&out, "  %-*s  %6d  %6d  %10d  %s\n", width, account.account_id,
                            account.users, account.logins, account.milestones_reached,
                            FormatActivityTime(account.last_activity));
    }
    if (summary.accounts > static_cast<int64_t>(summary.top_accounts.size())) {
      absl::StrAppendFormat(&out, "  (%d most recently active of %d accounts shown)\n",
                            summary.top_accounts.size(), summary.accounts);
    }
  }

  int64_t total_drops = 0;
  for (const auto& [reason, count] : summary.client_drops) {
    total_drops = SaturatingSum(total_drops, count);
  }
  absl::StrAppendFormat(&out, "\n  events dropped on devices: %d\n", total_drops);
  for (const auto& [reason, count] : summary.client_drops) {
    absl::StrAppendFormat(&out, "    %-20s %d\n", DropReasonLabel(reason), count);
  }

  int64_t total_rejected = 0;
  for (const auto& [reason, count] : summary.rejections) {
    total_rejected = SaturatingSum(total_rejected, count);
  }
  absl::StrAppendFormat(&out, "\n  events rejected by the collector: %d\n", total_rejected);
  for (const auto& [reason, count] : summary.rejections) {
    absl::StrAppendFormat(&out, "    %-20s %d\n", RejectReasonLabel(reason), count);
  }
  absl::StrAppendFormat(&out,
                        "\n  consent records:  %d\n  erased users:     %d\n"
                        "  renewal opt-outs: %d\n",
                        summary.consent_records, summary.erased_users, summary.suppressed_users);
  return out;
}

}  // namespace cairn::collector
