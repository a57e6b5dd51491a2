/*
 * serve_routes.c - one request from arrival to answer: trace ids, client
 * authentication, rate limit, routing, query validation, content
 * negotiation, the cache, conditional requests, headers, the exchange-log
 * record, and sending (see serve_internal.h for the request struct).
 *
 * Order of the checks, and why:
 *   1. /v1/health needs no client (load balancers, monitoring)
 *   2. authentication (401/403) before anything else, so nothing about
 *      the API (not even a 404) is told to an unknown party
 *   3. rate limit (429), before any work is done for the client
 *   4. method (405), path (404), query (400), format (400/406)
 *   5. the endpoint (its own 400/403/404), or the cache
 *   6. 304 when the client's validators still match
 *   7. the "serve" record; when it cannot be written the answer is a 503
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "digest.h"
#include "gw_alloc.h"
#include "serve_internal.h"
#include "text.h"

#define FEEDS_PREFIX "/v1/feeds/"
#define FEED_NAME_MAX 128
#define CACHE_KEY_MAX (SERVE_QUERY_RAW_MAX + 512)
#define LINK_MAX (SERVE_QUERY_RAW_MAX + SERVE_CURSOR_MAX + 64)
#define LOG_FAILED_RETRY_AFTER 5
#define HSTS "max-age=31536000"

/* ---- answers ----------------------------------------------------------------
 */

static void drop_answer(struct serve_request *r) {
  serve_body_unref(r->answer.body);
  memset(&r->answer, 0, sizeof r->answer);
  if (r->file_fd >= 0)
    close(r->file_fd);
  r->file_fd = -1;
  r->file_size = 0;
}

void serve_fail(struct serve_request *r, int status, const char *fmt, ...) {
  va_list ap;
  drop_answer(r);
  r->status = status;
  va_start(ap, fmt);
  (void)vsnprintf(r->message, sizeof r->message, fmt, ap);
  va_end(ap);
}

int serve_answer_from(struct serve_request *r, const char *data, size_t len,
                      const char *content_type, time_t last_modified,
                      uint64_t rows) {
  struct serve_body *body = serve_body_new(len);
  drop_answer(r);
  if (!body) {
    serve_fail(r, 500, "out of memory rendering the answer");
    return -1;
  }
  memcpy(body->data, data, len);
  r->answer.body = body;
  if (serve_etag_of(body->data, len, r->answer.etag) != 0 ||
      text_copy(r->answer.content_type, sizeof r->answer.content_type,
                content_type) != 0) {
    serve_fail(r, 500, "cannot compute the answer's ETag");
    return -1;
  }
  r->answer.last_modified = last_modified;
  r->answer.rows = rows;
  r->rows = (int64_t)rows;
  r->status = 200;
  return 0;
}

/* ---- request facts ----------------------------------------------------------
 */

static const char *header(struct evhttp_request *req, const char *name) {
  return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

const char *serve_header(const struct serve_request *r, const char *name) {
  return header(r->req, name);
}

static const char *method_name(enum evhttp_cmd_type m) {
  switch (m) {
  case EVHTTP_REQ_GET:
    return "GET";
  case EVHTTP_REQ_HEAD:
    return "HEAD";
  case EVHTTP_REQ_POST:
    return "POST";
  case EVHTTP_REQ_PUT:
    return "PUT";
  case EVHTTP_REQ_DELETE:
    return "DELETE";
  case EVHTTP_REQ_OPTIONS:
    return "OPTIONS";
  case EVHTTP_REQ_TRACE:
    return "TRACE";
  case EVHTTP_REQ_CONNECT:
    return "CONNECT";
  case EVHTTP_REQ_PATCH:
    return "PATCH";
  default:
    return "OTHER";
  }
}

static int lower_hex(const char *s, size_t n) {
  int nonzero = 0;
  for (size_t i = 0; i < n; i++) {
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
    nonzero |= s[i] != '0';
  }
  return nonzero;
}

/* W3C traceparent "00-<32 hex>-<16 hex>-<2 hex>": the client's trace goes
 * on, with its span as our parent; anything else starts a new trace. */
static void trace_ids(struct serve_request *r) {
  const char *tp = header(r->req, "traceparent");
  if (tp && strlen(tp) == 55 && strncmp(tp, "00-", 3) == 0 && tp[35] == '-' &&
      tp[52] == '-' && lower_hex(tp + 3, 32) && lower_hex(tp + 36, 16)) {
    memcpy(r->trace_id, tp + 3, 32);
    r->trace_id[32] = '\0';
    memcpy(r->parent_span_id, tp + 36, 16);
    r->parent_span_id[16] = '\0';
  } else if (random_hex(16, r->trace_id, sizeof r->trace_id) != 0) {
    r->trace_id[0] = '\0';
  }
  if (random_hex(8, r->span_id, sizeof r->span_id) != 0)
    r->span_id[0] = '\0';
}

static SSL *request_ssl(struct evhttp_request *req) {
  struct evhttp_connection *conn = evhttp_request_get_connection(req);
  struct bufferevent *bev =
      conn ? evhttp_connection_get_bufferevent(conn) : NULL;
  return bev ? bufferevent_openssl_get_ssl(bev) : NULL;
}

/* ---- who is asking
 * ------------------------------------------------------------ */

/* RFC 6750 b64token: the only characters a bearer token may have. */
static int token_chars_ok(const char *t) {
  size_t n = strlen(t);
  if (n == 0 || n > SERVE_TOKEN_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || strchr("-._~+/=", c)))
      return 0;
  }
  return 1;
}

