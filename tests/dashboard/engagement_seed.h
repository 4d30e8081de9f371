#ifndef CAIRN_TESTS_DASHBOARD_ENGAGEMENT_SEED_H_
#define CAIRN_TESTS_DASHBOARD_ENGAGEMENT_SEED_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cairn/v1/event.pb.h"
#include "collector_process.h"
#include "http_client.h"
#include "temp_dir.h"

namespace cairn::testing {

// Three accounts seeded through the real HTTP API of a running collector, for
// the dashboard and cairnctl tests:
//   acme   - thriving: 4 users log in every day for 8 weeks; milestones
//            first_invoice, first_report, invoice_sent; seats 4, renews in
//            30 days, a goal "Send 10 invoices" (4 sent since).
//   globex - dropping: 4 users log in daily until 15 days ago, then one
//            login 3 days ago; milestone globex_pipeline_built; seats 10,
//            renews in 45 days. Riskier than acme in every factor; the
//            usage-drop rule (evaluated at the end) opens an alert for it.
//   initech - steady but light: 3 of 6 seats log in two days a week;
//            renews in 120 days (outside the dashboard's 90-day window).
// The collector's --hash-key-file content, which also signs customer links.
inline constexpr char kSeedHashKey[] = "dashboard-test-hash-key-0123456789";
inline constexpr char kSeedWriteKey[] = "dashboard-write-key";
inline constexpr char kSeedAdminToken[] = "dashboard-admin-token";
inline constexpr char kThriving[] = "acme";
inline constexpr char kDropping[] = "globex";
inline constexpr char kSteady[] = "initech";
inline const std::vector<std::string> kThrivingMilestones = {"first_invoice", "first_report",
                                                             "invoice_sent"};
inline constexpr char kDroppingMilestone[] = "globex_pipeline_built";

// A collector with kSeedWriteKey, kSeedAdminToken and a hash key file in
// `dir` (its SQLite file there too).
absl::StatusOr<std::unique_ptr<CollectorProcess>> StartSeedCollector(const TempDir& dir);

// Tokens of the people StartSeedCollectorWithRoles knows, by role.
inline constexpr char kSeedAdminName[] = "dash-admin";
inline constexpr char kSeedCsmToken[] = "dashboard-csm-token-0001";
inline constexpr char kSeedCsmName[] = "maria";
inline constexpr char kSeedReadToken[] = "dashboard-read-token-001";
inline constexpr char kSeedReadName[] = "finance";

// StartSeedCollector, but its admin tokens come from an --admin-token-file
// in `dir`: kSeedAdminToken (kSeedAdminName, role admin), kSeedCsmToken
// (kSeedCsmName, csm) and kSeedReadToken (kSeedReadName, read).
absl::StatusOr<std::unique_ptr<CollectorProcess>> StartSeedCollectorWithRoles(const TempDir& dir);

// Sends the batches (consent grants first), the account settings and goal
// above, then evaluates the alert rule. Event times are in the past: occurred_at earlier than
// sent_at.
absl::Status SeedAccounts(const std::string& base_url);

// Sends `events` preceded by their consent grants, in batches of at most
// 1000; an error if any event is rejected.
absl::Status PostEvents(const std::string& base_url, std::vector<cairn::v1::Event> events);

// An admin API call with kSeedAdminToken: `method` GET/POST/PUT/DELETE, JSON
// `body` (sent unless empty, with Content-Type application/json).
absl::StatusOr<HttpResult> AdminCall(const std::string& base_url, const std::string& method,
                                     const std::string& path, const std::string& body = "");

// A fresh customer link token for `account_id` (POST .../customer-link).
absl::StatusOr<std::string> CustomerLinkToken(const std::string& base_url,
                                              const std::string& account_id);

// base64url without padding, as customer link tokens encode the account.
std::string Base64Url(std::string_view bytes);

// `token` with its account part (before the first '.') replaced by
// `account_id`: the signature no longer matches.
std::string SwapTokenAccount(const std::string& token, const std::string& account_id);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_DASHBOARD_ENGAGEMENT_SEED_H_
