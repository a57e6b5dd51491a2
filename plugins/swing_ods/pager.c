/*
 * pager.c - fetch Swing ODS lists page by page and say what a refusal
 * means for this source.
 *
 * One page is parsed at a time, straight from the spooled payload, and
 * released before the next is fetched. Pages are chained by
 * @odata.nextLink (OData v4). Without one on the first page, a list walked
 * with SWING_PAGE_SKIP continues with $skip=<rows so far> until a page is
 * empty: a public client walks Variables that way, and the server's page
 * size is not documented ([?]). A server that ignores $skip is noticed (the
 * page repeats the first one) and not read twice.
 */
#include "swing_ods.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct payload_source {
  const struct gw_host_api *host;
  struct gw_payload *payload;
  int read_failed;
};

static size_t payload_callback(void *buffer, size_t buflen, void *data) {
  struct payload_source *src = data;
  ssize_t n = src->host->payload_read(src->payload, buffer, buflen);

  if (n < 0) {
    src->read_failed = 1;
    return (size_t)-1;
  }
  return (size_t)n;
}

const char *swing_json_string(const json_t *object, const char *key) {
  return json_string_value(json_object_get(object, key));
}

const char *swing_row_code(const json_t *row) {
  const char *code = swing_json_string(row, "ExternalCode");
  return code ? code : swing_json_string(row, "Code");
}

static long last_status(const struct swing_ctx *ctx, struct gw_run *run) {
  if (!GW_HOST_HAS(ctx->host, last_http_status) || !ctx->host->last_http_status)
    return 0;
  return ctx->host->last_http_status(run);
}

/* A failed fetch in the source's terms: the host only says FAIL/RETRY. */
static void explain_failure(const struct swing_ctx *ctx, struct gw_run *run,
                            const char *url, const struct swing_what *what,
                            gw_result rc) {
  long status = last_status(ctx, run);

  if (status == 401 || status == 403) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "API key refused for source %s (HTTP %ld from %s): %s",
                   ctx->source_id, status, ctx->host_name,
                   ctx->apikey_header
                       ? "check the key behind params.apikey (expired, "
                         "revoked, or for another instance?)"
                       : "this instance wants a key; set params.apikey to a "
                         "secret (\"${ENV_VAR}\" or {\"file\": ...})");
  } else if (status == 404 && what->values) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "no data at this level/period (%s, %s, %s): %s answered "
                   "404; check params.geo_level, params.period_level and "
                   "params.periods against the variable's levels",
                   what->variable ? what->variable : "?", ctx->geo_level,
                   what->period ? what->period : ctx->period_level, url);
  } else if (status == 404) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "%s answered 404: is the source url the Open Data Service "
                   "root (https://<host>/jiveservices/odata) and is the "
                   "service switched on for this instance?",
                   url);
  } else {
    ctx->host->log(run, rc == GW_RETRY ? GW_LOG_WARN : GW_LOG_ERROR,
                   "%s: fetch failed (%s%s%ld)", url,
                   rc == GW_RETRY ? "transient, may be retried" : "permanent",
                   status ? ", HTTP " : "", status);
  }
}

int swing_page_parse(json_t *root, json_t **values, const char **next_link,
                     char *err, size_t err_size) {
  const json_t *link;

  *values = NULL;
  *next_link = NULL;
  if (!json_is_object(root)) {
    snprintf(err, err_size, "expected a JSON object at the top level");
    return -1;
  }
  *values = json_object_get(root, "value");
  if (!json_is_array(*values)) {
    snprintf(err, err_size, "expected a \"value\" array of rows (OData), %s",
             *values ? "but \"value\" is not an array"
                     : "but the document has none");
    *values = NULL;
    return -1;
  }
  link = json_object_get(root, "@odata.nextLink");
  if (!link)
    link = json_object_get(root, "odata.nextLink"); /* OData v3 spelling */
  if (!link || json_is_null(link))
    return 0;
  *next_link = json_string_value(link);
  if (!*next_link || !**next_link) {
    snprintf(err, err_size, "\"@odata.nextLink\" must be a non-empty URL");
    *values = NULL;
    *next_link = NULL;
    return -1;
  }
  return 0;
}