static int authenticate(struct serve_request *r) {
  const struct serve_auth *auth = r->s->auth;
  const char *authz = header(r->req, "Authorization");
  r->auth_method = "none";
  if (authz) {
    const char *token = authz + 7;
    if (strncasecmp(authz, "Bearer ", 7) != 0 || !token_chars_ok(token)) {
      r->www_authenticate = "Bearer realm=\"indicator-gateway\", "
                            "error=\"invalid_request\"";
      serve_fail(r, 401,
                 "the Authorization header must be 'Bearer <token>' with a "
                 "token of letters, digits and -._~+/=");
      return -1;
    }
    r->client = serve_auth_by_token(auth, token);
    if (!r->client) {
      r->www_authenticate = "Bearer realm=\"indicator-gateway\", "
                            "error=\"invalid_token\"";
      serve_fail(r, 401, "the bearer token is not known to this gateway");
      return -1;
    }
    r->auth_method = "token";
    r->matched_by = "token";
    return 0;
  }
  if (r->tls.has_cert) {
    r->client = serve_auth_by_cert(auth, &r->tls, &r->matched_by);
    if (!r->client) {
      serve_fail(r, 403,
                 "client certificate %s (%s) is not on this gateway's "
                 "allow-list",
                 r->tls.cert_sha256, r->tls.subject);
      return -1;
    }
    r->auth_method = "certificate";
    return 0;
  }
  r->www_authenticate = "Bearer realm=\"indicator-gateway\"";
  serve_fail(r, 401,
             "authentication required: present a client certificate from "
             "the allow-list or an 'Authorization: Bearer' token");
  return -1;
}

static int rate_limited(struct serve_request *r) {
  long retry = 0;
  if (serve_bucket_take(&r->s->buckets[r->client->bucket], clock_monotonic(),
                        &retry))
    return 0;
  r->retry_after = retry;
  serve_fail(r, 429, "client %s is over its rate limit; retry in %ld s",
             r->client->name, retry);
  return 1;
}

/* ---- routing
 * ------------------------------------------------------------------ */

struct route {
  const char *path;
  unsigned params;
  unsigned offered;
};

static const struct route routes[] = {
    {"/v1/health", 0, SERVE_OFFER(SERVE_FMT_JSON)},
    {"/v1/indicators", SERVE_P_FORMAT, SERVE_OFFER_TABLES},
    {"/v1/observations", SERVE_P_OBSERVATIONS,
     SERVE_OFFER_TABLES | SERVE_OFFER(SERVE_FMT_SDMX)},
    {"/v1/monitor", SERVE_P_FORMAT | SERVE_P_YEARS | SERVE_P_AREA,
     SERVE_OFFER(SERVE_FMT_JSON) | SERVE_OFFER(SERVE_FMT_CSV) |
         SERVE_OFFER(SERVE_FMT_HTML) | SERVE_OFFER(SERVE_FMT_TEXT)},
    {FEEDS_PREFIX "{name}", SERVE_P_FORMAT, 0},
    {NULL, 0, 0}};

