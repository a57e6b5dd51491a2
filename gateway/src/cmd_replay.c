/*
 * cmd_replay.c - `gateway replay RUN_ID [--json] [--show N]`: the command
 * line of replay.h - options, and the report as text or JSON.
 */
#include "app.h"
#include "commands.h"
#include "replay.h"
#include "replay_plan.h"
#include "text.h"
#include <stdio.h>
#include <string.h>

static const char replay_usage[] =
    "Usage: gateway [--config FILE] [--json] replay RUN_ID [--json] "
    "[--show N]\n"
    "\n"
    "Parses the payloads a past run fetched once more - from the spool,\n"
    "without any network access - with the source's plugin and\n"
    "configuration as they are now, and shows what that would change in\n"
    "the store: figures that would be inserted or revised (old -> new),\n"
    "unchanged, and stored figures the replay does not produce. Nothing is\n"
    "changed: not the store, not the feeds, not the spool. The replay is\n"
    "recorded in the exchange log (event \"replay\").\n"
    "\n"
    "RUN_ID is the run's trace id: run_id in `gateway --json status` and\n"
    "`gateway --json run`, trace_id in the exchange log.\n"
    "\n"
    "  --json     the report as one JSON object\n"
    "  --show N   list at most N changes (default 20, at most 1000; 0: only\n"
    "             the counts)\n"
    "\n"
    "A replay fails when the run is not in the exchange log, its source is\n"
    "no longer configured or uses another plugin, a payload is no longer in\n"
    "the spool (see spool.retention_days) or does not match its SHA-256,\n"
    "or the plugin asks for a URL the run did not fetch.\n"
    "\n"
    "Exit status: 0 the replay ran (whether or not anything would change);\n"
    "1 it failed; 2 usage or configuration error.\n";

struct replay_options {
  const char *run_id;
  int json;
  size_t show;
};

static int parse_options(int argc, char **argv, struct replay_options *o) {
  int64_t n;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *value = NULL;
    if (strcmp(a, "--json") == 0) {
      o->json = 1;
      continue;
    }
    if (strcmp(a, "--show") == 0 && i + 1 < argc)
      value = argv[++i];
    else if (strncmp(a, "--show=", 7) == 0)
      value = a + 7;
    else if (a[0] != '-' && !o->run_id) {
      o->run_id = a;
      continue;
    }
    if (!value) {
      fprintf(stderr,
              "gateway: replay: unexpected argument %s (see `gateway replay "
              "--help`)\n",
              a);
      return GW_EXIT_USAGE;
    }
    if (text_parse_int64(value, &n) != 0 || n < 0 || n > GW_REPLAY_SHOW_MAX) {
      fprintf(stderr,
              "gateway: replay: --show expects a number from 0 to %d, got "
              "'%s'\n",
              GW_REPLAY_SHOW_MAX, value);
      return GW_EXIT_USAGE;
    }
    o->show = (size_t)n;
  }
  if (!o->run_id) {
    fprintf(stderr, "gateway: replay: which run? (see `gateway replay "
                    "--help`)\n");
    return GW_EXIT_USAGE;
  }
  if (!replay_is_trace_id(o->run_id)) {
    fprintf(stderr,
            "gateway: replay: '%s' is not a run id: expected 32 hex digits "
            "(run_id in `gateway --json status`)\n",
            o->run_id);
    return GW_EXIT_USAGE;
  }
  return GW_EXIT_OK;
}

/* ---- text ------------------------------------------------------------------
 */

static const char *str(const json_t *obj, const char *key) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s ? s : "-";
}

static long long num(const json_t *obj, const char *key) {
  return (long long)json_integer_value(json_object_get(obj, key));
}

static void print_number(const json_t *v) {
  if (json_is_number(v))
    printf("%.15g", json_number_value(v));
  else
    printf("(none)");
}

/* "410 final" or "410 [395, 425] final" */
static void print_figure(const json_t *f) {
  print_number(json_object_get(f, "value"));
  if (json_is_number(json_object_get(f, "ci_low"))) {
    printf(" [");
    print_number(json_object_get(f, "ci_low"));
    printf(", ");
    print_number(json_object_get(f, "ci_high"));
    printf("]");
  }
  printf(" %s", str(f, "status"));
}

