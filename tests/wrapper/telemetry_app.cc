// A tiny app on cairn.hpp, libcairn.so and the standard library alone: the
// program the symbol check inspects, the libc++ check builds with
// clang++ -stdlib=libc++ and the install check builds outside the tree.
//
// usage: cairn-wrapper-app COLLECTOR_URL WRITE_KEY STORAGE_DIR
// Grants consent for user "wrapper-user" of account "wrapper-account", logs
// in, records the milestone "wrapper_app" (value 2, attribute plan=pro),
// logs out and flushes. Prints the acknowledged count; exits 0 only if the
// collector acknowledged all of it.
#include <chrono>
#include <cstdio>

#include "cairn/cairn.hpp"

namespace {

int Fail(const char* what, const cairn::Error& error) {
  std::fprintf(stderr, "cairn-wrapper-app: %s: %s: %s\n", what,
               std::string(error.code_name()).c_str(), error.message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s COLLECTOR_URL WRITE_KEY STORAGE_DIR\n", argv[0]);
    return 2;
  }
  cairn::TelemetryOptions options;
  options.collector_url = argv[1];
  options.write_key = argv[2];
  options.storage_dir = argv[3];
  options.app_name = "cairn-wrapper-app";
  options.app_version = "1";
  options.attribute_allowlist = {"plan"};
  cairn::Result<cairn::Telemetry> created = cairn::Telemetry::Create(options);
  if (!created) return Fail("create", created.error());
  cairn::Telemetry telemetry = std::move(created).value();

  for (cairn::ConsentPurpose purpose :
       {cairn::ConsentPurpose::kUsageAnalytics, cairn::ConsentPurpose::kMilestones}) {
    cairn::TelemetryConsentRequest grant;
    grant.account_id = "wrapper-account";
    grant.user_id = "wrapper-user";
    grant.purpose = purpose;
    grant.decision = cairn::ConsentDecision::kGranted;
    grant.policy_version = "2026-11";
    if (auto r = telemetry.SetConsent(grant); !r) return Fail("consent", r.error());
  }
  if (auto r = telemetry.RecordLogin("wrapper-account", "wrapper-user", "sso"); !r) {
    return Fail("login", r.error());
  }
  if (auto r = telemetry.RecordMilestone("wrapper_app", 2.0, {{"plan", "pro"}}); !r) {
    return Fail("milestone", r.error());
  }
  if (auto r = telemetry.RecordLogout(); !r) return Fail("logout", r.error());
  if (auto r = telemetry.Flush(std::chrono::seconds(30)); !r) return Fail("flush", r.error());
  cairn::Result<cairn::TelemetryStats> stats = telemetry.GetStats();
  if (!stats) return Fail("stats", stats.error());
  std::printf("acknowledged=%llu\n", static_cast<unsigned long long>(stats->acknowledged));
  if (auto r = telemetry.Shutdown(std::chrono::seconds(10)); !r) {
    return Fail("shutdown", r.error());
  }
  // Two consent records, the login, the milestone, the logout.
  return stats->acknowledged == 5 ? 0 : 1;
}
