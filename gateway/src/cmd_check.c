/*
 * cmd_check.c - `gateway check`: the same validation as start-up, plus
 * files, certificates, plugins and plugin params, without fetching.
 */
#include "commands.h"
#include "config_check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char check_usage[] =
    "Usage: gateway [--config FILE] check\n"
    "\n"
    "Validates the configuration without fetching anything: unknown keys,\n"
    "wrong types, missing files or certificates, secrets written inline,\n"
    "the catalogue and the targets file, every plugin a source names, and\n"
    "each source's params\n"
    "against that plugin's declared keys. Every problem is printed as\n"
    "FILE:LINE: KEY: MESSAGE. Exit status 0 when valid, 2 otherwise.\n";

int cmd_check(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_check_summary summary;
  const char *path = cli->config_path;
  if (cli_wants_help(argc, argv)) {
    fputs(check_usage, stdout);
    return GW_EXIT_OK;
  }
  if (!path)
    path = getenv("GATEWAY_CONFIG");
  if (!path || !*path) {
    fprintf(stderr, "gateway: check needs a configuration file (--config "
                    "FILE or GATEWAY_CONFIG)\n");
    return GW_EXIT_USAGE;
  }
  if (config_check_file(path, stderr, &summary) != 0)
    return GW_EXIT_USAGE;
  printf("%s: OK (%zu source(s), %zu feed(s), %zu indicator(s) in the "
         "catalogue)\n",
         path, summary.sources, summary.feeds, summary.indicators);
  return GW_EXIT_OK;
}