static void print_change(const json_t *c) {
  const json_t *before = json_object_get(c, "before");
  const char *breakdown = str(c, "breakdown");
  printf("  %-7s %s %s %s", str(c, "change"), str(c, "indicator"),
         str(c, "area"), str(c, "period"));
  if (strcmp(breakdown, "{}") != 0)
    printf(" %s", breakdown);
  printf(": ");
  if (json_is_object(before)) {
    print_figure(before);
    printf(" (revision %lld) -> ", num(before, "revision"));
  } else {
    printf("(not stored) -> ");
  }
  print_figure(json_object_get(c, "after"));
  printf("\n");
}

static void print_header(const json_t *r) {
  const json_t *orig = json_object_get(r, "original");
  printf("Replay of run %s\n", str(r, "run_id"));
  if (!json_is_object(orig))
    return; /* the run was not found: the error says it all */
  printf("  source    %s, plugin %s\n", str(r, "source"), str(r, "plugin"));
  printf("  original  started %s, %lld request(s), store %s (%lld new, %lld "
         "revised)\n",
         str(orig, "started_at"), num(orig, "requests"), str(orig, "store"),
         num(orig, "inserted"), num(orig, "revised"));
  if (json_is_true(json_object_get(r, "plugin_changed")))
    printf("  plugin    CHANGED since the run: SHA-256 %s then, %s now\n",
           str(r, "plugin_sha256_recorded"), str(r, "plugin_sha256_installed"));
  else if (json_is_string(json_object_get(r, "plugin_sha256_installed")))
    printf("  plugin    SHA-256 %s%s\n", str(r, "plugin_sha256_installed"),
           json_is_string(json_object_get(r, "plugin_sha256_recorded"))
               ? " (the binary that ran)"
               : " (no plugin_load record to compare with)");
}

static void print_text(const json_t *r) {
  const json_t *changes = json_object_get(r, "changes");
  long long would = num(r, "would_insert") + num(r, "would_revise");
  size_t i;
  print_header(r);
  if (strcmp(str(r, "outcome"), "ok") != 0) {
    printf("  outcome   failed (the reason is on stderr)\n");
    return;
  }
  printf("  payloads  %lld from the spool (%lld of them 304 answers in the "
         "run), %lld bytes, every SHA-256 checked; nothing fetched\n",
         num(r, "payloads"), num(r, "not_modified"), num(r, "bytes"));
  printf("  rows      %lld emitted, %lld unmapped, %lld rejected, %lld "
         "suppressed\n",
         num(r, "emitted"), num(r, "unmapped"), num(r, "rejected"),
         num(r, "suppressed"));
  printf("  store     would insert %lld, would revise %lld, unchanged %lld; "
         "%lld stored figure(s) not produced by the replay\n",
         num(r, "would_insert"), num(r, "would_revise"), num(r, "unchanged"),
         num(r, "not_reproduced"));
  if (json_array_size(changes) > 0) {
    printf("\nChanges (%zu of %lld, in key order):\n", json_array_size(changes),
           would);
    for (i = 0; i < json_array_size(changes); i++)
      print_change(json_array_get(changes, i));
  }
  printf("\n%s The store and the feeds were not changed.\n",
         would == 0 ? "Nothing would change." : "Figures would change.");
}

int cmd_replay(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  struct replay_options o = {.json = cli->json, .show = GW_REPLAY_SHOW_DEFAULT};
  json_t *report = NULL;
  int rc = GW_EXIT_USAGE;
  if (cli_wants_help(argc, argv)) {
    fputs(replay_usage, stdout);
    rc = GW_EXIT_OK;
    goto out;
  }
  if (parse_options(argc, argv, &o) != GW_EXIT_OK ||
      app_open(&app, cli->config_path,
               GW_APP_CATALOGUE | GW_APP_STORE | GW_APP_XLOG |
                   GW_APP_PLUGINS) != 0)
    goto out;
  rc = GW_EXIT_FAILED;
  report = replay_run(&app, o.run_id, o.show);
  if (!report) {
    fprintf(stderr, "gateway: replay: out of memory\n");
    goto out;
  }
  if (o.json) {
    json_dumpf(report, stdout, JSON_INDENT(2));
    printf("\n");
  } else {
    print_text(report);
  }
  if (strcmp(str(report, "outcome"), "ok") == 0)
    rc = GW_EXIT_OK;
  else
    fprintf(stderr, "gateway: replay: %s\n", str(report, "error"));
out:
  json_decref(report);
  app_close(&app);
  return rc;
}