static int hex_digit(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* The feed name of "/v1/feeds/<segment>", percent-decoded. Refuses a
 * further '/', a decoded '/' or '\', "." and "..", and control bytes: a
 * name is only ever looked up among the configured ones, but nothing that
 * looks like a path gets that far. 0 or -1. */
static int feed_name(const char *segment, char *out, size_t size) {
  size_t w = 0;
  for (const char *p = segment; *p; p++) {
    int c = (unsigned char)*p;
    if (c == '/')
      return -1;
    if (c == '%') {
      int hi = hex_digit(p[1]), lo = hi >= 0 ? hex_digit(p[2]) : -1;
      if (hi < 0 || lo < 0)
        return -1;
      c = hi * 16 + lo;
      p += 2;
    }
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || w + 1 >= size)
      return -1;
    out[w++] = (char)c;
  }
  out[w] = '\0';
  return w == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0 ? -1 : 0;
}

static const struct route *find_route(const char *path, char *name,
                                      size_t name_size, int *bad_name) {
  *bad_name = 0;
  if (strncmp(path, FEEDS_PREFIX, sizeof FEEDS_PREFIX - 1) == 0) {
    if (feed_name(path + sizeof FEEDS_PREFIX - 1, name, name_size) != 0) {
      *bad_name = 1;
      return NULL;
    }
    return &routes[4];
  }
  for (const struct route *rt = routes; rt->path; rt++)
    if (strcmp(rt->path, path) == 0)
      return rt;
  return NULL;
}

/* ---- the cache
 * ------------------------------------------------------------------ */

/* What the answer depends on: endpoint, query, format and the indicators
 * the client may read (a restricted client's answers are its own). */
static int cache_key(const struct serve_request *r, const char *query,
                     char *key, size_t size) {
  return text_format(key, size, "%s\n%s\n%s\n%s", r->endpoint,
                     query ? query : "", serve_format_name(r->format),
                     serve_client_reads_all(r->client) ? "*" : r->client->name);
}

static int from_cache(struct serve_request *r, const char *key) {
  const struct serve_answer *hit = serve_cache_get(r->s->cache, key);
  if (!hit)
    return 0;
  drop_answer(r);
  r->answer = *hit;
  serve_body_ref(r->answer.body);
  r->rows = (int64_t)hit->rows;
  r->status = 200;
  r->cache_hit = 1;
  return 1;
}

static void dispatch(struct serve_request *r, const struct route *rt,
                     const char *name, const struct serve_query *q) {
  if (rt == &routes[0])
    serve_get_health(r);
  else if (rt == &routes[1])
    serve_get_indicators(r);
  else if (rt == &routes[2])
    serve_get_observations(r, q);
  else if (rt == &routes[3])
    serve_get_monitor(r, q);
  else
    serve_get_feed(r, name, q);
}

static void answer(struct serve_request *r, const struct route *rt,
                   const char *name, const char *raw_query) {
  struct serve_query q;
  char err[SERVE_MESSAGE_MAX], key[CACHE_KEY_MAX];
  int status = 400, cacheable;
  if (serve_query_parse(raw_query, rt->params, &q, err, sizeof err) != 0) {
    serve_fail(r, 400, "%s", err);
    return;
  }
  if (rt->offered) {
    if (serve_negotiate(q.format, header(r->req, "Accept"), rt->offered,
                        &r->format, &status, err, sizeof err) != 0) {
      serve_fail(r, status, "%s", err);
      goto out;
    }
    r->format_known = 1;
  }
  if (r->client) /* the store's state and the next scheduled run */
    serve_refresh_generation(r->s, 0);
  cacheable = rt != &routes[0] && rt->offered && r->client &&
              cache_key(r, raw_query, key, sizeof key) == 0;
  if (cacheable && from_cache(r, key))
    goto out;
  dispatch(r, rt, name, &q);
  if (cacheable && r->status == 200 && r->answer.body &&
      serve_cache_put(r->s->cache, key, &r->answer) < 0)
    diag(GW_LOG_WARN, "serve: out of memory caching an answer");
out:
  serve_query_free(&q);
}

