/*
 * replay.c - one replay from start to end (see replay.h): the plan from the
 * log, the checks that the source and plugin still fit it, the replay run,
 * the report and its record in the exchange log.
 *
 * The report is one JSON object; `gateway replay` prints it as is (--json)
 * or as text made from it, so both always say the same.
 */
#include "replay.h"
#include "clock.h"
#include "diag.h"
#include "replay_plan.h"
#include "run.h"
#include "text.h"
#include <string.h>

struct replay {
  struct gw_app *app;
  struct gw_replay_plan plan;
  struct gw_replay_request request;
  struct gw_run_summary summary;
  const struct gw_source_config *src;
  const char *installed_sha; /* of the plugin that runs now, or "" */
  int ran;                   /* run_source_replay() was called */
  int64_t start_ms;
  char error[GW_RUN_ERROR_MAX];
  json_t *changes;
};

/* ---- changes --------------------------------------------------------------
 */

static json_t *number_or_null(int has, double v) {
  return has ? json_real(v) : json_null();
}

static json_t *figure(const struct gw_observation *o) {
  return json_pack("{s:I, s:o, s:s, s:o, s:o, s:s}", "revision",
                   (json_int_t)o->revision, "value",
                   number_or_null(o->has_value, o->value), "status",
                   status_name(o->status), "ci_low",
                   number_or_null(o->has_ci_low, o->ci_low), "ci_high",
                   number_or_null(o->has_ci_high, o->ci_high), "unit", o->unit);
}

static int add_change(const struct gw_store_change *c, void *user) {
  json_t *changes = user;
  const struct gw_observation *a = c->after;
  json_t *entry = json_pack(
      "{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "change",
      c->before ? "revise" : "insert", "indicator", a->indicator, "area",
      a->area, "period", a->period, "breakdown", a->breakdown, "before",
      c->before ? figure(c->before) : json_null(), "after", figure(a));
  /* Out of memory: stop listing; the counts are complete regardless. */
  return !entry || json_array_append_new(changes, entry) != 0;
}

/* ---- checks before the run ---------------------------------------------- */

static void fail(struct replay *r, const char *message) {
  if (!r->error[0])
    text_copy(r->error, sizeof r->error, message);
}

/* The replay runs the source as configured now; it must still be the
 * source, and the plugin, of the original run. */
static int check_source(struct replay *r) {
  char msg[GW_RUN_ERROR_MAX];
  const struct gw_loaded_plugin *p;
  const struct gw_config *cfg = r->app->cfg;
  r->src = config_find_source(cfg, r->plan.source_id);
  if (!r->src) {
    text_format(msg, sizeof msg,
                "run %s was a run of source '%s', which is not in %s any "
                "more; a replay runs the source as it is configured now",
                r->plan.trace_id, r->plan.source_id,
                cfg->path ? cfg->path : "the configuration");
    fail(r, msg);
    return -1;
  }
  if (r->plan.plugin[0] && strcmp(r->src->plugin, r->plan.plugin) != 0) {
    text_format(msg, sizeof msg,
                "source '%s' uses plugin %s now, run %s used %s: a replay "
                "with another plugin would not show what changed in the data",
                r->src->id, r->src->plugin, r->plan.trace_id, r->plan.plugin);
    fail(r, msg);
    return -1;
  }
  p = plugin_registry_find(r->app->plugins, r->src->plugin);
  r->installed_sha = p ? p->sha256 : "";
  if (p && r->plan.plugin_sha256[0] &&
      strcmp(p->sha256, r->plan.plugin_sha256) != 0)
    diag(GW_LOG_WARN,
         "replay: plugin %s is not the binary that ran %s (SHA-256 %.12s... "
         "then, %.12s... now): differences may come from the plugin",
         r->src->plugin, r->plan.trace_id, r->plan.plugin_sha256, p->sha256);
  return 0;
}

/* ---- report and record -------------------------------------------------- */

static int plugin_changed(const struct replay *r) {
  return r->installed_sha && r->installed_sha[0] && r->plan.plugin_sha256[0] &&
         strcmp(r->installed_sha, r->plan.plugin_sha256) != 0;
}

static const char *outcome_of(const struct replay *r) {
  return r->error[0] ? "failed" : "ok";
}

static json_t *original_json(const struct replay *r) {
  const struct gw_replay_plan *p = &r->plan;
  if (!p->source_id[0])
    return json_null();
  return json_pack("{s:s, s:I, s:s?, s:I, s:I, s:I}", "started_at",
                   p->started_at, "requests", (json_int_t)p->count, "store",
                   p->store_outcome[0] ? p->store_outcome : NULL, "inserted",
                   (json_int_t)p->stored_inserted, "revised",
                   (json_int_t)p->stored_revised, "unchanged",
                   (json_int_t)p->stored_unchanged);
}

