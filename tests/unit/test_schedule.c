/*
 * test_schedule.c - the daemon's due times (schedule.h): cron in the
 * configured zone plus the stable per-source jitter, missed-run detection
 * for catch-up, and the RFC 3339 conversions the run history needs.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "config.h"
#include "cron.h"
#include "schedule.h"

static time_t utc(int y, int mo, int d, int h, int mi, int s) {
  struct tm tm = {0};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return timegm(&tm);
}

/* A config with only what schedule.c reads. */
static struct gw_config cfg_with(int jitter, char *zone) {
  struct gw_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.daemon.jitter_seconds = jitter;
  cfg.daemon.timezone = zone;
  return cfg;
}

static struct gw_source_config source(char *id, char *schedule) {
  struct gw_source_config src;
  memset(&src, 0, sizeof src);
  src.id = id;
  src.schedule = schedule;
  return src;
}

Test(schedule, no_schedule_means_on_demand) {
  struct gw_config cfg = cfg_with(0, NULL);
  struct gw_source_config src = source("a", NULL);
  time_t next = 0;
  cr_expect_eq(schedule_next_run(&cfg, &src, utc(2026, 11, 24, 5, 0, 0), &next),
               1);
  cr_expect_eq(schedule_missed_run(&cfg, &src, 0, utc(2026, 11, 24, 5, 0, 0)),
               0);
}

Test(schedule, monday_six_am_is_dutch_time_in_winter_and_summer) {
  struct gw_config cfg = cfg_with(0, NULL); /* Europe/Amsterdam */
  struct gw_source_config src = source("rivm", "0 6 * * 1");
  time_t next = 0;
  /* Tuesday 24 November 2026 (CET, UTC+1): next Monday 30 Nov 05:00 UTC. */
  cr_assert_eq(schedule_next_run(&cfg, &src, utc(2026, 11, 24, 5, 0, 0), &next),
               0);
  cr_expect_eq(next, utc(2026, 11, 30, 5, 0, 0));
  /* Summer (CEST, UTC+2): Monday 6 July 2026 04:00 UTC. */
  cr_assert_eq(schedule_next_run(&cfg, &src, utc(2026, 7, 1, 0, 0, 0), &next),
               0);
  cr_expect_eq(next, utc(2026, 7, 6, 4, 0, 0));
}

Test(schedule, jitter_shifts_every_due_time_by_the_same_amount) {
  struct gw_config cfg = cfg_with(300, "UTC");
  struct gw_source_config src = source("cbs-sociaal", "0 * * * *");
  int jitter = cron_jitter_seconds("cbs-sociaal", 300);
  time_t next = 0, after = utc(2026, 11, 24, 5, 0, 0);
  cr_assert(jitter > 0 && jitter <= 300, "jitter %d", jitter);
  /* 05:00 + jitter is still ahead of 05:00:00 exactly. */
  cr_assert_eq(schedule_next_run(&cfg, &src, after, &next), 0);
  cr_expect_eq(next, after + jitter);
  /* Once that has passed, the next is 06:00 + jitter. */
  cr_assert_eq(schedule_next_run(&cfg, &src, after + jitter, &next), 0);
  cr_expect_eq(next, utc(2026, 11, 24, 6, 0, 0) + jitter);
}

Test(schedule, missed_run_detection) {
  struct gw_config cfg = cfg_with(0, "UTC");
  struct gw_source_config src = source("a", "0 6 * * *");
  time_t last = utc(2026, 11, 23, 6, 0, 10); /* ran Monday 06:00 */
  /* Tuesday 05:59: nothing missed yet; 06:00 and later: missed. */
  cr_expect_eq(
      schedule_missed_run(&cfg, &src, last, utc(2026, 11, 24, 5, 59, 0)), 0);
  cr_expect_eq(
      schedule_missed_run(&cfg, &src, last, utc(2026, 11, 24, 6, 0, 0)), 1);
  cr_expect_eq(
      schedule_missed_run(&cfg, &src, last, utc(2026, 11, 30, 12, 0, 0)), 1);
}

Test(schedule, rfc3339_round_trip) {
  char text[40];
  time_t t = utc(2026, 3, 29, 1, 30, 5), back = 0;
  cr_assert_eq(clock_format_rfc3339(t, text, sizeof text), 0);
  cr_expect_str_eq(text, "2026-03-29T01:30:05Z");
  cr_assert_eq(clock_parse_rfc3339(text, &back), 0);
  cr_expect_eq(back, t);
  cr_assert_eq(clock_parse_rfc3339("2026-03-29T01:30:05.123Z", &back), 0);
  cr_expect_eq(back, t);
  cr_assert_eq(clock_parse_rfc3339("2024-02-29T23:59:59Z", &back), 0);
  cr_expect_eq(back, utc(2024, 2, 29, 23, 59, 59));
  cr_expect_eq(clock_parse_rfc3339("2026-03-29 01:30:05Z", &back), -1);
  cr_expect_eq(clock_parse_rfc3339("2026-13-01T00:00:00Z", &back), -1);
  cr_expect_eq(clock_parse_rfc3339("2026-03-29T01:30:05+01:00", &back), -1);
  cr_expect_eq(clock_parse_rfc3339("", &back), -1);
  cr_expect_eq(clock_parse_rfc3339(NULL, &back), -1);
}
