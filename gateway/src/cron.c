/*
 * cron.c - 5-field cron schedules (see cron.h).
 *
 * Time zones: the C library only converts through the process-wide TZ, so
 * cron_next() selects the zone ONCE per call under a mutex (setenv + tzset,
 * restored before unlocking) and then works on the local calendar: for
 * each matching local day, every matching wall time is turned into its
 * instant(s) with localtime_r() probes. A wall time has one instant, two
 * (the repeated hour in autumn) or none (the skipped hour in spring), and
 * the DST rule in cron.h picks among them. Other threads calling
 * localtime() during that window would see the schedule's zone; the
 * gateway itself only converts through these functions and the UTC-only
 * gmtime_r(), so that is acceptable.
 */
#include "cron.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "gw_alloc.h"
#include "text.h"

#define FIELD_COUNT 5
#define TOKEN_MAX 64
#define SEARCH_DAYS (366 * 10) /* Feb 29 can be 8 years away (2096->2104) */
#define DAY_SECONDS 86400
#define MAX_DAY_MATCHES (24 * 60)

struct field_spec {
  const char *name;
  int min;
  int max;
  const char *const *names; /* 3-letter names for min.., or NULL */
  const char *names_hint;
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may",
                                          "jun", "jul", "aug", "sep", "oct",
                                          "nov", "dec", NULL};
static const char *const weekday_names[] = {"sun", "mon", "tue", "wed",
                                            "thu", "fri", "sat", NULL};

static const struct field_spec fields[FIELD_COUNT] = {
    {"minute", 0, 59, NULL, NULL},
    {"hour", 0, 23, NULL, NULL},
    {"day-of-month", 1, 31, NULL, NULL},
    {"month", 1, 12, month_names, "jan..dec"},
    {"day-of-week", 0, 7, weekday_names, "sun..sat"},
};

/* ---- parsing ----------------------------------------------------------- */

static void field_error(char *err, size_t size, int index, const char *what) {
  (void)text_format(err, size, "cron: field %d (%s): %s", index + 1,
                    fields[index].name, what);
}

static int name_value(const struct field_spec *f, const char *s, size_t n,
                      int *out) {
  if (!f->names || n != 3)
    return -1;
  for (int i = 0; f->names[i]; i++) {
    if (tolower((unsigned char)s[0]) == f->names[i][0] &&
        tolower((unsigned char)s[1]) == f->names[i][1] &&
        tolower((unsigned char)s[2]) == f->names[i][2]) {
      *out = f->min + i;
      return 0;
    }
  }
  return -1;
}

/* One value (number or name) of s[0..n). */
static int parse_value(int index, const char *s, size_t n, int *out, char *err,
                       size_t err_size) {
  const struct field_spec *f = &fields[index];
  char what[CRON_ERR_MAX];
  char token[TOKEN_MAX];
  (void)text_format(token, sizeof token, "%.*s", (int)(n < 20 ? n : 20), s);
  if (n == 0) {
    field_error(err, err_size, index, "a number is missing");
    return -1;
  }
  if (isdigit((unsigned char)s[0])) {
    long v = 0;
    for (size_t i = 0; i < n; i++) {
      if (!isdigit((unsigned char)s[i])) {
        (void)text_format(what, sizeof what, "'%s' is not a number", token);
        goto fail;
      }
      if (v < 1000)
        v = v * 10 + (s[i] - '0');
    }
    if (v < f->min || v > f->max) {
      (void)text_format(what, sizeof what, "%s is out of range %d-%d", token,
                        f->min, f->max);
      goto fail;
    }
    *out = (int)v;
    return 0;
  }
  if (name_value(f, s, n, out) == 0)
    return 0;
  if (f->names)
    (void)text_format(what, sizeof what,
                      "'%s' is neither a number %d-%d nor a name %s", token,
                      f->min, f->max, f->names_hint);
  else
    (void)text_format(what, sizeof what, "expected a number %d-%d, got '%s'",
                      f->min, f->max, token);
fail:
  field_error(err, err_size, index, what);
  return -1;
}

