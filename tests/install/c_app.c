/* A tiny C app on the installed cairn.h and libcairn.so alone, built
 * outside the tree by check_c_api_install.sh.
 *
 * usage: cairn-c-app COLLECTOR_URL WRITE_KEY STORAGE_DIR
 * Grants usage analytics for user "c-user" of account "c-account", logs in
 * and out, flushes. Exits 0 only if the collector acknowledged all of it. */
#include <stdio.h>

#include "cairn/cairn.h"

static int check(const char* what, cairn_status_code code) {
  if (code == CAIRN_OK) return 0;
  fprintf(stderr, "cairn-c-app: %s: %s: %s\n", what, cairn_status_code_name(code),
          cairn_last_error_message());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s COLLECTOR_URL WRITE_KEY STORAGE_DIR\n", argv[0]);
    return 2;
  }
  cairn_options* options = cairn_options_new();
  if (options == NULL) return 1;
  int failed = check("url", cairn_options_set_collector_url(options, argv[1])) ||
               check("key", cairn_options_set_write_key(options, argv[2])) ||
               check("dir", cairn_options_set_storage_dir(options, argv[3])) ||
               check("app", cairn_options_set_app(options, "cairn-c-app", "1"));
  cairn_client* client = NULL;
  if (!failed) failed = check("create", cairn_client_create(options, &client));
  cairn_options_free(options);
  if (failed) return 1;

  cairn_consent_request grant;
  cairn_consent_request_init(&grant);
  grant.account_id = "c-account";
  grant.user_id = "c-user";
  grant.purpose = CAIRN_PURPOSE_USAGE_ANALYTICS;
  grant.decision = CAIRN_DECISION_GRANTED;
  grant.policy_version = "2026-11";
  failed = check("consent", cairn_set_consent(client, &grant)) ||
           check("login", cairn_record_login(client, "c-account", "c-user", NULL)) ||
           check("logout", cairn_record_logout(client)) ||
           check("flush", cairn_client_flush(client, 30000));
  cairn_stats stats;
  cairn_stats_init(&stats);
  if (!failed) failed = check("stats", cairn_get_stats(client, &stats));
  if (!failed) printf("acknowledged=%llu\n", (unsigned long long)stats.acknowledged);
  if (!failed) failed = check("shutdown", cairn_client_shutdown(client, 10000));
  cairn_client_destroy(client);
  /* The consent record, the login, the logout. */
  return failed || stats.acknowledged != 3;
}
