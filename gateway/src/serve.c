/*
 * serve.c - the feed server's lifecycle: TLS context, listening socket,
 * connection bound, graceful stop (see serve.h).
 *
 * TLS: OpenSSL 3 server context with TLS >= 1.2 (or 1.3 when tls.
 * min_version says so), only the cipher suites NCSC rates good or
 * sufficient (ECDHE with AES-GCM or ChaCha20-Poly1305: forward secrecy
 * always), no compression, no renegotiation. With serve.client_ca_file the
 * server asks for a client certificate and verifies it against that CA
 * only; without a certificate the handshake still succeeds unless
 * serve.require_client_cert, so the client gets a 401 body that says what
 * is missing instead of a bare TLS alert.
 *
 * Connections are counted through the SSL objects evhttp's connections
 * own: one is made per accepted socket (the bufferevent callback) and
 * freed with the connection (an ex_data free callback). At
 * serve.max_connections the listener stops accepting; further clients
 * wait in the kernel's backlog until a connection closes. libevent 2.1
 * has no evhttp_set_max_connections.
 */
#include "serve.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "gw_alloc.h"
#include "net_listen.h"
#include "serve_internal.h"
#include "text.h"

#define LISTEN_BACKLOG 128
#define MAX_HEADERS_BYTES 16384 /* request line and headers together */
#define MAX_BODY_BYTES 1024     /* we only answer GET and HEAD */
#define HOST_SIZE 256
#define PORT_SIZE 8
/* NCSC TLS guidelines: "good" TLS 1.2 suites (ECDHE, AEAD) and the TLS
 * 1.3 suites; everything without forward secrecy is out. */
#define TLS12_CIPHERS                                                          \
  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                 \
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                 \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
#define TLS13_SUITES                                                           \
  "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
#define SESSION_CONTEXT "indicator-gateway-serve"

/* Every method reaches the handler, so one we do not serve gets a 405
 * with Allow rather than evhttp's bare 501. */
#define ALL_METHODS                                                            \
  (EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |       \
   EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |                 \
   EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH)

/* ---- connection counting ------------------------------------------------ */

/* Shared by the server and every SSL object it made: libevent may free a
 * connection's bufferevent (and so its SSL) on a later loop turn, after
 * serve_stop(), so the count cannot live in the server itself. */
struct serve_counter {
  long refs;               /* the server + one per SSL */
  struct gw_serve *server; /* NULL once stopped */
};

static pthread_once_t ex_once = PTHREAD_ONCE_INIT;
static int ex_index = -1;

static void pause_or_resume(struct gw_serve *s) {
  struct evconnlistener *l;
  if (!s->bound || s->draining)
    return;
  l = evhttp_bound_socket_get_listener(s->bound);
  if (!s->accept_paused && s->connections >= s->max_connections) {
    if (evconnlistener_disable(l) == 0)
      s->accept_paused = 1;
  } else if (s->accept_paused && s->connections < s->max_connections) {
    if (evconnlistener_enable(l) == 0)
      s->accept_paused = 0;
  }
}

static void counter_release(struct serve_counter *c) {
  if (--c->refs == 0)
    gw_free(c);
}

/* Runs inside SSL_free() of every SSL object in the process; only ours
 * carry a counter in this slot. */
static void connection_gone(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
                            int idx, long argl, void *argp) {
  struct serve_counter *c = ptr;
  (void)parent;
  (void)ad;
  (void)idx;
  (void)argl;
  (void)argp;
  if (!c)
    return;
  if (c->server) {
    c->server->connections--;
    pause_or_resume(c->server);
  }
  counter_release(c);
}

static void make_ex_index(void) {
  ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, connection_gone);
}

/* evhttp asks for the bufferevent of each accepted connection here. It
 * must never get NULL: it would then speak plain HTTP on the socket
 * (serve_routes.c refuses such a request too, but never gets here). */
