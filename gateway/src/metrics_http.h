/*
 * metrics_http.h - the daemon's loopback HTTP endpoint: GET /metrics
 * (Prometheus text from metrics.h) and GET /healthz (JSON), served by
 * libevent's evhttp on the daemon's event loop (docs/metrics.md).
 *
 * The endpoint has no authentication and no TLS, so it only ever listens
 * on a loopback address; anything that resolves elsewhere is refused.
 *
 * Ownership: the server borrows base, the metrics and health_user (all
 * must outlive it); metrics_server_free() closes the listening socket and
 * any open connections. Call everything from the event-loop thread.
 */
#ifndef GW_METRICS_HTTP_H
#define GW_METRICS_HTTP_H
#include <stddef.h>

struct event_base;
struct gw_metrics;

/* 1 healthy, 0 not; writes a one-line UTF-8 reason into detail
 * (NUL-terminated, may be left empty; it is JSON-escaped for the answer).
 * Runs on the event-loop thread, once per /healthz request. */
typedef int (*gw_health_fn)(void *user, char *detail, size_t detail_size);

struct gw_metrics_server;

/* listen: "127.0.0.1:9464", "localhost:9464" or "[::1]:9464"; port 0 picks
 * a free port (see metrics_server_port). health NULL: always healthy.
 * 0, or -1 with a one-line reason in err such as
 * "metrics: cannot listen on 127.0.0.1:9464: Address already in use". */
int metrics_server_start(struct event_base *base, const char *listen,
                         struct gw_metrics *m, gw_health_fn health,
                         void *health_user, struct gw_metrics_server **out,
                         char *err, size_t err_size);
/* The port actually bound. */
int metrics_server_port(const struct gw_metrics_server *s);
void metrics_server_free(struct gw_metrics_server *s); /* NULL ok */

#endif