/* Fetch url and parse it; *root owns the document. */
static gw_result fetch_page(struct swing_ctx *ctx, struct gw_run *run,
                            const char *url, const struct swing_what *what,
                            json_t **root, struct gw_payload **payload) {
  struct gw_fetch_request req;
  struct payload_source src;
  json_error_t error;
  gw_result rc;

  *root = NULL;
  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.url = url;
  req.headers = ctx->headers;
  rc = ctx->host->fetch(run, &req, payload);
  if (rc != GW_OK) {
    explain_failure(ctx, run, url, what, rc);
    return rc;
  }
  if (!*payload) {
    ctx->host->log(run, GW_LOG_ERROR, "%s: fetch returned no payload", url);
    return GW_FAIL;
  }
  src.host = ctx->host;
  src.payload = *payload;
  src.read_failed = 0;
  *root = json_load_callback(payload_callback, &src, JSON_REJECT_DUPLICATES,
                             &error);
  if (*root)
    return GW_OK;
  if (src.read_failed)
    ctx->host->log(run, GW_LOG_ERROR, "%s: reading the spooled response failed",
                   url);
  else
    ctx->host->log(run, GW_LOG_ERROR,
                   "%s: invalid JSON at line %d column %d: %s", url, error.line,
                   error.column, error.text);
  return GW_FAIL;
}

struct walk {
  struct swing_buf current;
  uint64_t *seen; /* FNV-1a of every fetched URL: the loop guard */
  size_t seen_count;
  uint64_t pages;
  uint64_t rows;
  char *first_code; /* first row of page 1, to notice an ignored $skip */
  int skipping;
};

static uint64_t url_hash(const char *url) {
  uint64_t h = 1469598103934665603ull;
  const unsigned char *p;

  for (p = (const unsigned char *)url; *p; p++) {
    h ^= *p;
    h *= 1099511628211ull;
  }
  return h;
}

/* 1 when url was fetched before, 0 after remembering it, -1 out of memory. */
static int seen_before(struct walk *w, const char *url) {
  uint64_t h = url_hash(url);
  uint64_t *grown;
  size_t i;

  for (i = 0; i < w->seen_count; i++)
    if (w->seen[i] == h)
      return 1;
  grown = realloc(w->seen, (w->seen_count + 1) * sizeof *grown);
  if (!grown)
    return -1;
  w->seen = grown;
  w->seen[w->seen_count++] = h;
  return 0;
}

static gw_result feed_rows(struct gw_run *run, const json_t *rows,
                           const struct gw_payload *payload, uint64_t page,
                           swing_row_fn fn, void *state) {
  struct swing_row_ref ref;
  size_t i;

  ref.payload = payload;
  ref.page = page;
  for (i = 0; i < json_array_size(rows); i++) {
    gw_result rc;
    ref.position = (uint64_t)i + 1;
    rc = fn(state, run, json_array_get(rows, i), &ref);
    if (rc != GW_OK)
      return rc;
  }
  return GW_OK;
}

/* 1 when this $skip page starts with the first page's first row. */
static int skip_ignored(const struct walk *w, const json_t *rows) {
  const char *code = swing_row_code(json_array_get(rows, 0));
  return w->skipping && w->first_code && code &&
         strcmp(code, w->first_code) == 0;
}

