/*
 * audit_filter.c - record selection for `gateway audit show` (contract in
 * audit_filter.h): time bounds, byte prefilter, exact member comparison.
 */
#define _GNU_SOURCE /* memmem (also in the BSDs and POSIX 2024) */
#include "audit_filter.h"
#include "clock.h"
#include "gw_alloc.h"
#include "text.h"
#include "xlog_field.h"

#include <string.h>

#define MS_PER_DAY (86400LL * 1000LL)
#define TRACE_HEX 32
/* "2026-11-24T02:50:08.123Z" right after {"seq":N */
#define TIME_MEMBER ",\"time\":\""

static const char *const member_names[AUDIT_FIELD_COUNT] = {
    "source", "event", "outcome", "trace_id"};
static const char *const option_names[AUDIT_FIELD_COUNT] = {
    "--source", "--event", "--outcome", "--trace"};

void audit_filter_init(struct audit_filter *f) {
  memset(f, 0, sizeof *f);
  f->from_ms = AUDIT_TIME_NONE_FROM;
  f->to_ms = AUDIT_TIME_NONE_TO;
}

void audit_filter_free(struct audit_filter *f) {
  for (size_t k = 0; k < AUDIT_FIELD_COUNT; k++)
    for (size_t i = 0; i < f->kinds[k].count; i++) {
      gw_free(f->kinds[k].needles[i]);
      f->kinds[k].needles[i] = NULL;
    }
}

int audit_filter_is_empty(const struct audit_filter *f) {
  for (size_t k = 0; k < AUDIT_FIELD_COUNT; k++)
    if (f->kinds[k].count)
      return 0;
  return f->from_ms == AUDIT_TIME_NONE_FROM && f->to_ms == AUDIT_TIME_NONE_TO;
}

/* The log is written by jansson with JSON_ENSURE_ASCII, so a value of
 * printable ASCII other than '"', '\' and '/' appears in the line exactly
 * as given, between quotes. Anything else could be escaped and is only
 * compared after parsing. */
static int prefilterable(const char *value) {
  for (const unsigned char *p = (const unsigned char *)value; *p; p++)
    if (*p < 0x20 || *p >= 0x7F || *p == '"' || *p == '\\' || *p == '/')
      return 0;
  return 1;
}

static int is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

/* Trace ids are written lower-case (W3C); accept either case from the
 * command line. */
static int normalise_trace(struct audit_filter_values *v, const char *value,
                           const char **out) {
  char *dst = v->trace_storage[v->count];
  size_t i;
  for (i = 0; value[i]; i++) {
    if (i >= TRACE_HEX || !is_hex(value[i]))
      return -1;
    dst[i] = (char)(value[i] >= 'A' && value[i] <= 'F' ? value[i] - 'A' + 'a'
                                                       : value[i]);
  }
  if (i != TRACE_HEX)
    return -1;
  dst[i] = '\0';
  *out = dst;
  return 0;
}

int audit_filter_add(struct audit_filter *f, audit_field kind,
                     const char *value, char *err, size_t err_size) {
  struct audit_filter_values *v;
  char *needle = NULL;
  size_t len;
  if ((unsigned)kind >= AUDIT_FIELD_COUNT || !value) {
    text_copy(err, err_size, "unknown filter");
    return -1;
  }
  v = &f->kinds[kind];
  len = strlen(value);
  if (len == 0 || len >= AUDIT_FILTER_VALUE_MAX) {
    text_format(err, err_size, "%s: the value must be 1 to %d bytes long",
                option_names[kind], AUDIT_FILTER_VALUE_MAX - 1);
    return -1;
  }
  if (v->count >= AUDIT_FILTER_VALUES_MAX) {
    text_format(err, err_size, "%s: at most %d values", option_names[kind],
                AUDIT_FILTER_VALUES_MAX);
    return -1;
  }
  if (kind == AUDIT_TRACE && normalise_trace(v, value, &value) != 0) {
    text_format(err, err_size,
                "--trace '%s' is not a trace id (32 hex digits, the run id "
                "`gateway status` shows)",
                value);
    return -1;
  }
  if (prefilterable(value)) {
    needle = gw_malloc(len + 3);
    if (!needle || text_format(needle, len + 3, "\"%s\"", value) != 0) {
      gw_free(needle);
      text_copy(err, err_size, "out of memory");
      return -1;
    }
  }
  v->values[v->count] = value;
  v->needles[v->count] = needle;
  v->count++;
  return 0;
}

/* ---- time ------------------------------------------------------------ */

static int digits(const char *p, size_t n, int *out) {
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return 0;
}

static int days_in_month(int year, int month) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

/* "YYYY-MM-DD" at p (10 bytes): days since the epoch. */
static int parse_date(const char *p, size_t len, int64_t *days) {
  int y, m, d;
  if (len < 10 || p[4] != '-' || p[7] != '-' || digits(p, 4, &y) != 0 ||
      digits(p + 5, 2, &m) != 0 || digits(p + 8, 2, &d) != 0 || m < 1 ||
      m > 12 || d < 1 || d > days_in_month(y, m))
    return -1;
  *days = clock_days_from_civil(y, m, d);
  return 0;
}

