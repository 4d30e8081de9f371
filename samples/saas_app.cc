// A small command-line "SaaS app" embedding the Cairn SDK: it asks the user
// for consent first (the --consent_* flags stand for their answers in a
// consent dialog), then the user logs in, reaches a few milestones and logs
// out; the app flushes and reports what was delivered. Nothing is recorded,
// and no buffer or device id exists, for a purpose the user did not grant.
//
//   cairn-sample-app --collector=http://127.0.0.1:8080 --write_key=KEY
//                    --account=acme --user=alice --events=20
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/client.h"

ABSL_FLAG(std::string, collector, "http://127.0.0.1:8080", "collector base URL");
ABSL_FLAG(std::string, write_key, "", "the app's write key");
ABSL_FLAG(std::string, storage_dir, "./cairn-sample-data", "where the SDK keeps its buffer");
ABSL_FLAG(std::string, account, "acme", "customer account id");
ABSL_FLAG(std::string, user, "alice", "end-user id");
ABSL_FLAG(int, events, 10, "how many events to record (login, milestones, logout)");
ABSL_FLAG(bool, consent_milestones, true, "the user agrees to milestone tracking");
ABSL_FLAG(bool, consent_analytics, true, "the user agrees to usage analytics");
ABSL_FLAG(std::string, policy_version, "2026-11", "version of the privacy policy shown");
ABSL_FLAG(int, flush_seconds, 15, "how long to wait for delivery at the end");

namespace {

const char* const kMilestones[] = {"profile_completed", "first_quote_completed", "invoice_sent",
                                   "project_created", "teammate_invited"};

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "cairn-sample-app: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("A sample SaaS app that records telemetry with the Cairn SDK.");
  absl::ParseCommandLine(argc, argv);
  const int total = absl::GetFlag(FLAGS_events);
  if (total < 2) {
    std::fprintf(stderr, "--events must be at least 2 (a login and a logout)\n");
    return 2;
  }

  cairn::Options options;
  options.collector_url = absl::GetFlag(FLAGS_collector);
  options.write_key = absl::GetFlag(FLAGS_write_key);
  options.storage_dir = absl::GetFlag(FLAGS_storage_dir);
  options.app = {"cairn-sample-app", "1.0.0"};
  options.attribute_allowlist = {"plan"};  // the only context this app sends
  absl::StatusOr<std::unique_ptr<cairn::Client>> client = cairn::Client::Create(options);
  if (!client.ok()) return Fail(client.status());

  // Ask first: nothing is recorded for a purpose the user has not granted.
  // Each answer, yes or no, is kept on the device and sent as proof.
  const std::string user = absl::GetFlag(FLAGS_user);
  using cairn::consent::Decision;
  using cairn::consent::Purpose;
  for (auto [purpose, yes] :
       {std::pair{Purpose::kUsageAnalytics, absl::GetFlag(FLAGS_consent_analytics)},
        std::pair{Purpose::kMilestones, absl::GetFlag(FLAGS_consent_milestones)}}) {
    cairn::ConsentRequest answer;
    answer.account_id = absl::GetFlag(FLAGS_account);
    answer.user_id = user;
    answer.purpose = purpose;
    answer.decision = yes ? Decision::kGranted : Decision::kDenied;
    answer.policy_id = "privacy-policy";
    answer.policy_version = absl::GetFlag(FLAGS_policy_version);
    answer.source_surface = "onboarding_dialog";
    if (absl::Status s = (*client)->SetConsent(answer); !s.ok()) return Fail(s);
  }

  int recorded = 0, refused = 0;
  auto count = [&](const absl::Status& s) {
    if (s.ok()) {
      ++recorded;
    } else if (absl::IsPermissionDenied(s)) {
      ++refused;
    } else {
      std::fprintf(stderr, "record: %s\n", s.ToString().c_str());
    }
  };
  count((*client)->RecordLogin(absl::GetFlag(FLAGS_account), user, "password"));
  for (int i = 0; i < total - 2; ++i) {
    const char* name = kMilestones[i % std::size(kMilestones)];
    count((*client)->RecordMilestone(name, i + 1, {{"plan", "pro"}}));
  }
  count((*client)->RecordLogout());

  absl::Status flushed =
      (*client)->Flush(absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_flush_seconds)));
  cairn::Stats stats = (*client)->GetStats();
  absl::Status shut = (*client)->Shutdown(absl::Now() + absl::Seconds(5));
  std::printf(
      "recorded %d events (%d refused without consent); delivered %llu, "
      "duplicates %llu, still buffered %llu\n",
      recorded, refused, static_cast<unsigned long long>(stats.acknowledged),
      static_cast<unsigned long long>(stats.duplicates),
      static_cast<unsigned long long>(stats.buffered_rows));
  if (!flushed.ok()) return Fail(flushed);
  return 0;
}
