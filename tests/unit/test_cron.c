/*
 * test_cron.c - cron schedules: parsing (valid sets and exact error
 * messages), next run in UTC and Europe/Amsterdam across both 2026 DST
 * changes, year and leap-day boundaries, the day-of-month/day-of-week OR
 * rule, a brute-force cross-check, and the per-source jitter.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cron.h"
#include "text.h"

static time_t utc(int y, int mo, int d, int h, int mi) {
  struct tm tm = {0};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return timegm(&tm);
}

static struct gw_cron parse_ok(const char *expr) {
  struct gw_cron c;
  char err[CRON_ERR_MAX];
  int rc = cron_parse(expr, &c, err, sizeof err);
  cr_assert_eq(rc, 0, "'%s' should parse, got: %s", expr, err);
  return c;
}

static time_t next_of(const char *expr, time_t after, const char *tz) {
  struct gw_cron c = parse_ok(expr);
  time_t next = 0;
  cr_assert_eq(cron_next(&c, after, tz, &next), 0, "no next run for '%s'",
               expr);
  return next;
}

static void fmt_utc(time_t t, char *buf, size_t size) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, size, "%Y-%m-%dT%H:%MZ", &tm);
}

#define EXPECT_NEXT(expr, after, tz, want)                                     \
  do {                                                                         \
    time_t got_ = next_of(expr, after, tz);                                    \
    char g_[32], w_[32];                                                       \
    fmt_utc(got_, g_, sizeof g_);                                              \
    fmt_utc(want, w_, sizeof w_);                                              \
    cr_expect_eq(got_, (time_t)(want), "'%s' in %s: got %s, want %s", expr,    \
                 tz ? tz : "default", g_, w_);                                 \
  } while (0)

/* ---- parsing --------------------------------------------------------- */

Test(cron_parse, field_sets) {
  struct gw_cron c = parse_ok("*/15 1-20/5 1,15,31 jan-mar,Dec mon-fri");
  cr_expect_eq(c.minutes,
               (1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45));
  cr_expect_eq(c.hours, (1u << 1) | (1u << 6) | (1u << 11) | (1u << 16));
  cr_expect_eq(c.days, (1u << 1) | (1u << 15) | (1u << 31));
  cr_expect_eq(c.months, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 12));
  cr_expect_eq(c.weekdays, 0x3e);
  cr_expect(!c.hours_star && !c.days_star && !c.weekdays_star);

  c = parse_ok("  * *\t* * *  ");
  cr_expect_eq(c.minutes, (1ULL << 60) - 1);
  cr_expect_eq(c.hours, (1u << 24) - 1);
  cr_expect_eq(c.days, 0xfffffffeu);
  cr_expect_eq(c.months, 0x1ffe);
  cr_expect_eq(c.weekdays, 0x7f);
  cr_expect(c.hours_star && c.days_star && c.weekdays_star);

  cr_expect_eq(parse_ok("0 0 * * 7").weekdays, 1, "7 is Sunday");
  cr_expect_eq(parse_ok("0 0 * * 0,7").weekdays, 1);
  cr_expect_eq(parse_ok("0 0 * * SUN").weekdays, 1);
  cr_expect_eq(parse_ok("0 0 * * fri-sun").weekdays, 0x61);
  cr_expect_eq(parse_ok("0 0 * * 5-7").weekdays, 0x61);
  cr_expect_eq(parse_ok("0 0 * * */2").weekdays, 0x55);
  cr_expect_eq(parse_ok("59 23 31 12 6").minutes, 1ULL << 59);
  cr_expect_eq(parse_ok("0 0 29 2 *").days, 1u << 29);
}

struct bad_case {
  const char *expr;
  const char *message;
};

