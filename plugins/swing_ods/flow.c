/*
 * flow.c - one run: which variables, which areas by name, which periods,
 * then the Values of every variable and period as raw observations.
 */
#include "swing_ods.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PERIOD_MAX 64

/* The variables of this run: params.variables, or the ones the catalogue
 * maps (bounded by the catalogue, not by the server's list). */
struct selection {
  char **codes;
  int *found;
  size_t count;
  int explicit_list;
  struct swing_ctx *ctx;
  struct gw_run *run;
};

static int selection_add(struct selection *sel, const char *code) {
  char **codes;
  int *found;
  size_t i;

  for (i = 0; i < sel->count; i++)
    if (strcmp(sel->codes[i], code) == 0)
      return 0;
  codes = realloc(sel->codes, (sel->count + 1) * sizeof *codes);
  if (!codes)
    return -1;
  sel->codes = codes;
  found = realloc(sel->found, (sel->count + 1) * sizeof *found);
  if (!found)
    return -1;
  sel->found = found;
  sel->codes[sel->count] = strdup(code);
  if (!sel->codes[sel->count])
    return -1;
  sel->found[sel->count] = 0;
  sel->count++;
  return 0;
}

static void selection_free(struct selection *sel) {
  size_t i;

  for (i = 0; i < sel->count; i++)
    free(sel->codes[i]);
  free(sel->codes);
  free(sel->found);
}

static gw_result on_variable(void *state, struct gw_run *run, const json_t *row,
                             const struct swing_row_ref *ref) {
  struct selection *sel = state;
  struct swing_ctx *ctx = sel->ctx;
  const char *code = swing_row_code(row);
  size_t i;

  (void)ref;
  if (!code)
    return GW_OK; /* not a variable we could ask for anyway */
  if (sel->explicit_list) {
    for (i = 0; i < sel->count; i++)
      if (strcmp(sel->codes[i], code) == 0)
        sel->found[i] = 1;
    return GW_OK;
  }
  if (!ctx->host->indicator_for(run, ctx->dataset, code))
    return GW_OK;
  if (selection_add(sel, code) != 0) {
    ctx->host->log(run, GW_LOG_ERROR, "swing_ods: out of memory");
    return GW_FAIL;
  }
  sel->found[sel->count - 1] = 1;
  return GW_OK;
}

static gw_result report_selection(struct swing_ctx *ctx, struct gw_run *run,
                                  const struct selection *sel) {
  gw_result rc = GW_OK;
  size_t i;

  if (!sel->explicit_list && sel->count == 0) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "none of the variables on %s is mapped in the catalogue "
                   "for plugin swing_ods, dataset \"%s\" (source %s); set "
                   "params.variables or add the mappings",
                   ctx->host_name, ctx->dataset, ctx->source_id);
    return GW_FAIL;
  }
  for (i = 0; i < sel->count; i++) {
    if (sel->found[i])
      continue;
    ctx->host->log(run, GW_LOG_ERROR,
                   "Swing variable %s does not exist on %s (source %s): it is "
                   "not in the Variables list; check params.variables (codes "
                   "are case-sensitive)",
                   sel->codes[i], ctx->host_name, ctx->source_id);
    rc = GW_FAIL;
  }
  return rc;
}

static gw_result select_variables(struct swing_ctx *ctx, struct gw_run *run,
                                  struct selection *sel) {
  struct swing_what what = {NULL, NULL, 0};
  struct swing_buf url = {0};
  size_t n = swing_list_count(ctx, "variables");
  size_t i;
  gw_result rc = GW_FAIL;

  sel->ctx = ctx;
  sel->run = run;
  sel->explicit_list = n > 0;
  for (i = 0; i < n; i++)
    if (selection_add(sel, swing_list_at(ctx, "variables", i)) != 0)
      goto oom;
  if (!ctx->check_variables) {
    for (i = 0; i < sel->count; i++)
      sel->found[i] = 1;
    return GW_OK;
  }
  if (swing_buf_printf(&url, "%s/Variables", ctx->base) != 0)
    goto oom;
  rc = swing_page_through(ctx, run, url.data, SWING_PAGE_SKIP, &what,
                          on_variable, sel);
  if (rc == GW_OK)
    rc = report_selection(ctx, run, sel);
  swing_buf_free(&url);
  return rc;
oom:
  ctx->host->log(run, GW_LOG_ERROR, "swing_ods: out of memory");
  swing_buf_free(&url);
  return GW_FAIL;
}

