/*
 * serve_query.c - strict parsing of the feed server's query strings and
 * the pagination cursor (see serve_query.h).
 *
 * The decoded values live in one buffer twice the size of the raw query
 * (every "k=v&" decodes to at most "k\0v\0"), so parsing allocates once
 * however many parameters there are.
 */
#include "serve_query.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "gw_alloc.h"
#include "period.h"
#include "text.h"

#define CURSOR_TAG "c1"
#define CURSOR_SEP '\x1f'
#define CURSOR_RAW_MAX                                                         \
  (sizeof CURSOR_TAG + GW_ID_MAX + GW_AREA_MAX + GW_PERIOD_MAX +               \
   GW_BREAKDOWN_MAX + GW_ID_MAX + 8)
#define DIMENSION_MAX 63
#define MEMBER_MAX 127
#define NAME_SHOWN_MAX 40

struct param_def {
  const char *name;
  unsigned bit;
};

static const struct param_def params[] = {
    {"indicator", SERVE_P_INDICATOR},   {"area", SERVE_P_AREA},
    {"area_level", SERVE_P_AREA_LEVEL}, {"period_from", SERVE_P_PERIOD_FROM},
    {"period_to", SERVE_P_PERIOD_TO},   {"status", SERVE_P_STATUS},
    {"breakdown", SERVE_P_BREAKDOWN},   {"source", SERVE_P_SOURCE},
    {"as_of", SERVE_P_AS_OF},           {"cursor", SERVE_P_CURSOR},
    {"limit", SERVE_P_LIMIT},           {"format", SERVE_P_FORMAT},
    {"years", SERVE_P_YEARS},           {NULL, 0}};

/* Dutch names of the levels as the municipality says them, and the
 * schema's names. */
static const struct {
  const char *name;
  gw_area_level level;
} level_names[] = {{"gemeente", GW_AREA_MUNICIPALITY},
                   {"wijk", GW_AREA_DISTRICT},
                   {"buurt", GW_AREA_NEIGHBOURHOOD},
                   {"land", GW_AREA_COUNTRY},
                   {"regio", GW_AREA_REGION},
                   {"municipality", GW_AREA_MUNICIPALITY},
                   {"district", GW_AREA_DISTRICT},
                   {"neighbourhood", GW_AREA_NEIGHBOURHOOD},
                   {"country", GW_AREA_COUNTRY},
                   {"region", GW_AREA_REGION},
                   {NULL, GW_AREA_UNKNOWN}};

/* ---- percent-decoding ------------------------------------------------- */

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes src[0..len) to dst (NUL-terminated), '+' as a space (HTML form
 * encoding, which curl --data-urlencode and browsers use). Refuses bad
 * escapes and control bytes, decoded or not. Returns the decoded length or
 * -1. */
static long decode_component(const char *src, size_t len, char *dst) {
  size_t r = 0, w = 0;
  while (r < len) {
    unsigned char c = (unsigned char)src[r];
    if (c == '%') {
      int hi, lo;
      if (r + 2 >= len)
        return -1;
      hi = hex_value(src[r + 1]);
      lo = hex_value(src[r + 2]);
      if (hi < 0 || lo < 0)
        return -1;
      c = (unsigned char)(hi * 16 + lo);
      r += 3;
    } else {
      if (c == '+')
        c = ' ';
      r++;
    }
    if (c < 0x20 || c == 0x7f)
      return -1;
    dst[w++] = (char)c;
  }
  dst[w] = '\0';
  return (long)w;
}

/* ---- value rules ------------------------------------------------------- */

/* Catalogue ids: [a-z][a-z0-9_]*, like schemas/indicators.schema.json. */
static int indicator_valid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n >= GW_ID_MAX || s[0] < 'a' || s[0] > 'z')
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
      return 0;
  return 1;
}

static int is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

/* Area codes (GM0384, WK038401, MRA) and source ids: letters, digits, '_',
 * '-' and '.'. */