static const struct bad_case bad_cases[] = {
    {"0 24 * * *", "cron: field 2 (hour): 24 is out of range 0-23"},
    {"60 * * * *", "cron: field 1 (minute): 60 is out of range 0-59"},
    {"* * 0 * *", "cron: field 3 (day-of-month): 0 is out of range 1-31"},
    {"* * 32 * *", "cron: field 3 (day-of-month): 32 is out of range 1-31"},
    {"* * * 13 *", "cron: field 4 (month): 13 is out of range 1-12"},
    {"* * * 0 *", "cron: field 4 (month): 0 is out of range 1-12"},
    {"* * * * 8", "cron: field 5 (day-of-week): 8 is out of range 0-7"},
    {"0 6 * *", "cron: expected 5 fields (minute hour day-of-month month "
                "day-of-week), got 4"},
    {"0 6 * * * *", "cron: expected 5 fields (minute hour day-of-month month "
                    "day-of-week), got 6"},
    {"", "cron: expected 5 fields (minute hour day-of-month month "
         "day-of-week), got 0"},
    {"* * * foo *",
     "cron: field 4 (month): 'foo' is neither a number 1-12 nor a name "
     "jan..dec"},
    {"* * * * sunday",
     "cron: field 5 (day-of-week): 'sunday' is neither a number 0-7 nor a "
     "name sun..sat"},
    {"mon * * * *",
     "cron: field 1 (minute): expected a number 0-59, got 'mon'"},
    {"0 jan * * *", "cron: field 2 (hour): expected a number 0-23, got 'jan'"},
    {"5-1 * * * *", "cron: field 1 (minute): range 5-1 goes backwards"},
    {"* * * * sat-mon",
     "cron: field 5 (day-of-week): range sat-mon goes backwards"},
    {"*/0 * * * *", "cron: field 1 (minute): step 0 is out of range 1-59"},
    {"0 */24 * * *", "cron: field 2 (hour): step 24 is out of range 1-23"},
    {"*/ * * * *", "cron: field 1 (minute): a step is missing after '/'"},
    {"*/x * * * *", "cron: field 1 (minute): step 'x' is not a number"},
    {"5/15 * * * *", "cron: field 1 (minute): a step needs a range or '*' "
                     "before it (e.g. */15, 0-30/5)"},
    {"1,,2 * * * *", "cron: field 1 (minute): empty list element"},
    {"1, * * * *", "cron: field 1 (minute): empty list element"},
    {"1x * * * *", "cron: field 1 (minute): '1x' is not a number"},
    {"-5 * * * *", "cron: field 1 (minute): a number is missing"},
    {"1- * * * *", "cron: field 1 (minute): a number is missing"},
    {"0 0 30 2 *", "cron: field 3 (day-of-month): none of these days occur in "
                   "the chosen months"},
    {"0 0 31 4,6,9,11 *", "cron: field 3 (day-of-month): none of these days "
                          "occur in the chosen months"},
};

Test(cron_parse, errors_name_field_and_expectation) {
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
    struct gw_cron c;
    char err[CRON_ERR_MAX];
    cr_expect_eq(cron_parse(bad_cases[i].expr, &c, err, sizeof err), -1,
                 "'%s' should be refused", bad_cases[i].expr);
    cr_expect_str_eq(err, bad_cases[i].message, "for '%s'", bad_cases[i].expr);
  }
}

Test(cron_parse, impossible_day_is_fine_with_weekday_or_rule) {
  /* Feb 30 never happens, but with a weekday the OR rule still runs it. */
  struct gw_cron c = parse_ok("0 0 30 2 mon");
  time_t next = 0;
  cr_expect_eq(cron_next(&c, utc(2026, 1, 1, 0, 0), "UTC", &next), 0);
  cr_expect_eq(next, utc(2026, 2, 2, 0, 0));
}

Test(cron_parse, tiny_error_buffer_and_null) {
  struct gw_cron c;
  char err[8];
  cr_expect_eq(cron_parse("0 24 * * *", &c, err, sizeof err), -1);
  cr_expect_eq(strlen(err), 7);
  cr_expect_eq(cron_parse(NULL, &c, err, sizeof err), -1);
}

/* ---- next run ---------------------------------------------------------- */