int audit_time_parse_ms(const char *text, size_t len, int64_t *ms) {
  int64_t days;
  int h, mi, s, frac = 0;
  size_t i = 19, n = 0;
  if (len < 20 || parse_date(text, len, &days) != 0 ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':' || digits(text + 11, 2, &h) != 0 ||
      digits(text + 14, 2, &mi) != 0 || digits(text + 17, 2, &s) != 0 ||
      h > 23 || mi > 59 || s > 60)
    return -1;
  if (text[i] == '.') {
    for (i++; i < len && text[i] >= '0' && text[i] <= '9'; i++, n++)
      if (n < 3)
        frac = frac * 10 + (text[i] - '0');
    if (n == 0 || n > 9)
      return -1;
    for (; n < 3; n++)
      frac *= 10;
  }
  if (i + 1 != len || (text[i] != 'Z' && text[i] != 'z'))
    return -1;
  if (s == 60) { /* a leap second sorts at the end of its minute */
    s = 59;
    frac = 999;
  }
  *ms = days * MS_PER_DAY + ((int64_t)h * 3600 + mi * 60 + s) * 1000 + frac;
  return 0;
}

int audit_time_bound(const char *text, int is_to, int64_t *ms, char *err,
                     size_t err_size) {
  const char *opt = is_to ? "--to" : "--from";
  size_t len = text ? strlen(text) : 0;
  int64_t days;
  if (len == 10 && parse_date(text, len, &days) == 0) {
    *ms = (days + (is_to ? 1 : 0)) * MS_PER_DAY;
    return 0;
  }
  if (len > 10 && audit_time_parse_ms(text, len, ms) == 0) {
    if (is_to)
      *ms += 1; /* inclusive: records in the same millisecond count */
    return 0;
  }
  text_format(err, err_size,
              "%s '%s' is not a time: use RFC 3339 in UTC "
              "(2026-11-24T06:00:00Z) or a date (2026-11-24)",
              opt, text ? text : "");
  return -1;
}

/* ---- matching ---------------------------------------------------------- */

/* The record's time: where the log writes it (right after seq) or,
 * failing that, wherever it is among the top-level members. */
static int record_time(const char *text, size_t len, int64_t *ms) {
  static const char *const key[] = {"time"};
  struct gw_xlog_span v;
  const char *p = memchr(text, ',', len < 32 ? len : 32);
  size_t tm = sizeof TIME_MEMBER - 1;
  if (p && (size_t)(text + len - p) >= tm + 25 &&
      memcmp(p, TIME_MEMBER, tm) == 0 && p[tm + 24] == '"' &&
      audit_time_parse_ms(p + tm, 24, ms) == 0)
    return 0;
  if (xlog_fields(text, len, key, 1, &v) != 0 || !xlog_span_is_string(v))
    return -1;
  return audit_time_parse_ms(v.p + 1, v.len - 2, ms);
}

static int prefilter_kind(const struct audit_filter_values *v, const char *text,
                          size_t len) {
  for (size_t i = 0; i < v->count; i++) {
    if (!v->needles[i] ||
        memmem(text, len, v->needles[i], strlen(v->needles[i])) != NULL)
      return 1;
  }
  return 0;
}

static int kind_matches(const struct audit_filter_values *v,
                        struct gw_xlog_span value) {
  for (size_t i = 0; i < v->count; i++)
    if (xlog_span_equals(value, v->values[i]))
      return 1;
  return 0;
}

audit_match audit_filter_match(const struct audit_filter *f, const char *text,
                               size_t len) {
  struct gw_xlog_span values[AUDIT_FIELD_COUNT];
  int any_kind = 0;
  size_t k;
  if (f->from_ms != AUDIT_TIME_NONE_FROM || f->to_ms != AUDIT_TIME_NONE_TO) {
    int64_t t;
    if (record_time(text, len, &t) != 0)
      return AUDIT_MATCH_DAMAGED;
    if (f->to_ms != AUDIT_TIME_NONE_TO && t >= f->to_ms)
      return t - f->to_ms >= AUDIT_CLOCK_SLACK_MS ? AUDIT_MATCH_PAST_END
                                                  : AUDIT_MATCH_NO;
    if (t < f->from_ms)
      return AUDIT_MATCH_NO;
  }
  for (k = 0; k < AUDIT_FIELD_COUNT; k++) {
    if (!f->kinds[k].count)
      continue;
    any_kind = 1;
    if (!prefilter_kind(&f->kinds[k], text, len))
      return AUDIT_MATCH_NO;
  }
  if (!any_kind)
    return AUDIT_MATCH_YES;
  if (xlog_fields(text, len, member_names, AUDIT_FIELD_COUNT, values) != 0)
    return AUDIT_MATCH_DAMAGED;
  for (k = 0; k < AUDIT_FIELD_COUNT; k++)
    if (f->kinds[k].count && !kind_matches(&f->kinds[k], values[k]))
      return AUDIT_MATCH_NO;
  return AUDIT_MATCH_YES;
}