static void route(struct serve_request *r, const char *raw_query) {
  const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->req);
  const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
  enum evhttp_cmd_type m = evhttp_request_get_command(r->req);
  char name[FEED_NAME_MAX];
  const struct route *rt;
  int bad_name = 0;
  if (!path || !*path) {
    serve_fail(r, 400, "the request has no path");
    return;
  }
  rt = find_route(path, name, sizeof name, &bad_name);
  r->endpoint = rt ? rt->path : "(none)";
  if (rt != &routes[0] && (authenticate(r) != 0 || rate_limited(r) != 0))
    return;
  if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
    r->allow = "GET, HEAD";
    serve_fail(r, 405,
               "method %s is not allowed: this API is read-only (GET, "
               "HEAD)",
               r->method);
    return;
  }
  if (!rt) {
    if (bad_name)
      serve_fail(r, 404,
                 "no such feed: a feed is named by one path segment that is "
                 "one of the configured feed names");
    else
      serve_fail(r, 404,
                 "no such endpoint; the API has /v1/health, /v1/indicators, "
                 "/v1/observations, /v1/feeds/<name> and /v1/monitor");
    return;
  }
  answer(r, rt, name, raw_query);
}

/* ---- sending
 * ---------------------------------------------------------------------- */

static void add(struct evkeyvalq *h, const char *name, const char *value) {
  /* A header that cannot be added only costs the client information; the
   * answer itself is still right. */
  if (evhttp_add_header(h, name, value) != 0)
    diag(GW_LOG_WARN, "serve: could not add header %s", name);
}

/* "</v1/observations?<query without cursor>&cursor=<next>>; rel=\"next\"" */
static void add_next_link(struct serve_request *r, struct evkeyvalq *h,
                          const char *raw_query) {
  char query[SERVE_QUERY_RAW_MAX + 1] = "", link[LINK_MAX];
  const char *at = raw_query ? raw_query : "";
  if (!r->answer.next_cursor[0])
    return;
  while (*at) {
    const char *amp = strchr(at, '&');
    size_t n = amp ? (size_t)(amp - at) : strlen(at);
    if (n > 0 && strncmp(at, "cursor=", 7) != 0) {
      if (query[0])
        (void)text_append(query, sizeof query, "&");
      (void)text_format(query + strlen(query), sizeof query - strlen(query),
                        "%.*s", (int)n, at);
    }
    at += n + (amp ? 1 : 0);
  }
  if (text_format(link, sizeof link, "<%s?%s%scursor=%s>; rel=\"next\"",
                  r->endpoint, query, query[0] ? "&" : "",
                  r->answer.next_cursor) == 0)
    add(h, "Link", link);
  add(h, "X-Next-Cursor", r->answer.next_cursor);
}

static void add_validators(struct serve_request *r, struct evkeyvalq *h) {
  char date[SERVE_HTTP_DATE_MAX], cc[64];
  long max_age = serve_max_age(r->s, time(NULL));
  if (r->answer.etag[0])
    add(h, "ETag", r->answer.etag);
  if (r->answer.last_modified &&
      serve_http_date(r->answer.last_modified, date, sizeof date) == 0)
    add(h, "Last-Modified", date);
  /* private: every answer depends on who asked */
  if (strcmp(r->endpoint, "/v1/health") == 0)
    (void)text_copy(cc, sizeof cc, "no-store");
  else if (max_age > 0)
    (void)text_format(cc, sizeof cc, "private, max-age=%ld", max_age);
  else
    (void)text_copy(cc, sizeof cc, "private, no-cache");
  add(h, "Cache-Control", cc);
  add(h, "Vary", "Accept, Authorization");
}

static void on_complete(struct evhttp_request *req, void *arg) {
  (void)req;
  serve_answer_done(arg);
}

static void release_body(const void *data, size_t len, void *arg) {
  (void)data;
  (void)len;
  serve_body_unref(arg);
}

/* Fills the error body of a failed request. */
static void error_body(struct serve_request *r) {
  int status = r->status;
  size_t len = 0;
  char *json = serve_error_json(status, r->message, &len);
  drop_answer(r);
  if (json && serve_answer_from(r, json, len, "application/json", 0, 0) == 0)
    r->answer.etag[0] = '\0'; /* errors are not cached or validated */
  r->status = status;
  r->rows = 0;
  gw_free(json);
}

static int put_body(struct serve_request *r, struct evbuffer *out) {
  if (r->file_fd >= 0) {
    if (evbuffer_add_file(out, r->file_fd, 0, r->file_size) != 0)
      return -1;
    r->file_fd = -1; /* the buffer closes it when written */
    return 0;
  }
  if (!r->answer.body || r->answer.body->len == 0)
    return 0;
  serve_body_ref(r->answer.body);
  if (evbuffer_add_reference(out, r->answer.body->data, r->answer.body->len,
                             release_body, r->answer.body) != 0) {
    serve_body_unref(r->answer.body);
    return -1;
  }
  return 0;
}

