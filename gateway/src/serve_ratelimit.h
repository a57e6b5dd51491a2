/*
 * serve_ratelimit.h - one token bucket per feed-server client: a client
 * may make `burst` requests at once and `rate` per second after that; the
 * request beyond gets 429 with Retry-After (docs/api.md).
 *
 * Pure arithmetic on a caller-supplied clock (seconds, monotonic), so the
 * tests drive time themselves. Not locked: the server uses its buckets
 * from the event-loop thread only.
 */
#ifndef GW_SERVE_RATELIMIT_H
#define GW_SERVE_RATELIMIT_H

struct serve_bucket {
  double rate;   /* tokens per second; 0: unlimited */
  double burst;  /* capacity */
  double tokens; /* available now */
  double last;   /* clock of the last refill */
};

/* A full bucket at time now. */
void serve_bucket_init(struct serve_bucket *b, double rate, double burst,
                       double now);

/* Takes one token: 1 when the request may go ahead; 0 when the bucket is
 * empty, with *retry_after_s set to the whole seconds (at least 1) until
 * a token is back. A clock that goes backwards refills nothing. */
int serve_bucket_take(struct serve_bucket *b, double now, long *retry_after_s);

#endif
