/*
 * odata_v3.c - CBS StatLine OData v3 (opendata.cbs.nl, dataderden.cbs.nl):
 * service document, DataProperties, dimension entity sets, then
 * TypedDataSet (or UntypedDataSet) pages along odata.nextLink. Each row is
 * wide: one raw observation per selected topic column.
 */
#include "cbs_odata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V3_NEXT_LINK "odata.nextLink"

struct v3_state {
  struct cbs_ctx *ctx;
  struct cbs_dimensions dims;
  struct cbs_topics candidates; /* every Topic column of DataProperties */
  struct cbs_topics selected;
  struct cbs_row_keys keys;
  uint64_t emitted;
  uint64_t rejected;
};

static int is_numeric_datatype(const char *datatype) {
  static const char *const numeric[] = {
      "Double",    "Float",     "Decimal", "Long",  "Integer",
      "Integer32", "Integer64", "Int16",   "Int32", "Int64",
      "Short",     "Byte",      NULL};
  size_t i;

  if (!datatype)
    return 0;
  for (i = 0; numeric[i]; i++)
    if (strcmp(datatype, numeric[i]) == 0)
      return 1;
  return 0;
}

static gw_result property_row(void *opaque, struct gw_run *run,
                              const json_t *row,
                              const struct cbs_row_ref *ref) {
  struct v3_state *st = opaque;
  struct cbs_ctx *ctx = st->ctx;
  const char *type = cbs_json_string(row, "Type");
  const char *key = cbs_json_string(row, "Key");
  enum cbs_dim_role role;
  char where[64];

  if (!type || !key || !*key) {
    cbs_row_location(ref, where, sizeof where);
    ctx->host->reject(run, where,
                      "DataProperties row needs string Type and Key");
    return GW_OK;
  }
  if (cbs_dim_role_from_type(type, key, &role) == 0) {
    if (cbs_dims_add(&st->dims, key, role,
                     role == CBS_DIM_PLAIN ? cbs_breakdown_name(ctx, key)
                                           : NULL) != 0)
      goto oom;
  } else if (strcmp(type, "Topic") == 0) {
    if (cbs_topics_add(&st->candidates, key, NULL,
                       is_numeric_datatype(cbs_json_string(row, "Datatype"))) !=
        0)
      goto oom;
  }
  return GW_OK; /* TopicGroup and other structure rows carry no data */
oom:
  ctx->host->log(run, GW_LOG_ERROR, "%s: out of memory reading DataProperties",
                 ctx->dataset);
  return GW_FAIL;
}

static gw_result read_metadata(struct v3_state *st, struct gw_run *run) {
  struct cbs_ctx *ctx = st->ctx;
  struct cbs_buf url = {0};
  struct cbs_paging_stats stats;
  const char *data_set = ctx->typed ? "TypedDataSet" : "UntypedDataSet";
  const char *const required[] = {"DataProperties", data_set, NULL};
  gw_result rc = GW_FAIL;
  size_t i;

  if (cbs_buf_printf(&url, "%s?$format=json", ctx->url) != 0)
    goto oom;
  rc = cbs_check_entity_sets(ctx, run, url.data, required,
                             "a StatLine v3 table root");
  if (rc != GW_OK)
    goto out;
  cbs_buf_reset(&url);
  if (cbs_buf_printf(&url, "%s/DataProperties?$format=json", ctx->url) != 0)
    goto oom;
  rc = cbs_page_through(ctx, run, url.data, V3_NEXT_LINK, property_row, st,
                        &stats);
  if (rc != GW_OK ||
      (rc = cbs_dims_check(ctx, run, &st->dims, "DataProperties")) != GW_OK ||
      (rc = cbs_topics_select(ctx, run, &st->candidates, "DataProperties",
                              &st->selected)) != GW_OK)
    goto out;
  /* Area members are not loaded: the host validates area codes, and a
   * wijken-en-buurten dimension has ~17,000 members we would never use. */
  for (i = 0; i < st->dims.count && rc == GW_OK; i++) {
    struct cbs_dimension *dim = &st->dims.items[i];
    if (dim->role == CBS_DIM_GEO)
      continue;
    cbs_buf_reset(&url);
    if (cbs_buf_printf(&url, "%s/", ctx->url) != 0 ||
        cbs_buf_append_encoded(&url, dim->key) != 0 ||
        cbs_buf_append(&url, "?$format=json") != 0)
      goto oom;
    rc = cbs_load_dimension(ctx, run, dim, url.data, "Key", V3_NEXT_LINK);
  }
  goto out;
oom:
  ctx->host->log(run, GW_LOG_ERROR, "%s: out of memory building a URL",
                 ctx->url);
  rc = GW_FAIL;
out:
  cbs_buf_free(&url);
  return rc;
}

