/*
 * cmd_audit_verify.c - `gateway audit verify`: check the exchange log.
 */
#include "app.h"
#include "audit_commands.h"
#include <stdio.h>
#include <string.h>

static const char verify_usage[] =
    "Usage: gateway [--config FILE] audit verify [--log FILE]\n"
    "\n"
    "Verifies the exchange log (audit.path in the config, or --log FILE):\n"
    "every line is a JSON record, sequence numbers have no gaps, and each\n"
    "record carries the SHA-256 of the previous line, so a changed byte, a\n"
    "removed or reordered record, or a torn last line is reported with the\n"
    "line number. Exit status 0 when intact, 1 otherwise.\n";

int audit_verify_main(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  const char *log = NULL;
  char err[1024];
  uint64_t records = 0;
  int rc;
  if (cli_wants_help(argc, argv)) {
    fputs(verify_usage, stdout);
    return GW_EXIT_OK;
  }
  if (argc == 3 && strcmp(argv[1], "--log") == 0) {
    log = argv[2];
  } else if (argc != 1) {
    fputs(verify_usage, stderr);
    return GW_EXIT_USAGE;
  }
  if (!log) {
    if (app_open(&app, cli->config_path, 0) != 0)
      return GW_EXIT_USAGE;
    log = app.cfg->audit_path;
  }
  rc = xlog_verify_file(log, &records, err, sizeof err);
  if (cli->json)
    printf("{\"log\": \"%s\", \"records\": %llu, \"intact\": %s}\n", log,
           (unsigned long long)records, rc == 0 ? "true" : "false");
  if (rc == 0 && !cli->json)
    printf("%s: intact, %llu records\n", log, (unsigned long long)records);
  if (rc != 0)
    fprintf(stderr, "gateway: audit verify: %s\n", err); /* err names log */
  app_close(&app);
  return rc == 0 ? GW_EXIT_OK : GW_EXIT_FAILED;
}
