/*
 * plugin_audit.c - see plugin_audit.h.
 */
#include "plugin_audit.h"
#include "clock.h"
#include "digest.h"
#include <stdio.h>
#include <string.h>

static int used_before(const struct gw_source_config *const *sources,
                       size_t index) {
  for (size_t j = 0; j < index; j++)
    if (strcmp(sources[j]->plugin, sources[index]->plugin) == 0)
      return 1;
  return 0;
}

static int log_one(struct gw_app *app, const struct gw_loaded_plugin *p) {
  char trace[33], span[17], err[1024];
  json_t *rec;
  int rc = -1;
  if (random_hex(16, trace, sizeof trace) != 0 ||
      random_hex(8, span, sizeof span) != 0) {
    fprintf(stderr, "gateway: exchange log: no random span id; no log, no "
                    "exchange\n");
    return -1;
  }
  rec = json_pack("{s:s, s:s, s:s, s:s, s:n, s:I, s:I, s:i, s:s, s:s, "
                  "s:i, s:s, s:s, s:s}",
                  "event", "plugin_load", "name", "plugin_load", "trace_id",
                  trace, "span_id", span, "parent_span_id", "start_time",
                  (json_int_t)clock_now_ms(), "end_time",
                  (json_int_t)clock_now_ms(), "status_code", 1, "plugin",
                  p->desc->name, "version", p->desc->version, "abi",
                  (int)p->desc->abi_version, "path", p->path, "plugin_sha256",
                  p->sha256, "outcome", "ok");
  if (!rec)
    fprintf(stderr, "gateway: exchange log: out of memory; no log, no "
                    "exchange\n");
  else if (app_log_record(app, rec, err, sizeof err) != 0)
    fprintf(stderr, "gateway: exchange log: %s; no log, no exchange\n", err);
  else
    rc = 0;
  json_decref(rec);
  return rc;
}

int plugin_audit_log_loads(struct gw_app *app,
                           const struct gw_source_config *const *sources,
                           size_t count) {
  for (size_t i = 0; i < count; i++) {
    const struct gw_loaded_plugin *p =
        plugin_registry_find(app->plugins, sources[i]->plugin);
    if (!p || used_before(sources, i))
      continue;
    if (log_one(app, p) != 0)
      return -1;
  }
  return 0;
}
