/*
 * retry.h - the host's retry policy (DESIGN 3: OK / RETRY / FAIL).
 *
 * Which transport results deserve another try is data (a table in
 * retry.c): transport errors and TLS handshake timeouts (already RETRY
 * from transport.c), 5xx, 408 and 429 retry; other 4xx, certificate and
 * policy refusals and validation failures do not. The wait before retry
 * n (0-based) is full-jitter exponential backoff,
 *     delay = random(0 .. min(cap_ms, base_ms * 2^n)),
 * raised to the server's Retry-After when it sends one (capped by
 * max_age_ms, so a hostile server cannot park a source for a day). A
 * source gives up after max_attempts attempts, or when the next attempt
 * would start more than max_age_ms after the first one.
 */
#ifndef GW_RETRY_H
#define GW_RETRY_H
#include <stddef.h>
#include <stdint.h>
#include "gateway/plugin.h"

struct gw_retry_policy {
  long base_ms;     /* default 500 */
  long cap_ms;      /* default 30000 */
  int max_attempts; /* default 5 (1: never retry) */
  long max_age_ms;  /* default 300000: since the first attempt started */
};

/* Returns a uniformly distributed 64-bit value; injectable for tests. */
typedef uint64_t (*gw_retry_random_fn)(void *ctx);

struct gw_retry_random {
  gw_retry_random_fn next; /* NULL: the system's random source */
  void *ctx;
};

void retry_default_policy(struct gw_retry_policy *policy);

/* 1 when a fetch that ended with outcome and http_status (0: no
 * response) may succeed if tried again; 0 otherwise. */
int retry_is_retryable(gw_result outcome, long http_status);

/* The full-jitter wait before retry number retry_index (0 for the wait
 * after the first failed attempt), with retry_after_s (-1: none) as a
 * floor capped at max_age_ms. */
long retry_backoff_ms(const struct gw_retry_policy *policy, int retry_index,
                      long retry_after_s, const struct gw_retry_random *rnd);

/* After attempts attempts (>= 1) of which the last ended with outcome,
 * http_status and retry_after_s, elapsed_ms after the first one started:
 * 1 and *delay_ms when another attempt should be made after that wait;
 * 0 with a one-line reason in why (may be NULL) when not. */
int retry_next(const struct gw_retry_policy *policy, gw_result outcome,
               long http_status, long retry_after_s, int attempts,
               long elapsed_ms, const struct gw_retry_random *rnd,
               long *delay_ms, char *why, size_t why_size);

/* Sleep ms milliseconds (resuming after signal interruptions), returning
 * early once stop_request() was called. */
void retry_sleep_ms(long ms);

#endif
