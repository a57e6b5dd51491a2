/*
 * serve_observations.c - GET /v1/observations: the store's observations
 * filtered, one page at a time, in JSON/XML/CSV (the feed formats, through
 * the export writers, so a page validates against
 * schemas/observation.schema.json and feed.xsd) or SDMX-JSON.
 *
 * Pagination follows the store's sort key (indicator, area, period,
 * breakdown, source): a page is the first `limit` matching observations
 * after the cursor, and the next cursor is the key of its last one. The
 * store has no "after this key" query, so the rows up to the cursor are
 * read and skipped; narrowing the indicator list to the cursor's
 * indicator and the ones after it keeps that to one indicator's rows. A
 * page costs one store query however deep it is, and pages stay stable
 * while the store does not change.
 *
 * Indicators: a named indicator the catalogue does not know is a 400; one
 * the client may not read is a 403 (named in the message). Without an
 * indicator filter, a client sees only the indicators it may read.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "diag.h"
#include "export.h"
#include "gw_alloc.h"
#include "serve_internal.h"
#include "serve_sdmx.h"
#include "text.h"

#define FORBIDDEN_LIST_MAX 256

struct page {
  const struct serve_query *q;
  const struct gw_export_writer *writer; /* NULL: collect for SDMX */
  void *state;
  struct gw_observation *rows; /* SDMX only */
  size_t count, cap;
  size_t emitted;
  int has_more;
  int failed;
  struct serve_cursor last;
  time_t newest; /* latest fetched_at among the rows */
};

/* ---- which indicators -------------------------------------------------- */

static int check_indicators(struct serve_request *r,
                            const struct serve_query *q) {
  char forbidden[FORBIDDEN_LIST_MAX] = "";
  for (size_t i = 0; i < q->indicator_count; i++) {
    if (!catalogue_find(r->s->app->catalogue, q->indicators[i])) {
      serve_fail(r, 400,
                 "parameter 'indicator': '%s' is not in the catalogue (see "
                 "/v1/indicators)",
                 q->indicators[i]);
      return -1;
    }
    if (!serve_client_may_read(r->client, q->indicators[i])) {
      if (forbidden[0])
        (void)text_append(forbidden, sizeof forbidden, ", ");
      (void)text_append(forbidden, sizeof forbidden, q->indicators[i]);
    }
  }
  if (forbidden[0]) {
    serve_fail(r, 403, "client %s may not read indicator(s): %s",
               r->client->name, forbidden);
    return -1;
  }
  return 0;
}