static int code_valid(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n == 0 || n >= max)
    return 0;
  for (; *s; s++)
    if (!(is_alnum(*s) || *s == '_' || *s == '-' || *s == '.'))
      return 0;
  return 1;
}

static int dimension_valid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > DIMENSION_MAX || s[0] < 'a' || s[0] > 'z')
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
      return 0;
  return 1;
}

static int year_valid(const char *s) {
  if (strlen(s) != 4)
    return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

/* ---- one parameter ------------------------------------------------------ */

struct parser {
  struct serve_query *q;
  unsigned allowed;
  unsigned seen;
  char *err;
  size_t err_size;
};

/* Values are quoted in messages, cut to a readable length. */
static const char *shown(const char *value, char *buf, size_t size) {
  if (text_copy(buf, size - 3, value) != 0)
    (void)text_append(buf, size, "...");
  return buf;
}

__attribute__((format(printf, 2, 3))) static int refuse(struct parser *p,
                                                        const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  (void)vsnprintf(p->err, p->err_size, fmt, ap);
  va_end(ap);
  return -1;
}

static int add_to_list(struct parser *p, const char *name, const char **list,
                       size_t *count, const char *value) {
  if (*count >= SERVE_LIST_MAX)
    return refuse(p, "parameter '%s': more than 64 values", name);
  list[(*count)++] = value;
  list[*count] = NULL;
  return 0;
}

static int set_level(struct parser *p, const char *value) {
  char sb[NAME_SHOWN_MAX + 4];
  for (size_t i = 0; level_names[i].name; i++) {
    if (strcmp(level_names[i].name, value) == 0) {
      p->q->area_levels |= 1u << level_names[i].level;
      return 0;
    }
  }
  return refuse(p,
                "parameter '%s': '%s' is not an area level (gemeente, wijk, "
                "buurt, regio, land, or municipality, district, "
                "neighbourhood, region, country)",
                "area_level", shown(value, sb, sizeof sb));
}

static int set_status(struct parser *p, const char *value) {
  char sb[NAME_SHOWN_MAX + 4];
  gw_status status;
  if (status_from_name(value, &status) != 0)
    return refuse(p,
                  "parameter '%s': '%s' is not a status (final, provisional, "
                  "revised, missing, not_yet_known, not_applicable, "
                  "suppressed, impossible)",
                  "status", shown(value, sb, sizeof sb));
  p->q->statuses |= 1u << status;
  return 0;
}

/* "none", or "dimension:member" (the member may contain ':'). */
static int add_breakdown(struct parser *p, char *value) {
  char sb[NAME_SHOWN_MAX + 4];
  struct serve_query *q = p->q;
  char *colon;
  if (strcmp(value, "none") == 0) {
    q->breakdown_none = 1;
    return 0;
  }
  colon = strchr(value, ':');
  if (!colon)
    return refuse(p,
                  "parameter '%s': '%s' is not 'none' or "
                  "'dimension:member' (e.g. age:18+)",
                  "breakdown", shown(value, sb, sizeof sb));
  *colon = '\0';
  if (!dimension_valid(value) || colon[1] == '\0' ||
      strlen(colon + 1) > MEMBER_MAX) {
    *colon = ':';
    return refuse(p,
                  "parameter '%s': '%s' is not 'dimension:member' with a "
                  "dimension like 'age' and a member of 1 to 127 bytes",
                  "breakdown", shown(value, sb, sizeof sb));
  }
  if (q->breakdown_count >= SERVE_LIST_MAX)
    return refuse(p, "parameter '%s': more than 64 values", "breakdown");
  q->breakdowns[q->breakdown_count].dimension = value;
  q->breakdowns[q->breakdown_count].member = colon + 1;
  q->breakdown_count++;
  return 0;
}

static int set_period(struct parser *p, const char *name, const char *value,
                      char *out, size_t size) {
  char sb[NAME_SHOWN_MAX + 4];
  gw_period_kind kind = period_normalise(value, out, size);
  if (kind == GW_PERIOD_INVALID || kind == GW_PERIOD_OPAQUE)
    return refuse(p,
                  "parameter '%s': '%s' is not a period such as 2022, "
                  "2022-Q1, 2022-03 or 2022-W05",
                  name, shown(value, sb, sizeof sb));
  return 0;
}

/* Stored as whole-second RFC 3339 UTC, the form the store compares. */
static int set_as_of(struct parser *p, const char *value) {
  char sb[NAME_SHOWN_MAX + 4];
  time_t t;
  if (clock_parse_rfc3339(value, &t) != 0 ||
      clock_format_rfc3339(t, p->q->as_of, sizeof p->q->as_of) != 0)
    return refuse(p,
                  "parameter '%s': '%s' is not an RFC 3339 UTC time such as "
                  "2026-11-24T12:00:00Z",
                  "as_of", shown(value, sb, sizeof sb));
  return 0;
}

static int set_limit(struct parser *p, const char *value) {
  char sb[NAME_SHOWN_MAX + 4];
  int64_t n;
  if (text_parse_int64(value, &n) != 0 || n < 1 || n > SERVE_LIMIT_MAX)
    return refuse(p,
                  "parameter '%s': '%s' is not a whole number from 1 to "
                  "10000",
                  "limit", shown(value, sb, sizeof sb));
  p->q->limit = (size_t)n;
  return 0;
}

/* One value of a (possibly comma-separated) list parameter. */
static int list_value(struct parser *p, unsigned bit, char *value) {
  char sb[NAME_SHOWN_MAX + 4];
  struct serve_query *q = p->q;
  switch (bit) {
  case SERVE_P_INDICATOR:
    if (!indicator_valid(value))
      return refuse(p,
                    "parameter '%s': '%s' is not an indicator id (lower-case "
                    "letters, digits and '_', e.g. bijstand_per_10k)",
                    "indicator", shown(value, sb, sizeof sb));
    return add_to_list(p, "indicator", q->indicators, &q->indicator_count,
                       value);
  case SERVE_P_AREA:
    if (!code_valid(value, GW_AREA_MAX))
      return refuse(p,
                    "parameter '%s': '%s' is not an area code such as "
                    "GM0384, WK038401 or BU03840100",
                    "area", shown(value, sb, sizeof sb));
    return add_to_list(p, "area", q->areas, &q->area_count, value);
  case SERVE_P_SOURCE:
    if (!code_valid(value, GW_ID_MAX))
      return refuse(p, "parameter '%s': '%s' is not a source id", "source",
                    shown(value, sb, sizeof sb));
    return add_to_list(p, "source", q->sources, &q->source_count, value);
  case SERVE_P_AREA_LEVEL:
    return set_level(p, value);
  case SERVE_P_STATUS:
    return set_status(p, value);
  case SERVE_P_YEARS:
    if (!year_valid(value))
      return refuse(p, "parameter '%s': '%s' is not a year such as 2022",
                    "years", shown(value, sb, sizeof sb));
    if (q->year_count >= SERVE_YEARS_MAX)
      return refuse(p, "parameter '%s': more than 16 years", "years");
    q->years[q->year_count++] = value;
    q->years[q->year_count] = NULL;
    return 0;
  default:
    return -1;
  }
}

static int is_list(unsigned bit) {
  return bit == SERVE_P_INDICATOR || bit == SERVE_P_AREA ||
         bit == SERVE_P_SOURCE || bit == SERVE_P_AREA_LEVEL ||
         bit == SERVE_P_STATUS || bit == SERVE_P_YEARS;
}

static int single_value(struct parser *p, const struct param_def *def,
                        char *value) {
  struct serve_query *q = p->q;
  if (p->seen & def->bit)
    return refuse(p, "parameter '%s' given twice", def->name);
  switch (def->bit) {
  case SERVE_P_PERIOD_FROM:
    return set_period(p, def->name, value, q->period_from,
                      sizeof q->period_from);
  case SERVE_P_PERIOD_TO:
    return set_period(p, def->name, value, q->period_to, sizeof q->period_to);
  case SERVE_P_AS_OF:
    return set_as_of(p, value);
  case SERVE_P_LIMIT:
    return set_limit(p, value);
  case SERVE_P_CURSOR:
    if (serve_cursor_decode(value, &q->cursor) != 0)
      return refuse(p,
                    "parameter '%s': not a cursor this server handed out; "
                    "use the next link of the previous page",
                    "cursor");
    q->has_cursor = 1;
    return 0;
  default: /* SERVE_P_FORMAT: checked by content negotiation */
    q->format = value;
    return 0;
  }
}

/* "indicator, area, ..." for the unknown-parameter message. */
static void allowed_names(unsigned allowed, char *out, size_t size) {
  out[0] = '\0';
  for (size_t i = 0; params[i].name; i++) {
    if (!(allowed & params[i].bit))
      continue;
    if (out[0])
      (void)text_append(out, size, ", ");
    (void)text_append(out, size, params[i].name);
  }
  if (!out[0])
    (void)text_copy(out, size, "none");
}

static int one_param(struct parser *p, char *name, char *value) {
  const struct param_def *def;
  char known[256];
  for (def = params; def->name; def++)
    if (strcmp(def->name, name) == 0)
      break;
  if (!def->name || !(p->allowed & def->bit)) {
    allowed_names(p->allowed, known, sizeof known);
    (void)text_format(
        p->err, p->err_size,
        "unknown query parameter '%.40s'; this endpoint takes: %s", name,
        known);
    return -1;
  }
  if (value[0] == '\0')
    return refuse(p, "parameter '%s' has no value", def->name);
  if (def->bit == SERVE_P_BREAKDOWN) {
    /* repeatable, but not split at commas: a member may hold one */
    if (add_breakdown(p, value) != 0)
      return -1;
  } else if (!is_list(def->bit)) {
    if (single_value(p, def, value) != 0)
      return -1;
  } else {
    char *item = value, *comma;
    for (;;) {
      comma = strchr(item, ',');
      if (comma)
        *comma = '\0';
      if (item[0] == '\0')
        return refuse(p, "parameter '%s' has an empty value in its list",
                      def->name);
      if (list_value(p, def->bit, item) != 0)
        return -1;
      if (!comma)
        break;
      item = comma + 1;
    }
  }
  p->seen |= def->bit;
  return 0;
}

/* ---- the whole query ------------------------------------------------------
 */

int serve_query_parse(const char *raw, unsigned allowed, struct serve_query *q,
                      char *err, size_t err_size) {
  struct parser p = {q, allowed, 0, err, err_size};
  size_t len = raw ? strlen(raw) : 0, pos = 0;
  char *w;
  memset(q, 0, sizeof *q);
  q->limit = SERVE_LIMIT_DEFAULT;
  q->indicators[0] = q->areas[0] = q->sources[0] = q->years[0] = NULL;
  if (len > SERVE_QUERY_RAW_MAX) {
    (void)text_format(err, err_size,
                      "query string longer than %d bytes; ask for less at once",
                      SERVE_QUERY_RAW_MAX);
    return -1;
  }
  q->storage = gw_malloc(2 * len + 2);
  if (!q->storage) {
    (void)text_copy(err, err_size, "out of memory reading the query");
    return -1;
  }
  w = q->storage;
  while (pos < len) {
    size_t end = pos, eq;
    char *name, *value;
    long n;
    while (end < len && raw[end] != '&')
      end++;
    if (end == pos) { /* "a=1&&b=2": an empty pair is harmless */
      pos = end + 1;
      continue;
    }
    for (eq = pos; eq < end && raw[eq] != '='; eq++)
      ;
    name = w;
    n = decode_component(raw + pos, eq - pos, name);
    if (n < 0)
      goto bad_escape;
    w += n + 1;
    value = w;
    n = eq < end ? decode_component(raw + eq + 1, end - eq - 1, value) : 0;
    if (n < 0)
      goto bad_escape;
    if (eq >= end)
      value[0] = '\0';
    w += n + 1;
    if (one_param(&p, name, value) != 0)
      goto fail;
    pos = end + 1;
  }
  return 0;
bad_escape:
  (void)text_copy(err, err_size,
                  "query string: a '%' escape is not two hex digits, or it "
                  "decodes to a control character");
fail:
  serve_query_free(q);
  return -1;
}

void serve_query_free(struct serve_query *q) {
  if (!q)
    return;
  gw_free(q->storage);
  q->storage = NULL;
}

/* ---- filters the store cannot apply -------------------------------------- */

static int in_list(const char *const *list, size_t count, const char *value) {
  for (size_t i = 0; i < count; i++)
    if (strcmp(list[i], value) == 0)
      return 1;
  return 0;
}

/* Every breakdown filter names a member the observation has. */
static int breakdown_matches(const struct serve_query *q, const char *text) {
  json_t *obj;
  int ok = 1;
  if (q->breakdown_none)
    return strcmp(text, "{}") == 0;
  if (q->breakdown_count == 0)
    return 1;
  obj = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object(obj)) {
    json_decref(obj);
    return 0;
  }
  for (size_t i = 0; i < q->breakdown_count && ok; i++) {
    const char *member =
        json_string_value(json_object_get(obj, q->breakdowns[i].dimension));
    ok = member && strcmp(member, q->breakdowns[i].member) == 0;
  }
  json_decref(obj);
  return ok;
}

