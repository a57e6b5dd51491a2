/*
 * cmd_serve.c - `gateway serve`: the feed server on its own event loop
 * until SIGTERM or SIGINT (serve.h has the behaviour, docs/api.md the
 * API).
 */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "atomic_file.h"
#include "commands.h"
#include "diag.h"
#include "serve.h"
#include "text.h"

#define GRACE_SECONDS 10

static const char serve_usage[] =
    "Usage: gateway --config FILE serve [--port-file FILE]\n"
    "\n"
    "Serves the normalised data over HTTPS to the applications on the\n"
    "client allow-list (docs/api.md):\n"
    "  GET /v1/health            is the server up (no authentication)\n"
    "  GET /v1/indicators        the catalogue the client may read\n"
    "  GET /v1/observations      filtered, paginated observations (json,\n"
    "                            xml, csv or SDMX-JSON)\n"
    "  GET /v1/feeds/<name>      a configured export as published\n"
    "  GET /v1/monitor           the monitor report\n"
    "Every request is recorded in the exchange log; when the log cannot be\n"
    "written the answer is 503.\n"
    "\n"
    "  --port-file FILE   write the port actually bound to FILE once the\n"
    "                     server listens (for serve.listen with port 0)\n"
    "\n"
    "Configuration: the \"serve\" object (listen, cert_file, key_file,\n"
    "client_ca_file, require_client_cert, clients, tokens_file,\n"
    "rate_limit, max_connections, timeout_seconds, cache_seconds,\n"
    "cache_max_bytes).\n"
    "\n"
    "Signals: SIGTERM, SIGINT stop accepting, let the answers being\n"
    "written finish (at most 10 s), then exit 0.\n"
    "\n"
    "Exit status: 0 stopped by a signal; 1 the server could not start\n"
    "(address in use, certificate or client file unreadable); 2 usage or\n"
    "configuration error.\n";

struct serve_main {
  struct event_base *base;
  struct gw_serve *server;
  int stopping;
};

static void drained(void *arg) {
  struct serve_main *m = arg;
  event_base_loopexit(m->base, NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *arg) {
  struct serve_main *m = arg;
  (void)what;
  if (m->stopping) {
    diag(GW_LOG_WARN, "serve: second signal %d: stopping now", (int)sig);
    event_base_loopbreak(m->base);
    return;
  }
  m->stopping = 1;
  diag(GW_LOG_INFO, "serve: signal %d: finishing the answers in flight",
       (int)sig);
  serve_shutdown(m->server, GRACE_SECONDS, drained, m);
}

static int write_port_file(const char *path, int port) {
  struct gw_atomic_file *f = NULL;
  char err[512] = "";
  if (atomic_file_open(path, &f, err, sizeof err) != 0)
    goto fail;
  if (fprintf(atomic_file_stream(f), "%d\n", port) < 0) {
    atomic_file_abort(f);
    (void)text_copy(err, sizeof err, "cannot write");
    goto fail;
  }
  if (atomic_file_commit(f, err, sizeof err) != 0) /* frees f either way */
    goto fail;
  return 0;
fail:
  diag(GW_LOG_ERROR, "serve: --port-file %s: %s", path, err);
  return -1;
}

static int parse_args(int argc, char **argv, const char **port_file) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) {
      *port_file = argv[++i];
    } else {
      fprintf(stderr,
              "gateway: serve: unknown argument '%s' (see `gateway serve "
              "--help`)\n",
              argv[i]);
      return -1;
    }
  }
  return 0;
}

static int run_loop(struct gw_app *app, const char *port_file) {
  struct serve_main m = {0};
  struct event *signals[2] = {NULL, NULL};
  static const int handled[2] = {SIGTERM, SIGINT};
  char err[SERVE_ERR_MAX];
  int rc = GW_EXIT_FAILED;
  m.base = event_base_new();
  if (!m.base) {
    diag(GW_LOG_ERROR, "serve: cannot create the event loop");
    return GW_EXIT_FAILED;
  }
  if (serve_start(m.base, app, &m.server, err, sizeof err) != 0) {
    fprintf(stderr, "gateway: %s\n", err);
    rc = strstr(err, "not configured") || strstr(err, "no clients configured")
             ? GW_EXIT_USAGE
             : GW_EXIT_FAILED;
    goto out;
  }
  for (int i = 0; i < 2; i++) {
    signals[i] = evsignal_new(m.base, handled[i], on_signal, &m);
    if (!signals[i] || event_add(signals[i], NULL) != 0) {
      diag(GW_LOG_ERROR, "serve: cannot register signal handlers");
      goto out;
    }
  }
  /* A client closing its connection must not kill the server. */
  signal(SIGPIPE, SIG_IGN);
  if (port_file && write_port_file(port_file, serve_port(m.server)) != 0)
    goto out;
  diag(GW_LOG_INFO, "serve: listening on %s (port %d)", app->cfg->serve_listen,
       serve_port(m.server));
  if (event_base_dispatch(m.base) < 0) {
    diag(GW_LOG_ERROR, "serve: the event loop failed");
    goto out;
  }
  diag(GW_LOG_INFO, "serve: stopped");
  rc = GW_EXIT_OK;
out:
  for (int i = 0; i < 2; i++)
    if (signals[i])
      event_free(signals[i]);
  serve_stop(m.server);
  event_base_free(m.base);
  return rc;
}

int cmd_serve(const struct gw_cli *cli, int argc, char **argv) {
  struct gw_app app = {.json_output = cli->json};
  const char *port_file = NULL;
  int rc;
  if (cli_wants_help(argc, argv)) {
    fputs(serve_usage, stdout);
    return GW_EXIT_OK;
  }
  if (parse_args(argc, argv, &port_file) != 0)
    return GW_EXIT_USAGE;
  if (app_open(&app, cli->config_path,
               GW_APP_CATALOGUE | GW_APP_STORE | GW_APP_XLOG) != 0)
    return GW_EXIT_USAGE;
  rc = run_loop(&app, port_file);
  app_close(&app);
  return rc;
}