static int by_text(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The indicators to ask the store for (NULL-terminated, sorted): the ones
 * asked for, else every catalogue indicator the client may read; without
 * those sorting before the cursor's indicator. *list is gw_malloc'd. */
static int indicator_list(struct serve_request *r, const struct serve_query *q,
                          const char ***list, size_t *count) {
  const struct gw_catalogue *cat = r->s->app->catalogue;
  size_t n = q->indicator_count ? q->indicator_count : catalogue_count(cat);
  const char **ids = gw_calloc(n + 1, sizeof *ids);
  size_t k = 0;
  if (!ids) {
    serve_fail(r, 500, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    const char *id =
        q->indicator_count ? q->indicators[i] : catalogue_at(cat, i)->id;
    if (!serve_client_may_read(r->client, id))
      continue;
    if (q->has_cursor && strcmp(id, q->cursor.indicator) < 0)
      continue;
    ids[k++] = id;
  }
  ids[k] = NULL;
  qsort(ids, k, sizeof *ids, by_text);
  *list = ids;
  *count = k;
  return 0;
}

/* ---- one page ------------------------------------------------------------ */

static int keep_row(struct page *p, const struct gw_observation *obs) {
  if (p->cap == p->count) {
    size_t cap = p->cap ? p->cap * 2 : 256;
    struct gw_observation *more = gw_realloc(p->rows, cap * sizeof *more);
    if (!more)
      return -1;
    p->rows = more;
    p->cap = cap;
  }
  p->rows[p->count++] = *obs;
  return 0;
}

static int on_row(const struct gw_observation *obs, void *user) {
  struct page *p = user;
  time_t fetched;
  if (p->q->has_cursor && !serve_cursor_before(&p->q->cursor, obs))
    return 0;
  if (!serve_query_matches(p->q, obs))
    return 0;
  if (p->emitted == p->q->limit) {
    p->has_more = 1;
    return 1;
  }
  if (p->writer ? p->writer->row(p->state, obs) != 0 : keep_row(p, obs) != 0) {
    p->failed = 1;
    return 2;
  }
  p->emitted++;
  serve_cursor_from_observation(obs, &p->last);
  if (clock_parse_rfc3339(obs->fetched_at, &fetched) == 0 &&
      fetched > p->newest)
    p->newest = fetched;
  return 0;
}

static const struct gw_export_writer *writer_for(serve_format f,
                                                 gw_export_format *format) {
  switch (f) {
  case SERVE_FMT_XML:
    *format = GW_FORMAT_XML;
    return &export_xml_writer;
  case SERVE_FMT_CSV:
    *format = GW_FORMAT_CSV;
    return &export_csv_writer;
  default:
    *format = GW_FORMAT_JSON;
    return &export_json_writer;
  }
}

static int run_query(struct serve_request *r, const struct serve_query *q,
                     struct page *p) {
  const char **ids = NULL;
  size_t n = 0;
  char err[GW_ERR_MAX];
  struct gw_query sq;
  int rc;
  if (indicator_list(r, q, &ids, &n) != 0)
    return -1;
  if (n == 0) { /* nothing the client may read is left: an empty page */
    gw_free(ids);
    return 0;
  }
  sq = (struct gw_query){.indicators = ids,
                         .areas = q->area_count ? q->areas : NULL,
                         .period_from =
                             q->period_from[0] ? q->period_from : NULL,
                         .period_to = q->period_to[0] ? q->period_to : NULL,
                         .as_of = q->as_of[0] ? q->as_of : NULL};
  rc = store_query(r->s->app->store, &sq, on_row, p, err, sizeof err);
  gw_free(ids);
  if (rc < 0 || p->failed) {
    diag(GW_LOG_ERROR, "serve: observations: %s",
         p->failed ? export_last_error() : err);
    serve_fail(r, 500, "the observations could not be read or rendered");
    return -1;
  }
  return 0;
}

/* ---- rendering --------------------------------------------------------------
 */

static int finish_answer(struct serve_request *r, struct page *p, char *buf,
                         size_t len) {
  time_t lm = p->newest ? p->newest : r->s->data_time;
  if (serve_answer_from(r, buf, len, serve_format_media_type(r->format), lm,
                        p->emitted) != 0)
    return -1;
  if (p->has_more && serve_cursor_encode(&p->last, r->answer.next_cursor,
                                         sizeof r->answer.next_cursor) != 0) {
    serve_fail(r, 500, "the next page's cursor cannot be made");
    return -1;
  }
  return 0;
}

static void render_sdmx(struct serve_request *r, const struct serve_query *q,
                        struct page *p, FILE *out, char *now) {
  struct serve_sdmx_options opt;
  char id[32], err[SERVE_MESSAGE_MAX];
  (void)text_format(id, sizeof id, "IGW-%s", r->span_id);
  opt = (struct serve_sdmx_options){id, now, "indicator-gateway",
                                    r->s->app->catalogue};
  if (run_query(r, q, p) != 0)
    return;
  if (serve_sdmx_write(p->rows, p->count, &opt, out, err, sizeof err) != 0) {
    diag(GW_LOG_ERROR, "serve: %s", err);
    serve_fail(r, 500, "the SDMX message could not be written");
  }
}

static void render_table(struct serve_request *r, const struct serve_query *q,
                         struct page *p, FILE *out, char *now) {
  struct gw_export_options opt;
  export_default_options(&opt);
  p->writer = writer_for(r->format, &opt.format);
  opt.feed_name = "observations";
  opt.generated_at = now;
  opt.as_of = q->as_of[0] ? q->as_of : NULL;
  opt.gateway_version = GW_VERSION;
  if (p->writer->begin(out, &opt, &p->state) != 0) {
    diag(GW_LOG_ERROR, "serve: %s", export_last_error());
    serve_fail(r, 500, "the answer could not be started");
    return;
  }
  if (run_query(r, q, p) != 0) {
    p->writer->abort(p->state);
    return;
  }
  if (p->writer->end(p->state, p->emitted) != 0) {
    diag(GW_LOG_ERROR, "serve: %s", export_last_error());
    serve_fail(r, 500, "the answer could not be finished");
  }
}

void serve_get_observations(struct serve_request *r,
                            const struct serve_query *q) {
  struct page p;
  char now[GW_TIME_MAX], *buf = NULL;
  size_t len = 0;
  FILE *out;
  if (check_indicators(r, q) != 0)
    return;
  memset(&p, 0, sizeof p);
  p.q = q;
  if (clock_now_rfc3339(now, sizeof now) != 0 ||
      !(out = open_memstream(&buf, &len))) {
    serve_fail(r, 500, "out of memory");
    return;
  }
  r->status = 200;
  if (r->format == SERVE_FMT_SDMX)
    render_sdmx(r, q, &p, out, now);
  else
    render_table(r, q, &p, out, now);
  if (fclose(out) != 0 && r->status == 200)
    serve_fail(r, 500, "out of memory rendering the answer");
  if (r->status == 200)
    (void)finish_answer(r, &p, buf, len);
  free(buf); /* from open_memstream: libc, not gw_alloc */
  gw_free(p.rows);
}