Test(cron_next, utc_basics) {
  EXPECT_NEXT("*/15 * * * *", utc(2026, 1, 1, 0, 0), "UTC",
              utc(2026, 1, 1, 0, 15));
  EXPECT_NEXT("*/15 * * * *", utc(2026, 1, 1, 0, 14) + 59, "UTC",
              utc(2026, 1, 1, 0, 15));
  EXPECT_NEXT("*/15 * * * *", utc(2026, 1, 1, 0, 15), "UTC",
              utc(2026, 1, 1, 0, 30));
  EXPECT_NEXT("0 6 * * 1", utc(2026, 1, 1, 0, 0), "UTC",
              utc(2026, 1, 5, 6, 0)); /* first Monday */
  EXPECT_NEXT("1-30/5 * * * *", utc(2026, 1, 1, 10, 26), "UTC",
              utc(2026, 1, 1, 11, 1));
  EXPECT_NEXT("0 0 1 jan *", utc(2026, 12, 31, 23, 59), "UTC",
              utc(2027, 1, 1, 0, 0)); /* year boundary */
  EXPECT_NEXT("59 23 31 12 *", utc(2026, 12, 31, 23, 59), "UTC",
              utc(2027, 12, 31, 23, 59));
  EXPECT_NEXT("0 0 29 2 *", utc(2026, 3, 1, 0, 0), "UTC",
              utc(2028, 2, 29, 0, 0)); /* next leap year */
  EXPECT_NEXT("0 0 29 2 *", utc(2096, 3, 1, 0, 0), "UTC",
              utc(2104, 2, 29, 0, 0)); /* 2100 is not a leap year */
  EXPECT_NEXT("0 0 * * 7", utc(2026, 1, 1, 0, 0), "UTC", utc(2026, 1, 4, 0, 0));
  EXPECT_NEXT("0 0 * * sun", utc(2026, 1, 1, 0, 0), "UTC",
              utc(2026, 1, 4, 0, 0));
}

Test(cron_next, day_of_month_or_day_of_week) {
  /* both restricted: the 13th OR any Friday */
  EXPECT_NEXT("0 12 13 * fri", utc(2026, 1, 1, 0, 0), "UTC",
              utc(2026, 1, 2, 12, 0)); /* Friday 2 Jan */
  EXPECT_NEXT("0 12 13 * fri", utc(2026, 1, 9, 12, 0), "UTC",
              utc(2026, 1, 13, 12, 0)); /* Tuesday 13 Jan */
  EXPECT_NEXT("0 12 13 * fri", utc(2026, 1, 13, 12, 0), "UTC",
              utc(2026, 1, 16, 12, 0));
  /* day-of-month starts with '*': both must match (odd day AND Friday) */
  EXPECT_NEXT("0 12 */2 * fri", utc(2026, 1, 1, 0, 0), "UTC",
              utc(2026, 1, 9, 12, 0));
  /* weekday '*': only the day of month counts */
  EXPECT_NEXT("0 12 13 * *", utc(2026, 1, 1, 0, 0), "UTC",
              utc(2026, 1, 13, 12, 0));
}

Test(cron_next, amsterdam_plain_days) {
  /* winter: CET = UTC+1; summer: CEST = UTC+2 */
  EXPECT_NEXT("0 6 * * *", utc(2026, 1, 10, 0, 0), "Europe/Amsterdam",
              utc(2026, 1, 10, 5, 0));
  EXPECT_NEXT("0 6 * * *", utc(2026, 7, 10, 0, 0), "Europe/Amsterdam",
              utc(2026, 7, 10, 4, 0));
  EXPECT_NEXT("0 6 * * *", utc(2026, 7, 10, 0, 0), NULL,
              utc(2026, 7, 10, 4, 0)); /* default zone */
  /* year boundary in local time: 00:00 on 1 Jan 2027 is 23:00Z on 31 Dec */
  EXPECT_NEXT("0 0 1 1 *", utc(2026, 12, 31, 12, 0), "Europe/Amsterdam",
              utc(2026, 12, 31, 23, 0));
  EXPECT_NEXT("30 0 * * *", utc(2026, 12, 31, 23, 0), "Europe/Amsterdam",
              utc(2026, 12, 31, 23, 30)); /* already 1 Jan locally */
}

