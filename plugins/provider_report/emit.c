/*
 * emit.c - one checked figure becomes one raw observation. The policy code
 * is the source code (the catalogue maps provider_report/"*"/<code>), the
 * report's breakdown and unit travel along, and a status marker becomes a
 * status without a value: a missing figure is never 0.
 */
#include "provider_report.h"

#include <string.h>

static gw_status status_for_marker(const char *marker) {
  if (strcmp(marker, "n.n.b.") == 0)
    return GW_STATUS_NOT_YET_KNOWN;
  if (strcmp(marker, "N.v.t.") == 0)
    return GW_STATUS_NOT_APPLICABLE;
  return GW_STATUS_MISSING; /* NB: no data */
}

gw_result pr_emit_figure(struct pr_ctx *ctx, struct gw_run *run,
                         struct gw_payload *payload,
                         const struct pr_figure *figure) {
  struct gw_breakdown_item items[PR_MAX_BREAKDOWN];
  struct gw_raw_observation obs;
  size_t i;

  memset(&obs, 0, sizeof obs);
  for (i = 0; i < figure->breakdown_count && i < PR_MAX_BREAKDOWN; i++) {
    items[i].dimension = figure->dimension[i];
    items[i].member = figure->member[i];
  }
  obs.size = sizeof obs;
  obs.dataset = PR_DATASET;
  obs.source_code = figure->indicator;
  obs.indicator = NULL; /* the host resolves it through the catalogue */
  obs.area = figure->area;
  obs.period = figure->period;
  obs.breakdown = figure->breakdown_count ? items : NULL;
  obs.breakdown_count = i;
  obs.component = GW_COMPONENT_VALUE;
  obs.has_value = figure->has_value;
  obs.value = figure->has_value ? figure->value : 0.0;
  obs.status =
      figure->has_value ? GW_STATUS_UNSET : status_for_marker(figure->status);
  obs.status_detail = figure->has_value ? NULL : figure->status;
  obs.unit = figure->unit[0] ? figure->unit : NULL;
  obs.payload = payload;
  obs.position = figure->number;
  return ctx->host->emit(run, &obs);
}