/* ---- areas by name --------------------------------------------------- */

static gw_result on_geo_item(void *state, struct gw_run *run, const json_t *row,
                             const struct swing_row_ref *ref) {
  struct swing_ctx *ctx = state;
  const char *name = swing_json_string(row, "Name");
  const char *external = swing_json_string(row, "ExternalCode");
  const char *cbs;

  (void)ref;
  if (!name || !external)
    return GW_OK;
  cbs = swing_map_get(ctx, "names", name);
  if (!cbs)
    return GW_OK;
  if (swing_areas_add(&ctx->areas, external, cbs) != 0) {
    ctx->host->log(run, GW_LOG_ERROR, "swing_ods: out of memory");
    return GW_FAIL;
  }
  return GW_OK;
}

static void warn_unmatched_names(struct swing_ctx *ctx, struct gw_run *run) {
  size_t n = swing_list_count(ctx, "names");
  size_t i, j;

  for (i = 0; i < n; i++) {
    const char *name = NULL;
    const char *cbs = NULL;
    int matched = 0;
    if (ctx->host->config_entry(ctx->config, "names", i, &name, &cbs) != 0 ||
        !name || !cbs)
      continue;
    for (j = 0; j < ctx->areas.count; j++)
      if (strcmp(ctx->areas.by_name[j].cbs, cbs) == 0)
        matched = 1;
    if (!matched)
      ctx->host->log(run, GW_LOG_WARN,
                     "swing_ods: GeoLevels('%s')/GeoItems on %s has no item "
                     "named \"%s\" (params.names); its rows cannot be mapped "
                     "by name",
                     ctx->geo_level, ctx->host_name, name);
  }
}

static gw_result load_geo_items(struct swing_ctx *ctx, struct gw_run *run) {
  struct swing_what what = {NULL, NULL, 0};
  struct swing_buf url = {0};
  gw_result rc;

  if (swing_buf_printf(&url, "%s/GeoLevels('", ctx->base) != 0 ||
      swing_buf_append_key(&url, ctx->geo_level) != 0 ||
      swing_buf_append(&url, "')/GeoItems") != 0) {
    ctx->host->log(run, GW_LOG_ERROR, "swing_ods: out of memory");
    swing_buf_free(&url);
    return GW_FAIL;
  }
  rc = swing_page_through(ctx, run, url.data, SWING_PAGE_NEXTLINK, &what,
                          on_geo_item, ctx);
  if (rc == GW_OK)
    warn_unmatched_names(ctx, run);
  swing_buf_free(&url);
  return rc;
}

/* ---- periods --------------------------------------------------------- */

static int is_mrp(const char *period) {
  return strcasecmp(period, "mrp") == 0;
}

/* .../Variables('<v>')/GeoLevels('<g>')/PeriodLevels('<p>') */
static int level_url(const struct swing_ctx *ctx, const char *variable,
                     struct swing_buf *url) {
  return swing_buf_printf(url, "%s/Variables('", ctx->base) != 0 ||
                 swing_buf_append_key(url, variable) != 0 ||
                 swing_buf_append(url, "')/GeoLevels('") != 0 ||
                 swing_buf_append_key(url, ctx->geo_level) != 0 ||
                 swing_buf_append(url, "')/PeriodLevels('") != 0 ||
                 swing_buf_append_key(url, ctx->period_level) != 0 ||
                 swing_buf_append(url, "')") != 0
             ? -1
             : 0;
}

struct newest {
  struct swing_ctx *ctx;
  char code[PERIOD_MAX];  /* as the server writes it */
  char order[PERIOD_MAX]; /* normalised, for comparing */
};