Test(cron_next, amsterdam_spring_forward_2026) {
  /* 29 March 2026: 02:00 CET -> 03:00 CEST at 01:00Z; 02:xx never exists. */
  const char *ams = "Europe/Amsterdam";
  EXPECT_NEXT("30 2 * * *", utc(2026, 3, 28, 12, 0), ams,
              utc(2026, 3, 29, 1, 0)); /* runs at 03:00 CEST, once */
  EXPECT_NEXT("30 2 * * *", utc(2026, 3, 29, 1, 0), ams,
              utc(2026, 3, 30, 0, 30)); /* next day 02:30 CEST */
  EXPECT_NEXT("0 2 * * *", utc(2026, 3, 28, 12, 0), ams,
              utc(2026, 3, 29, 1, 0));
  EXPECT_NEXT("59 2 * * sun", utc(2026, 3, 28, 12, 0), ams,
              utc(2026, 3, 29, 1, 0));
  /* a job at 02:30 and 03:00 runs once at 03:00, not twice */
  EXPECT_NEXT("0,30 2,3 * * *", utc(2026, 3, 29, 0, 30), ams,
              utc(2026, 3, 29, 1, 0));
  EXPECT_NEXT("0,30 2,3 * * *", utc(2026, 3, 29, 1, 0), ams,
              utc(2026, 3, 29, 1, 30));
  /* hour '*': follows the real clock, the skipped hour is not caught up */
  EXPECT_NEXT("*/15 * * * *", utc(2026, 3, 29, 0, 45), ams,
              utc(2026, 3, 29, 1, 0));
  EXPECT_NEXT("7 * * * *", utc(2026, 3, 29, 0, 30), ams,
              utc(2026, 3, 29, 1, 7)); /* 03:07 CEST; 02:07 did not exist */
  EXPECT_NEXT("30 1 * * *", utc(2026, 3, 28, 12, 0), ams,
              utc(2026, 3, 29, 0, 30)); /* just before the gap: CET */
}

Test(cron_next, amsterdam_fall_back_2026) {
  /* 25 October 2026: 03:00 CEST -> 02:00 CET at 01:00Z; 02:xx twice. */
  const char *ams = "Europe/Amsterdam";
  EXPECT_NEXT("30 2 * * *", utc(2026, 10, 24, 12, 0), ams,
              utc(2026, 10, 25, 0, 30)); /* first 02:30 (CEST) */
  EXPECT_NEXT("30 2 * * *", utc(2026, 10, 25, 0, 30), ams,
              utc(2026, 10, 26, 1, 30)); /* NOT the second 02:30 */
  EXPECT_NEXT("30 2 * * *", utc(2026, 10, 25, 0, 45), ams,
              utc(2026, 10, 26, 1, 30));
  /* hour '*': both copies of the repeated hour run */
  time_t t = utc(2026, 10, 24, 23, 59); /* 01:59 CEST */
  for (int i = 1; i <= 9; i++) {
    time_t want = utc(2026, 10, 25, 0, 0) + (time_t)(i - 1) * 15 * 60;
    EXPECT_NEXT("*/15 * * * *", t, ams, want);
    t = want;
  }
  EXPECT_NEXT("0 * * * *", utc(2026, 10, 25, 0, 0), ams,
              utc(2026, 10, 25, 1, 0)); /* second 02:00 (CET) */
  EXPECT_NEXT("0 3 * * *", utc(2026, 10, 24, 12, 0), ams,
              utc(2026, 10, 25, 2, 0)); /* 03:00 CET */
}

Test(cron_next, unknown_zone_and_bad_arguments) {
  struct gw_cron c = parse_ok("* * * * *");
  time_t next = 0;
  cr_expect_eq(cron_next(&c, 0, "Mars/Olympus_Mons", &next), -1);
  cr_expect_eq(cron_next(&c, 0, "../../etc/passwd", &next), -1);
  cr_expect_eq(cron_next(&c, 0, "/etc/localtime", &next), -1);
  cr_expect_eq(cron_next(NULL, 0, "UTC", &next), -1);
  cr_expect_eq(cron_next(&c, 0, "UTC", NULL), -1);
}