/* <url>/TypedDataSet?$format=json&$select=<dims,topics>[&$filter=...] */
static int build_data_url(const struct v3_state *st, struct cbs_buf *url) {
  struct cbs_ctx *ctx = st->ctx;
  struct cbs_buf select = {0};
  size_t i;
  int rc = -1;

  for (i = 0; i < st->dims.count; i++)
    if (cbs_buf_printf(&select, "%s%s", i ? "," : "", st->dims.items[i].key))
      goto out;
  for (i = 0; i < st->selected.count; i++)
    if (cbs_buf_printf(&select, ",%s", st->selected.items[i].column))
      goto out;
  if (cbs_buf_printf(url, "%s/%s?$format=json&$select=", ctx->url,
                     ctx->typed ? "TypedDataSet" : "UntypedDataSet") != 0 ||
      cbs_buf_append_encoded(url, select.data) != 0)
    goto out;
  if (ctx->filter && (cbs_buf_append(url, "&$filter=") != 0 ||
                      cbs_buf_append_encoded(url, ctx->filter) != 0))
    goto out;
  rc = 0;
out:
  cbs_buf_free(&select);
  return rc;
}

static gw_result data_row(void *opaque, struct gw_run *run, const json_t *row,
                          const struct cbs_row_ref *ref) {
  struct v3_state *st = opaque;
  struct cbs_ctx *ctx = st->ctx;
  char where[64];
  size_t i;

  cbs_row_location(ref, where, sizeof where);
  if (cbs_row_keys_read(ctx, run, &st->dims, row, where, &st->keys) != 0) {
    st->rejected++;
    return GW_OK;
  }
  for (i = 0; i < st->selected.count; i++) {
    const struct cbs_topic *topic = &st->selected.items[i];
    const json_t *value = json_object_get(row, topic->column);
    struct cbs_cell cell;
    gw_result rc;

    /* DataProperties listed the column, so a row without it comes from
     * a table whose structure changed during the run (or from another
     * table): storing the pages before it would mix two tables. */
    if (!value) {
      ctx->host->log(run, GW_LOG_ERROR,
                     "%s: %s has no column %s, which DataProperties lists: "
                     "the table changed during the run; nothing of this run "
                     "is stored",
                     ctx->dataset, where, topic->column);
      return GW_FAIL;
    }
    cbs_cell_from_json(ctx, run, value, &cell);
    if (!cell.usable) {
      char reason[160];
      snprintf(reason, sizeof reason,
               "column %s: expected a number, null or a CBS symbol",
               topic->column);
      ctx->host->reject(run, where, reason);
      st->rejected++;
      continue;
    }
    cbs_cell_apply_period(&cell, st->keys.period_member);
    rc = cbs_emit_cell(ctx, run, &st->keys, topic->code, &cell, ref);
    if (rc != GW_OK)
      return rc;
    st->emitted++;
  }
  return GW_OK;
}

gw_result cbs_v3_run(struct cbs_ctx *ctx, struct gw_run *run) {
  struct v3_state st;
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
  rc =
      cbs_page_through(ctx, run, url.data, V3_NEXT_LINK, data_row, &st, &stats);
  ctx->host->log(run, rc == GW_OK ? GW_LOG_INFO : GW_LOG_WARN,
                 "%s: %llu pages, %llu rows, %zu topics, %llu observations "
                 "emitted, %llu rows/cells rejected%s",
                 ctx->dataset, (unsigned long long)stats.pages,
                 (unsigned long long)stats.rows, st.selected.count,
                 (unsigned long long)st.emitted,
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
