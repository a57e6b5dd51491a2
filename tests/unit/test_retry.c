/*
 * test_retry.c - the retry classifier as a table, full-jitter backoff
 * bounds with a fixed random source, Retry-After as a capped floor, and
 * the max_attempts / max_age limits.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include "retry.h"

static uint64_t fixed_value(void *ctx) {
  return *(const uint64_t *)ctx;
}

static struct gw_retry_policy small_policy(void) {
  return (struct gw_retry_policy){
      .base_ms = 100, .cap_ms = 1000, .max_attempts = 4, .max_age_ms = 10000};
}

static const struct {
  gw_result outcome;
  long status;
  int retry;
} classifier_rows[] = {
    {GW_RETRY, 0, 1}, /* connect error, timeout, TLS handshake timeout */
    {GW_FAIL, 0, 0},  /* certificate refused, size cap, bad URL */
    {GW_OK, 200, 0},    {GW_OK, 304, 0},
    {GW_RETRY, 200, 1}, /* body cut off mid-transfer */
    {GW_FAIL, 200, 0},  /* validation failure after a 200 */
    {GW_RETRY, 500, 1}, {GW_RETRY, 502, 1},
    {GW_RETRY, 503, 1}, {GW_RETRY, 504, 1},
    {GW_FAIL, 599, 1},  {GW_RETRY, 408, 1},
    {GW_RETRY, 429, 1}, {GW_FAIL, 400, 0},
    {GW_FAIL, 401, 0},  {GW_FAIL, 403, 0},
    {GW_FAIL, 404, 0},  {GW_FAIL, 410, 0},
    {GW_RETRY, 404, 0}, /* a 404 stays a 404, whatever the transport said */
    {GW_FAIL, 302, 0},  /* a refused redirect */
};

Test(retry, classifier_table) {
  size_t i;
  for (i = 0; i < sizeof classifier_rows / sizeof classifier_rows[0]; i++)
    cr_expect_eq(retry_is_retryable(classifier_rows[i].outcome,
                                    classifier_rows[i].status),
                 classifier_rows[i].retry, "row %zu: outcome %d status %ld", i,
                 (int)classifier_rows[i].outcome, classifier_rows[i].status);
}

Test(retry, defaults) {
  struct gw_retry_policy p;
  retry_default_policy(&p);
  cr_expect_eq(p.base_ms, 500);
  cr_expect_eq(p.cap_ms, 30000);
  cr_expect_eq(p.max_attempts, 5);
  cr_expect_eq(p.max_age_ms, 300000);
}

Test(retry, backoff_is_full_jitter_within_the_exponential_ceiling) {
  struct gw_retry_policy p = small_policy();
  uint64_t value = UINT64_MAX; /* the top of the range */
  struct gw_retry_random top = {fixed_value, &value};
  uint64_t zero = 0;
  struct gw_retry_random bottom = {fixed_value, &zero};
  static const long ceilings[] = {100, 200, 400, 800, 1000, 1000, 1000};
  int n;
  for (n = 0; n < 7; n++) {
    long ceiling = ceilings[n];
    value = (uint64_t)ceiling; /* ceiling % (ceiling + 1) == ceiling */
    cr_expect_eq(retry_backoff_ms(&p, n, -1, &top), ceiling, "retry %d", n);
    value = (uint64_t)ceiling + 1; /* wraps to 0 */
    cr_expect_eq(retry_backoff_ms(&p, n, -1, &top), 0, "retry %d", n);
    cr_expect_eq(retry_backoff_ms(&p, n, -1, &bottom), 0, "retry %d", n);
  }
  value = 12345;
  cr_expect_eq(retry_backoff_ms(&p, 2, -1, &top), 12345 % 401);
}

Test(retry, backoff_with_the_system_random_source_stays_in_bounds) {
  struct gw_retry_policy p = small_policy();
  int i, distinct = 0;
  long first = -1;
  for (i = 0; i < 200; i++) {
    long d = retry_backoff_ms(&p, 3, -1, NULL);
    cr_assert(d >= 0 && d <= 800, "delay %ld outside 0..800", d);
    if (first < 0)
      first = d;
    else if (d != first)
      distinct = 1;
  }
  cr_expect(distinct, "200 delays all equal: no jitter");
}

