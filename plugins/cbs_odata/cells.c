/*
 * cells.c - turn one StatLine cell into value + status: JSON numbers and
 * nulls of TypedDataSet, the padded strings and symbols of UntypedDataSet,
 * and the provisional status that lives on the period, not on the cell.
 */
#include "cbs_odata.h"

#include <string.h>

void cbs_warn_unknown_marker(struct cbs_ctx *ctx, struct gw_run *run,
                             const char *what, const char *marker) {
  if (cbs_symbols_first_warning(&ctx->symbols, marker) == 1)
    ctx->host->log(run, GW_LOG_WARN,
                   "%s: unknown %s \"%s\": stored as missing with the marker "
                   "kept verbatim (map it with params.markers); further "
                   "occurrences are not logged",
                   ctx->dataset, what, marker);
}

static void cell_reset(struct cbs_cell *out) {
  out->has_value = 0;
  out->value = 0.0;
  out->status = GW_STATUS_UNSET;
  out->status_detail = NULL;
  out->usable = 1;
  out->detail_buf[0] = '\0';
}

void cbs_cell_from_text(struct cbs_ctx *ctx, struct gw_run *run,
                        const char *text, struct cbs_cell *out) {
  size_t len;
  gw_status status;

  cell_reset(out);
  while (*text == ' ' || *text == '\t')
    text++;
  len = strlen(text);
  while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
    len--;
  if (len >= sizeof out->detail_buf) {
    out->usable = 0; /* neither a number nor a marker CBS uses */
    return;
  }
  memcpy(out->detail_buf, text, len);
  out->detail_buf[len] = '\0';
  if (len > 0 && ctx->host->parse_number(out->detail_buf, &out->value) == 0) {
    out->has_value = 1;
    return;
  }
  out->value = 0.0;
  out->status_detail = out->detail_buf;
  if (cbs_symbols_lookup(&ctx->symbols, out->detail_buf, &status)) {
    out->status = status;
    return;
  }
  cbs_warn_unknown_marker(ctx, run, "cell symbol", out->detail_buf);
  out->status = GW_STATUS_MISSING;
}

void cbs_cell_from_json(struct cbs_ctx *ctx, struct gw_run *run,
                        const json_t *cell, struct cbs_cell *out) {
  cell_reset(out);
  if (!cell || json_is_null(cell)) {
    out->status = GW_STATUS_MISSING;
  } else if (json_is_number(cell)) {
    out->has_value = 1;
    out->value = json_number_value(cell);
  } else if (json_is_string(cell)) {
    cbs_cell_from_text(ctx, run, json_string_value(cell), out);
  } else {
    out->usable = 0;
  }
}

void cbs_cell_apply_period(struct cbs_cell *cell,
                           const struct cbs_member *period) {
  if (!period || !cell->has_value || cell->status != GW_STATUS_UNSET)
    return;
  if (period->status == GW_STATUS_PROVISIONAL) {
    cell->status = GW_STATUS_PROVISIONAL;
    cell->status_detail = period->status_text;
  }
}
