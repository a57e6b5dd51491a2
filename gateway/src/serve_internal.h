/*
 * serve_internal.h - what the feed server's files share: the server
 * state (serve.c owns it), one request being answered, and the endpoint
 * handlers (serve_routes.c dispatches to serve_observations.c,
 * serve_feeds.c and serve_endpoints.c; serve_log.c records the result).
 *
 * A handler fills req->answer (a rendered body with its validators) or
 * req->file (a published feed), or sets an error status and message;
 * serve_routes.c does the rest: conditional requests, headers, the log
 * record, and sending.
 */
#ifndef GW_SERVE_INTERNAL_H
#define GW_SERVE_INTERNAL_H
#include <openssl/ssl.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "app.h"
#include "serve.h"
#include "serve_auth.h"
#include "serve_cache.h"
#include "serve_formats.h"
#include "serve_query.h"
#include "serve_ratelimit.h"
#include "targets.h"
#include "tls_identity.h"

struct event;
struct evhttp;
struct evhttp_request;
struct evhttp_bound_socket;
struct serve_counter;

#define SERVE_MESSAGE_MAX 512
#define SERVE_GENERATION_MAX 72
#define SERVE_TRACE_ID_MAX 33
#define SERVE_SPAN_ID_MAX 17

/* The fingerprint of a published feed file, kept until it is replaced. */
struct serve_feed_memo {
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  char etag[SERVE_ETAG_MAX];
};

struct gw_serve {
  struct event_base *base;
  struct gw_app *app;
  SSL_CTX *ssl_ctx;
  struct evhttp *http;
  struct evhttp_bound_socket *bound;
  int port;
  struct serve_auth *auth;
  struct serve_bucket *buckets; /* one per client name */
  struct serve_cache *cache;
  struct gw_targets *targets;         /* for the monitor report, or NULL */
  struct serve_feed_memo *feed_memos; /* one per configured export */
  /* connections (counted as their SSL objects are made and freed) */
  struct serve_counter *counter; /* serve.c */
  long connections;
  long max_connections;
  int accept_paused;
  /* the store's state, polled at most once a second */
  double generation_checked;
  char generation[SERVE_GENERATION_MAX];
  time_t data_time; /* when the store last took a run's data, or 0 */
  time_t next_run;  /* the next scheduled run of any source, or 0: none */
  /* graceful stop */
  int draining;
  long in_flight; /* answers handed to evhttp and not yet written */
  struct event *drain_timer;
  void (*drained)(void *arg);
  void *drained_arg;
};

/* One request on its way through serve_routes.c. */
struct serve_request {
  struct gw_serve *s;
  struct evhttp_request *req;
  int64_t start_ms;
  double t0;
  char trace_id[SERVE_TRACE_ID_MAX];
  char span_id[SERVE_SPAN_ID_MAX];
  char parent_span_id[SERVE_SPAN_ID_MAX]; /* from traceparent, or "" */
  const char *method;
  const char *endpoint; /* "/v1/observations", "/v1/feeds/{name}", ... */
  struct gw_tls_identity tls;
  const struct serve_client *client; /* NULL: not authenticated */
  const char *auth_method;           /* "certificate", "token" or "none" */
  const char *matched_by;            /* cert_sha256/subject/oin/token */
  int format_known;
  serve_format format;
  /* the answer */
  int status;
  char message[SERVE_MESSAGE_MAX]; /* error text for a 4xx/5xx */
  long retry_after;                /* 429: seconds, else 0 */
  const char *www_authenticate;    /* 401 header value, or NULL */
  const char *allow;               /* 405 header value, or NULL */
  struct serve_answer answer;      /* a rendered body (body owned) */
  int file_fd;                     /* a published feed, or -1 */
  off_t file_size;
  int cache_hit;
  int not_modified;
  int64_t rows;            /* -1: not counted (a feed file) */
  uint64_t content_length; /* of the body (a HEAD's is not sent) */
  uint64_t bytes;          /* body bytes sent */
};

/* evhttp's callback for every request (serve_routes.c). */
void serve_handle_request(struct evhttp_request *req, void *arg);
/* An answer handed to evhttp has been written (serve.c: graceful stop). */
void serve_answer_done(struct gw_serve *s);

/* A request header, or NULL. */
const char *serve_header(const struct serve_request *r, const char *name);

/* Set an error answer: status and a printf-style message. */
void serve_fail(struct serve_request *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Make r->answer from len rendered bytes (copied), with its ETag. 0, or
 * -1 after serve_fail(r, 500, ...). */
int serve_answer_from(struct serve_request *r, const char *data, size_t len,
                      const char *content_type, time_t last_modified,
                      uint64_t rows);

/* The endpoints. Each either fills the answer or calls serve_fail(). */
void serve_get_observations(struct serve_request *r,
                            const struct serve_query *q);
void serve_get_indicators(struct serve_request *r);
void serve_get_monitor(struct serve_request *r, const struct serve_query *q);
void serve_get_health(struct serve_request *r);
/* name: the decoded last path segment. */
void serve_get_feed(struct serve_request *r, const char *name,
                    const struct serve_query *q);

/* Re-read the store's generation (and the next scheduled run) when a
 * second has passed (or force); a new generation empties the cache. */
void serve_refresh_generation(struct gw_serve *s, int force);

/* Seconds a client may keep an answer: serve.cache_seconds, but never
 * beyond the next scheduled run, when the data may change. */
long serve_max_age(const struct gw_serve *s, time_t now);

/* The "serve" exchange-log record of a finished request. 0 or -1 (err). */
int serve_log_request(const struct serve_request *r, char *err,
                      size_t err_size);

#endif
