/*
 * emit.c - from one data row to raw observations: read the dimension
 * columns (area, period, Marges component, breakdowns) and hand each cell to
 * the host. Codes go out raw (padded); the host trims and normalises them.
 */
#include "cbs_odata.h"

#include <stdio.h>
#include <string.h>

void cbs_row_location(const struct cbs_row_ref *ref, char *buf, size_t size) {
  snprintf(buf, size, "page %llu row %llu", (unsigned long long)ref->page,
           (unsigned long long)ref->position);
}

static void reject_row(struct cbs_ctx *ctx, struct gw_run *run,
                       const char *where, const char *fmt, ...)
    GW_PRINTF_LIKE(4, 5);

static void reject_row(struct cbs_ctx *ctx, struct gw_run *run,
                       const char *where, const char *fmt, ...) {
  char reason[256];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  ctx->host->reject(run, where, reason);
}

static void warn_unknown_period(struct cbs_ctx *ctx, struct gw_run *run,
                                const char *dim, const char *key) {
  char marker[96];

  snprintf(marker, sizeof marker, "%s=%s", dim, key);
  if (cbs_symbols_first_warning(&ctx->symbols, marker) == 1)
    ctx->host->log(run, GW_LOG_WARN,
                   "%s: %s key \"%s\" is not in the %s entity set; its "
                   "figures are stored without a period status",
                   ctx->dataset, dim, key, dim);
}

int cbs_row_keys_read(struct cbs_ctx *ctx, struct gw_run *run,
                      const struct cbs_dimensions *dims, const json_t *row,
                      const char *where, struct cbs_row_keys *out) {
  struct gw_breakdown_item *breakdown = out->breakdown;
  size_t i;

  memset(out, 0, sizeof *out);
  out->breakdown = breakdown;
  out->component = GW_COMPONENT_VALUE;
  if (!json_is_object(row)) {
    ctx->host->reject(run, where, "expected a JSON object (one data row)");
    return -1;
  }
  for (i = 0; i < dims->count; i++) {
    const struct cbs_dimension *dim = &dims->items[i];
    const char *key = cbs_json_string(row, dim->key);
    const struct cbs_member *member;

    if (!key) {
      reject_row(ctx, run, where, "expected a string in dimension column %s",
                 dim->key);
      return -1;
    }
    switch (dim->role) {
    case CBS_DIM_GEO:
      out->area = key;
      break;
    case CBS_DIM_TIME:
      out->period = key;
      out->period_member = cbs_dim_find(dim, key);
      if (!out->period_member)
        warn_unknown_period(ctx, run, dim->key, key);
      break;
    case CBS_DIM_MARGES:
      if (cbs_marges_component(key, &out->component) != 0) {
        reject_row(ctx, run, where,
                   "Marges key \"%s\" is not MW00000, MOG0095 or MBG0095", key);
        return -1;
      }
      break;
    case CBS_DIM_PLAIN:
      member = cbs_dim_find(dim, key);
      if (!member) {
        reject_row(ctx, run, where, "%s key \"%s\" is not in its entity set",
                   dim->key, key);
        return -1;
      }
      out->breakdown[out->breakdown_count].dimension =
          dim->breakdown_name ? dim->breakdown_name : dim->key;
      out->breakdown[out->breakdown_count].member = member->title;
      out->breakdown_count++;
      break;
    }
  }
  return 0;
}

gw_result cbs_emit_cell(struct cbs_ctx *ctx, struct gw_run *run,
                        const struct cbs_row_keys *keys,
                        const char *source_code, const struct cbs_cell *cell,
                        const struct cbs_row_ref *ref) {
  struct gw_raw_observation obs;

  memset(&obs, 0, sizeof obs);
  obs.size = sizeof obs;
  obs.dataset = ctx->dataset;
  obs.source_code = source_code;
  obs.indicator = NULL; /* the host resolves it through the catalogue */
  obs.area = keys->area;
  obs.period = keys->period;
  obs.breakdown = keys->breakdown_count ? keys->breakdown : NULL;
  obs.breakdown_count = keys->breakdown_count;
  obs.component = keys->component;
  obs.has_value = cell->has_value;
  obs.value = cell->has_value ? cell->value : 0.0;
  obs.status = cell->status;
  obs.unit = NULL;
  obs.status_detail = cell->status_detail;
  obs.payload = ref->payload;
  obs.position = ref->position;
  return ctx->host->emit(run, &obs);
}

gw_result cbs_dims_check(struct cbs_ctx *ctx, struct gw_run *run,
                         struct cbs_dimensions *dims, const char *what) {
  size_t i;
  int have_geo = 0;
  int have_time = 0;
  int have_marges = 0;

  for (i = 0; i < dims->count; i++) {
    struct cbs_dimension *dim = &dims->items[i];
    int *seen = dim->role == CBS_DIM_GEO      ? &have_geo
                : dim->role == CBS_DIM_TIME   ? &have_time
                : dim->role == CBS_DIM_MARGES ? &have_marges
                                              : NULL;
    if (!seen)
      continue;
    if (*seen) { /* a second area/period/Marges column: a breakdown */
      dim->role = CBS_DIM_PLAIN;
      dim->breakdown_name = cbs_breakdown_name(ctx, dim->key);
      continue;
    }
    *seen = 1;
  }
  if (!have_geo || !have_time) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "%s of %s has no %s dimension, so observations would "
                   "have no %s",
                   what, ctx->dataset,
                   have_geo ? "TimeDimension" : "GeoDimension/GeoDetail",
                   have_geo ? "period" : "area");
    return GW_FAIL;
  }
  return GW_OK;
}
