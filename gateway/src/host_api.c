/*
 * host_api.c - the function table handed to plugins. Thin adapters: the
 * work happens in run.c (fetch, emit), payload.c and the shared helpers,
 * so a plugin and the host always use the same number and period rules.
 */
#include "diag.h"
#include "exchange_log.h"
#include "number.h"
#include "period.h"
#include "run_internal.h"
#include "text.h"
#include <stdarg.h>
#include <stdio.h>

static gw_result host_fetch(struct gw_run *run,
                            const struct gw_fetch_request *req,
                            struct gw_payload **out) {
  return run_fetch(run, req, out);
}

static gw_result host_emit(struct gw_run *run,
                           const struct gw_raw_observation *obs) {
  return run_emit(run, obs);
}

static void host_reject(struct gw_run *run, const char *location,
                        const char *reason) {
  if (run)
    run_note_rejection(run, location ? location : "?",
                       reason ? reason : "rejected by the plugin");
}

static void host_log(struct gw_run *run, gw_log_level level, const char *fmt,
                     ...) GW_PRINTF_LIKE(3, 4);
static void host_log(struct gw_run *run, gw_log_level level, const char *fmt,
                     ...) {
  char msg[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (run) {
    /* Plugins quote their URLs, and those may carry credentials. */
    run_redact_text(run, msg, sizeof msg);
    diag(level, "%s: %s", run->src->id, msg);
    /* A plugin's own error says why better than any summary the host
     * could write afterwards; keep the first one as the run's error. */
    if (level >= GW_LOG_ERROR && !run->summary->error[0])
      text_format(run->summary->error, sizeof run->summary->error, "%s: %s",
                  run->src->id, msg);
  } else {
    char clean[XLOG_REDACT_TEXT_MAX];
    /* No run, no secrets list: URL credentials are still taken out. */
    xlog_redact_text(msg, NULL, clean, sizeof clean);
    diag(level, "plugin: %s", clean);
  }
}

static const char *host_config_string(const struct gw_plugin_config *cfg,
                                      const char *key) {
  return plugin_config_string(cfg, key);
}

static int64_t host_config_int(const struct gw_plugin_config *cfg,
                               const char *key) {
  return plugin_config_int(cfg, key);
}

static int host_config_bool(const struct gw_plugin_config *cfg,
                            const char *key) {
  return plugin_config_bool(cfg, key);
}

static size_t host_config_count(const struct gw_plugin_config *cfg,
                                const char *key) {
  return plugin_config_count(cfg, key);
}

static int host_config_entry(const struct gw_plugin_config *cfg,
                             const char *key, size_t i, const char **name,
                             const char **value) {
  return plugin_config_entry(cfg, key, i, name, value);
}

static int host_parse_number(const char *text, double *out) {
  return number_parse(text, out);
}

static int host_normalise_period(const char *raw, char *out, size_t size) {
  gw_period_kind kind = period_normalise(raw, out, size);
  if (kind == GW_PERIOD_INVALID)
    return -1;
  return kind == GW_PERIOD_OPAQUE ? 0 : 1;
}

static const char *host_indicator_for(struct gw_run *run, const char *dataset,
                                      const char *code) {
  const struct gw_source_mapping *m;
  if (!run || !run->app->catalogue)
    return NULL;
  m = catalogue_lookup(run->app->catalogue, run->plugin->desc->name, dataset,
                       code);
  return m ? m->indicator : NULL;
}

static long host_last_http_status(struct gw_run *run) {
  return run ? run->last_http_status : 0;
}

static ssize_t host_payload_read(struct gw_payload *p, void *buf, size_t len) {
  return payload_read(p, buf, len);
}

static int host_payload_rewind(struct gw_payload *p) {
  return payload_rewind(p);
}

static const char *host_payload_url(const struct gw_payload *p) {
  return payload_url(p);
}

static int host_payload_not_modified(const struct gw_payload *p) {
  return payload_not_modified(p);
}

static const struct gw_host_api the_host_api = {
    .abi_version = GW_PLUGIN_ABI_VERSION,
    .size = sizeof(struct gw_host_api),
    .fetch = host_fetch,
    .payload_read = host_payload_read,
    .payload_rewind = host_payload_rewind,
    .payload_url = host_payload_url,
    .payload_not_modified = host_payload_not_modified,
    .emit = host_emit,
    .reject = host_reject,
    .log = host_log,
    .config_string = host_config_string,
    .config_int = host_config_int,
    .config_bool = host_config_bool,
    .config_count = host_config_count,
    .config_entry = host_config_entry,
    .parse_number = host_parse_number,
    .normalise_period = host_normalise_period,
    .indicator_for = host_indicator_for,
    .last_http_status = host_last_http_status,
};

const struct gw_host_api *host_api(void) {
  return &the_host_api;
}
