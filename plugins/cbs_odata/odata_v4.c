/*
 * odata_v4.c - CBS OData v4 (datasets.cbs.nl/odata/v1/<catalog>/<id>):
 * entity sets, MeasureCodes, Dimensions, <Dim>Codes, then Observations
 * pages along @odata.nextLink. Observations are long: one row is one cell,
 * flagged by ValueAttribute ("None" for an ordinary value).
 */
#include "cbs_odata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V4_NEXT_LINK "@odata.nextLink"
/* Beyond this many measures the Measure filter would make the URL too
 * long; rows of other measures are then skipped here instead. */
#define V4_MAX_FILTERED_MEASURES 40

struct v4_state {
  struct cbs_ctx *ctx;
  struct cbs_dimensions dims;
  struct cbs_topics candidates; /* every MeasureCodes entry */
  struct cbs_topics selected;
  struct cbs_row_keys keys;
  uint64_t emitted;
  uint64_t rejected;
  uint64_t skipped; /* rows of measures we were not asked for */
};

static gw_result measure_row(void *opaque, struct gw_run *run,
                             const json_t *row, const struct cbs_row_ref *ref) {
  struct v4_state *st = opaque;
  const char *id = cbs_json_string(row, "Identifier");
  char where[64];

  if (!id || !*id) {
    cbs_row_location(ref, where, sizeof where);
    st->ctx->host->reject(run, where, "MeasureCodes row needs an Identifier");
    return GW_OK;
  }
  /* StringValue-only measures (DatasetType Text) are not numbers. */
  if (cbs_topics_add(&st->candidates, id, id,
                     !cbs_json_string(row, "DataType") ||
                         strcmp(cbs_json_string(row, "DataType"), "String") !=
                             0) != 0) {
    st->ctx->host->log(run, GW_LOG_ERROR, "%s: out of memory", st->ctx->url);
    return GW_FAIL;
  }
  return GW_OK;
}

static int is_known_geo_identifier(const char *id) {
  static const char *const names[] = {"RegioS", "WijkenEnBuurten", "Regio",
                                      "Gemeenten", NULL};
  size_t i;

  for (i = 0; names[i]; i++)
    if (strcmp(id, names[i]) == 0)
      return 1;
  return 0;
}

static gw_result dimension_row(void *opaque, struct gw_run *run,
                               const json_t *row,
                               const struct cbs_row_ref *ref) {
  struct v4_state *st = opaque;
  struct cbs_ctx *ctx = st->ctx;
  const char *id = cbs_json_string(row, "Identifier");
  const char *kind = cbs_json_string(row, "Kind");
  enum cbs_dim_role role;
  char where[64];

  if (!id || !*id) {
    cbs_row_location(ref, where, sizeof where);
    ctx->host->reject(run, where, "Dimensions row needs an Identifier");
    return GW_OK;
  }
  if (cbs_dim_role_from_type(kind, id, &role) != 0) {
    /* The v4 Kind list is not documented completely: treat an unknown
     * kind as an ordinary dimension, but recognise the usual area ones. */
    role = is_known_geo_identifier(id) ? CBS_DIM_GEO
           : strcmp(id, "Marges") == 0 ? CBS_DIM_MARGES
                                       : CBS_DIM_PLAIN;
    ctx->host->log(run, GW_LOG_WARN,
                   "%s: dimension %s has unknown Kind \"%s\"; treated as %s",
                   ctx->dataset, id, kind ? kind : "(none)",
                   role == CBS_DIM_GEO ? "the area" : "a breakdown");
  }
  if (cbs_dims_add(&st->dims, id, role,
                   role == CBS_DIM_PLAIN ? cbs_breakdown_name(ctx, id)
                                         : NULL) != 0) {
    ctx->host->log(run, GW_LOG_ERROR, "%s: out of memory", ctx->url);
    return GW_FAIL;
  }
  return GW_OK;
}

