/*
 * serve_cache.h - conditional requests and the feed server's memory of
 * rendered answers (docs/api.md, "Caching").
 *
 * Every data answer carries a strong ETag, the SHA-256 of its exact body,
 * and a Last-Modified: when the newest figure in it was fetched. A client
 * that sends the ETag back (If-None-Match) or the date (If-Modified-Since)
 * gets 304 when nothing changed.
 *
 * Rendered answers are kept, keyed by what was asked (endpoint, query,
 * format and the client's indicator scope), until the store changes: the
 * caller sets a generation (a digest of the store's latest runs) and a
 * new generation empties the cache. So a repeated query is answered, and
 * a conditional one is answered with 304, without touching the store, and
 * the same query keeps the same bytes (and ETag) while the data is the
 * same. The cache is bounded in bytes and entries; the least recently
 * used answer goes first.
 *
 * Bodies are reference-counted so an answer being written to a slow
 * client survives its eviction. Single-threaded: the event loop's thread
 * uses all of it.
 */
#ifndef GW_SERVE_CACHE_H
#define GW_SERVE_CACHE_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "serve_query.h"

#define SERVE_ETAG_MAX 72 /* quoted 64 hex digits */
#define SERVE_HTTP_DATE_MAX 32
#define SERVE_CONTENT_TYPE_MAX 96
#define SERVE_CACHE_ENTRIES_MAX 1024

/* ---- HTTP dates and entity tags --------------------------------------- */

/* "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate). 0 or -1. */
int serve_http_date(time_t t, char *out, size_t size);
/* Parses IMF-fixdate only (what every current client sends). 0 or -1. */
int serve_parse_http_date(const char *text, time_t *out);

/* The strong ETag of a body: "\"<sha-256 hex>\"". 0 or -1. */
int serve_etag_of(const void *body, size_t len, char out[SERVE_ETAG_MAX]);
/* RFC 9110 13.1.2: does the If-None-Match list (or "*") match etag?
 * Weak comparison: W/"x" matches "x". 1 or 0. */
int serve_etag_matches(const char *if_none_match, const char *etag);
/* RFC 9110 13.2.2 for GET/HEAD: If-None-Match decides when present,
 * else If-Modified-Since (ignored when not a valid date, or when
 * last_modified is 0 = unknown). Either header may be NULL. 1 when the
 * answer is 304 Not Modified. */
int serve_not_modified(const char *if_none_match, const char *if_modified_since,
                       const char *etag, time_t last_modified);

/* ---- rendered answers --------------------------------------------------- */

struct serve_body {
  size_t refs;
  size_t len;
  char data[];
};

/* A body of len bytes with one reference. NULL when out of memory. */
struct serve_body *serve_body_new(size_t len);
void serve_body_ref(struct serve_body *b);
void serve_body_unref(struct serve_body *b); /* NULL ok */

struct serve_answer {
  struct serve_body *body;
  char etag[SERVE_ETAG_MAX];
  time_t last_modified; /* 0: unknown */
  char content_type[SERVE_CONTENT_TYPE_MAX];
  char next_cursor[SERVE_CURSOR_MAX + 1]; /* "" on the last page */
  uint64_t rows;
};

struct serve_cache;

/* max_bytes 0: nothing is kept (every get misses). 0 or -1. */
int serve_cache_new(size_t max_bytes, struct serve_cache **out);
void serve_cache_free(struct serve_cache *c);

/* A different generation than the current one empties the cache first. */
void serve_cache_set_generation(struct serve_cache *c, const char *generation);
/* The answer kept under key, or NULL. Valid until the next put, flush or
 * generation change; take a body reference to keep it longer. */
const struct serve_answer *serve_cache_get(struct serve_cache *c,
                                           const char *key);
/* Keeps a copy of answer (taking its own body reference) under key,
 * evicting the least recently used answers to make room. An answer larger
 * than a quarter of the cache is not kept. 0 kept, 1 not kept, -1 out of
 * memory. */
int serve_cache_put(struct serve_cache *c, const char *key,
                    const struct serve_answer *answer);
size_t serve_cache_bytes(const struct serve_cache *c);
size_t serve_cache_count(const struct serve_cache *c);

#endif