/* Decide the next URL into w->current; 0 when there is none. */
static int next_url(struct swing_ctx *ctx, struct gw_run *run, struct walk *w,
                    const char *first_url, enum swing_paging paging,
                    const char *link, size_t page_rows, gw_result *rc) {
  *rc = GW_OK;
  if (link) {
    if (!swing_same_origin(link, ctx->base)) {
      ctx->host->log(run, GW_LOG_ERROR,
                     "%s: \"@odata.nextLink\" points at %s, which is not on "
                     "the source's own origin (%s); refusing to follow it",
                     w->current.data, link, ctx->base);
      *rc = GW_FAIL;
      return 0;
    }
    swing_buf_reset(&w->current);
    if (swing_buf_append(&w->current, link) != 0)
      goto oom;
    return 1;
  }
  /* $skip only for a list whose first page came without a nextLink. */
  if (paging != SWING_PAGE_SKIP || page_rows == 0 ||
      (w->pages > 1 && !w->skipping))
    return 0;
  w->skipping = 1;
  swing_buf_reset(&w->current);
  if (swing_buf_printf(&w->current, "%s%s$skip=%llu", first_url,
                       strchr(first_url, '?') ? "&" : "?",
                       (unsigned long long)w->rows) != 0)
    goto oom;
  return 1;
oom:
  ctx->host->log(run, GW_LOG_ERROR, "%s: out of memory while paging",
                 first_url);
  *rc = GW_FAIL;
  return 0;
}

static gw_result remember_first_code(struct walk *w, const json_t *rows) {
  const char *code = swing_row_code(json_array_get(rows, 0));

  if (w->pages != 1 || !code)
    return GW_OK;
  w->first_code = strdup(code);
  return w->first_code ? GW_OK : GW_FAIL;
}

gw_result swing_page_through(struct swing_ctx *ctx, struct gw_run *run,
                             const char *first_url, enum swing_paging paging,
                             const struct swing_what *what, swing_row_fn fn,
                             void *state) {
  struct walk w;
  gw_result rc = GW_FAIL;
  json_t *root = NULL;

  memset(&w, 0, sizeof w);
  if (swing_buf_append(&w.current, first_url) != 0)
    goto oom;
  for (;;) {
    struct gw_payload *payload = NULL;
    json_t *rows;
    const char *link;
    char err[160];
    int seen = seen_before(&w, w.current.data);

    if (seen < 0)
      goto oom;
    if (seen) {
      ctx->host->log(run, GW_LOG_ERROR,
                     "%s: nextLink loop: page %llu links back to an already "
                     "fetched page",
                     w.current.data, (unsigned long long)w.pages);
      rc = GW_FAIL;
      goto out;
    }
    if ((int64_t)w.pages >= ctx->max_pages) {
      ctx->host->log(run, GW_LOG_ERROR,
                     "%s: more than max_pages=%lld pages; stopping (raise "
                     "params.max_pages if the list really is that long)",
                     w.current.data, (long long)ctx->max_pages);
      rc = GW_FAIL;
      goto out;
    }
    rc = fetch_page(ctx, run, w.current.data, what, &root, &payload);
    if (rc != GW_OK)
      goto out;
    if (swing_page_parse(root, &rows, &link, err, sizeof err) != 0) {
      ctx->host->log(run, GW_LOG_ERROR, "%s: %s", w.current.data, err);
      rc = GW_FAIL;
      goto out;
    }
    w.pages++;
    if (skip_ignored(&w, rows)) {
      ctx->host->log(run, GW_LOG_WARN,
                     "%s: the server ignores $skip (the page repeats the "
                     "first one); taking the first page as the whole list",
                     w.current.data);
      break;
    }
    if (remember_first_code(&w, rows) != GW_OK)
      goto oom;
    w.rows += json_array_size(rows);
    rc = feed_rows(run, rows, payload, w.pages, fn, state);
    if (rc != GW_OK)
      goto out;
    if (!next_url(ctx, run, &w, first_url, paging, link, json_array_size(rows),
                  &rc)) {
      if (rc != GW_OK)
        goto out;
      break;
    }
    json_decref(root);
    root = NULL;
  }
  rc = GW_OK;
  goto out;
oom:
  ctx->host->log(run, GW_LOG_ERROR, "%s: out of memory while paging",
                 first_url);
  rc = GW_FAIL;
out:
  json_decref(root);
  swing_buf_free(&w.current);
  free(w.seen);
  free(w.first_code);
  return rc;
}
