#include "clock.h"
#include "text.h"
#include <ctype.h>
#include <string.h>
#include <time.h>

int clock_now_rfc3339(char *out, size_t out_size) {
  struct timespec ts;
  struct tm tm;
  char base[32];
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm))
    return -1;
  if (strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    return -1;
  return text_format(out, out_size, "%s.%03ldZ", base, ts.tv_nsec / 1000000L);
}

int64_t clock_now_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
    return 0;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L;
}

double clock_monotonic(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0.0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int clock_format_rfc3339(time_t t, char *out, size_t out_size) {
  struct tm tm;
  if (!gmtime_r(&t, &tm) || out_size == 0)
    return -1;
  return strftime(out, out_size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ? -1 : 0;
}

/* H. Hinnant's days_from_civil algorithm. */
int64_t clock_days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i]))
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int clock_parse_rfc3339(const char *text, time_t *out) {
  int y, mo, d, h, mi, se;
  const char *p = text;
  if (!text || strlen(text) < 20 || digits(p, 4, &y) || p[4] != '-' ||
      digits(p + 5, 2, &mo) || p[7] != '-' || digits(p + 8, 2, &d) ||
      p[10] != 'T' || digits(p + 11, 2, &h) || p[13] != ':' ||
      digits(p + 14, 2, &mi) || p[16] != ':' || digits(p + 17, 2, &se))
    return -1;
  p += 19;
  if (*p == '.')
    for (p++; isdigit((unsigned char)*p); p++)
      ;
  if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
      mi > 59 || se > 60)
    return -1;
  *out = (time_t)(clock_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
                  se);
  return 0;
}
