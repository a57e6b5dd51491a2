/*
 * clock.h - wall-clock and monotonic time in the forms the gateway records.
 */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* RFC 3339 UTC with milliseconds: "2026-11-24T02:50:08.123Z". 0 or -1. */
int clock_now_rfc3339(char *out, size_t out_size);
/* Milliseconds since the Unix epoch. */
int64_t clock_now_ms(void);
/* time_t as RFC 3339 UTC without fraction: "2026-11-24T02:50:08Z". 0 or -1. */
int clock_format_rfc3339(time_t t, char *out, size_t out_size);
/* Parses what clock_now_rfc3339()/clock_format_rfc3339() write (UTC "Z",
 * optional fraction, which is dropped). 0 or -1. */
int clock_parse_rfc3339(const char *text, time_t *out);
/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12): what
 * timegm() does, which is not POSIX, without reading TZ like mktime(). */
int64_t clock_days_from_civil(int64_t year, int month, int day);
/* Monotonic seconds, for durations. */
double clock_monotonic(void);

#endif