int serve_query_matches(const struct serve_query *q,
                        const struct gw_observation *obs) {
  if (q->area_levels && !(q->area_levels & (1u << obs->area_level)))
    return 0;
  if (q->statuses && !(q->statuses & (1u << obs->status)))
    return 0;
  if (q->source_count && !in_list(q->sources, q->source_count, obs->source_id))
    return 0;
  return breakdown_matches(q, obs->breakdown);
}

/* ---- the cursor ------------------------------------------------------------
 */

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64url_value(char c) {
  const char *at = c ? strchr(b64url, c) : NULL;
  return at ? (int)(at - b64url) : -1;
}

static int b64url_encode(const unsigned char *in, size_t len, char *out,
                         size_t out_size) {
  size_t w = 0, i;
  if ((len + 2) / 3 * 4 + 1 > out_size)
    return -1;
  for (i = 0; i + 2 < len; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    out[w++] = b64url[v >> 18 & 63];
    out[w++] = b64url[v >> 12 & 63];
    out[w++] = b64url[v >> 6 & 63];
    out[w++] = b64url[v & 63];
  }
  if (i < len) {
    unsigned v = (unsigned)in[i] << 16;
    if (i + 1 < len)
      v |= (unsigned)in[i + 1] << 8;
    out[w++] = b64url[v >> 18 & 63];
    out[w++] = b64url[v >> 12 & 63];
    if (i + 1 < len)
      out[w++] = b64url[v >> 6 & 63];
  }
  out[w] = '\0';
  return 0;
}

