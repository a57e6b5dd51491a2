/*
 * serve_cache.c - HTTP validators and the bounded cache of rendered
 * answers (see serve_cache.h).
 *
 * A few hundred entries at most, so lookups are a linear scan over a
 * 64-bit hash of the key first; eviction picks the entry with the oldest
 * use stamp.
 */
#include "serve_cache.h"

#include <string.h>

#include "clock.h"
#include "digest.h"
#include "gw_alloc.h"
#include "text.h"

#define GENERATION_MAX 128
#define IMF_FIXDATE_LEN 29

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed",
                                        "Thu", "Fri", "Sat"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec"};

/* ---- HTTP dates ------------------------------------------------------ */

int serve_http_date(time_t t, char *out, size_t size) {
  struct tm tm;
  if (!gmtime_r(&t, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
      tm.tm_mon > 11)
    return -1;
  return text_format(out, size, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                     day_names[tm.tm_wday], tm.tm_mday, month_names[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT": checked field by field, then converted
 * through the RFC 3339 parser so there is one calendar calculation. */
int serve_parse_http_date(const char *text, time_t *out) {
  char rfc3339[32], again[SERVE_HTTP_DATE_MAX];
  int month = -1, day_ok = 0;
  if (!text || strlen(text) != IMF_FIXDATE_LEN)
    return -1;
  for (int i = 0; i < 7; i++)
    day_ok |= strncmp(text, day_names[i], 3) == 0;
  for (int i = 0; i < 12; i++)
    if (strncmp(text + 8, month_names[i], 3) == 0)
      month = i;
  if (!day_ok || month < 0 || strncmp(text + 3, ", ", 2) != 0 ||
      text[7] != ' ' || text[11] != ' ' || text[16] != ' ' || text[19] != ':' ||
      text[22] != ':' || strcmp(text + 25, " GMT") != 0 ||
      !digits(text + 5, 2) || !digits(text + 12, 4) || !digits(text + 17, 2) ||
      !digits(text + 20, 2) || !digits(text + 23, 2))
    return -1;
  if (text_format(rfc3339, sizeof rfc3339, "%.4s-%02d-%.2sT%.2s:%.2s:%.2sZ",
                  text + 12, month + 1, text + 5, text + 17, text + 20,
                  text + 23) != 0)
    return -1;
  /* "31 Feb" would parse as 3 March: only a date that formats back to the
   * same text is one. */
  if (clock_parse_rfc3339(rfc3339, out) != 0 ||
      serve_http_date(*out, again, sizeof again) != 0 ||
      strcmp(again + 5, text + 5) != 0)
    return -1;
  return 0;
}

/* ---- entity tags ------------------------------------------------------ */

int serve_etag_of(const void *body, size_t len, char out[SERVE_ETAG_MAX]) {
  char hex[GW_SHA256_HEX_SIZE];
  if (sha256_hex(body, len, hex) != 0)
    return -1;
  return text_format(out, SERVE_ETAG_MAX, "\"%s\"", hex);
}

/* The opaque part of an entity-tag ("x" of W/"x" or "x"), as a span. */
static const char *next_tag(const char *at, const char **tag, size_t *len) {
  const char *close;
  while (*at == ' ' || *at == '\t' || *at == ',')
    at++;
  if (!*at)
    return NULL;
  if (at[0] == 'W' && at[1] == '/')
    at += 2;
  if (*at != '"') { /* not an entity-tag: skip to the next comma */
    *tag = NULL;
    while (*at && *at != ',')
      at++;
    return at;
  }
  close = strchr(at + 1, '"');
  if (!close)
    return NULL;
  *tag = at;
  *len = (size_t)(close - at + 1);
  return close + 1;
}

int serve_etag_matches(const char *if_none_match, const char *etag) {
  const char *at = if_none_match, *tag = NULL;
  size_t len = 0, want;
  if (!if_none_match || !etag || !etag[0])
    return 0;
  while (*at == ' ' || *at == '\t')
    at++;
  if (at[0] == '*')
    return 1;
  want = strlen(etag);
  while ((at = next_tag(at, &tag, &len)) != NULL) {
    if (tag && len == want && memcmp(tag, etag, len) == 0)
      return 1;
  }
  return 0;
}

int serve_not_modified(const char *if_none_match, const char *if_modified_since,
                       const char *etag, time_t last_modified) {
  time_t since;
  if (if_none_match)
    return serve_etag_matches(if_none_match, etag);
  if (!if_modified_since || last_modified == 0 ||
      serve_parse_http_date(if_modified_since, &since) != 0)
    return 0;
  return last_modified <= since;
}

/* ---- bodies
 * ------------------------------------------------------------------ */

struct serve_body *serve_body_new(size_t len) {
  struct serve_body *b;
  if (len > SIZE_MAX - sizeof *b - 1)
    return NULL;
  b = gw_malloc(sizeof *b + len + 1);
  if (!b)
    return NULL;
  b->refs = 1;
  b->len = len;
  b->data[len] = '\0';
  return b;
}

void serve_body_ref(struct serve_body *b) {
  b->refs++;
}

void serve_body_unref(struct serve_body *b) {
  if (b && --b->refs == 0)
    gw_free(b);
}

/* ---- the cache
 * --------------------------------------------------------------- */

struct entry {
  char *key;
  uint64_t hash;
  uint64_t used; /* use stamp, larger = more recent */
  struct serve_answer answer;
};

struct serve_cache {
  size_t max_bytes, bytes;
  struct entry *entries;
  size_t count;
  uint64_t clock;
  char generation[GENERATION_MAX];
};

/* FNV-1a: only to skip most string comparisons. */
static uint64_t key_hash(const char *key) {
  uint64_t h = 1469598103934665603ull;
  for (; *key; key++) {
    h ^= (unsigned char)*key;
    h *= 1099511628211ull;
  }
  return h;
}

static size_t entry_cost(const struct entry *e) {
  return e->answer.body->len + strlen(e->key) + sizeof *e;
}

static void drop(struct serve_cache *c, size_t i) {
  struct entry *e = &c->entries[i];
  c->bytes -= entry_cost(e);
  gw_free(e->key);
  serve_body_unref(e->answer.body);
  c->entries[i] = c->entries[--c->count];
}

static void flush(struct serve_cache *c) {
  while (c->count > 0)
    drop(c, c->count - 1);
}

int serve_cache_new(size_t max_bytes, struct serve_cache **out) {
  struct serve_cache *c = gw_calloc(1, sizeof *c);
  *out = NULL;
  if (!c)
    return -1;
  c->max_bytes = max_bytes;
  if (max_bytes > 0) {
    c->entries = gw_calloc(SERVE_CACHE_ENTRIES_MAX, sizeof *c->entries);
    if (!c->entries) {
      gw_free(c);
      return -1;
    }
  }
  *out = c;
  return 0;
}

void serve_cache_free(struct serve_cache *c) {
  if (!c)
    return;
  flush(c);
  gw_free(c->entries);
  gw_free(c);
}

void serve_cache_set_generation(struct serve_cache *c, const char *generation) {
  if (strncmp(c->generation, generation, sizeof c->generation) == 0)
    return;
  flush(c);
  if (text_copy(c->generation, sizeof c->generation, generation) != 0)
    c->generation[0] = '\0'; /* too long to compare: never matches again */
}

const struct serve_answer *serve_cache_get(struct serve_cache *c,
                                           const char *key) {
  uint64_t h = key_hash(key);
  for (size_t i = 0; i < c->count; i++) {
    struct entry *e = &c->entries[i];
    if (e->hash == h && strcmp(e->key, key) == 0) {
      e->used = ++c->clock;
      return &e->answer;
    }
  }
  return NULL;
}

static void evict_oldest(struct serve_cache *c) {
  size_t oldest = 0;
  for (size_t i = 1; i < c->count; i++)
    if (c->entries[i].used < c->entries[oldest].used)
      oldest = i;
  drop(c, oldest);
}

int serve_cache_put(struct serve_cache *c, const char *key,
                    const struct serve_answer *answer) {
  struct entry e;
  size_t cost;
  uint64_t h = key_hash(key);
  if (c->max_bytes == 0 || !answer->body)
    return 1;
  for (size_t i = 0; i < c->count; i++) {
    if (c->entries[i].hash == h && strcmp(c->entries[i].key, key) == 0) {
      drop(c, i); /* replaced below; keys are unique */
      break;
    }
  }
  memset(&e, 0, sizeof e);
  e.key = gw_strdup(key);
  if (!e.key)
    return -1;
  e.hash = h;
  e.answer = *answer;
  cost = entry_cost(&e);
  if (cost > c->max_bytes / 4) {
    gw_free(e.key);
    return 1;
  }
  while (c->count > 0 && (c->count >= SERVE_CACHE_ENTRIES_MAX ||
                          c->bytes + cost > c->max_bytes))
    evict_oldest(c);
  serve_body_ref(e.answer.body);
  e.used = ++c->clock;
  c->entries[c->count++] = e;
  c->bytes += cost;
  return 0;
}

size_t serve_cache_bytes(const struct serve_cache *c) {
  return c->bytes;
}

size_t serve_cache_count(const struct serve_cache *c) {
  return c->count;
}
