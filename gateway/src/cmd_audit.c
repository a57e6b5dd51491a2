/*
 * cmd_audit.c - `gateway audit SUBCOMMAND`: dispatch to the auditor's
 * tools (audit_commands.h), one file each.
 */
#include "audit_commands.h"
#include <stdio.h>
#include <string.h>

static const char audit_usage[] =
    "Usage: gateway [--config FILE] [--json] audit SUBCOMMAND [ARGS...]\n"
    "\n"
    "The auditor's tools for the exchange log (docs/audit.md):\n"
    "  verify   check every hash, sequence number and signed checkpoint\n"
    "  show     list records filtered by time, source, event, outcome, trace\n"
    "  trace    the chain from fetch to feed behind one published figure\n"
    "  key      the public verifier key of the checkpoint signing key\n"
    "\n"
    "`gateway audit SUBCOMMAND --help` describes each.\n";

struct audit_subcommand {
  const char *name;
  int (*fn)(const struct gw_cli *, int, char **);
};

static const struct audit_subcommand subcommands[] = {
    {"verify", audit_verify_main},
    {"show", audit_show_main},
    {"trace", audit_trace_main},
    {"key", audit_key_main},
    {NULL, NULL}};

int cmd_audit(const struct gw_cli *cli, int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "--help") == 0) {
    fputs(audit_usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? GW_EXIT_USAGE : GW_EXIT_OK;
  }
  for (const struct audit_subcommand *c = subcommands; c->name; c++)
    if (strcmp(argv[1], c->name) == 0)
      return c->fn(cli, argc - 1, argv + 1);
  fprintf(stderr,
          "gateway: audit: unknown subcommand '%s' (verify, show, trace, "
          "key; see `gateway audit --help`)\n",
          argv[1]);
  return GW_EXIT_USAGE;
}