static gw_result fetch_list(struct v4_state *st, struct gw_run *run,
                            const char *entity_set, cbs_row_fn fn) {
  struct cbs_buf url = {0};
  struct cbs_paging_stats stats;
  gw_result rc = GW_FAIL;

  if (cbs_buf_printf(&url, "%s/%s", st->ctx->url, entity_set) == 0)
    rc = cbs_page_through(st->ctx, run, url.data, V4_NEXT_LINK, fn, st, &stats);
  else
    st->ctx->host->log(run, GW_LOG_ERROR, "%s: out of memory", st->ctx->url);
  cbs_buf_free(&url);
  return rc;
}

static gw_result read_metadata(struct v4_state *st, struct gw_run *run) {
  struct cbs_ctx *ctx = st->ctx;
  static const char *const required[] = {"Observations", "MeasureCodes",
                                         "Dimensions", NULL};
  gw_result rc;
  size_t i;

  rc = cbs_check_entity_sets(ctx, run, ctx->url, required,
                             "a CBS OData v4 dataset root");
  if (rc != GW_OK ||
      (rc = fetch_list(st, run, "MeasureCodes", measure_row)) != GW_OK ||
      (rc = cbs_topics_select(ctx, run, &st->candidates, "MeasureCodes",
                              &st->selected)) != GW_OK ||
      (rc = fetch_list(st, run, "Dimensions", dimension_row)) != GW_OK)
    return rc;
  for (i = 0; i < st->dims.count; i++) /* fall back on the usual names */
    if (st->dims.items[i].role == CBS_DIM_PLAIN &&
        is_known_geo_identifier(st->dims.items[i].key))
      st->dims.items[i].role = CBS_DIM_GEO;
  rc = cbs_dims_check(ctx, run, &st->dims, "Dimensions");
  for (i = 0; i < st->dims.count && rc == GW_OK; i++) {
    struct cbs_dimension *dim = &st->dims.items[i];
    struct cbs_buf url = {0};
    if (dim->role == CBS_DIM_GEO)
      continue; /* see odata_v3.c: area members are not needed */
    if (cbs_buf_printf(&url, "%s/", ctx->url) != 0 ||
        cbs_buf_append_encoded(&url, dim->key) != 0 ||
        cbs_buf_append(&url, "Codes") != 0) {
      ctx->host->log(run, GW_LOG_ERROR, "%s: out of memory", ctx->url);
      rc = GW_FAIL;
    } else {
      rc = cbs_load_dimension(ctx, run, dim, url.data, "Identifier",
                              V4_NEXT_LINK);
    }
    cbs_buf_free(&url);
  }
  return rc;
}

/* OData string literal: single quotes doubled. */
static int append_quoted(struct cbs_buf *buf, const char *text) {
  if (cbs_buf_append(buf, "'") != 0)
    return -1;
  for (; *text; text++)
    if (cbs_buf_append_len(buf, text, 1) != 0 ||
        (*text == '\'' && cbs_buf_append(buf, "'") != 0))
      return -1;
  return cbs_buf_append(buf, "'");
}

/* <url>/Observations[?$filter=(Measure eq 'a' or ...) and (<filter>)] */
static int build_data_url(const struct v4_state *st, struct cbs_buf *url) {
  struct cbs_ctx *ctx = st->ctx;
  struct cbs_buf filter = {0};
  size_t i;
  int rc = -1;
  int by_measure = st->selected.count <= V4_MAX_FILTERED_MEASURES;

  for (i = 0; by_measure && i < st->selected.count; i++)
    if (cbs_buf_append(&filter, i ? " or Measure eq " : "(Measure eq ") != 0 ||
        append_quoted(&filter, st->selected.items[i].column) != 0)
      goto out;
  if (by_measure && cbs_buf_append(&filter, ")") != 0)
    goto out;
  if (ctx->filter &&
      cbs_buf_printf(&filter, "%s(%s)", filter.len ? " and " : "",
                     ctx->filter) != 0)
    goto out;
  if (cbs_buf_printf(url, "%s/Observations", ctx->url) != 0)
    goto out;
  if (filter.len && (cbs_buf_append(url, "?$filter=") != 0 ||
                     cbs_buf_append_encoded(url, filter.data) != 0))
    goto out;
  rc = 0;
out:
  cbs_buf_free(&filter);
  return rc;
}

static const struct cbs_topic *selected_measure(const struct v4_state *st,
                                                const char *measure) {
  size_t i;

  for (i = 0; i < st->selected.count; i++)
    if (strcmp(st->selected.items[i].column, measure) == 0)
      return &st->selected.items[i];
  return NULL;
}

