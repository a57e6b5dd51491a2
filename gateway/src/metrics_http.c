/*
 * metrics_http.c - /metrics and /healthz over plain HTTP on a loopback
 * socket (metrics_http.h, docs/metrics.md).
 *
 * We bind the socket ourselves rather than letting evhttp do it, so the
 * error a daemon operator sees carries the real errno ("Address already
 * in use") and so every resolved address can be checked for loopback
 * before anything listens.
 */
#include "metrics_http.h"
#include "gw_alloc.h"
#include "metrics.h"
#include "net_listen.h"
#include "text.h"
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HOST_SIZE 256
#define PORT_SIZE 8
#define LISTEN_BACKLOG 16
/* A scrape is one short GET: anything bigger is not a scraper. */
#define MAX_HEADERS_BYTES 8192
#define MAX_BODY_BYTES 1024
/* A client that stalls this long mid-request or mid-response, or idles
 * on a kept-alive connection, is dropped. */
#define CONNECTION_TIMEOUT_SECONDS 10
#define DETAIL_SIZE 512
/* Every detail byte escapes to at most six (\u00XX). */
#define HEALTH_JSON_SIZE (6 * DETAIL_SIZE + 64)

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define JSON_CONTENT_TYPE "application/json"
#define PLAIN_CONTENT_TYPE "text/plain; charset=utf-8"

struct gw_metrics_server {
  struct evhttp *http;
  struct gw_metrics *metrics;
  gw_health_fn health;
  void *health_user;
  int port;
};

/* ---- the listening socket -------------------------------------------- */

static int is_loopback(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    const uint8_t *b = in6->sin6_addr.s6_addr;
    static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0,    0,
                                          0, 0, 0, 0, 0xff, 0xff};
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
      return 1;
    return memcmp(b, v4_mapped, sizeof v4_mapped) == 0 && b[12] == 127;
  }
  return 0;
}

/* Resolves listen, refuses it unless every address is loopback, and
 * listens on the first address that binds. The fd, or -1 with err. */
static evutil_socket_t open_listener(const char *listen, char *err,
                                     size_t err_size) {
  char host[HOST_SIZE], port[PORT_SIZE];
  struct addrinfo hints, *found = NULL;
  const struct addrinfo *ai;
  evutil_socket_t fd = -1;
  int gai, last_errno = EADDRNOTAVAIL;
  if (net_split_listen(listen, host, sizeof host, port, sizeof port) != 0) {
    text_format(err, err_size,
                "metrics: cannot listen on \"%s\": expected \"host:port\" "
                "such as \"127.0.0.1:9464\"",
                listen);
    goto out;
  }
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  gai = getaddrinfo(host, port, &hints, &found);
  if (gai != 0) {
    text_format(err, err_size, "metrics: cannot listen on %s: %s", listen,
                gai_strerror(gai));
    goto out;
  }
  for (ai = found; ai; ai = ai->ai_next) {
    if (!is_loopback(ai->ai_addr)) {
      text_format(err, err_size,
                  "metrics: refusing to listen on %s: not a loopback address "
                  "(the endpoint has no authentication)",
                  listen);
      goto out;
    }
  }
  for (ai = found; ai && fd < 0; ai = ai->ai_next) {
    fd = net_listen_socket(ai, LISTEN_BACKLOG);
    if (fd < 0)
      last_errno = errno;
  }
  if (fd < 0)
    text_format(err, err_size, "metrics: cannot listen on %s: %s", listen,
                strerror(last_errno));
out:
  if (found)
    freeaddrinfo(found);
  return fd;
}

/* ---- requests ----------------------------------------------------------- */

/* evhttp 2.1 writes whatever is in the output buffer, HEAD or not, and
 * leaves Content-Length out of HEAD and HTTP/1.0 replies; so the length is
 * set here and a HEAD reply gets the GET's headers without the body. */
static void reply(struct evhttp_request *req, int code, const char *reason,
                  const char *content_type, const char *body, size_t len) {
  struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
  struct evbuffer *out = evhttp_request_get_output_buffer(req);
  int head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
  char length[32];
  if (text_format(length, sizeof length, "%zu", len) != 0 ||
      evhttp_add_header(headers, "Content-Type", content_type) != 0 ||
      evhttp_add_header(headers, "Content-Length", length) != 0 ||
      evhttp_add_header(headers, "Cache-Control", "no-store") != 0 ||
      (!head && evbuffer_add(out, body, len) != 0)) {
    evhttp_send_error(req, HTTP_INTERNAL, NULL);
    return;
  }
  evhttp_send_reply(req, code, reason, NULL);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason,
                       const char *text) {
  reply(req, code, reason, PLAIN_CONTENT_TYPE, text, strlen(text));
}

static void serve_metrics(struct gw_metrics_server *s,
                          struct evhttp_request *req) {
  char *text = NULL;
  size_t len = 0;
  if (metrics_render(s->metrics, time(NULL), &text, &len) != 0) {
    reply_text(req, HTTP_INTERNAL, "Internal Server Error",
               "metrics: out of memory\n");
    return;
  }
  reply(req, HTTP_OK, "OK", METRICS_CONTENT_TYPE, text, len);
  gw_free(text);
}

