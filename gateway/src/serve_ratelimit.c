/*
 * serve_ratelimit.c - the per-client token bucket (see serve_ratelimit.h).
 */
#include "serve_ratelimit.h"

#include <math.h>

void serve_bucket_init(struct serve_bucket *b, double rate, double burst,
                       double now) {
  b->rate = rate > 0 ? rate : 0;
  b->burst = burst >= 1 ? burst : 1;
  b->tokens = b->burst;
  b->last = now;
}

int serve_bucket_take(struct serve_bucket *b, double now, long *retry_after_s) {
  double wait;
  if (b->rate <= 0)
    return 1;
  if (now > b->last) {
    b->tokens = fmin(b->burst, b->tokens + (now - b->last) * b->rate);
    b->last = now;
  }
  if (b->tokens >= 1.0) {
    b->tokens -= 1.0;
    return 1;
  }
  /* Rounded up: a client that waits the advertised time finds a token. */
  wait = ceil((1.0 - b->tokens) / b->rate);
  *retry_after_s = wait < 1 ? 1 : (long)wait;
  return 0;
}