/* ValueAttribute "None" is an ordinary cell; anything else flags it. */
static void read_cell(struct cbs_ctx *ctx, struct gw_run *run,
                      const json_t *row, struct cbs_cell *cell) {
  const char *attribute = cbs_json_string(row, "ValueAttribute");
  const json_t *value = json_object_get(row, "Value");
  gw_status status;

  cbs_cell_from_json(ctx, run, value, cell);
  if (!attribute || strcmp(attribute, "None") == 0 || !cell->usable)
    return;
  cell->status_detail = attribute;
  if (!cbs_symbols_lookup(&ctx->symbols, attribute, &status)) {
    cbs_warn_unknown_marker(ctx, run, "ValueAttribute", attribute);
    status = GW_STATUS_MISSING;
  }
  cell->status = status;
  /* A provisional or revised figure is still a figure; every other flag
   * means the cell must not be read as a number. */
  if (status != GW_STATUS_PROVISIONAL && status != GW_STATUS_REVISED &&
      status != GW_STATUS_FINAL)
    cell->has_value = 0;
}

static gw_result observation_row(void *opaque, struct gw_run *run,
                                 const json_t *row,
                                 const struct cbs_row_ref *ref) {
  struct v4_state *st = opaque;
  struct cbs_ctx *ctx = st->ctx;
  const struct cbs_topic *measure;
  struct cbs_cell cell;
  char where[64];
  gw_result rc;

  cbs_row_location(ref, where, sizeof where);
  if (!json_is_object(row) || !cbs_json_string(row, "Measure")) {
    ctx->host->reject(run, where,
                      "expected an Observations object with a string Measure");
    st->rejected++;
    return GW_OK;
  }
  measure = selected_measure(st, cbs_json_string(row, "Measure"));
  if (!measure) {
    st->skipped++;
    return GW_OK;
  }
  if (cbs_row_keys_read(ctx, run, &st->dims, row, where, &st->keys) != 0) {
    st->rejected++;
    return GW_OK;
  }
  read_cell(ctx, run, row, &cell);
  if (!cell.usable) {
    ctx->host->reject(run, where, "Value: expected a number or null");
    st->rejected++;
    return GW_OK;
  }
  cbs_cell_apply_period(&cell, st->keys.period_member);
  rc = cbs_emit_cell(ctx, run, &st->keys, measure->code, &cell, ref);
  if (rc == GW_OK)
    st->emitted++;
  return rc;
}

gw_result cbs_v4_run(struct cbs_ctx *ctx, struct gw_run *run) {
  struct v4_state st;
  struct cbs_buf url = {0};
  struct cbs_paging_stats stats = {0};
  gw_result rc;

  memset(&st, 0, sizeof st);
  st.ctx = ctx;
  rc = read_metadata(&st, run);
  if (rc != GW_OK)
    goto out;
  st.keys.breakdown = calloc(st.dims.count, sizeof *st.keys.breakdown);
  if (!st.keys.breakdown || build_data_url(&st, &url) != 0) {
    ctx->host->log(run, GW_LOG_ERROR, "%s: out of memory", ctx->url);
    rc = GW_FAIL;
    goto out;
  }
  rc = cbs_page_through(ctx, run, url.data, V4_NEXT_LINK, observation_row, &st,
                        &stats);
  ctx->host->log(run, rc == GW_OK ? GW_LOG_INFO : GW_LOG_WARN,
                 "%s: %llu pages, %llu observations read, %zu measures, %llu "
                 "emitted, %llu of other measures skipped, %llu rejected%s",
                 ctx->dataset, (unsigned long long)stats.pages,
                 (unsigned long long)stats.rows, st.selected.count,
                 (unsigned long long)st.emitted, (unsigned long long)st.skipped,
                 (unsigned long long)st.rejected,
                 rc == GW_OK ? "" : " (run stopped early)");
out:
  free(st.keys.breakdown);
  cbs_buf_free(&url);
  cbs_dims_free(&st.dims);
  cbs_topics_free(&st.candidates);
  cbs_topics_free(&st.selected);
  return rc;
}