/* One list element "*", "*\/S", "A", "A-B", "A-B/S" into *bits. */
static int parse_element(int index, const char *s, size_t n, uint64_t *bits,
                         char *err, size_t err_size) {
  const struct field_spec *f = &fields[index];
  char what[CRON_ERR_MAX];
  const char *slash = memchr(s, '/', n);
  size_t range_len = slash ? (size_t)(slash - s) : n;
  int lo = f->min, hi = f->max, step = 1;
  if (n == 0) {
    field_error(err, err_size, index, "empty list element");
    return -1;
  }
  if (range_len == 1 && s[0] == '*') {
    /* full range */
  } else {
    const char *dash = memchr(s, '-', range_len);
    size_t lo_len = dash ? (size_t)(dash - s) : range_len;
    if (parse_value(index, s, lo_len, &lo, err, err_size) != 0)
      return -1;
    hi = lo;
    if (dash && parse_value(index, dash + 1, range_len - lo_len - 1, &hi, err,
                            err_size) != 0)
      return -1;
    if (index == 4 && hi == 0 && lo > 0)
      hi = 7; /* "fri-sun": Sunday as the end of a range is day 7 */
    if (hi < lo) {
      (void)text_format(what, sizeof what, "range %.*s goes backwards",
                        (int)(range_len < 20 ? range_len : 20), s);
      field_error(err, err_size, index, what);
      return -1;
    }
    if (slash && !dash) {
      field_error(err, err_size, index,
                  "a step needs a range or '*' before it (e.g. */15, 0-30/5)");
      return -1;
    }
  }
  if (slash) {
    size_t step_len = n - range_len - 1;
    long v = 0;
    if (step_len == 0) {
      field_error(err, err_size, index, "a step is missing after '/'");
      return -1;
    }
    for (size_t i = 0; i < step_len; i++) {
      if (!isdigit((unsigned char)slash[1 + i])) {
        (void)text_format(what, sizeof what, "step '%.*s' is not a number",
                          (int)(step_len < 20 ? step_len : 20), slash + 1);
        field_error(err, err_size, index, what);
        return -1;
      }
      if (v < 1000)
        v = v * 10 + (slash[1 + i] - '0');
    }
    if (v < 1 || v > f->max) {
      (void)text_format(what, sizeof what, "step %ld is out of range 1-%d", v,
                        f->max);
      field_error(err, err_size, index, what);
      return -1;
    }
    step = (int)v;
  }
  for (int v = lo; v <= hi; v += step)
    *bits |= (uint64_t)1 << v;
  return 0;
}

static int parse_field(int index, const char *s, size_t n, uint64_t *bits,
                       char *err, size_t err_size) {
  size_t start = 0;
  *bits = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != ',')
      continue;
    if (parse_element(index, s + start, i - start, bits, err, err_size) != 0)
      return -1;
    start = i + 1;
  }
  return 0;
}

static int is_blank(char c) {
  return c == ' ' || c == '\t';
}

static const int month_days[13] = {0,  31, 29, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};

/* A schedule whose days can never occur (e.g. "0 0 30 2 *") would never
 * run; say so at load time rather than stay silent forever. */
static int check_days_exist(const struct gw_cron *c, char *err,
                            size_t err_size) {
  if (!c->weekdays_star && !c->days_star)
    return 0; /* OR rule: the weekdays alone make it run */
  if (c->days_star)
    return 0;
  for (int m = 1; m <= 12; m++) {
    if (!(c->months & (1u << m)))
      continue;
    for (int d = 1; d <= month_days[m]; d++)
      if (c->days & (1u << d))
        return 0;
  }
  field_error(err, err_size, 2,
              "none of these days occur in the chosen months");
  return -1;
}

int cron_parse(const char *expr, struct gw_cron *out, char *err,
               size_t err_size) {
  const char *start[FIELD_COUNT];
  size_t len[FIELD_COUNT];
  uint64_t bits[FIELD_COUNT];
  int count = 0;
  if (err && err_size)
    err[0] = '\0';
  if (!expr || !out) {
    (void)text_copy(err, err_size, "cron: no schedule given");
    return -1;
  }
  memset(out, 0, sizeof *out);
  for (const char *p = expr; *p;) {
    if (is_blank(*p)) {
      p++;
      continue;
    }
    const char *q = p;
    while (*q && !is_blank(*q))
      q++;
    if (count < FIELD_COUNT) {
      start[count] = p;
      len[count] = (size_t)(q - p);
    }
    count++;
    p = q;
  }
  if (count != FIELD_COUNT) {
    (void)text_format(err, err_size,
                      "cron: expected 5 fields (minute hour day-of-month "
                      "month day-of-week), got %d",
                      count);
    return -1;
  }
  for (int i = 0; i < FIELD_COUNT; i++)
    if (parse_field(i, start[i], len[i], &bits[i], err, err_size) != 0)
      return -1;
  out->minutes = bits[0];
  out->hours = (uint32_t)bits[1];
  out->days = (uint32_t)bits[2];
  out->months = (uint16_t)bits[3];
  if (bits[4] & ((uint64_t)1 << 7))
    bits[4] |= 1; /* 7 is Sunday too */
  out->weekdays = (uint8_t)(bits[4] & 0x7f);
  out->hours_star = start[1][0] == '*';
  out->days_star = start[2][0] == '*';
  out->weekdays_star = start[4][0] == '*';
  if (check_days_exist(out, err, err_size) != 0)
    return -1;
  return 0;
}

