/*
 * cron.h - 5-field cron schedules: parsing, next run in an IANA time zone,
 * and a stable per-source jitter.
 *
 * Syntax: "minute hour day-of-month month day-of-week", each field a comma
 * list of "*", "N", "A-B", "*\/S", "A-B/S"; months may be jan..dec, week
 * days sun..sat (0 and 7 are both Sunday). When both day fields are
 * restricted (do not start with '*') a day matches if EITHER matches.
 *
 * DST (the Vixie cron rule; see docs/configuration.md "Schedules"): a job
 * whose hour field starts with '*' follows the real clock (runs in both
 * copies of a repeated hour, not at all in a skipped hour); any other job
 * follows the calendar: exactly once per matching day, at the first
 * occurrence of a repeated wall time, and at the first minute after the
 * gap when its wall time was skipped.
 */
#ifndef GW_CRON_H
#define GW_CRON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CRON_DEFAULT_TZ "Europe/Amsterdam"
#define CRON_ERR_MAX 160

struct gw_cron {
  uint64_t minutes;       /* bit m: minute m (0-59) */
  uint32_t hours;         /* bit h: hour h (0-23) */
  uint32_t days;          /* bit d: day of month d (1-31) */
  uint16_t months;        /* bit m: month m (1-12) */
  uint8_t weekdays;       /* bit w: day of week w (0 = Sunday .. 6) */
  unsigned days_star : 1; /* day-of-month field starts with '*' */
  unsigned weekdays_star : 1;
  unsigned hours_star : 1; /* hour field starts with '*': follows real clock */
};

/* Parses expr into *out. Returns 0, or -1 with one line in err such as
 * "cron: field 2 (hour): 24 is out of range 0-23". */
int cron_parse(const char *expr, struct gw_cron *out, char *err,
               size_t err_size);

/* The next run strictly after `after` (minute resolution), evaluated in
 * IANA zone tz (NULL or "" means CRON_DEFAULT_TZ). Returns 0, or -1 when
 * the zone is unknown or no run exists within ten years. Thread-safe: the
 * zone is selected under a process-wide mutex (see cron.c). */
int cron_next(const struct gw_cron *c, time_t after, const char *tz,
              time_t *next);

/* 1 when the broken-down local time (tm_min, tm_hour, tm_mday, tm_mon,
 * tm_wday) matches the fields and the day rule, else 0. */
int cron_matches_local(const struct gw_cron *c, const struct tm *local);

/* The local time of t in zone tz (same zone rules as cron_next). 0 or -1. */
int cron_local_time(time_t t, const char *tz, struct tm *out);

/* A stable jitter in [0, max_seconds] derived from source_id (FNV-1a), so
 * sources due at the same minute spread out but each keeps its offset.
 * Returns 0 when max_seconds <= 0 or source_id is NULL. */
int cron_jitter_seconds(const char *source_id, int max_seconds);

#endif
