/*
 * topics.c - which figures to read: v3 topic columns by their stem (the
 * `_<n>` edition suffix is not stable across editions, so it is never part
 * of the match) or v4 measure codes; either the configured params.topics or
 * every figure the catalogue maps.
 */
#include "cbs_odata.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

char *cbs_topic_stem(const char *key) {
  size_t len = strlen(key);
  size_t end = len;
  char *out;

  while (end > 0 && isdigit((unsigned char)key[end - 1]))
    end--;
  if (end < len && end > 1 && key[end - 1] == '_')
    len = end - 1;
  out = malloc(len + 1);
  if (!out)
    return NULL;
  memcpy(out, key, len);
  out[len] = '\0';
  return out;
}

int cbs_topics_add(struct cbs_topics *topics, const char *column,
                   const char *code, int numeric) {
  struct cbs_topic t;

  t.column = strdup(column);
  t.code = code ? strdup(code) : cbs_topic_stem(column);
  t.numeric = numeric;
  if (!t.column || !t.code)
    goto fail;
  if (topics->count == topics->cap) {
    size_t cap = topics->cap ? topics->cap * 2 : 16;
    struct cbs_topic *grown = realloc(topics->items, cap * sizeof *grown);
    if (!grown)
      goto fail;
    topics->items = grown;
    topics->cap = cap;
  }
  topics->items[topics->count++] = t;
  return 0;
fail:
  free(t.column);
  free(t.code);
  return -1;
}

void cbs_topics_free(struct cbs_topics *topics) {
  size_t i;

  for (i = 0; i < topics->count; i++) {
    free(topics->items[i].column);
    free(topics->items[i].code);
  }
  free(topics->items);
  memset(topics, 0, sizeof *topics);
}

/* "a, b, c" of the candidates' columns, capped so a table with hundreds of
 * columns still gives a readable message. */
static void list_columns(const struct cbs_topics *all, int numeric_only,
                         struct cbs_buf *out) {
  size_t i;
  size_t listed = 0;

  for (i = 0; i < all->count; i++) {
    if (numeric_only && !all->items[i].numeric)
      continue;
    if (listed == 40) {
      cbs_buf_printf(out, ", ... (%zu in all)", all->count);
      return;
    }
    cbs_buf_printf(out, "%s%s", listed ? ", " : "", all->items[i].column);
    listed++;
  }
  if (listed == 0)
    cbs_buf_append(out, "none");
}

static gw_result add_copy(struct cbs_topics *selected,
                          const struct cbs_topic *t) {
  return cbs_topics_add(selected, t->column, t->code, t->numeric) == 0
             ? GW_OK
             : GW_FAIL;
}

/* The candidate a configured topic names: its exact column key first, then
 * the one column with that stem / code. */
static gw_result find_requested(struct cbs_ctx *ctx, struct gw_run *run,
                                const struct cbs_topics *all, const char *what,
                                const char *requested,
                                const struct cbs_topic **out) {
  const struct cbs_topic *hit = NULL;
  struct cbs_buf msg = {0};
  size_t i;

  for (i = 0; i < all->count && !hit; i++)
    if (strcmp(all->items[i].column, requested) == 0)
      hit = &all->items[i];
  for (i = 0; i < all->count && !hit; i++) {
    if (strcmp(all->items[i].code, requested) != 0)
      continue;
    if (hit) {
      ctx->host->log(run, GW_LOG_ERROR,
                     "%s of %s: \"%s\" matches both %s and %s; list the full "
                     "column key in params.topics",
                     what, ctx->dataset, requested, hit->column,
                     all->items[i].column);
      return GW_FAIL;
    }
    hit = &all->items[i];
  }
  if (!hit) {
    list_columns(all, 0, &msg);
    ctx->host->log(
        run, GW_LOG_ERROR, "%s of %s has no %s %s (%s: %s)", what, ctx->dataset,
        ctx->protocol == CBS_PROTOCOL_V4 ? "measure" : "topic", requested,
        ctx->protocol == CBS_PROTOCOL_V4 ? "measures" : "columns",
        msg.data ? msg.data : "?");
    cbs_buf_free(&msg);
    return GW_FAIL;
  }
  if (!hit->numeric) {
    ctx->host->log(run, GW_LOG_ERROR,
                   "%s of %s: %s (column %s) is not numeric; only numeric "
                   "topics can be stored",
                   what, ctx->dataset, requested, hit->column);
    return GW_FAIL;
  }
  *out = hit;
  return GW_OK;
}

static gw_result check_unique_codes(struct cbs_ctx *ctx, struct gw_run *run,
                                    const char *what,
                                    const struct cbs_topics *selected) {
  size_t i;
  size_t j;

  for (i = 0; i < selected->count; i++) {
    for (j = i + 1; j < selected->count; j++) {
      if (strcmp(selected->items[i].code, selected->items[j].code) != 0)
        continue;
      ctx->host->log(run, GW_LOG_ERROR,
                     "%s of %s: columns %s and %s share the stem %s, so their "
                     "figures cannot be told apart; list one full column key "
                     "in params.topics",
                     what, ctx->dataset, selected->items[i].column,
                     selected->items[j].column, selected->items[i].code);
      return GW_FAIL;
    }
  }
  return GW_OK;
}

gw_result cbs_topics_select(struct cbs_ctx *ctx, struct gw_run *run,
                            const struct cbs_topics *all, const char *what,
                            struct cbs_topics *selected) {
  size_t n = cbs_topic_count(ctx);
  size_t i;
  struct cbs_buf msg = {0};

  for (i = 0; i < n; i++) {
    const struct cbs_topic *hit = NULL;
    if (find_requested(ctx, run, all, what, cbs_topic_at(ctx, i), &hit) !=
            GW_OK ||
        add_copy(selected, hit) != GW_OK)
      return GW_FAIL;
  }
  for (i = 0; n == 0 && i < all->count; i++) {
    const struct cbs_topic *t = &all->items[i];
    if (t->numeric &&
        ctx->host->indicator_for(run, ctx->dataset, t->code) != NULL &&
        add_copy(selected, t) != GW_OK)
      return GW_FAIL;
  }
  if (selected->count == 0) {
    list_columns(all, 1, &msg);
    ctx->host->log(run, GW_LOG_ERROR,
                   "%s of %s: no figure is mapped to a catalogue indicator "
                   "for plugin cbs_odata (numeric: %s); add mappings to the "
                   "catalogue or list them in params.topics",
                   what, ctx->dataset, msg.data ? msg.data : "?");
    cbs_buf_free(&msg);
    return GW_FAIL;
  }
  return check_unique_codes(ctx, run, what, selected);
}