/* ---- matching ------------------------------------------------------------ */

static int day_matches(const struct gw_cron *c, int mday, int month, int wday) {
  if (!(c->months & (1u << month)))
    return 0;
  int dom = (c->days >> mday) & 1;
  int dow = (c->weekdays >> wday) & 1;
  if (!c->days_star && !c->weekdays_star)
    return dom || dow;
  return dom && dow;
}

int cron_matches_local(const struct gw_cron *c, const struct tm *local) {
  if (!c || !local)
    return 0;
  if (local->tm_min < 0 || local->tm_min > 59 || local->tm_hour < 0 ||
      local->tm_hour > 23 || local->tm_mday < 1 || local->tm_mday > 31 ||
      local->tm_mon < 0 || local->tm_mon > 11 || local->tm_wday < 0 ||
      local->tm_wday > 6)
    return 0;
  return ((c->minutes >> local->tm_min) & 1) &&
         ((c->hours >> local->tm_hour) & 1) &&
         day_matches(c, local->tm_mday, local->tm_mon + 1, local->tm_wday);
}

/* ---- civil calendar (proleptic Gregorian, no time zone) ------------------ */

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int weekday_of_days(int64_t z) {
  int64_t w = (z + 4) % 7; /* 1970-01-01 was a Thursday */
  return (int)(w < 0 ? w + 7 : w);
}

/* ---- the zone window ------------------------------------------------------
 */

static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;

struct zone_saved {
  char *tz;    /* the previous TZ value, or NULL when unset */
  int changed; /* 0: TZ already named the zone, the environment is untouched */
};

