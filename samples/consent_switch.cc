// cairn-consent: the consent switch an end user sees in the vendor's app,
// as a command line over the SDK's storage directory. It shows the user's
// choices with the policy version they were made under, grants or withdraws
// each purpose, turns renewal notifications on or off, and exports or
// erases what the device holds about the user. Every change is kept on the
// device and sent to the collector as proof; if the collector cannot be
// reached now, it is sent on a later start.
//
//   cairn-consent --storage_dir=DIR --collector=URL --write_key=KEY
//                 --account=acme --user=alice COMMAND
//   COMMAND: show | grant PURPOSE | withdraw PURPOSE | renewals on|off
//            | export | erase
//   PURPOSE: usage_analytics | milestones | renewal_notifications | feedback
//
// Run it while the app is closed: a client holds its storage directory
// exclusively, so while the app runs this exits with status 3 and changes
// nothing (in a real app the switch is a screen of the app itself, using
// the app's own client).
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cairn/client.h"

ABSL_FLAG(std::string, collector, "http://127.0.0.1:8080", "collector base URL");
ABSL_FLAG(std::string, write_key, "", "the app's write key");
ABSL_FLAG(std::string, storage_dir, "./cairn-sample-data", "the SDK's storage directory");
ABSL_FLAG(std::string, account, "acme", "the user's customer account id");
ABSL_FLAG(std::string, user, "alice", "the end user whose choices these are");
ABSL_FLAG(std::string, policy_version, "2026-11", "version of the policy the user sees now");
ABSL_FLAG(std::string, user_id_hmac_key, "", "the app's pseudonymisation key, if it uses one");
ABSL_FLAG(int, flush_seconds, 5, "how long to try sending a change now");

namespace {

using cairn::consent::Decision;
using cairn::consent::Purpose;

constexpr char kUsage[] =
    "usage: cairn-consent [flags] show | grant PURPOSE | withdraw PURPOSE | renewals on|off | "
    "export | erase\n  PURPOSE: usage_analytics | milestones | renewal_notifications | feedback\n";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "cairn-consent: %s\n", status.ToString().c_str());
  return 1;
}

void Show(cairn::Client& client, const std::string& user) {
  std::printf("%-24s %-9s %-16s %s\n", "purpose", "decision", "policy version", "decided at");
  for (const cairn::ConsentChoice& choice : client.GetConsentChoices(user)) {
    const cairn::consent::PurposeState& s = choice.state;
    std::string when =
        s.decision == Decision::kUnknown
            ? "-"
            : absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", s.decided_at, absl::UTCTimeZone());
    std::printf("%-24.*s %-9.*s %-16s %s\n",
                static_cast<int>(cairn::consent::PurposeName(choice.purpose).size()),
                cairn::consent::PurposeName(choice.purpose).data(),
                static_cast<int>(cairn::consent::DecisionName(s.decision).size()),
                cairn::consent::DecisionName(s.decision).data(),
                s.policy_version.empty() ? "-" : s.policy_version.c_str(), when.c_str());
  }
}

// Sends what was just decided; a change that cannot be sent now is kept.
void Deliver(cairn::Client& client) {
  absl::Status s = client.Flush(absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_flush_seconds)));
  if (s.ok()) {
    std::printf("saved and sent to the collector\n");
  } else {
    std::printf("saved on this device; it will be sent when the collector is reachable\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = args[1];
  const std::string argument = args.size() > 2 ? args[2] : "";

  cairn::Options options;
  options.collector_url = absl::GetFlag(FLAGS_collector);
  options.write_key = absl::GetFlag(FLAGS_write_key);
  options.storage_dir = absl::GetFlag(FLAGS_storage_dir);
  options.user_id_hmac_key = absl::GetFlag(FLAGS_user_id_hmac_key);
  options.app = {"cairn-consent", "1.0.0"};
  absl::StatusOr<std::unique_ptr<cairn::Client>> client = cairn::Client::Create(options);
  if (absl::IsFailedPrecondition(client.status())) {
    // The app (or another switch) holds the directory: nothing was read or
    // changed, and waiting here could block the user indefinitely.
    std::fprintf(stderr, "cairn-consent: %s\ncairn-consent: close the app first, then try again\n",
                 std::string(client.status().message()).c_str());
    return 3;
  }
  if (!client.ok()) return Fail(client.status());
  cairn::Client& c = **client;
  const std::string account = absl::GetFlag(FLAGS_account);
  const std::string user = absl::GetFlag(FLAGS_user);

  int rc = 0;
  if (command == "show") {
    Show(c, user);
  } else if (command == "grant" || command == "withdraw") {
    std::optional<Purpose> purpose = cairn::consent::PurposeFromName(argument);
    if (!purpose) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    cairn::ConsentRequest request;
    request.account_id = account;
    request.user_id = user;
    request.purpose = *purpose;
    request.decision = command == "grant" ? Decision::kGranted : Decision::kDenied;
    request.policy_id = "privacy-policy";
    request.policy_version = absl::GetFlag(FLAGS_policy_version);
    request.source_surface = "consent_switch";
    if (absl::Status s = c.SetConsent(request); !s.ok()) return Fail(s);
    Deliver(c);
    Show(c, user);
  } else if (command == "renewals" && (argument == "on" || argument == "off")) {
    if (absl::Status s = c.SetRenewalNotifications(
            account, user, argument == "on", absl::GetFlag(FLAGS_policy_version), "consent_switch");
        !s.ok()) {
      return Fail(s);
    }
    Deliver(c);
    Show(c, user);
  } else if (command == "export") {
    absl::StatusOr<std::string> json = c.ExportLocalData(user);
    if (!json.ok()) return Fail(json.status());
    std::printf("%s\n", json->c_str());
  } else if (command == "erase") {
    if (absl::Status s = c.EraseLocalData(user); !s.ok()) return Fail(s);
    std::printf(
        "erased %llu events held on this device; your consent choices are kept "
        "as the record of what you decided\n",
        static_cast<unsigned long long>(c.GetStats().erased));
  } else {
    std::fputs(kUsage, stderr);
    rc = 2;
  }
  c.Shutdown(absl::Now() + absl::Seconds(2)).IgnoreError();
  return rc;
}