static void send_answer(struct serve_request *r, const char *raw_query) {
  struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
  int head = evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD;
  int status = r->not_modified ? 304 : r->status;
  char length[32], retry[24];
  add(h, "X-Content-Type-Options", "nosniff");
  add(h, "Strict-Transport-Security", HSTS);
  add(h, "X-Trace-Id", r->trace_id);
  if (r->s->draining)
    add(h, "Connection", "close");
  if (r->status == 200) {
    add_validators(r, h);
    if (!r->not_modified)
      add_next_link(r, h, raw_query);
  } else {
    add(h, "Cache-Control", "no-store");
    if (r->www_authenticate)
      add(h, "WWW-Authenticate", r->www_authenticate);
    if (r->allow)
      add(h, "Allow", r->allow);
    if (r->retry_after > 0 &&
        text_format(retry, sizeof retry, "%ld", r->retry_after) == 0)
      add(h, "Retry-After", retry);
  }
  if (!r->not_modified) {
    add(h, "Content-Type",
        r->answer.content_type[0] ? r->answer.content_type
                                  : "application/json");
    if (text_format(length, sizeof length, "%llu",
                    (unsigned long long)r->content_length) == 0)
      add(h, "Content-Length", length);
    if (!head && put_body(r, evhttp_request_get_output_buffer(r->req)) != 0) {
      evhttp_send_error(r->req, 500, NULL);
      return;
    }
  }
  r->s->in_flight++;
  evhttp_request_set_on_complete_cb(r->req, on_complete, r->s);
  evhttp_send_reply(r->req, status, NULL, NULL);
}

/* Status, bytes and the 304 decision are final here: the log record
 * describes exactly what is sent. */
static void settle(struct serve_request *r) {
  if (r->status == 200 && !r->answer.body && r->file_fd < 0)
    serve_fail(r, 500, "the endpoint produced no answer");
  if (r->status == 200 &&
      serve_not_modified(header(r->req, "If-None-Match"),
                         header(r->req, "If-Modified-Since"), r->answer.etag,
                         r->answer.last_modified))
    r->not_modified = 1;
  if (r->status != 200)
    error_body(r);
  r->content_length = r->not_modified   ? 0
                      : r->file_fd >= 0 ? (uint64_t)r->file_size
                      : r->answer.body  ? r->answer.body->len
                                        : 0;
  /* HEAD: the length of the body a GET would get, none sent */
  r->bytes = evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD
                 ? 0
                 : r->content_length;
}

static void init_request(struct serve_request *r, struct gw_serve *s,
                         struct evhttp_request *req) {
  memset(r, 0, sizeof *r);
  r->s = s;
  r->req = req;
  r->start_ms = clock_now_ms();
  r->t0 = clock_monotonic();
  r->file_fd = -1;
  r->rows = 0;
  r->method = method_name(evhttp_request_get_command(req));
  r->endpoint = "(none)";
  r->auth_method = "none";
  trace_ids(r);
}

void serve_handle_request(struct evhttp_request *req, void *arg) {
  struct gw_serve *s = arg;
  struct serve_request r;
  const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
  const char *raw_query = uri ? evhttp_uri_get_query(uri) : NULL;
  SSL *ssl = request_ssl(req);
  char err[SERVE_ERR_MAX];
  if (!ssl) { /* never over plain TCP, whatever happened to the TLS layer */
    evhttp_send_error(req, 400, "TLS required");
    return;
  }
  init_request(&r, s, req);
  tls_identity_from_ssl(ssl, &r.tls);
  route(&r, raw_query);
  settle(&r);
  if (serve_log_request(&r, err, sizeof err) != 0) {
    diag(GW_LOG_ERROR, "serve: exchange log: %s; answering 503", err);
    r.retry_after = LOG_FAILED_RETRY_AFTER;
    serve_fail(&r, 503,
               "the exchange log cannot be written, so nothing is served (no "
               "log, no answer); try again later");
    r.not_modified = 0;
    error_body(&r);
    r.content_length = r.answer.body ? r.answer.body->len : 0;
  }
  send_answer(&r, raw_query);
  drop_answer(&r);
}