/* Returns the decoded length, or -1 (bad character, impossible length,
 * non-zero padding bits, or too long for out). */
static long b64url_decode(const char *in, unsigned char *out, size_t out_size) {
  size_t len = strlen(in), w = 0, i;
  unsigned acc = 0;
  int bits = 0;
  if (len % 4 == 1 || len / 4 * 3 + 3 > out_size)
    return -1;
  for (i = 0; i < len; i++) {
    int v = b64url_value(in[i]);
    if (v < 0)
      return -1;
    acc = acc << 6 | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[w++] = (unsigned char)(acc >> bits & 0xff);
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return -1;
  return (long)w;
}

static int field_carriable(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20)
      return 0;
  return 1;
}

int serve_cursor_encode(const struct serve_cursor *c, char *out,
                        size_t out_size) {
  char raw[CURSOR_RAW_MAX];
  const char *fields[] = {c->indicator, c->area, c->period, c->breakdown,
                          c->source_id};
  if (text_copy(raw, sizeof raw, CURSOR_TAG) != 0)
    return -1;
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    char sep[2] = {CURSOR_SEP, '\0'};
    if (!field_carriable(fields[i]) || text_append(raw, sizeof raw, sep) != 0 ||
        text_append(raw, sizeof raw, fields[i]) != 0)
      return -1;
  }
  return b64url_encode((const unsigned char *)raw, strlen(raw), out, out_size);
}

