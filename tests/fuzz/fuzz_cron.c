/*
 * fuzz_cron - libFuzzer harness for cron_parse() and cron_next().
 *
 * Input layout: byte 0 picks a time zone (the default, UTC, and zones with
 * DST, half-hour DST or half-hour offsets), bytes 1..4 pick `after` within
 * 2000..2100, the rest is the expression (cut at the first NUL, at most
 * 255 bytes). Invariants (trap on violation):
 *  - a refused expression has a non-empty, terminated message that starts
 *    with "cron: ";
 *  - a parsed expression always has a next run (cron_parse refuses days
 *    that never occur), strictly after `after`, on a whole minute, within
 *    ten years;
 *  - at that run the local wall time matches the expression, or the run is
 *    the first minute after a DST gap (a calendar job caught up); a
 *    calendar job (hour field not starting with '*') never runs at the
 *    second copy of a repeated wall time;
 *  - no minute in (after, next) within the first two hours matches,
 *    except a repeated wall time that calendar jobs skip by design.
 * Seeds: tests/fuzz/corpus/cron.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "fuzz_support.h"

#define EXPR_MAX 256
#define WALK_MINUTES 120
#define START_2000 946684800L
#define CENTURY_SECONDS (100L * 365 * 86400)
#define TEN_YEARS (3660L * 86400)

static const char *const zones[] = {"",
                                    "UTC",
                                    "Europe/Amsterdam",
                                    "America/New_York",
                                    "Australia/Lord_Howe",
                                    "Asia/Kolkata",
                                    "America/Santiago"};

static long offset_of(time_t t, const char *tz) {
  struct tm tm;
  if (cron_local_time(t, tz, &tm) != 0)
    __builtin_trap();
  return tm.tm_gmtoff;
}

static int matches_at(const struct gw_cron *c, time_t t, const char *tz) {
  struct tm tm;
  if (cron_local_time(t, tz, &tm) != 0)
    __builtin_trap();
  return cron_matches_local(c, &tm);
}

/* A calendar job runs a repeated wall time once: this minute's wall time
 * already happened earlier on a larger offset. */
static int is_repeat(time_t t, const char *tz) {
  long now = offset_of(t, tz);
  for (long back = 1800; back <= 7200; back += 1800)
    if (offset_of(t - back, tz) - now == back)
      return 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char expr[EXPR_MAX];
  char err[CRON_ERR_MAX];
  struct gw_cron c;
  time_t next = 0;
  if (size < 5)
    return 0;
  const char *tz = zones[data[0] % (sizeof zones / sizeof zones[0])];
  uint32_t pick = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
                  (uint32_t)data[3] << 8 | data[4];
  time_t after =
      (time_t)(START_2000 + (long)(pick % (uint32_t)(CENTURY_SECONDS / 7)) * 7);
  size_t n = size - 5;
  if (n >= EXPR_MAX)
    n = EXPR_MAX - 1;
  memcpy(expr, data + 5, n);
  expr[n] = '\0';

  memset(err, 'X', sizeof err);
  if (cron_parse(expr, &c, err, sizeof err) != 0) {
    if (!memchr(err, '\0', sizeof err) || strncmp(err, "cron: ", 6) != 0 ||
        strlen(err) <= 6)
      __builtin_trap();
    return 0;
  }
  if (cron_next(&c, after, tz, &next) != 0)
    __builtin_trap();
  if (next <= after || next % 60 != 0 || next - after > TEN_YEARS)
    __builtin_trap();
  if (!c.hours_star && is_repeat(next, tz))
    __builtin_trap(); /* a calendar job ran a repeated wall time again */
  if (!matches_at(&c, next, tz)) {
    int after_gap = offset_of(next - 60, tz) < offset_of(next, tz);
    if (c.hours_star || !after_gap)
      __builtin_trap();
  }
  for (time_t t = after - after % 60 + 60, i = 0; t < next && i < WALK_MINUTES;
       t += 60, i++) {
    if (matches_at(&c, t, tz) && (c.hours_star || !is_repeat(t, tz)))
      __builtin_trap();
  }
  return 0;
}
