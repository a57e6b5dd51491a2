/*
 * retry.c - which failures to try again, and how long to wait (retry.h).
 */
#include "retry.h"
#include "digest.h"
#include "stop_request.h"
#include "text.h"
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define RETRY_SLEEP_SLICE_MS 100

enum retry_verdict { RETRY_NO, RETRY_YES, RETRY_AS_TRANSPORT_SAYS };

/* HTTP status ranges and what they mean for a retry; the first matching
 * row wins. Status 0 (no response) and 2xx/3xx fall through to the
 * transport's own verdict: it knows a connect timeout (RETRY) from a
 * certificate refusal or a size cap (FAIL). */
static const struct status_rule {
  long low, high;
  enum retry_verdict verdict;
} status_rules[] = {
    {408, 408, RETRY_YES}, /* request timeout */
    {429, 429, RETRY_YES}, /* too many requests */
    {400, 499, RETRY_NO},  /* the request is wrong; asking again won't help */
    {500, 599, RETRY_YES}, /* the server's trouble, often passing */
};

void retry_default_policy(struct gw_retry_policy *policy) {
  policy->base_ms = 500;
  policy->cap_ms = 30000;
  policy->max_attempts = 5;
  policy->max_age_ms = 300000;
}

int retry_is_retryable(gw_result outcome, long http_status) {
  size_t i;
  if (outcome == GW_OK)
    return 0;
  for (i = 0; i < sizeof status_rules / sizeof status_rules[0]; i++) {
    const struct status_rule *r = &status_rules[i];
    if (http_status >= r->low && http_status <= r->high)
      return r->verdict == RETRY_YES;
  }
  return outcome == GW_RETRY;
}

static uint64_t system_random(void) {
  char hex[17];
  if (random_hex(8, hex, sizeof hex) != 0)
    return 0; /* no jitter beats no retry */
  return (uint64_t)strtoull(hex, NULL, 16);
}

static uint64_t next_random(const struct gw_retry_random *rnd) {
  return rnd && rnd->next ? rnd->next(rnd->ctx) : system_random();
}

/* min(cap, base * 2^retry_index) without overflowing. */
static long backoff_ceiling(const struct gw_retry_policy *p, int retry_index) {
  long ceiling = p->base_ms > 0 ? p->base_ms : 0;
  int i;
  for (i = 0; i < retry_index && ceiling < p->cap_ms; i++)
    ceiling = ceiling > p->cap_ms / 2 ? p->cap_ms : ceiling * 2;
  return ceiling < p->cap_ms ? ceiling : p->cap_ms;
}

long retry_backoff_ms(const struct gw_retry_policy *policy, int retry_index,
                      long retry_after_s, const struct gw_retry_random *rnd) {
  long ceiling = backoff_ceiling(policy, retry_index < 0 ? 0 : retry_index);
  long delay =
      ceiling > 0 ? (long)(next_random(rnd) % ((uint64_t)ceiling + 1)) : 0;
  if (retry_after_s >= 0) {
    long floor_ms = retry_after_s > policy->max_age_ms / 1000
                        ? policy->max_age_ms
                        : retry_after_s * 1000;
    if (delay < floor_ms)
      delay = floor_ms;
  }
  return delay;
}

int retry_next(const struct gw_retry_policy *policy, gw_result outcome,
               long http_status, long retry_after_s, int attempts,
               long elapsed_ms, const struct gw_retry_random *rnd,
               long *delay_ms, char *why, size_t why_size) {
  char none[1];
  long delay;
  if (!why) {
    why = none;
    why_size = sizeof none;
  }
  why[0] = '\0';
  *delay_ms = 0;
  if (!retry_is_retryable(outcome, http_status)) {
    text_copy(why, why_size, "not retryable");
    return 0;
  }
  if (attempts >= policy->max_attempts) {
    text_format(why, why_size, "gave up after %d attempts (max_attempts %d)",
                attempts, policy->max_attempts);
    return 0;
  }
  delay = retry_backoff_ms(policy, attempts - 1, retry_after_s, rnd);
  if (elapsed_ms + delay > policy->max_age_ms) {
    text_format(why, why_size,
                "gave up after %d attempts: waiting %ld ms more would pass "
                "max_age_s %ld",
                attempts, delay, policy->max_age_ms / 1000);
    return 0;
  }
  *delay_ms = delay;
  return 1;
}

/* Sleeps in short slices so a stop request (SIGTERM to the daemon) is not
 * held up by a long Retry-After. */
void retry_sleep_ms(long ms) {
  while (ms > 0 && !stop_requested()) {
    long slice = ms < RETRY_SLEEP_SLICE_MS ? ms : RETRY_SLEEP_SLICE_MS;
    struct timespec left = {.tv_sec = slice / 1000,
                            .tv_nsec = (slice % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
      ;
    ms -= slice;
  }
}