static struct bufferevent *new_connection(struct event_base *base, void *arg) {
  struct gw_serve *s = arg;
  SSL *ssl = SSL_new(s->ssl_ctx);
  struct bufferevent *bev;
  if (!ssl)
    return NULL;
  if (SSL_set_ex_data(ssl, ex_index, s->counter) != 1) {
    SSL_free(ssl);
    return NULL;
  }
  s->counter->refs++;
  s->connections++;
  bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                       BEV_OPT_CLOSE_ON_FREE);
  if (!bev)
    SSL_free(ssl); /* connection_gone() counts it back */
  pause_or_resume(s);
  return bev;
}

/* ---- TLS ------------------------------------------------------------------
 */

static void tls_error(const char *what, const char *path, char *err,
                      size_t err_size) {
  char reason[256];
  unsigned long e = ERR_get_error();
  if (e)
    ERR_error_string_n(e, reason, sizeof reason);
  else
    (void)text_copy(reason, sizeof reason, "unknown reason");
  ERR_clear_error();
  (void)text_format(err, err_size, "serve: %s%s%s: %s", what, path ? " " : "",
                    path ? path : "", reason);
}

static int verify_client_certs(struct gw_serve *s, char *err, size_t err_size) {
  const struct gw_serve_config *sv = &s->app->cfg->serve;
  STACK_OF(X509_NAME) * names;
  int mode = SSL_VERIFY_PEER;
  if (!sv->client_ca_file)
    return 0;
  if (SSL_CTX_load_verify_locations(s->ssl_ctx, sv->client_ca_file, NULL) !=
      1) {
    tls_error("cannot load the client CA", sv->client_ca_file, err, err_size);
    return -1;
  }
  names = SSL_load_client_CA_file(sv->client_ca_file);
  if (!names) {
    tls_error("cannot read CA names from", sv->client_ca_file, err, err_size);
    return -1;
  }
  SSL_CTX_set_client_CA_list(s->ssl_ctx, names);
  if (sv->require_client_cert)
    mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(s->ssl_ctx, mode, NULL);
  SSL_CTX_set_verify_depth(s->ssl_ctx, 4);
  return 0;
}

static int make_tls(struct gw_serve *s, char *err, size_t err_size) {
  const struct gw_config *cfg = s->app->cfg;
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    tls_error("cannot create a TLS context", NULL, err, err_size);
    return -1;
  }
  s->ssl_ctx = ctx;
  if (SSL_CTX_set_min_proto_version(ctx, cfg->tls.min_tls_minor == 3
                                             ? TLS1_3_VERSION
                                             : TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) != 1 ||
      SSL_CTX_set_session_id_context(ctx,
                                     (const unsigned char *)SESSION_CONTEXT,
                                     sizeof SESSION_CONTEXT - 1) != 1) {
    tls_error("cannot apply the TLS policy", NULL, err, err_size);
    return -1;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, cfg->serve_cert_file) != 1) {
    tls_error("cannot load the server certificate", cfg->serve_cert_file, err,
              err_size);
    return -1;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, cfg->serve_key_file, SSL_FILETYPE_PEM) !=
          1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    tls_error("cannot load the server key (or it does not match the "
              "certificate)",
              cfg->serve_key_file, err, err_size);
    return -1;
  }
  return verify_client_certs(s, err, err_size);
}

/* ---- the listening socket ---------------------------------------------------
 */

/* We bind the socket ourselves so the operator sees the real errno
 * ("Address already in use"), then hand it to evhttp. */