static int zone_name_valid(const char *tz) {
  char path[512];
  struct stat st;
  const char *dir = getenv("TZDIR");
  if (tz[0] == '/' || tz[0] == ':' || strstr(tz, "..") || strlen(tz) > 200)
    return 0;
  for (const char *p = tz; *p; p++)
    if (!(isalnum((unsigned char)*p) || strchr("/_-+", *p)))
      return 0;
  if (strcmp(tz, "UTC") == 0)
    return 1;
  if (text_format(path, sizeof path, "%s/%s",
                  dir && dir[0] ? dir : "/usr/share/zoneinfo", tz) != 0)
    return 0;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Locks and selects tz; on success the caller must call zone_leave(). */
static int zone_enter(const char *tz, struct zone_saved *saved) {
  if (!tz || !tz[0])
    tz = CRON_DEFAULT_TZ;
  saved->tz = NULL;
  saved->changed = 0;
  if (!zone_name_valid(tz))
    return -1;
  if (pthread_mutex_lock(&zone_lock) != 0)
    return -1;
  const char *old = getenv("TZ");
  /* The daemon selects its zone once before starting threads; leaving the
   * environment alone then matters, because other threads (libcurl reading
   * HTTPS_PROXY) may call getenv() while we would setenv(). */
  if (old && strcmp(old, tz) == 0) {
    tzset();
    return 0;
  }
  saved->changed = 1;
  if (old) {
    saved->tz = gw_strdup(old);
    if (!saved->tz)
      goto fail;
  }
  if (setenv("TZ", tz, 1) != 0)
    goto fail;
  tzset();
  return 0;
fail:
  gw_free(saved->tz);
  saved->tz = NULL;
  (void)pthread_mutex_unlock(&zone_lock);
  return -1;
}

static void zone_leave(struct zone_saved *saved) {
  if (!saved->changed) {
    (void)pthread_mutex_unlock(&zone_lock);
    return;
  }
  if (saved->tz)
    (void)setenv("TZ", saved->tz, 1);
  else
    (void)unsetenv("TZ");
  tzset();
  gw_free(saved->tz);
  saved->tz = NULL;
  (void)pthread_mutex_unlock(&zone_lock);
}

/* UTC offset in seconds at instant t in the selected zone. */
static int offset_at(time_t t, long *off) {
  struct tm tm;
  if (!localtime_r(&t, &tm))
    return -1;
  *off = tm.tm_gmtoff;
  return 0;
}

int cron_local_time(time_t t, const char *tz, struct tm *out) {
  struct zone_saved saved;
  int rc = -1;
  if (!out || zone_enter(tz, &saved) != 0)
    return -1;
  if (localtime_r(&t, out))
    rc = 0;
  zone_leave(&saved);
  return rc;
}

/* ---- next run ------------------------------------------------------------ */

/* The instants at which the local wall time `wall` (seconds since the epoch
 * as if local were UTC) should run, per the DST rule in cron.h. Real zones
 * change offset at most once within a day either side, so the offsets a
 * day before and after are the only candidates. Returns how many (0-2). */
static int wall_instants(const struct gw_cron *c, int64_t wall, time_t out[2]) {
  long off_before, off_after;
  int n = 0;
  if (offset_at((time_t)(wall - DAY_SECONDS), &off_before) != 0 ||
      offset_at((time_t)(wall + DAY_SECONDS), &off_after) != 0)
    return 0;
  long offs[2] = {off_before, off_after};
  for (int i = 0; i < 2; i++) {
    if (i == 1 && off_after == off_before)
      break;
    time_t t = (time_t)(wall - offs[i]);
    long actual;
    if (offset_at(t, &actual) == 0 && actual == offs[i])
      out[n++] = t;
  }
  if (n == 2) {
    if (out[1] < out[0]) {
      time_t tmp = out[0];
      out[0] = out[1];
      out[1] = tmp;
    }
    return c->hours_star ? 2 : 1; /* calendar jobs: first occurrence only */
  }
  if (n == 1 || c->hours_star || off_after <= off_before)
    return n;
  /* Skipped wall time: the first minute after the gap, i.e. the first
   * instant in (wall - off_after, wall - off_before] on the new offset. */
  time_t lo = (time_t)(wall - off_after), hi = (time_t)(wall - off_before);
  while (hi - lo > 60) {
    time_t mid = lo + ((hi - lo) / 120) * 60;
    long o;
    if (mid <= lo)
      mid = lo + 60;
    if (offset_at(mid, &o) != 0)
      return 0;
    if (o == off_after)
      hi = mid;
    else
      lo = mid;
  }
  out[0] = hi;
  return 1;
}

static int search(const struct gw_cron *c, time_t after, time_t *next) {
  struct tm local;
  long off_max;
  time_t start = after;
  if (!localtime_r(&start, &local))
    return -1;
  /* a day early: zones that fall back across midnight repeat a date */
  int64_t day = clock_days_from_civil((int64_t)local.tm_year + 1900,
                                      local.tm_mon + 1, local.tm_mday) -
                1;
  int have = 0;
  time_t best = 0;
  for (int64_t i = 0; i < SEARCH_DAYS && !have; i++, day++) {
    int64_t y;
    int m, d;
    civil_from_days(day, &y, &m, &d);
    if (!day_matches(c, d, m, weekday_of_days(day)))
      continue;
    int64_t midnight = day * DAY_SECONDS;
    long o1, o2;
    if (offset_at((time_t)(midnight - DAY_SECONDS), &o1) != 0 ||
        offset_at((time_t)(midnight + 2 * DAY_SECONDS), &o2) != 0)
      return -1;
    off_max = o1 > o2 ? o1 : o2;
    for (int h = 0; h < 24; h++) {
      if (!((c->hours >> h) & 1))
        continue;
      for (int mi = 0; mi < 60; mi++) {
        if (!((c->minutes >> mi) & 1))
          continue;
        int64_t wall = midnight + h * 3600 + mi * 60;
        /* no later wall time of the day can beat what we have */
        if (have && wall - off_max > (int64_t)best)
          goto done;
        time_t t[2];
        int n = wall_instants(c, wall, t);
        for (int k = 0; k < n; k++) {
          if (t[k] > after && (!have || t[k] < best)) {
            best = t[k];
            have = 1;
          }
        }
      }
    }
  }
done:
  if (!have)
    return -1;
  *next = best;
  return 0;
}

int cron_next(const struct gw_cron *c, time_t after, const char *tz,
              time_t *next) {
  struct zone_saved saved;
  if (!c || !next)
    return -1;
  if (zone_enter(tz, &saved) != 0)
    return -1;
  int rc = search(c, after, next);
  zone_leave(&saved);
  return rc;
}

/* ---- jitter -------------------------------------------------------------- */

int cron_jitter_seconds(const char *source_id, int max_seconds) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 */
  if (!source_id || max_seconds <= 0)
    return 0;
  for (const unsigned char *p = (const unsigned char *)source_id; *p; p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  return (int)(h % ((uint64_t)max_seconds + 1));
}
