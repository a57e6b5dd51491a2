/*
 * config_check.c - see config_check.h.
 */
#include "config_check.h"
#include "audit_keys.h"
#include "catalogue.h"
#include "config.h"
#include "plugin_loader.h"
#include "targets.h"
#include "text.h"
#include <openssl/crypto.h>
#include <string.h>

static void report_lines(FILE *report, const char *text) {
  fputs(text, report);
  if (text[0] && text[strlen(text) - 1] != '\n')
    fputc('\n', report);
}

static int check_sources(struct gw_config *cfg,
                         const struct gw_plugin_registry *reg, FILE *report) {
  static _Thread_local char err[GW_CONFIG_ERR_MAX];
  size_t i;
  int problems = 0;
  for (i = 0; i < cfg->source_count; i++) {
    const struct gw_source_config *src = &cfg->sources[i];
    const struct gw_loaded_plugin *p = plugin_registry_find(reg, src->plugin);
    if (!p) {
      char path[64];
      text_format(path, sizeof path, "/sources/%zu/plugin", i);
      fprintf(report,
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
      report_lines(report, err);
      problems++;
    }
  }
  return problems;
}

/* The key is read only when the log opens; a wrong one should fail the
 * check, not the first run. */
static int check_signing_key(const struct gw_config *cfg, FILE *report) {
  unsigned char seed[NOTE_SEED_SIZE];
  char err[512];
  int rc = 0;
  if (!cfg->audit_signing_key)
    return 0;
  if (audit_seed_parse(cfg->audit_signing_key, seed, err, sizeof err) != 0) {
    fprintf(report, "%s:%d: audit.signing_key: %s\n", cfg->path,
            config_line_of(cfg, "/audit/signing_key"), err);
    rc = 1;
  }
  OPENSSL_cleanse(seed, sizeof seed);
  return rc;
}

int config_check_file(const char *path, FILE *report,
                      struct gw_check_summary *summary) {
  static _Thread_local char err[GW_CONFIG_ERR_MAX];
  struct gw_config *cfg = NULL;
  struct gw_plugin_registry *reg = NULL;
  struct gw_catalogue *cat = NULL;
  int problems = 0;
  size_t i;
  err[0] = '\0';
  if (config_load(path, 1, &cfg, err, sizeof err) != 0) {
    report_lines(report, err[0] ? err : "cannot load the configuration");
    return 1;
  }
  problems += check_signing_key(cfg, report);
  if (catalogue_load(cfg->catalogue, &cat, err, sizeof err) != 0) {
    report_lines(report, err);
    problems++;
  } else if (cfg->targets) {
    struct gw_targets *targets = NULL;
    if (targets_load(cfg->targets, cat, &targets, err, sizeof err) != 0) {
      report_lines(report, err);
      problems++;
    }
    targets_free(targets);
  }
  if (plugin_registry_load(cfg->plugin_dir, &reg, err, sizeof err) != 0) {
    fprintf(report, "%s: plugin_dir: %s\n", cfg->path, err);
    problems++;
  } else {
    for (i = 0; i < reg->count; i++) {
      if (reg->items[i].refusal)
        fprintf(report, "warning: %s\n", reg->items[i].refusal);
    }
    problems += check_sources(cfg, reg, report);
  }
  if (problems == 0 && summary) {
    summary->sources = cfg->source_count;
    summary->feeds = cfg->export_count;
    summary->indicators = catalogue_count(cat);
  }
  plugin_registry_free(reg);
  catalogue_free(cat);
  config_free(cfg);
  return problems;
}