Test(retry, huge_attempt_numbers_do_not_overflow) {
  struct gw_retry_policy p = {.base_ms = 86400000,
                              .cap_ms = 86400000,
                              .max_attempts = 100,
                              .max_age_ms = 86400000};
  uint64_t value = 86400000;
  struct gw_retry_random r = {fixed_value, &value};
  cr_expect_eq(retry_backoff_ms(&p, 99, -1, &r), 86400000);
}

Test(retry, retry_after_is_a_floor) {
  struct gw_retry_policy p = small_policy();
  uint64_t zero = 0, big = 100;
  struct gw_retry_random low = {fixed_value, &zero};
  struct gw_retry_random high = {fixed_value, &big};
  cr_expect_eq(retry_backoff_ms(&p, 0, 1, &low), 1000);
  cr_expect_eq(retry_backoff_ms(&p, 0, 0, &low), 0);
  /* a jittered delay above the floor stays */
  p.base_ms = 5000;
  p.cap_ms = 5000;
  big = 3000;
  cr_expect_eq(retry_backoff_ms(&p, 0, 2, &high), 3000);
}

Test(retry, retry_after_is_capped_at_max_age) {
  struct gw_retry_policy p = small_policy();
  uint64_t zero = 0;
  struct gw_retry_random r = {fixed_value, &zero};
  cr_expect_eq(retry_backoff_ms(&p, 0, 86400, &r), 10000);
  cr_expect_eq(retry_backoff_ms(&p, 0, 2147483647L, &r), 10000);
}

Test(retry, next_stops_at_max_attempts) {
  struct gw_retry_policy p = small_policy();
  uint64_t zero = 0;
  struct gw_retry_random r = {fixed_value, &zero};
  char why[160];
  long delay = -1;
  int n;
  for (n = 1; n < 4; n++)
    cr_expect_eq(
        retry_next(&p, GW_RETRY, 503, -1, n, 0, &r, &delay, why, sizeof why), 1,
        "attempt %d", n);
  cr_expect_eq(
      retry_next(&p, GW_RETRY, 503, -1, 4, 0, &r, &delay, why, sizeof why), 0);
  cr_expect_str_eq(why, "gave up after 4 attempts (max_attempts 4)");
  p.max_attempts = 1;
  cr_expect_eq(retry_next(&p, GW_RETRY, 503, -1, 1, 0, &r, &delay, NULL, 0), 0);
}

Test(retry, next_does_not_retry_what_is_not_retryable) {
  struct gw_retry_policy p = small_policy();
  char why[160];
  long delay = -1;
  cr_expect_eq(
      retry_next(&p, GW_FAIL, 404, -1, 1, 0, NULL, &delay, why, sizeof why), 0);
  cr_expect_str_eq(why, "not retryable");
  cr_expect_eq(delay, 0);
  cr_expect_eq(
      retry_next(&p, GW_OK, 200, -1, 1, 0, NULL, &delay, why, sizeof why), 0);
}

Test(retry, next_stops_when_the_wait_would_pass_max_age) {
  struct gw_retry_policy p = small_policy();
  uint64_t value = 400; /* retry 2: ceiling 400 */
  struct gw_retry_random r = {fixed_value, &value};
  char why[160];
  long delay = -1;
  cr_expect_eq(
      retry_next(&p, GW_RETRY, 0, -1, 3, 9600, &r, &delay, why, sizeof why), 1);
  cr_expect_eq(delay, 400);
  cr_expect_eq(
      retry_next(&p, GW_RETRY, 0, -1, 3, 9601, &r, &delay, why, sizeof why), 0);
  cr_expect(strstr(why, "max_age_s 10") != NULL, "%s", why);
  /* Retry-After beyond what is left of max age: give up now, not later */
  cr_expect_eq(
      retry_next(&p, GW_RETRY, 429, 9, 1, 2000, &r, &delay, why, sizeof why),
      0);
  cr_expect_eq(
      retry_next(&p, GW_RETRY, 429, 1, 1, 2000, &r, &delay, why, sizeof why),
      1);
  cr_expect_eq(delay, 1000);
}

Test(retry, sleep_waits_at_least_the_time_asked) {
  struct timespec a, b;
  long ms;
  clock_gettime(CLOCK_MONOTONIC, &a);
  retry_sleep_ms(30);
  clock_gettime(CLOCK_MONOTONIC, &b);
  ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
  cr_expect(ms >= 29, "slept %ld ms", ms);
  retry_sleep_ms(0);
  retry_sleep_ms(-5);
}
