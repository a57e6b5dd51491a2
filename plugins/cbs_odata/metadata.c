/*
 * metadata.c - the small documents read before the data: the service
 * document (which entity sets a table has) and the dimension entity sets
 * (member titles and period status), both shared by v3 and v4.
 */
#include "cbs_odata.h"

#include <stdio.h>
#include <string.h>

struct member_loader {
  struct cbs_ctx *ctx;
  struct cbs_dimension *dim;
  const char *key_field;
};

static gw_result member_row(void *state, struct gw_run *run, const json_t *row,
                            const struct cbs_row_ref *ref) {
  struct member_loader *loader = state;
  char where[160];

  snprintf(where, sizeof where, "%s page %llu row %llu", loader->dim->key,
           (unsigned long long)ref->page, (unsigned long long)ref->position);
  return cbs_dim_add_member(loader->dim, row, loader->key_field,
                            loader->ctx->host, run, where);
}

gw_result cbs_load_dimension(struct cbs_ctx *ctx, struct gw_run *run,
                             struct cbs_dimension *dim, const char *url,
                             const char *key_field, const char *next_key) {
  struct member_loader loader = {ctx, dim, key_field};
  struct cbs_paging_stats stats;
  gw_result rc =
      cbs_page_through(ctx, run, url, next_key, member_row, &loader, &stats);

  cbs_dim_sort(dim);
  if (rc == GW_OK)
    ctx->host->log(run, GW_LOG_DEBUG, "%s: dimension %s has %zu members",
                   ctx->dataset, dim->key, dim->member_count);
  return rc;
}

static int has_entity_set(const json_t *values, const char *name) {
  size_t i;

  for (i = 0; i < json_array_size(values); i++) {
    const char *n = cbs_json_string(json_array_get(values, i), "name");
    if (n && strcmp(n, name) == 0)
      return 1;
  }
  return 0;
}

static void list_entity_sets(const json_t *values, struct cbs_buf *out) {
  size_t i;

  for (i = 0; i < json_array_size(values) && i < 40; i++) {
    const char *n = cbs_json_string(json_array_get(values, i), "name");
    cbs_buf_printf(out, "%s%s", i ? ", " : "", n ? n : "?");
  }
  if (i == 0)
    cbs_buf_append(out, "none");
}

gw_result cbs_check_entity_sets(struct cbs_ctx *ctx, struct gw_run *run,
                                const char *url, const char *const *required,
                                const char *expectation) {
  struct cbs_doc doc;
  struct cbs_buf names = {0};
  json_t *values;
  gw_result rc = cbs_fetch_values(ctx, run, url, &doc, &values);

  if (rc != GW_OK)
    return rc;
  for (; *required; required++) {
    if (has_entity_set(values, *required))
      continue;
    list_entity_sets(values, &names);
    ctx->host->log(run, GW_LOG_ERROR,
                   "%s: the service document lists no %s entity set (it has: "
                   "%s); is this %s?",
                   doc.url, *required, names.data ? names.data : "?",
                   expectation);
    rc = GW_FAIL;
    break;
  }
  cbs_buf_free(&names);
  cbs_doc_release(&doc);
  return rc;
}