static int open_listener(struct gw_serve *s, const char *listen, char *err,
                         size_t err_size) {
  char host[HOST_SIZE], port[PORT_SIZE];
  struct addrinfo hints, *found = NULL;
  const struct addrinfo *ai;
  struct evconnlistener *listener;
  evutil_socket_t fd = -1;
  int gai, last_errno = EADDRNOTAVAIL, rc = -1;
  if (net_split_listen(listen, host, sizeof host, port, sizeof port) != 0) {
    (void)text_format(err, err_size,
                      "serve: cannot listen on \"%s\": expected \"host:port\" "
                      "such as \"127.0.0.1:8443\"",
                      listen);
    return -1;
  }
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  gai = getaddrinfo(host, port, &hints, &found);
  if (gai != 0) {
    (void)text_format(err, err_size, "serve: cannot listen on %s: %s", listen,
                      gai_strerror(gai));
    return -1;
  }
  for (ai = found; ai && fd < 0; ai = ai->ai_next) {
    fd = net_listen_socket(ai, LISTEN_BACKLOG);
    if (fd < 0)
      last_errno = errno;
  }
  freeaddrinfo(found);
  if (fd < 0) {
    (void)text_format(err, err_size, "serve: cannot listen on %s: %s", listen,
                      strerror(last_errno));
    return -1;
  }
  s->port = net_bound_port(fd);
  /* backlog 0: the socket already listens. The listener owns fd from
   * here, and evhttp owns the listener once bound. */
  listener =
      evconnlistener_new(s->base, NULL, NULL,
                         LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
  if (!listener) {
    close(fd);
    goto out;
  }
  s->bound = evhttp_bind_listener(s->http, listener);
  if (!s->bound) {
    evconnlistener_free(listener);
    goto out;
  }
  rc = 0;
out:
  if (rc != 0)
    (void)text_format(err, err_size,
                      "serve: cannot listen on %s: out of memory", listen);
  return rc;
}

/* ---- start and stop
 * ---------------------------------------------------------- */

static int check_config(const struct gw_config *cfg, char *err,
                        size_t err_size) {
  const char *missing = !cfg->serve_listen      ? "serve.listen"
                        : !cfg->serve_cert_file ? "serve.cert_file"
                        : !cfg->serve_key_file  ? "serve.key_file"
                                                : NULL;
  if (missing) {
    (void)text_format(err, err_size,
                      "serve: %s is not configured (see docs/api.md)", missing);
    return -1;
  }
  if (!cfg->serve.clients_file && !cfg->serve.tokens_file) {
    (void)text_copy(err, err_size,
                    "serve: no clients configured: set serve.clients and/or "
                    "serve.tokens_file (data is never served anonymously)");
    return -1;
  }
  return 0;
}

static int load_clients(struct gw_serve *s, char *err, size_t err_size) {
  const struct gw_config *cfg = s->app->cfg;
  char why[SERVE_ERR_MAX];
  size_t n;
  if (serve_auth_load(cfg->serve.clients_file, cfg->serve.tokens_file,
                      s->app->catalogue, &s->auth, why, sizeof why) != 0) {
    (void)text_format(err, err_size, "serve: %s", why);
    return -1;
  }
  n = serve_auth_bucket_count(s->auth);
  s->buckets = gw_calloc(n ? n : 1, sizeof *s->buckets);
  if (!s->buckets) {
    (void)text_copy(err, err_size, "serve: out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    const struct serve_client *c = serve_auth_bucket_client(s->auth, i);
    double rate = c->rate_per_second >= 0 ? (double)c->rate_per_second
                                          : (double)cfg->serve.rate_per_second;
    double burst =
        c->burst >= 0 ? (double)c->burst : (double)cfg->serve.rate_burst;
    serve_bucket_init(&s->buckets[i], rate, burst, clock_monotonic());
  }
  return 0;
}

static int load_targets(struct gw_serve *s, char *err, size_t err_size) {
  char why[SERVE_ERR_MAX];
  if (!s->app->cfg->targets)
    return 0;
  if (targets_load(s->app->cfg->targets, s->app->catalogue, &s->targets, why,
                   sizeof why) != 0) {
    (void)text_format(err, err_size, "serve: %s", why);
    return -1;
  }
  return 0;
}

static int make_http(struct gw_serve *s, char *err, size_t err_size) {
  const struct gw_serve_config *sv = &s->app->cfg->serve;
  s->http = evhttp_new(s->base);
  if (!s->http) {
    (void)text_copy(err, err_size, "serve: out of memory");
    return -1;
  }
  evhttp_set_bevcb(s->http, new_connection, s);
  evhttp_set_gencb(s->http, serve_handle_request, s);
  evhttp_set_allowed_methods(s->http, ALL_METHODS);
  evhttp_set_max_headers_size(s->http, MAX_HEADERS_BYTES);
  evhttp_set_max_body_size(s->http, MAX_BODY_BYTES);
  evhttp_set_timeout(s->http, (int)sv->timeout_seconds);
  return 0;
}

int serve_start(struct event_base *base, struct gw_app *app,
                struct gw_serve **out, char *err, size_t err_size) {
  struct gw_serve *s = NULL;
  int rc = -1;
  *out = NULL;
  if (err_size > 0)
    err[0] = '\0';
  if (!app->cfg || !app->store || !app->catalogue || !app->xlog) {
    (void)text_copy(err, err_size,
                    "serve: needs the config, catalogue, store and exchange "
                    "log opened");
    return -1;
  }
  if (check_config(app->cfg, err, err_size) != 0)
    return -1;
  pthread_once(&ex_once, make_ex_index);
  if (ex_index < 0) {
    (void)text_copy(err, err_size, "serve: no OpenSSL ex_data slot");
    return -1;
  }
  s = gw_calloc(1, sizeof *s);
  if (!s) {
    (void)text_copy(err, err_size, "serve: out of memory");
    return -1;
  }
  s->base = base;
  s->app = app;
  s->counter = gw_calloc(1, sizeof *s->counter);
  if (!s->counter) {
    gw_free(s);
    (void)text_copy(err, err_size, "serve: out of memory");
    return -1;
  }
  s->counter->refs = 1;
  s->counter->server = s;
  s->max_connections = (long)app->cfg->serve.max_connections;
  s->feed_memos = gw_calloc(app->cfg->export_count ? app->cfg->export_count : 1,
                            sizeof *s->feed_memos);
  if (!s->feed_memos || serve_cache_new((size_t)app->cfg->serve.cache_max_bytes,
                                        &s->cache) != 0) {
    (void)text_copy(err, err_size, "serve: out of memory");
    goto out;
  }
  if (make_tls(s, err, err_size) != 0 || load_clients(s, err, err_size) != 0 ||
      load_targets(s, err, err_size) != 0 || make_http(s, err, err_size) != 0 ||
      open_listener(s, app->cfg->serve_listen, err, err_size) != 0)
    goto out;
  serve_refresh_generation(s, 1);
  *out = s;
  s = NULL;
  rc = 0;
out:
  serve_stop(s);
  return rc;
}

int serve_port(const struct gw_serve *s) {
  return s ? s->port : -1;
}

void serve_invalidate(struct gw_serve *s) {
  if (s)
    serve_refresh_generation(s, 1);
}

static void finish_drain(struct gw_serve *s) {
  void (*done)(void *) = s->drained;
  if (!done)
    return;
  s->drained = NULL;
  if (s->drain_timer)
    event_del(s->drain_timer);
  done(s->drained_arg);
}

static void drain_timeout(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  finish_drain(arg);
}

void serve_answer_done(struct gw_serve *s) {
  if (s->in_flight > 0)
    s->in_flight--;
  if (s->draining && s->in_flight == 0)
    finish_drain(s);
}

void serve_shutdown(struct gw_serve *s, int grace_seconds,
                    void (*done)(void *arg), void *arg) {
  struct timeval tv = {grace_seconds > 0 ? grace_seconds : 0, 0};
  if (!s || s->draining)
    return;
  s->draining = 1;
  s->drained = done;
  s->drained_arg = arg;
  if (s->bound) {
    /* No new connections from here; the socket closes with evhttp. */
    evconnlistener_disable(evhttp_bound_socket_get_listener(s->bound));
  }
  if (s->in_flight == 0) {
    finish_drain(s);
    return;
  }
  s->drain_timer = evtimer_new(s->base, drain_timeout, s);
  if (!s->drain_timer || evtimer_add(s->drain_timer, &tv) != 0)
    finish_drain(s);
}

void serve_stop(struct gw_serve *s) {
  if (!s)
    return;
  /* Connections still open are freed (and counted down) inside
   * evhttp_free: nothing may touch the listener after it is gone. */
  s->draining = 1;
  s->bound = NULL;
  s->counter->server = NULL;
  counter_release(s->counter);
  if (s->http)
    evhttp_free(s->http);
  if (s->drain_timer)
    event_free(s->drain_timer);
  SSL_CTX_free(s->ssl_ctx);
  serve_auth_free(s->auth);
  serve_cache_free(s->cache);
  targets_free(s->targets);
  gw_free(s->buckets);
  gw_free(s->feed_memos);
  gw_free(s);
}
