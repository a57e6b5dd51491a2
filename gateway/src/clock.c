#include "clock.h"
#include "text.h"
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
