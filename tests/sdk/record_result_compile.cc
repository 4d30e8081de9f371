// Compile test: an app that ignores every record call's result builds with
// -Wall -Wextra -Werror -Wunused-result. Built, never run.
#include "cairn/client.h"

namespace cairn {

void IgnoreEveryRecordResult(Client& client) {
  client.RecordLogin("account", "user");
  client.RecordLogin("account", "user", "password");
  client.RecordMilestone("invoice_sent");
  client.RecordMilestone("invoice_sent", 3.0);
  client.RecordMilestone("invoice_sent", 3.0, {{"plan", "pro"}});
  client.RecordSessionEnd();
  client.RecordLogout();
}

}  // namespace cairn
