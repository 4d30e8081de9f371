// GET /v1/accounts/{id}/users: who uses an account, from the per-user daily
// aggregates only (what consent allowed and erasure left), with its
// champion and whether it hangs on a single user.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cairn/admin/v1/accounts.pb.h"
#include "cairn/common/strings.h"
#include "cairn/engagement/day.h"
#include "cairn/engagement/dependence.h"
#include "http/proto_json.h"
#include "ops/json_text.h"
#include "store/account_users.h"
#include "store/engagement_store.h"
#include "success/engagement_api.h"
#include "success/engagement_views.h"
#include "success/health_snapshots.h"
#include "success/list_paging.h"

namespace cairn::collector {
namespace {

constexpr int64_t kDefaultUserDays = 90;
// The same reach back as the health history.
constexpr int64_t kMaxUserDays = kDefaultHealthHistoryDays;
// The champion and the dependence flag look at the same four weeks as the
// dependence health factor.
constexpr int64_t kRecentDays = engagement::kDependenceDays;

}  // namespace

HttpResponse EngagementApi::AccountUsersList(const std::string& account_id,
                                             const HttpRequest& request) {
  int64_t days = kDefaultUserDays;
  if (std::optional<std::string> text = request.QueryParam("days")) {
    if (!absl::SimpleAtoi(*text, &days) || days < 1 || days > kMaxUserDays) {
      return EngagementError(400, absl::StrCat("days must be 1-", kMaxUserDays));
    }
  }
  absl::StatusOr<Paging> paging = ParsePaging(request);
  if (!paging.ok()) return EngagementError(400, ToStd(paging.status().message()));
  // User ids stay in the API: no export of them.
  if (paging->csv) return EngagementError(400, "format must be json");
  const engagement::DayIndex today = engagement::DayOf(clock_->Now());
  AccountUsersQuery query;
  query.from = today - days + 1;
  query.to = today;
  query.recent_from = today - kRecentDays + 1;
  query.offset = paging->offset;
  query.limit = paging->limit;
  absl::StatusOr<AccountUsersPage> page = AccountUsers(store_).Read(account_id, query);
  if (!page.ok()) return EngagementStoreFailure(page.status());
  if (page->known_users == 0 && page->total_users == 0) {
    absl::StatusOr<std::vector<std::string>> ids = EngagementStore(store_).ListAccountIds();
    if (!ids.ok()) return EngagementStoreFailure(ids.status());
    if (!std::binary_search(ids->begin(), ids->end(), account_id)) {
      return EngagementError(404, "no such account");
    }
  }
  admin::v1::AccountUserList out;
  out.set_account_id(account_id);
  out.set_days(static_cast<uint32_t>(days));
  out.set_from_day(DateText(query.from));
  out.set_to_day(DateText(today));
  for (const AccountUserLogins& u : page->users) {
    admin::v1::AccountUser* user = out.add_users();
    user->set_user_id(u.user_id);
    user->set_active_days(static_cast<uint32_t>(u.active_days));
    user->set_logins(static_cast<uint32_t>(u.logins));
    user->set_last_seen(DateText(u.last_seen));
    user->set_login_share(page->total_logins > 0 ? static_cast<double>(u.logins) /
                                                       static_cast<double>(page->total_logins)
                                                 : 0.0);
    // Milestones come sorted by user id (byte order, as std::string sorts),
    // the page by logins: find each user's run.
    auto milestone = std::lower_bound(
        page->milestones.begin(), page->milestones.end(), u.user_id,
        [](const engagement::UserMilestone& m, const std::string& id) { return m.user_id < id; });
    for (; milestone != page->milestones.end() && milestone->user_id == u.user_id; ++milestone) {
      admin::v1::UserMilestone* m = user->add_milestones();
      m->set_name(milestone->name);
      m->set_first_reached(FormatRfc3339(milestone->first_reached));
    }
    user->set_milestones_reached(static_cast<uint32_t>(user->milestones_size()));
  }
  out.set_total(static_cast<uint32_t>(page->total_users));
  const size_t end = paging->offset + page->users.size();
  if (end < static_cast<size_t>(page->total_users)) out.set_next_page_token(absl::StrCat(end));
  out.set_logins(static_cast<uint32_t>(page->total_logins));
  out.set_known_users(static_cast<uint32_t>(page->known_users));
  if (page->champion) {
    admin::v1::AccountChampion* c = out.mutable_champion();
    c->set_user_id(page->champion->user_id);
    c->set_active_days_28(static_cast<uint32_t>(page->champion->active_days));
    c->set_logins_28(static_cast<uint32_t>(page->champion->logins));
  }
  out.set_single_user_dependence(engagement::IsSingleUserDependence(
      page->recent_top_user_logins, page->recent_logins, page->known_users));
  *out.mutable_top_user_share_28() =
      page->recent_logins > 0 ? NumberOrNull(static_cast<double>(page->recent_top_user_logins) /
                                             static_cast<double>(page->recent_logins))
                              : NumberOrNull(std::numeric_limits<double>::quiet_NaN());
  return AdminJsonResponse(out);
}

}  // namespace cairn::collector