/* detail as the inside of a JSON string; out has room for the worst case. */
static void json_escape(const char *in, char *out, size_t size) {
  static const char hex[] = "0123456789abcdef";
  size_t w = 0;
  for (; *in && w + 7 < size; in++) {
    unsigned char c = (unsigned char)*in;
    if (c == '"' || c == '\\') {
      out[w++] = '\\';
      out[w++] = (char)c;
    } else if (c < 0x20) {
      out[w++] = '\\';
      out[w++] = 'u';
      out[w++] = '0';
      out[w++] = '0';
      out[w++] = hex[c >> 4];
      out[w++] = hex[c & 0xf];
    } else {
      out[w++] = (char)c;
    }
  }
  out[w] = '\0';
}

static void serve_health(struct gw_metrics_server *s,
                         struct evhttp_request *req) {
  char detail[DETAIL_SIZE] = "";
  char escaped[HEALTH_JSON_SIZE];
  char body[HEALTH_JSON_SIZE];
  int healthy = 1;
  if (s->health)
    healthy = s->health(s->health_user, detail, sizeof detail) == 1;
  detail[sizeof detail - 1] = '\0';
  json_escape(detail, escaped, sizeof escaped);
  if (text_format(body, sizeof body, "{\"status\":\"%s\",\"detail\":\"%s\"}\n",
                  healthy ? "ok" : "unhealthy", escaped) != 0) {
    evhttp_send_error(req, HTTP_INTERNAL, NULL);
    return;
  }
  if (healthy)
    reply(req, HTTP_OK, "OK", JSON_CONTENT_TYPE, body, strlen(body));
  else
    reply(req, HTTP_SERVUNAVAIL, "Service Unavailable", JSON_CONTENT_TYPE, body,
          strlen(body));
}

static void handle_request(struct evhttp_request *req, void *arg) {
  struct gw_metrics_server *s = arg;
  const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
  const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
  enum evhttp_cmd_type method = evhttp_request_get_command(req);
  int is_metrics = path && strcmp(path, "/metrics") == 0;
  int is_health = path && strcmp(path, "/healthz") == 0;
  if (!is_metrics && !is_health) {
    reply_text(req, HTTP_NOTFOUND, "Not Found",
               "not found: try /metrics or /healthz\n");
    return;
  }
  if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
    /* Allow is required on a 405; a failure to add it still refuses. */
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                      "GET, HEAD");
    reply_text(req, HTTP_BADMETHOD, "Method Not Allowed",
               "method not allowed: use GET\n");
    return;
  }
  if (is_metrics)
    serve_metrics(s, req);
  else
    serve_health(s, req);
}

/* ---- the server --------------------------------------------------------- */

/* Every method reaches handle_request, so the answer to one we do not
 * serve is a 405 with Allow rather than evhttp's bare 501. */
#define ALL_METHODS                                                            \
  (EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |       \
   EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |                 \
   EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH)

static int attach_listener(struct gw_metrics_server *s, struct event_base *base,
                           evutil_socket_t fd) {
  struct evconnlistener *listener;
  /* backlog 0: the socket already listens. From here the listener owns
   * fd, and once bound, evhttp owns the listener. */
  listener = evconnlistener_new(
      base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
  if (!listener) {
    close(fd);
    return -1;
  }
  if (!evhttp_bind_listener(s->http, listener)) {
    evconnlistener_free(listener);
    return -1;
  }
  return 0;
}

int metrics_server_start(struct event_base *base, const char *listen,
                         struct gw_metrics *m, gw_health_fn health,
                         void *health_user, struct gw_metrics_server **out,
                         char *err, size_t err_size) {
  struct gw_metrics_server *s = NULL;
  evutil_socket_t fd = -1;
  int rc = -1;
  *out = NULL;
  if (err_size > 0)
    err[0] = '\0';
  s = gw_calloc(1, sizeof *s);
  if (!s || !(s->http = evhttp_new(base))) {
    text_format(err, err_size, "metrics: out of memory");
    goto out;
  }
  s->metrics = m;
  s->health = health;
  s->health_user = health_user;
  evhttp_set_gencb(s->http, handle_request, s);
  evhttp_set_allowed_methods(s->http, ALL_METHODS);
  evhttp_set_max_headers_size(s->http, MAX_HEADERS_BYTES);
  evhttp_set_max_body_size(s->http, MAX_BODY_BYTES);
  evhttp_set_timeout(s->http, CONNECTION_TIMEOUT_SECONDS);
  fd = open_listener(listen, err, err_size);
  if (fd < 0)
    goto out;
  s->port = net_bound_port(fd);
  if (s->port < 0) {
    text_format(err, err_size, "metrics: cannot listen on %s: %s", listen,
                strerror(errno));
    close(fd);
    goto out;
  }
  if (attach_listener(s, base, fd) != 0) {
    text_format(err, err_size, "metrics: cannot listen on %s: out of memory",
                listen);
    goto out;
  }
  *out = s;
  s = NULL;
  rc = 0;
out:
  metrics_server_free(s);
  return rc;
}

int metrics_server_port(const struct gw_metrics_server *s) {
  return s ? s->port : -1;
}

void metrics_server_free(struct gw_metrics_server *s) {
  if (!s)
    return;
  if (s->http)
    evhttp_free(s->http);
  gw_free(s);
}
