/*
 * cmd_audit_show.c - `gateway audit show` (being written; see issue 5).
 */
#include "audit_commands.h"
#include <stdio.h>

int audit_show_main(const struct gw_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  fprintf(stderr, "gateway: audit show: not available in this version\n");
  return GW_EXIT_USAGE;
}