static gw_result on_period(void *state, struct gw_run *run, const json_t *row,
                           const struct swing_row_ref *ref) {
  struct newest *newest = state;
  const char *code = swing_row_code(row);
  char order[PERIOD_MAX];

  (void)run;
  (void)ref;
  if (!code)
    code = swing_json_string(row, "Name");
  if (!code || !*code || strlen(code) >= PERIOD_MAX || is_mrp(code))
    return GW_OK;
  if (newest->ctx->host->normalise_period(code, order, sizeof order) < 0)
    return GW_OK;
  /* Same-level period codes normalise to same-shaped text ("2021",
   * "2021-Q3"), so text order is time order. */
  if (newest->code[0] && strcmp(order, newest->order) <= 0)
    return GW_OK;
  memcpy(newest->code, code, strlen(code) + 1);
  memcpy(newest->order, order, strlen(order) + 1);
  return GW_OK;
}

static gw_result resolve_mrp(struct swing_ctx *ctx, struct gw_run *run,
                             const char *variable, char *out, size_t size) {
  struct swing_what what = {variable, "mrp", 1};
  struct swing_buf url = {0};
  struct newest newest;
  gw_result rc;

  memset(&newest, 0, sizeof newest);
  newest.ctx = ctx;
  if (level_url(ctx, variable, &url) != 0 ||
      swing_buf_append(&url, "/Periods") != 0) {
    ctx->host->log(run, GW_LOG_ERROR, "swing_ods: out of memory");
    swing_buf_free(&url);
    return GW_FAIL;
  }
  rc = swing_page_through(ctx, run, url.data, SWING_PAGE_NEXTLINK, &what,
                          on_period, &newest);
  if (rc == GW_OK && !newest.code[0]) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "no data at this level/period (%s, %s, mrp): %s lists no "
                   "periods",
                   variable, ctx->geo_level, url.data);
    rc = GW_FAIL;
  }
  if (rc == GW_OK)
    snprintf(out, size, "%s", newest.code);
  swing_buf_free(&url);
  return rc;
}

/* ---- values ---------------------------------------------------------- */

struct values_state {
  struct swing_ctx *ctx;
  const char *variable;
  const char *label; /* the period stored */
  uint64_t rows;
  uint64_t rejected;
};

static void reject_row(struct values_state *st, struct gw_run *run,
                       const struct swing_row_ref *ref, const char *reason) {
  char where[96];

  snprintf(where, sizeof where, "%s %s page %llu row %llu", st->variable,
           st->label, (unsigned long long)ref->page,
           (unsigned long long)ref->position);
  st->ctx->host->reject(run, where, reason);
  st->rejected++;
}

static gw_result on_value(void *state, struct gw_run *run, const json_t *row,
                          const struct swing_row_ref *ref) {
  struct values_state *st = state;
  struct swing_ctx *ctx = st->ctx;
  struct gw_raw_observation obs;
  struct swing_cell cell;
  const char *external = swing_json_string(row, "ExternalCode");
  const char *row_period = swing_json_string(row, "Period");
  char area[64];
  char reason[256];

  st->rows++;
  if (!json_is_object(row) || !external || !*external) {
    reject_row(st, run, ref, "expected an object with a string ExternalCode");
    return GW_OK;
  }
  if (swing_area_for(ctx, external, area, sizeof area, reason, sizeof reason) !=
      0) {
    reject_row(st, run, ref, reason);
    return GW_OK;
  }
  swing_cell_from_json(ctx, run, json_object_get(row, "ValueString"), &cell);
  memset(&obs, 0, sizeof obs);
  obs.size = sizeof obs;
  obs.dataset = ctx->dataset;
  obs.source_code = st->variable;
  obs.area = area;
  /* [?] a Values row may name its own period; trust it over our label. */
  obs.period = row_period && *row_period ? row_period : st->label;
  obs.component = GW_COMPONENT_VALUE;
  obs.has_value = cell.has_value;
  obs.value = cell.has_value ? cell.value : 0.0;
  obs.status = cell.status;
  obs.status_detail = cell.status_detail;
  obs.payload = ref->payload;
  obs.position = ref->position;
  return ctx->host->emit(run, &obs);
}