/* Copies the field that starts at *at up to the next separator (or the
 * end) into dst; advances *at past the separator. */
static int take_field(const char **at, const char *end, char *dst, size_t size,
                      int last) {
  const char *start = *at, *stop = start;
  while (stop < end && *stop != CURSOR_SEP)
    stop++;
  if ((stop == end) != (last != 0) || (size_t)(stop - start) >= size)
    return -1;
  for (const char *s = start; s < stop; s++)
    if ((unsigned char)*s < 0x20)
      return -1;
  memcpy(dst, start, (size_t)(stop - start));
  dst[stop - start] = '\0';
  *at = stop < end ? stop + 1 : stop;
  return 0;
}

int serve_cursor_decode(const char *text, struct serve_cursor *c) {
  unsigned char raw[CURSOR_RAW_MAX];
  const char *at, *end;
  long n;
  if (!text || strlen(text) > SERVE_CURSOR_MAX)
    return -1;
  n = b64url_decode(text, raw, sizeof raw);
  if (n < (long)sizeof CURSOR_TAG ||
      memcmp(raw, CURSOR_TAG, sizeof CURSOR_TAG - 1) != 0 ||
      raw[sizeof CURSOR_TAG - 1] != CURSOR_SEP)
    return -1;
  at = (const char *)raw + sizeof CURSOR_TAG;
  end = (const char *)raw + n;
  memset(c, 0, sizeof *c);
  if (take_field(&at, end, c->indicator, sizeof c->indicator, 0) != 0 ||
      take_field(&at, end, c->area, sizeof c->area, 0) != 0 ||
      take_field(&at, end, c->period, sizeof c->period, 0) != 0 ||
      take_field(&at, end, c->breakdown, sizeof c->breakdown, 0) != 0 ||
      take_field(&at, end, c->source_id, sizeof c->source_id, 1) != 0 ||
      c->indicator[0] == '\0')
    return -1;
  return 0;
}

void serve_cursor_from_observation(const struct gw_observation *obs,
                                   struct serve_cursor *c) {
  memset(c, 0, sizeof *c);
  memcpy(c->indicator, obs->indicator, sizeof c->indicator);
  memcpy(c->area, obs->area, sizeof c->area);
  memcpy(c->period, obs->period, sizeof c->period);
  memcpy(c->breakdown, obs->breakdown, sizeof c->breakdown);
  memcpy(c->source_id, obs->source_id, sizeof c->source_id);
}

int serve_cursor_before(const struct serve_cursor *c,
                        const struct gw_observation *obs) {
  const char *mine[] = {c->indicator, c->area, c->period, c->breakdown,
                        c->source_id};
  const char *theirs[] = {obs->indicator, obs->area, obs->period,
                          obs->breakdown, obs->source_id};
  for (size_t i = 0; i < sizeof mine / sizeof *mine; i++) {
    int d = strcmp(mine[i], theirs[i]);
    if (d != 0)
      return d < 0;
  }
  return 0;
}
