/*
 * serve.h - the feed server (DESIGN 7, docs/api.md): an authenticated
 * HTTPS API over the normalised data for consuming applications, built
 * on libevent's evhttp over OpenSSL bufferevents.
 *
 *   GET /v1/health                 liveness (no authentication)
 *   GET /v1/indicators             the catalogue the client may read
 *   GET /v1/observations           filtered, cursor-paginated observations
 *   GET /v1/feeds/<name>           a configured export, as published
 *   GET /v1/monitor                the monitor report
 *
 * `gateway serve` runs it alone (cmd_serve.c); the daemon can run it on
 * its own event loop next to the scheduler with the same three calls.
 *
 * Every request becomes one "serve" record in the exchange log (client,
 * endpoint, query, status, rows, bytes, duration); a request whose record
 * cannot be written is answered 503 instead: no log, no answer.
 *
 * Threading: everything runs on the thread that runs base. The server
 * reads app->store, app->catalogue and app->cfg and appends to app->xlog;
 * all must outlive the server (stop it before replacing the app on a
 * reload). The store may be written by other threads or processes at the
 * same time (SQLite WAL); the server notices within a second and stops
 * serving cached answers of the old state.
 */
#ifndef GW_SERVE_H
#define GW_SERVE_H
#include <stddef.h>

struct event_base;
struct gw_app;
struct gw_serve;

#define SERVE_ERR_MAX 1024

/* Set up TLS (serve.cert_file, serve.key_file, serve.client_ca_file), load
 * the client allow-list and token file, and listen on serve.listen ("host:
 * port"; port 0 picks a free one, see serve_port()). Nothing is answered
 * until base runs. 0, or -1 with a one-line reason in err, e.g.
 * "serve: cannot listen on 0.0.0.0:8443: Address already in use". */
int serve_start(struct event_base *base, struct gw_app *app,
                struct gw_serve **out, char *err, size_t err_size);

/* The port actually bound. */
int serve_port(const struct gw_serve *s);

/* Graceful stop, for SIGTERM: stop accepting, let the answers being
 * written finish (at most grace_seconds), close kept-alive connections,
 * then call done(arg) from the event loop. Requests that arrive on open
 * connections meanwhile are still answered, with "Connection: close".
 * Call once; serve_stop() afterwards (or from done). */
void serve_shutdown(struct gw_serve *s, int grace_seconds,
                    void (*done)(void *arg), void *arg);

/* Close the listener and every connection now and free the server. NULL
 * is fine. */
void serve_stop(struct gw_serve *s);

/* Forget every cached answer now (the daemon calls this after a run that
 * changed the store; the server also notices by itself within a second). */
void serve_invalidate(struct gw_serve *s);

#endif