static gw_result read_values(struct swing_ctx *ctx, struct gw_run *run,
                             const char *variable, const char *asked,
                             const char *label) {
  struct swing_what what = {variable, asked, 1};
  struct swing_buf url = {0};
  struct values_state st;
  gw_result rc;

  memset(&st, 0, sizeof st);
  st.ctx = ctx;
  st.variable = variable;
  st.label = label;
  if (level_url(ctx, variable, &url) != 0 ||
      swing_buf_append(&url, "/Periods('") != 0 ||
      swing_buf_append_key(&url, asked) != 0 ||
      swing_buf_append(&url, "')/Values") != 0) {
    ctx->host->log(run, GW_LOG_ERROR, "swing_ods: out of memory");
    swing_buf_free(&url);
    return GW_FAIL;
  }
  rc = swing_page_through(ctx, run, url.data, SWING_PAGE_NEXTLINK, &what,
                          on_value, &st);
  /* Per variable and period is detail; the run summary has the totals. */
  if (rc == GW_OK)
    ctx->host->log(run, GW_LOG_DEBUG,
                   "swing_ods: %s, %s, %s: %llu rows, %llu rejected", variable,
                   ctx->geo_level, label, (unsigned long long)st.rows,
                   (unsigned long long)st.rejected);
  swing_buf_free(&url);
  return rc;
}

/* The periods already read for this variable ("mrp" may resolve to one
 * that is also listed explicitly). */
struct done_periods {
  char items[32][PERIOD_MAX];
  size_t count;
};

static int done_before(struct done_periods *done, const char *period) {
  size_t i;

  for (i = 0; i < done->count; i++)
    if (strcmp(done->items[i], period) == 0)
      return 1;
  if (done->count < sizeof done->items / sizeof done->items[0] &&
      strlen(period) < PERIOD_MAX) {
    memcpy(done->items[done->count], period, strlen(period) + 1);
    done->count++;
  }
  return 0;
}

static gw_result read_period(struct swing_ctx *ctx, struct gw_run *run,
                             const char *variable, const char *period,
                             char *newest, struct done_periods *done) {
  gw_result rc;

  if (!is_mrp(period))
    return done_before(done, period)
               ? GW_OK
               : read_values(ctx, run, variable, period, period);
  if (!newest[0]) {
    rc = resolve_mrp(ctx, run, variable, newest, PERIOD_MAX);
    if (rc != GW_OK)
      return rc;
    ctx->host->log(run, GW_LOG_INFO,
                   "swing_ods: %s: the most recent %s period at level %s is "
                   "%s",
                   variable, ctx->period_level, ctx->geo_level, newest);
  }
  if (done_before(done, newest))
    return GW_OK;
  return read_values(ctx, run, variable,
                     ctx->mrp_mode == SWING_MRP_SERVER ? "mrp" : newest,
                     newest);
}

static gw_result read_variable(struct swing_ctx *ctx, struct gw_run *run,
                               const char *variable) {
  size_t n = swing_list_count(ctx, "periods");
  char newest[PERIOD_MAX] = "";
  struct done_periods done;
  size_t i;
  gw_result rc = GW_OK;

  done.count = 0;
  if (n == 0)
    return read_period(ctx, run, variable, "mrp", newest, &done);
  for (i = 0; i < n && rc == GW_OK; i++)
    rc = read_period(ctx, run, variable, swing_list_at(ctx, "periods", i),
                     newest, &done);
  return rc;
}

gw_result swing_run_all(struct swing_ctx *ctx, struct gw_run *run) {
  struct selection sel;
  gw_result rc;
  size_t i;

  memset(&sel, 0, sizeof sel);
  rc = select_variables(ctx, run, &sel);
  if (rc == GW_OK && ctx->map_by_name)
    rc = load_geo_items(ctx, run);
  for (i = 0; rc == GW_OK && i < sel.count; i++)
    rc = read_variable(ctx, run, sel.codes[i]);
  selection_free(&sel);
  return rc;
}
