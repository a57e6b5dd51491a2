/*
 * main.c - `gateway`: global options, then one command (DESIGN 12).
 */
#include "commands.h"
#include "diag.h"
#include "gw_alloc.h"
#include "transport.h"
#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "Usage: gateway [OPTIONS] COMMAND [ARGS...]\n"
    "\n"
    "The indicator gateway fetches indicator data from external sources\n"
    "over TLS, normalises it to one observation schema, keeps its revision\n"
    "history, publishes JSON/XML/CSV feeds, and records every exchange in a\n"
    "hash-chained exchange log.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE   configuration file (default: $GATEWAY_CONFIG, else\n"
    "                      built-in defaults with no sources)\n"
    "      --json          machine-readable output where a command prints\n"
    "  -v, --verbose       more diagnostics (repeat for debug)\n"
    "  -q, --quiet         only errors\n"
    "  -h, --help          this text; `gateway COMMAND --help` for a command\n"
    "  -V, --version       print the version\n"
    "\n"
    "Commands:\n"
    "  run [SOURCE...]     run all (or the named) sources once, then publish\n"
    "                      the configured feeds\n"
    "  check               validate the configuration, certificates, plugins,\n"
    "                      catalogue and targets without fetching anything\n"
    "  plugins             list plugins with version and ABI, and refusals\n"
    "  indicators          list the indicator catalogue\n"
    "  export              write observations as json, xml or csv\n"
    "  status              last run, failures and next run of every source\n"
    "  daemon              run sources on their schedules until stopped;\n"
    "                      SIGHUP reloads the config, SIGTERM stops\n"
    "  serve               the HTTPS API for consuming applications\n"
    "                      (docs/api.md); SIGTERM stops\n"
    "  audit verify        verify the exchange log's hash chain\n"
    "  replay RUN_ID       parse a past run's payloads again, offline, and\n"
    "                      show what would change (changes nothing)\n"
    "  monitor             the monitor report: werkelijk next to begroot per\n"
    "                      policy goal (text, json, csv or html)\n"
    "\n"
    "Exit status: 0 success; 1 the work failed (a source, a feed, a\n"
    "verification); 2 usage or configuration error.\n"
    "\n"
    "Environment: GATEWAY_CONFIG (config file), GW_FAIL_ALLOC_AT (testing:\n"
    "fail the Nth allocation), GW_ALLOC_STATS (testing: print the number of\n"
    "allocations at exit).\n";

struct command {
  const char *name;
  int (*fn)(const struct gw_cli *, int, char **);
};

static const struct command commands[] = {
    {"run", cmd_run},         {"check", cmd_check},
    {"plugins", cmd_plugins}, {"indicators", cmd_indicators},
    {"export", cmd_export},   {"status", cmd_status},
    {"audit", cmd_audit},     {"monitor", cmd_monitor},
    {"daemon", cmd_daemon},   {"replay", cmd_replay},
    {"serve", cmd_serve},     {NULL, NULL},
};

/* Named in DESIGN 12 but not in this version: say so plainly. */
static const char *const planned[] = {NULL};

int cli_wants_help(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
      return 1;
  }
  return 0;
}

static int parse_global(int argc, char **argv, struct gw_cli *cli, int *next) {
  int i;
  for (i = 1; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc)
      cli->config_path = argv[++i];
    else if (strncmp(a, "--config=", 9) == 0)
      cli->config_path = a + 9;
    else if (strcmp(a, "--json") == 0)
      cli->json = 1;
    else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
      cli->verbose++;
    else if (strcmp(a, "-vv") == 0)
      cli->verbose += 2;
    else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
      cli->quiet = 1;
    else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      return GW_EXIT_OK + 100;
    } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
      printf("gateway %s (plugin ABI %u)\n", GW_VERSION, GW_PLUGIN_ABI_VERSION);
      return GW_EXIT_OK + 100;
    } else {
      fprintf(stderr, "gateway: unknown option %s (see `gateway --help`)\n", a);
      return GW_EXIT_USAGE;
    }
  }
  *next = i;
  return -1;
}

/* libxml2 2.9 has only a process-wide entity loader: deny everything once,
 * before any parsing, so no XML input can make us read a file or URL. */
static xmlParserInputPtr deny_entity_loader(const char *url, const char *id,
                                            xmlParserCtxtPtr ctxt) {
  (void)id;
  (void)ctxt;
  diag(GW_LOG_WARN, "refused to load external XML resource %s",
       url ? url : "(null)");
  return NULL;
}

int main(int argc, char **argv) {
  struct gw_cli cli = {0};
  const struct command *c;
  int next = 0, rc, i;
  gw_alloc_init_from_env();
  rc = parse_global(argc, argv, &cli, &next);
  if (rc >= 0)
    return rc >= 100 ? rc - 100 : rc;
  if (next >= argc) {
    fputs(usage_text, stderr);
    return GW_EXIT_USAGE;
  }
  diag_set_level(cli.quiet          ? GW_LOG_ERROR
                 : cli.verbose >= 2 ? GW_LOG_DEBUG
                                    : GW_LOG_INFO);
  for (i = 0; planned[i]; i++) {
    if (strcmp(argv[next], planned[i]) == 0) {
      fprintf(stderr,
              "gateway: '%s' is not available in this version (%s); see "
              "`gateway --help`\n",
              argv[next], GW_VERSION);
      return GW_EXIT_USAGE;
    }
  }
  for (c = commands; c->name; c++) {
    if (strcmp(argv[next], c->name) == 0)
      break;
  }
  if (!c->name) {
    fprintf(stderr, "gateway: unknown command '%s' (see `gateway --help`)\n",
            argv[next]);
    return GW_EXIT_USAGE;
  }
  xmlInitParser();
  xmlSetExternalEntityLoader(deny_entity_loader);
  if (transport_global_init() != 0) {
    fprintf(stderr, "gateway: cannot initialise libcurl\n");
    return GW_EXIT_FAILED;
  }
  rc = c->fn(&cli, argc - next, argv + next);
  transport_global_cleanup();
  xmlCleanupParser();
  return rc;
}
