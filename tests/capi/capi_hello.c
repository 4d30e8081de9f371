/* The C API from C: the proof that cairn/cairn.h is a C header (this file is
 * compiled as C11 with -Wall -Wextra -Werror -pedantic) and that an app in C
 * can record through libcairn.so. Usage: capi_hello URL WRITE_KEY DIR.
 * Consents, signs in, records a milestone, flushes and shuts down; exits 0
 * when all of that succeeded, else 1 with the failing step on stderr. The
 * installed-library test (tests/install) builds this same file outside the
 * tree against the installed cairn.h and libcairn.so. */
#include <stdio.h>

#include "cairn/cairn.h"

static int Check(cairn_status_code code, const char* step) {
  if (code == CAIRN_OK) return 1;
  fprintf(stderr, "capi_hello: %s: %s: %s\n", step, cairn_status_code_name(code),
          cairn_last_error_message());
  return 0;
}

int main(int argc, char** argv) {
  cairn_options* options;
  cairn_client* client = NULL;
  cairn_consent_request request;
  cairn_attribute plan = {"plan", "pro"};
  int ok;
  if (argc != 4) {
    fprintf(stderr, "usage: capi_hello URL WRITE_KEY DIR\n");
    return 2;
  }
  options = cairn_options_new();
  if (options == NULL) return 1;
  ok = Check(cairn_options_set_collector_url(options, argv[1]), "url") &&
       Check(cairn_options_set_write_key(options, argv[2]), "write key") &&
       Check(cairn_options_set_storage_dir(options, argv[3]), "storage dir") &&
       Check(cairn_options_set_app(options, "capi-hello", "1.0"), "app") &&
       Check(cairn_options_add_allowed_attribute(options, "plan"), "allowlist") &&
       Check(cairn_client_create(options, &client), "create");
  cairn_options_free(options);
  if (!ok) return 1;

  cairn_consent_request_init(&request);
  request.account_id = "acme";
  request.user_id = "c-user";
  request.purpose = CAIRN_PURPOSE_MILESTONES;
  request.decision = CAIRN_DECISION_GRANTED;
  request.policy_version = "2026-11";
  ok = Check(cairn_set_consent(client, &request), "consent") &&
       Check(cairn_record_login(client, "acme", "c-user", NULL) == CAIRN_PERMISSION_DENIED
                 ? CAIRN_OK
                 : CAIRN_UNKNOWN,
             "login without usage analytics") &&
       Check(cairn_record_milestone(client, "hello_from_c", 1, 42.0, &plan, 1), "milestone") &&
       Check(cairn_client_flush(client, 20000), "flush") &&
       Check(cairn_client_shutdown(client, 5000), "shutdown");
  cairn_client_destroy(client);
  return ok ? 0 : 1;
}
