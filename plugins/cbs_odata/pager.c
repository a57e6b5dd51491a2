/*
 * pager.c - walk an OData result set page by page along its nextLinks.
 *
 * Exactly one page is parsed at a time: the rows are handed to a callback
 * and the page is released before the next one is fetched, so memory stays
 * flat however long the table is. A nextLink must stay on the source's own
 * origin (no downgrade to http://, no other host), may not repeat a page
 * already fetched, and the number of pages is capped by params.max_pages.
 */
#include "cbs_odata.h"

#include <stdlib.h>
#include <string.h>

/* Fingerprints of fetched URLs: 8 bytes per page keeps the loop guard
 * cheap even at the max_pages limit. */
struct seen_urls {
  uint64_t *hashes;
  size_t count;
  size_t cap;
};

static uint64_t url_hash(const char *url) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  const unsigned char *p;

  for (p = (const unsigned char *)url; *p; p++) {
    h ^= *p;
    h *= 1099511628211ull;
  }
  return h;
}

static int seen_contains(const struct seen_urls *seen, uint64_t h) {
  size_t i;

  for (i = 0; i < seen->count; i++)
    if (seen->hashes[i] == h)
      return 1;
  return 0;
}

static int seen_add(struct seen_urls *seen, uint64_t h) {
  if (seen->count == seen->cap) {
    size_t cap = seen->cap ? seen->cap * 2 : 16;
    uint64_t *grown = realloc(seen->hashes, cap * sizeof *grown);
    if (!grown)
      return -1;
    seen->hashes = grown;
    seen->cap = cap;
  }
  seen->hashes[seen->count++] = h;
  return 0;
}

/* Copy the page's nextLink into next (empty when there is none). */
static gw_result take_next_link(struct cbs_ctx *ctx, struct gw_run *run,
                                const struct cbs_doc *doc, const char *key,
                                struct cbs_buf *next) {
  const json_t *link = json_object_get(doc->root, key);
  const char *text = json_string_value(link);

  cbs_buf_reset(next);
  if (!link || json_is_null(link))
    return GW_OK;
  if (!text || !*text) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "%s: \"%s\" must be a non-empty URL string", doc->url, key);
    return GW_FAIL;
  }
  if (!cbs_same_origin(text, ctx->url)) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "%s: \"%s\" points at %s, which is not on the source's own "
                   "origin (%s); refusing to follow it",
                   doc->url, key, text, ctx->url);
    return GW_FAIL;
  }
  if (cbs_buf_append(next, text) != 0) {
    ctx->host->log(run, GW_LOG_ERROR, "%s: out of memory", doc->url);
    return GW_FAIL;
  }
  return GW_OK;
}

static gw_result feed_rows(struct gw_run *run, const json_t *rows,
                           const struct cbs_doc *doc, uint64_t page,
                           cbs_row_fn fn, void *state) {
  size_t i;
  size_t n = json_array_size(rows);
  struct cbs_row_ref ref;

  ref.payload = doc->payload;
  ref.page = page;
  for (i = 0; i < n; i++) {
    gw_result rc;
    ref.position = (uint64_t)i + 1;
    rc = fn(state, run, json_array_get(rows, i), &ref);
    if (rc != GW_OK)
      return rc;
  }
  return GW_OK;
}

gw_result cbs_page_through(struct cbs_ctx *ctx, struct gw_run *run,
                           const char *first_url, const char *next_link_key,
                           cbs_row_fn fn, void *state,
                           struct cbs_paging_stats *stats) {
  struct seen_urls seen = {0};
  struct cbs_buf current = {0};
  struct cbs_buf next = {0};
  struct cbs_doc doc = {0};
  gw_result rc = GW_FAIL;

  memset(stats, 0, sizeof *stats);
  if (cbs_buf_append(&current, first_url) != 0)
    goto oom;
  for (;;) {
    json_t *rows;
    uint64_t h = url_hash(current.data);

    if (seen_contains(&seen, h)) {
      ctx->host->log(run, GW_LOG_ERROR,
                     "%s: nextLink loop: page %llu links back to an already "
                     "fetched page",
                     current.data, (unsigned long long)stats->pages);
      rc = GW_FAIL;
      goto out;
    }
    if ((int64_t)stats->pages >= ctx->max_pages) {
      ctx->host->log(run, GW_LOG_ERROR,
                     "%s: more than max_pages=%lld pages; stopping (raise "
                     "params.max_pages if the table really is that long)",
                     current.data, (long long)ctx->max_pages);
      rc = GW_FAIL;
      goto out;
    }
    if (seen_add(&seen, h) != 0)
      goto oom;
    rc = cbs_fetch_values(ctx, run, current.data, &doc, &rows);
    if (rc != GW_OK)
      goto out;
    stats->pages++;
    stats->rows += json_array_size(rows);
    ctx->host->log(run, GW_LOG_DEBUG, "%s: page %llu: %zu rows", ctx->dataset,
                   (unsigned long long)stats->pages, json_array_size(rows));
    rc = feed_rows(run, rows, &doc, stats->pages, fn, state);
    if (rc == GW_OK)
      rc = take_next_link(ctx, run, &doc, next_link_key, &next);
    cbs_doc_release(&doc);
    if (rc != GW_OK)
      goto out;
    if (next.len == 0)
      break;
    cbs_buf_reset(&current);
    if (cbs_buf_append(&current, next.data) != 0)
      goto oom;
  }
  rc = GW_OK;
  goto out;
oom:
  ctx->host->log(run, GW_LOG_ERROR, "%s: out of memory while paging",
                 first_url);
  rc = GW_FAIL;
out:
  cbs_doc_release(&doc);
  cbs_buf_free(&current);
  cbs_buf_free(&next);
  free(seen.hashes);
  return rc;
}
