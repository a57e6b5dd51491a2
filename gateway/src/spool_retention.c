/*
 * spool_retention.c - retention of spooled payloads (see
 * spool_retention.h): which payloads must stay, the prune record, and
 * messages for the operator.
 */
#include "spool_retention.h"
#include "clock.h"
#include "diag.h"
#include "digest.h"
#include "gw_alloc.h"
#include "text.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sha_list {
  char **items;
  size_t count, cap;
};

static int add_sha(const char *sha, void *user) {
  struct sha_list *l = user;
  char *copy;
  if (l->count == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    char **grown = gw_realloc(l->items, cap * sizeof *grown);
    if (!grown)
      return -1;
    l->items = grown;
    l->cap = cap;
  }
  copy = gw_strdup(sha);
  if (!copy)
    return -1;
  l->items[l->count++] = copy;
  return 0;
}

static void free_shas(struct sha_list *l) {
  for (size_t i = 0; i < l->count; i++)
    gw_free(l->items[i]);
  gw_free(l->items);
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The store's order is SQLite's BINARY collation; sorting again keeps the
 * bsearch in spool.c independent of that detail. */
static int referenced_payloads(struct gw_app *app, struct sha_list *out,
                               char *err, size_t err_size) {
  int rc = store_validator_payloads(app->store, add_sha, out, err, err_size);
  if (rc > 0 || (rc < 0 && !err[0]))
    text_copy(err, err_size, "out of memory listing the validators' payloads");
  if (rc != 0)
    return -1;
  if (out->count > 1)
    qsort(out->items, out->count, sizeof *out->items, compare_strings);
  return 0;
}

struct prune_log {
  struct gw_app *app;
  char trace_id[33];
  char span_id[GW_SPAN_ID_MAX];
  int64_t start_ms;
  char err[1024];
};

static json_t *prune_record(const struct prune_log *pl, int ok) {
  return json_pack(
      "{s:s, s:s, s:s, s:s, s:n, s:I, s:I, s:i, s:I}", "event", "prune", "name",
      "prune:spool", "trace_id", pl->trace_id, "span_id", pl->span_id,
      "parent_span_id", "start_time", (json_int_t)pl->start_ms, "end_time",
      (json_int_t)clock_now_ms(), "status_code", ok ? 1 : 2, "retention_days",
      (json_int_t)pl->app->cfg->spool_retention_days);
}

static int append(struct prune_log *pl, json_t *rec) {
  int rc = -1;
  if (!rec)
    text_copy(pl->err, sizeof pl->err, "out of memory");
  else
    rc = app_log_record(pl->app, rec, pl->err, sizeof pl->err);
  json_decref(rec);
  return rc;
}

/* Written while the spool is locked and before the first unlink. */
static int record_candidates(const struct gw_spool_candidate *c, size_t count,
                             void *user) {
  struct prune_log *pl = user;
  json_t *rec = prune_record(pl, 1), *listed = json_array();
  uint64_t bytes = 0;
  size_t i;
  int bad = !rec || !listed;
  for (i = 0; i < count; i++) {
    bytes += c[i].bytes;
    if (!bad && i < GW_PRUNE_LISTED_MAX)
      bad = json_array_append_new(listed, json_string(c[i].sha256)) != 0;
  }
  if (!bad)
    bad = json_object_set_new(rec, "files", json_integer((json_int_t)count)) ||
          json_object_set_new(rec, "bytes", json_integer((json_int_t)bytes)) ||
          json_object_set(rec, "payloads", listed) ||
          json_object_set_new(rec, "payloads_truncated",
                              json_boolean(count > GW_PRUNE_LISTED_MAX)) ||
          json_object_set_new(rec, "outcome", json_string("ok"));
  json_decref(listed);
  if (bad) {
    json_decref(rec);
    rec = NULL;
  }
  return append(pl, rec);
}

/* The record said what would go; a file that would not is said too. */
static void record_failures(struct prune_log *pl,
                            const struct gw_spool_prune_result *r) {
  json_t *rec;
  random_hex(8, pl->span_id, sizeof pl->span_id);
  rec = prune_record(pl, 0);
  if (rec && json_object_update_new(
                 rec, json_pack("{s:I, s:I, s:s, s:s}", "files",
                                (json_int_t)r->removed, "files_failed",
                                (json_int_t)r->failed, "outcome", "partial",
                                "error", r->error)) != 0) {
    json_decref(rec);
    rec = NULL;
  }
  if (append(pl, rec) != 0)
    diag(GW_LOG_ERROR, "spool: exchange log: %s", pl->err);
}

int spool_retention_prune(struct gw_app *app,
                          struct gw_spool_prune_result *result) {
  struct gw_spool_prune_result local;
  struct gw_spool_prune_result *r = result ? result : &local;
  struct sha_list keep = {NULL, 0, 0};
  struct prune_log pl = {.app = app};
  char spool_dir[4096], err[1024] = "";
  int64_t days = app->cfg->spool_retention_days;
  int rc = -1;
  memset(r, 0, sizeof *r);
  if (days <= 0)
    return 0;
  pl.start_ms = clock_now_ms();
  if (text_format(spool_dir, sizeof spool_dir, "%s/spool",
                  app->cfg->data_dir) != 0 ||
      random_hex(16, pl.trace_id, sizeof pl.trace_id) != 0 ||
      random_hex(8, pl.span_id, sizeof pl.span_id) != 0) {
    text_copy(err, sizeof err, "cannot prepare (spool path or random id)");
    goto out;
  }
  if (referenced_payloads(app, &keep, err, sizeof err) != 0)
    goto out;
  if (spool_prune(spool_dir, days, time(NULL), (const char *const *)keep.items,
                  keep.count, record_candidates, &pl, r, err,
                  sizeof err) != 0) {
    if (pl.err[0])
      text_format(err, sizeof err,
                  "nothing removed: the prune could not be recorded in the "
                  "exchange log (%s)",
                  pl.err);
    goto out;
  }
  if (r->failed > 0) {
    record_failures(&pl, r);
    text_copy(err, sizeof err, r->error);
    goto out;
  }
  if (r->removed > 0)
    diag(GW_LOG_INFO,
         "spool: removed %llu payload(s), %llu bytes, unused for more than "
         "%lld day(s)",
         (unsigned long long)r->removed, (unsigned long long)r->removed_bytes,
         (long long)days);
  rc = 0;
out:
  if (rc != 0)
    diag(GW_LOG_WARN, "spool: retention: %s", err);
  free_shas(&keep);
  return rc;
}
