#include "engagement_seed.h"

#include <fstream>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cairn/common/strings.h"
#include "cairn/v1/batch.pb.h"
#include "json_fields.h"
#include "test_batches.h"

namespace cairn::testing {
namespace {

absl::Status PostBatch(const std::string& base_url, std::vector<cairn::v1::Event> events) {
  cairn::v1::Batch batch = MakeBatch(std::move(events));
  absl::StatusOr<HttpResult> result =
      HttpPost(base_url + "/v1/batch", batch.SerializeAsString(),
               {"Content-Type: application/x-protobuf",
                absl::StrCat("Authorization: Bearer ", kSeedWriteKey)});
  if (!result.ok()) return result.status();
  if (result->status != 200) {
    return absl::InternalError(absl::StrCat("batch answered ", result->status, ": ", result->body));
  }
  cairn::v1::BatchResponse response;
  if (!response.ParseFromString(result->body)) return absl::InternalError("bad BatchResponse");
  if (response.rejected_size() != 0) {
    return absl::InternalError(absl::StrCat("batch rejected ", response.rejected_size(),
                                            " events, first: ", response.rejected(0).detail()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PostEvents(const std::string& base_url, std::vector<cairn::v1::Event> events) {
  std::vector<cairn::v1::Event> all = WithGrants(std::move(events));
  for (size_t start = 0; start < all.size(); start += 1000) {
    std::vector<cairn::v1::Event> part(
        all.begin() + static_cast<std::ptrdiff_t>(start),
        all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), start + 1000)));
    if (absl::Status s = PostBatch(base_url, std::move(part)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

namespace {

absl::Status Expect2xx(const absl::StatusOr<HttpResult>& result, const std::string& what) {
  if (!result.ok()) return result.status();
  if (result->status < 200 || result->status > 299) {
    return absl::InternalError(
        absl::StrCat(what, " answered ", result->status, ": ", result->body));
  }
  return absl::OkStatus();
}

std::string DateIn(absl::Duration from_now) {
  return absl::FormatTime("%Y-%m-%d", absl::Now() + from_now, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<std::unique_ptr<CollectorProcess>> StartSeedCollector(const TempDir& dir) {
  std::string hash_key_file = dir.File("hash-key");
  std::ofstream(hash_key_file) << kSeedHashKey << "\n";
  CollectorProcessOptions options;
  options.db_path = dir.File("events.db");
  options.write_key = kSeedWriteKey;
  options.admin_token = kSeedAdminToken;
  options.extra_flags = {"--hash-key-file=" + hash_key_file};
  return CollectorProcess::Start(options);
}

absl::StatusOr<std::unique_ptr<CollectorProcess>> StartSeedCollectorWithRoles(const TempDir& dir) {
  std::string hash_key_file = dir.File("hash-key");
  std::ofstream(hash_key_file) << kSeedHashKey << "\n";
  std::string token_file = dir.File("admin-tokens");
  std::ofstream(token_file) << kSeedAdminToken << " " << kSeedAdminName << " admin\n"
                            << kSeedCsmToken << " " << kSeedCsmName << " csm\n"
                            << kSeedReadToken << " " << kSeedReadName << " read\n";
  CollectorProcessOptions options;
  options.db_path = dir.File("events.db");
  options.write_key = kSeedWriteKey;
  options.extra_flags = {"--hash-key-file=" + hash_key_file, "--admin-token-file=" + token_file};
  return CollectorProcess::Start(options);
}

absl::StatusOr<HttpResult> AdminCall(const std::string& base_url, const std::string& method,
                                     const std::string& path, const std::string& body) {
  std::vector<std::string> headers = {absl::StrCat("Authorization: Bearer ", kSeedAdminToken)};
  if (!body.empty()) headers.push_back("Content-Type: application/json");
  return HttpCall(method, base_url + path, body, headers);
}

namespace {

// AdminCall, and an error naming "METHOD path" unless it answered 2xx.
absl::Status AdminExpect2xx(const std::string& base_url, const std::string& method,
                            const std::string& path, const std::string& body) {
  return Expect2xx(AdminCall(base_url, method, path, body), absl::StrCat(method, " ", path));
}

}  // namespace

absl::Status SeedAccounts(const std::string& base_url) {
  // Anchored at noon UTC of today, not at now: `hour` then never carries an
  // event across midnight, so each lands on the same day before today
  // whatever time the test runs (the collector counts UTC days).
  const absl::Time noon =
      absl::FromCivil(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()), absl::UTCTimeZone()) +
      absl::Hours(12);
  auto days_ago = [&](int days, int hour) {
    return noon - absl::Hours(24 * days) - absl::Hours(hour);
  };
  std::vector<cairn::v1::Event> events;
  for (int u = 1; u <= 4; ++u) {
    std::string acme_user = absl::StrCat("acme-user-", u);
    std::string globex_user = absl::StrCat("globex-user-", u);
    for (int day = 56; day >= 1; --day) {
      events.push_back(MakeLogin(kThriving, acme_user, days_ago(day, u)));
      if (day >= 15) events.push_back(MakeLogin(kDropping, globex_user, days_ago(day, u)));
    }
  }
  events.push_back(MakeLogin(kDropping, "globex-user-1", days_ago(3, 2)));
  // initech: 3 of 6 seats log in on two days a week, steadily.
  for (int u = 1; u <= 3; ++u) {
    for (int day = 56; day >= 1; --day) {
      if (day % 7 == 1 || day % 7 == 4) {
        events.push_back(MakeLogin(kSteady, absl::StrCat("initech-user-", u), days_ago(day, u)));
      }
    }
  }
  events.push_back(
      MakeMilestone(kThriving, "acme-user-1", "first_invoice", std::nullopt, days_ago(50, 1)));
  events.push_back(
      MakeMilestone(kThriving, "acme-user-2", "first_report", std::nullopt, days_ago(40, 1)));
  events.push_back(
      MakeMilestone(kDropping, "globex-user-1", kDroppingMilestone, std::nullopt, days_ago(45, 1)));
  if (absl::Status s = PostEvents(base_url, std::move(events)); !s.ok()) return s;

  const std::pair<std::string, std::string> accounts[] = {
      {"acme", absl::StrCat(R"({"seats": 4, "renewal_date": ")", DateIn(absl::Hours(24 * 30)),
                            R"(", "key_milestones": ["first_invoice"]})")},
      {"globex",
       absl::StrCat(R"({"seats": 10, "renewal_date": ")", DateIn(absl::Hours(24 * 45)), R"("})")},
      {"initech",
       absl::StrCat(R"({"seats": 6, "renewal_date": ")", DateIn(absl::Hours(24 * 120)), R"("})")}};
  for (const auto& [account, body] : accounts) {
    if (absl::Status s = AdminExpect2xx(base_url, "PUT", "/v1/accounts/" + account, body);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = AdminExpect2xx(
          base_url, "POST", "/v1/accounts/acme/goals",
          absl::StrCat(R"({"name": "Send 10 invoices", "milestone_name": "invoice_sent", )",
                       R"("target_count": 10, "due": ")", DateIn(absl::Hours(24 * 60)), R"("})"));
      !s.ok()) {
    return s;
  }
  // After the goal (it counts from the day it was made): 4 invoices today.
  std::vector<cairn::v1::Event> invoices;
  for (int i = 0; i < 4; ++i) {
    invoices.push_back(MakeMilestone(kThriving, "acme-user-3", "invoice_sent", 1,
                                     absl::Now() - absl::Seconds(10 - i)));
  }
  if (absl::Status s = PostEvents(base_url, std::move(invoices)); !s.ok()) return s;
  // The usage-drop rule, now: globex's drop opens an alert.
  return AdminExpect2xx(base_url, "POST", "/v1/alerts/evaluate", "{}");
}

absl::StatusOr<std::string> CustomerLinkToken(const std::string& base_url,
                                              const std::string& account_id) {
  absl::StatusOr<HttpResult> result =
      AdminCall(base_url, "POST", "/v1/accounts/" + UrlEncode(account_id) + "/customer-link",
                R"({"ttl_hours": 1})");
  if (absl::Status s = Expect2xx(result, "POST customer-link"); !s.ok()) return s;
  std::vector<std::string> tokens = StringValues(result->body, "token");
  if (tokens.empty()) return absl::InternalError("no token in " + result->body);
  return tokens.front();
}

std::string Base64Url(std::string_view bytes) { return absl::WebSafeBase64Escape(ToAbsl(bytes)); }

std::string SwapTokenAccount(const std::string& token, const std::string& account_id) {
  size_t dot = token.find('.');
  if (dot == std::string::npos) return Base64Url(account_id);
  return Base64Url(account_id) + token.substr(dot);
}

}  // namespace cairn::testing
