/*
 * cmd_status.c - `gateway status`: the last run of every source.
 */
#include "app.h"
#include "commands.h"
#include <stdio.h>

static const char status_usage[] =
    "Usage: gateway [--config FILE] [--json] status\n"
    "\n"
    "Shows, per source, the last run: when it started and ended, its\n"
    "outcome, pages and bytes fetched, rows emitted, observations stored\n"
    "(new or revised) and rejected, and the error of a failed run.\n";

struct status_ctx {
  int json;
  json_t *out;
};

static int print_run(const struct gw_run_record *r, void *user) {
  struct status_ctx *ctx = user;
  if (ctx->json) {
    json_array_append_new(
        ctx->out,
        json_pack("{s:s, s:s, s:s, s:s?, s:s, s:I, s:I, s:I, s:I, s:I, s:s?}",
                  "source", r->source_id, "run_id", r->run_id, "started_at",
                  r->started_at, "ended_at", r->ended_at, "outcome", r->outcome,
                  "pages", (json_int_t)r->pages, "bytes", (json_int_t)r->bytes,
                  "emitted", (json_int_t)r->emitted, "stored",
                  (json_int_t)r->stored, "rejected", (json_int_t)r->rejected,
                  "error", r->error));
    return 0;
  }
  printf("%-22s %-7s %-24s %6llu %9llu %8llu %8llu\n", r->source_id, r->outcome,
         r->started_at, (unsigned long long)r->pages,
         (unsigned long long)r->emitted, (unsigned long long)r->stored,
         (unsigned long long)r->rejected);
  if (r->error)
    printf("  error: %s\n", r->error);
  return 0;
}

int cmd_status(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  struct status_ctx ctx = {.json = cli->json};
  char err[GW_ERR_MAX];
  int rc = GW_EXIT_FAILED;
  if (cli_wants_help(argc, argv)) {
    fputs(status_usage, stdout);
    return GW_EXIT_OK;
  }
  if (app_open(&app, cli->config_path, GW_APP_STORE) != 0)
    return GW_EXIT_USAGE;
  ctx.out = json_array();
  if (!cli->json)
    printf("%-22s %-7s %-24s %6s %9s %8s %8s\n", "SOURCE", "RESULT", "STARTED",
           "PAGES", "ROWS", "STORED", "REJECTED");
  if (!ctx.out ||
      store_latest_runs(app.store, print_run, &ctx, err, sizeof err) != 0) {
    fprintf(stderr, "gateway: status: %s\n", err);
    goto out;
  }
  if (cli->json) {
    json_dumpf(ctx.out, stdout, JSON_INDENT(2));
    printf("\n");
  }
  rc = GW_EXIT_OK;
out:
  json_decref(ctx.out);
  app_close(&app);
  return rc;
}