static json_t *report_json(const struct replay *r) {
  const struct gw_run_summary *s = &r->summary;
  const struct gw_store_diff *d = &r->request.diff;
  int ok = !r->error[0];
  return json_pack(
      "{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:b, s:o, s:s, s:s?,"
      " s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
      " s:o, s:o, s:o, s:o, s:o, s:O}",
      "replay_id", r->request.trace_id, "run_id", r->plan.trace_id, "source",
      r->plan.source_id[0] ? r->plan.source_id : NULL, "plugin",
      r->plan.plugin[0] ? r->plan.plugin : NULL, "plugin_sha256_recorded",
      r->plan.plugin_sha256[0] ? r->plan.plugin_sha256 : NULL,
      "plugin_sha256_installed",
      r->installed_sha && r->installed_sha[0] ? r->installed_sha : NULL,
      "plugin_changed", plugin_changed(r), "original", original_json(r),
      "outcome", outcome_of(r), "error", ok ? NULL : r->error, "payloads",
      (json_int_t)s->pages, "not_modified", (json_int_t)s->not_modified,
      "bytes", (json_int_t)s->bytes, "emitted", (json_int_t)s->emitted,
      "unmapped", (json_int_t)s->unmapped, "rejected", (json_int_t)s->rejected,
      "suppressed", (json_int_t)s->suppressed, "staged",
      ok ? json_integer((json_int_t)d->staged) : json_null(), "would_insert",
      ok ? json_integer((json_int_t)d->would_insert) : json_null(),
      "would_revise",
      ok ? json_integer((json_int_t)d->would_revise) : json_null(), "unchanged",
      ok ? json_integer((json_int_t)d->unchanged) : json_null(),
      "not_reproduced",
      ok ? json_integer((json_int_t)d->not_reproduced) : json_null(), "changes",
      r->changes);
}

/* Everything of the report but the changes themselves: the figures are in
 * the store and the feeds already, the log keeps what was done. */
static json_t *replay_record(const struct replay *r, const json_t *report) {
  char name[160], span[GW_SPAN_ID_MAX];
  json_t *rec = NULL, *value;
  const char *key;
  text_format(name, sizeof name, "replay:%s",
              r->plan.source_id[0] ? r->plan.source_id : "?");
  if (random_hex(8, span, sizeof span) != 0)
    goto fail;
  rec = json_pack("{s:s, s:s, s:s, s:s, s:n, s:I, s:I, s:i, s:s}", "event",
                  "replay", "name", name, "trace_id", r->request.trace_id,
                  "span_id", span, "parent_span_id", "start_time",
                  (json_int_t)r->start_ms, "end_time",
                  (json_int_t)clock_now_ms(), "status_code",
                  r->error[0] ? 2 : 1, "replayed_trace_id", r->plan.trace_id);
  if (!rec)
    goto fail;
  json_object_foreach((json_t *)report, key, value) {
    if (strcmp(key, "changes") == 0 || strcmp(key, "replay_id") == 0 ||
        strcmp(key, "run_id") == 0 || strcmp(key, "original") == 0)
      continue;
    if (json_object_set(rec, key, value) != 0)
      goto fail;
  }
  return rec;
fail:
  json_decref(rec);
  return NULL;
}

/* No log, no replay: a replay the log does not show has failed. */
static json_t *finish_report(struct replay *r) {
  char err[1024] = "out of memory";
  json_t *report = report_json(r), *rec = NULL;
  if (report && (rec = replay_record(r, report)) != NULL &&
      app_log_record(r->app, rec, err, sizeof err) == 0) {
    json_decref(rec);
    return report;
  }
  json_decref(rec);
  json_decref(report);
  if (!r->error[0])
    text_format(r->error, sizeof r->error,
                "exchange log: %s; no log, no replay", err);
  return report_json(r);
}

json_t *replay_run(struct gw_app *app, const char *run_id, size_t show) {
  struct replay r;
  char err[GW_RUN_ERROR_MAX];
  json_t *report = NULL;
  memset(&r, 0, sizeof r);
  r.app = app;
  r.start_ms = clock_now_ms();
  r.changes = json_array();
  if (!r.changes ||
      random_hex(16, r.request.trace_id, sizeof r.request.trace_id) != 0) {
    fail(&r, "out of memory");
    goto out;
  }
  if (replay_plan_load(app->cfg->audit_path, run_id, &r.plan, err,
                       sizeof err) != 0) {
    fail(&r, err);
    goto out;
  }
  if (check_source(&r) != 0)
    goto out;
  r.request.plan = &r.plan;
  r.request.max_changes = show;
  r.request.on_change = add_change;
  r.request.user = r.changes;
  r.ran = 1;
  if (run_source_replay(app, r.src, &r.request, &r.summary) != GW_OK)
    fail(&r, r.summary.error[0] ? r.summary.error
                                : "the plugin did not finish (see above)");
out:
  if (r.plan.trace_id[0] == '\0')
    text_copy(r.plan.trace_id, sizeof r.plan.trace_id, run_id);
  if (r.changes)
    report = finish_report(&r);
  replay_plan_free(&r.plan);
  json_decref(r.changes);
  return report;
}
