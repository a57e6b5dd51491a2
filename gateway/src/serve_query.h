/*
 * serve_query.h - the query string of a feed-server request (docs/api.md),
 * parsed and validated before anything reads the store, and the opaque
 * pagination cursor.
 *
 * The raw query (the bytes after '?', still percent-encoded) is decoded
 * strictly: a bad escape, a NUL byte, a control character, an unknown or
 * repeated parameter, or a value of the wrong shape is refused with one
 * line that names the parameter and what was expected, which the server
 * sends back as a 400 body. List parameters take comma-separated values
 * and may be repeated.
 *
 * Which parameters an endpoint takes is a bit set (SERVE_P_*); whether an
 * indicator exists or a client may read it is decided by the caller, which
 * knows the catalogue and the client.
 *
 * Ownership: a parsed query owns one buffer with every decoded value; the
 * pointers in it stay valid until serve_query_free().
 */
#ifndef GW_SERVE_QUERY_H
#define GW_SERVE_QUERY_H
#include <stddef.h>
#include <stdint.h>
#include "observation.h"

#define SERVE_QUERY_RAW_MAX 8192 /* longer query strings are refused */
#define SERVE_LIST_MAX 64        /* values of one list parameter */
#define SERVE_YEARS_MAX 16       /* monitor years (GW_MONITOR_MAX_YEARS) */
#define SERVE_LIMIT_DEFAULT 1000
#define SERVE_LIMIT_MAX 10000
#define SERVE_CURSOR_MAX 1024 /* encoded length */

/* Parameters, one bit each. */
#define SERVE_P_INDICATOR 0x0001u
#define SERVE_P_AREA 0x0002u
#define SERVE_P_AREA_LEVEL 0x0004u
#define SERVE_P_PERIOD_FROM 0x0008u
#define SERVE_P_PERIOD_TO 0x0010u
#define SERVE_P_STATUS 0x0020u
#define SERVE_P_BREAKDOWN 0x0040u
#define SERVE_P_SOURCE 0x0080u
#define SERVE_P_AS_OF 0x0100u
#define SERVE_P_CURSOR 0x0200u
#define SERVE_P_LIMIT 0x0400u
#define SERVE_P_FORMAT 0x0800u
#define SERVE_P_YEARS 0x1000u

/* What /v1/observations takes. */
#define SERVE_P_OBSERVATIONS                                                   \
  (SERVE_P_INDICATOR | SERVE_P_AREA | SERVE_P_AREA_LEVEL |                     \
   SERVE_P_PERIOD_FROM | SERVE_P_PERIOD_TO | SERVE_P_STATUS |                  \
   SERVE_P_BREAKDOWN | SERVE_P_SOURCE | SERVE_P_AS_OF | SERVE_P_CURSOR |       \
   SERVE_P_LIMIT | SERVE_P_FORMAT)

/* The position after the last observation of a page: the store's sort key
 * (indicator, area, period, breakdown, source_id). */
struct serve_cursor {
  char indicator[GW_ID_MAX];
  char area[GW_AREA_MAX];
  char period[GW_PERIOD_MAX];
  char breakdown[GW_BREAKDOWN_MAX];
  char source_id[GW_ID_MAX];
};

/* breakdown=age:18+ matches observations whose breakdown has that member. */
struct serve_breakdown_filter {
  const char *dimension;
  const char *member;
};

struct serve_query {
  char *storage;                              /* owned: every decoded value */
  const char *indicators[SERVE_LIST_MAX + 1]; /* NULL-terminated */
  size_t indicator_count;
  const char *areas[SERVE_LIST_MAX + 1];
  size_t area_count;
  const char *sources[SERVE_LIST_MAX + 1];
  size_t source_count;
  unsigned area_levels; /* bit (1u << gw_area_level) per level; 0: any */
  unsigned statuses;    /* bit (1u << gw_status) per status; 0: any */
  struct serve_breakdown_filter breakdowns[SERVE_LIST_MAX];
  size_t breakdown_count;
  int breakdown_none; /* breakdown=none: only figures without a breakdown */
  char period_from[GW_PERIOD_MAX]; /* normalised ("2022-Q1"), or "" */
  char period_to[GW_PERIOD_MAX];
  char as_of[GW_TIME_MAX]; /* RFC 3339 UTC, or "" for the current state */
  size_t limit;            /* 1..SERVE_LIMIT_MAX */
  int has_cursor;
  struct serve_cursor cursor;
  const char *format; /* ?format= as given, or NULL */
  const char *years[SERVE_YEARS_MAX + 1];
  size_t year_count;
};

/* Parse raw (may be NULL or "") into q, taking only the parameters in
 * allowed. 0, or -1 with a one-line reason in err (q is then freed). */
int serve_query_parse(const char *raw, unsigned allowed, struct serve_query *q,
                      char *err, size_t err_size);
void serve_query_free(struct serve_query *q);

/* Does obs pass the filters the store cannot apply (area level, status,
 * breakdown, source)? 1 or 0. */
int serve_query_matches(const struct serve_query *q,
                        const struct gw_observation *obs);

/* Cursor <-> text: URL-safe base64 of the key fields, no padding.
 * Encoding returns 0, or -1 when out is too small or a field cannot be
 * carried; decoding returns 0, or -1 for anything it did not write. */
int serve_cursor_encode(const struct serve_cursor *c, char *out,
                        size_t out_size);
int serve_cursor_decode(const char *text, struct serve_cursor *c);
void serve_cursor_from_observation(const struct gw_observation *obs,
                                   struct serve_cursor *c);
/* 1 when obs sorts after the cursor in the store's query order (plain
 * byte order per field, as SQLite's BINARY collation), else 0. */
int serve_cursor_before(const struct serve_cursor *c,
                        const struct gw_observation *obs);

#endif