Test(cron_next, leaves_process_tz_alone) {
  cr_assert_eq(setenv("TZ", "America/New_York", 1), 0);
  tzset();
  struct gw_cron c = parse_ok("0 6 * * *");
  time_t next;
  cr_expect_eq(cron_next(&c, utc(2026, 1, 10, 0, 0), "Europe/Amsterdam", &next),
               0);
  cr_expect_str_eq(getenv("TZ"), "America/New_York");
  struct tm tm;
  time_t t = utc(2026, 1, 10, 12, 0);
  localtime_r(&t, &tm);
  cr_expect_eq(tm.tm_hour, 7, "process zone still New York");
  cr_assert_eq(unsetenv("TZ"), 0);
  tzset();
}

/* A brute-force minute walk must agree with cron_next where there is no
 * DST to argue about (UTC). */
Test(cron_next, agrees_with_minute_walk_in_utc) {
  static const char *const exprs[] = {
      "*/7 3-5 * * *",  "0 0 13 * fri",    "15 10 1,15 * mon-fri",
      "0 12 */2 * fri", "30 23 28-31 * *", "0 0 1 */3 *",
      "* * * * *"};
  for (size_t e = 0; e < sizeof exprs / sizeof exprs[0]; e++) {
    struct gw_cron c = parse_ok(exprs[e]);
    for (time_t after = utc(2026, 1, 1, 0, 0) + 17;
         after < utc(2027, 1, 1, 0, 0); after += 11 * 86400 + 3631) {
      time_t next = 0;
      cr_assert_eq(cron_next(&c, after, "UTC", &next), 0);
      time_t walk = after - after % 60 + 60;
      for (;; walk += 60) {
        struct tm tm;
        gmtime_r(&walk, &tm);
        if (cron_matches_local(&c, &tm))
          break;
      }
      cr_expect_eq(next, walk, "'%s' after %ld", exprs[e], (long)after);
    }
  }
}

Test(cron_local_time, converts_in_zone) {
  struct tm tm;
  cr_assert_eq(cron_local_time(utc(2026, 7, 1, 10, 0), "Europe/Amsterdam", &tm),
               0);
  cr_expect_eq(tm.tm_hour, 12);
  cr_expect_eq(tm.tm_gmtoff, 7200);
  cr_expect_eq(cron_local_time(0, "No/Such_Zone", &tm), -1);
}

/* ---- jitter ------------------------------------------------------------ */

Test(cron_jitter, deterministic_and_in_range) {
  cr_expect_eq(cron_jitter_seconds("cbs-90001", 300),
               cron_jitter_seconds("cbs-90001", 300));
  cr_expect_eq(cron_jitter_seconds("cbs-90001", 0), 0);
  cr_expect_eq(cron_jitter_seconds("cbs-90001", -5), 0);
  cr_expect_eq(cron_jitter_seconds(NULL, 300), 0);
  int seen[301] = {0};
  int distinct = 0;
  for (int i = 0; i < 200; i++) {
    char id[32];
    (void)text_format(id, sizeof id, "source-%d", i);
    int j = cron_jitter_seconds(id, 300);
    cr_assert(j >= 0 && j <= 300, "jitter %d out of [0,300]", j);
    if (!seen[j]++)
      distinct++;
  }
  cr_expect_gt(distinct, 100, "ids should spread, got %d distinct", distinct);
  /* max 1: both ends are reachable */
  int zero = 0, one = 0;
  for (int i = 0; i < 64; i++) {
    char id[32];
    (void)text_format(id, sizeof id, "s%d", i);
    int j = cron_jitter_seconds(id, 1);
    zero += j == 0;
    one += j == 1;
  }
  cr_expect(zero > 0 && one > 0);
}
