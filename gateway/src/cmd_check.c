/*
 * cmd_check.c - `gateway check`: the same validation as start-up, plus
 * files, certificates, plugins and plugin params, without fetching.
 */
#include "catalogue.h"
#include "commands.h"
#include "config.h"
#include "plugin_loader.h"
#include "targets.h"
#include "text.h"
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

static int check_sources(struct gw_config *cfg,
                         const struct gw_plugin_registry *reg) {
  static char err[GW_CONFIG_ERR_MAX];
  size_t i;
  int problems = 0;
  for (i = 0; i < cfg->source_count; i++) {
    const struct gw_source_config *src = &cfg->sources[i];
    const struct gw_loaded_plugin *p = plugin_registry_find(reg, src->plugin);
    if (!p) {
      char path[64];
      text_format(path, sizeof path, "/sources/%zu/plugin", i);
      fprintf(stderr,
              "%s:%d: sources[%zu].plugin: no loaded plugin named \"%s\" in "
              "%s (see `gateway plugins`)\n",
              cfg->path, config_line_of(cfg, path), i, src->plugin,
              cfg->plugin_dir);
      problems++;
      continue;
    }
    err[0] = '\0';
    if (config_check_params(cfg, src, p->desc->config_keys, err, sizeof err) >
        0) {
      fputs(err, stderr);
      if (err[0] && err[strlen(err) - 1] != '\n')
        fputc('\n', stderr);
      problems++;
    }
  }
  return problems;
}

int cmd_check(const struct gw_cli *cli, int argc, char **argv) {
  static char err[GW_CONFIG_ERR_MAX];
  struct gw_config *cfg = NULL;
  struct gw_plugin_registry *reg = NULL;
  struct gw_catalogue *cat = NULL;
  const char *path = cli->config_path;
  int problems = 0;
  size_t i;
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
  err[0] = '\0';
  if (config_load(path, 1, &cfg, err, sizeof err) != 0) {
    fputs(err, stderr);
    if (err[0] && err[strlen(err) - 1] != '\n')
      fputc('\n', stderr);
    return GW_EXIT_USAGE;
  }
  if (catalogue_load(cfg->catalogue, &cat, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    problems++;
  } else if (cfg->targets) {
    struct gw_targets *targets = NULL;
    if (targets_load(cfg->targets, cat, &targets, err, sizeof err) != 0) {
      fputs(err, stderr);
      if (err[0] && err[strlen(err) - 1] != '\n')
        fputc('\n', stderr);
      problems++;
    }
    targets_free(targets);
  }
  if (plugin_registry_load(cfg->plugin_dir, &reg, err, sizeof err) != 0) {
    fprintf(stderr, "%s: plugin_dir: %s\n", cfg->path, err);
    problems++;
  } else {
    for (i = 0; i < reg->count; i++) {
      if (reg->items[i].refusal)
        fprintf(stderr, "warning: %s\n", reg->items[i].refusal);
    }
    problems += check_sources(cfg, reg);
  }
  if (problems == 0)
    printf("%s: OK (%zu source(s), %zu feed(s), %zu indicator(s) in the "
           "catalogue)\n",
           cfg->path, cfg->source_count, cfg->export_count,
           catalogue_count(cat));
  plugin_registry_free(reg);
  catalogue_free(cat);
  config_free(cfg);
  return problems ? GW_EXIT_USAGE : GW_EXIT_OK;
}
