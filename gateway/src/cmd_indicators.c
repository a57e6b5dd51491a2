/*
 * cmd_indicators.c - `gateway indicators`: the catalogue, for people and
 * (with --json) for tools.
 */
#include "app.h"
#include "commands.h"
#include <stdio.h>

static const char indicators_usage[] =
    "Usage: gateway [--config FILE] [--json] indicators\n"
    "\n"
    "Lists the indicator catalogue (schemas/indicators.json or the file\n"
    "named by `catalogue` in the config): policy code, id, unit, whether\n"
    "the indicator is BBV-mandatory, where it usually comes from, and its\n"
    "Dutch title.\n";

int cmd_indicators(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  json_t *out;
  size_t i, n;
  if (cli_wants_help(argc, argv)) {
    fputs(indicators_usage, stdout);
    return GW_EXIT_OK;
  }
  if (app_open(&app, cli->config_path, GW_APP_CATALOGUE) != 0)
    return GW_EXIT_USAGE;
  n = catalogue_count(app.catalogue);
  out = json_array();
  if (!cli->json)
    printf("%-6s %-34s %-10s %-4s %-20s %s\n", "CODE", "ID", "UNIT", "BBV",
           "SOURCE", "TITLE");
  for (i = 0; i < n; i++) {
    const struct gw_indicator *ind = catalogue_at(app.catalogue, i);
    if (cli->json)
      json_array_append_new(
          out, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:b, s:s?}", "id", ind->id,
                         "code", ind->code, "title", ind->title, "unit",
                         ind->unit, "goal", ind->goal, "mandatory",
                         ind->mandatory, "likely_source", ind->likely_source));
    else
      printf("%-6s %-34s %-10s %-4s %-20s %s\n", ind->code, ind->id, ind->unit,
             ind->mandatory ? "yes" : "no",
             ind->likely_source ? ind->likely_source : "", ind->title);
  }
  if (cli->json) {
    json_dumpf(out, stdout, JSON_INDENT(2));
    printf("\n");
  } else {
    printf("\n%zu indicators\n", n);
  }
  json_decref(out);
  app_close(&app);
  return GW_EXIT_OK;
}
