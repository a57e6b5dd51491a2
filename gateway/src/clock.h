/*
 * clock.h - wall-clock and monotonic time in the forms the gateway records.
 */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H
#include <stddef.h>
#include <stdint.h>

/* RFC 3339 UTC with milliseconds: "2026-11-24T02:50:08.123Z". 0 or -1. */
int clock_now_rfc3339(char *out, size_t out_size);
/* Milliseconds since the Unix epoch. */
int64_t clock_now_ms(void);
/* Monotonic seconds, for durations. */
double clock_monotonic(void);

#endif
