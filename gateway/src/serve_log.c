/*
 * serve_log.c - the exchange-log record of one feed-server request
 * (event "serve", docs/exchange-log.md and docs/api.md, "What is
 * logged"): who asked (client name, how it was recognised, the TLS
 * identity of its certificate), what (method, path, query, endpoint,
 * format), and what it got (HTTP status, rows, bytes, duration, cache
 * hit, the reason of a refusal).
 *
 * The client's address is not logged: the clients are applications known
 * by certificate or token, and an address can be personal data (DESIGN 8).
 * The query goes through the log's URL redaction, and any byte that is not
 * printable ASCII is written as %XX (the target is percent-encoded
 * already), so a hostile query cannot break the
 * record or smuggle a credential into it.
 */
#include <event2/http.h>
#include <jansson.h>
#include <string.h>

#include "clock.h"
#include "exchange_log.h"
#include "serve_internal.h"
#include "text.h"

#define TARGET_MAX (2 * SERVE_QUERY_RAW_MAX + 64)
#define ESCAPED_MAX (3 * TARGET_MAX + 1)

/* Bytes outside printable ASCII as %XX; cut (with "...") when too long. */
static void printable(const char *in, char *out, size_t size) {
  static const char hex[] = "0123456789ABCDEF";
  size_t w = 0;
  for (; *in; in++) {
    unsigned char c = (unsigned char)*in;
    if (w + 4 >= size) {
      if (size >= 4) {
        w = size - 4;
        memcpy(out + w, "...", 3);
        w += 3;
      }
      break;
    }
    if (c < 0x20 || c >= 0x7f) {
      out[w++] = '%';
      out[w++] = hex[c >> 4];
      out[w++] = hex[c & 15];
    } else {
      out[w++] = (char)c;
    }
  }
  out[w] = '\0';
}

/* The request target as logged: redacted, printable, split at '?'. The
 * buffers are static (too large for a stack): the server answers on one
 * thread, the event loop's (serve.h). */
static void logged_target(const struct serve_request *r, char *path,
                          size_t path_size, char *query, size_t query_size) {
  static char redacted[TARGET_MAX], escaped[ESCAPED_MAX];
  const char *uri = evhttp_request_get_uri(r->req);
  const char *const *secrets = (const char *const *)r->s->app->cfg->secrets;
  char *q;
  path[0] = query[0] = '\0';
  if (!uri)
    return;
  config_secrets_lock();
  if (xlog_redact_url(uri, secrets, redacted, sizeof redacted) != 0)
    (void)text_copy(redacted, sizeof redacted, "(request target too long)");
  config_secrets_unlock();
  q = strchr(redacted, '?');
  if (q)
    *q++ = '\0';
  printable(redacted, escaped, sizeof escaped);
  (void)text_copy(path, path_size, escaped);
  if (q) {
    printable(q, escaped, sizeof escaped);
    (void)text_copy(query, query_size, escaped);
  }
}

static const char *outcome_of(int status) {
  return status < 400 ? "ok" : status < 500 ? "refused" : "error";
}

static json_t *client_json(const struct serve_request *r) {
  if (!r->client)
    return json_null();
  return json_pack("{s:s, s:s, s:s?}", "name", r->client->name, "auth",
                   r->auth_method, "matched_by", r->matched_by);
}

static json_t *tls_json(const struct serve_request *r) {
  return json_pack("{s:s, s:s?, s:s?, s:s?}", "version", r->tls.tls_version,
                   "peer_cert_sha256",
                   r->tls.cert_sha256[0] ? r->tls.cert_sha256 : NULL,
                   "peer_subject", r->tls.subject[0] ? r->tls.subject : NULL,
                   "peer_oin", r->tls.oin[0] ? r->tls.oin : NULL);
}

int serve_log_request(const struct serve_request *r, char *err,
                      size_t err_size) {
  static char path[ESCAPED_MAX], query[ESCAPED_MAX];
  char name[96], message[3 * SERVE_MESSAGE_MAX + 1];
  int status = r->not_modified ? 304 : r->status;
  int64_t end = clock_now_ms();
  json_t *rec;
  int rc;
  logged_target(r, path, sizeof path, query, sizeof query);
  /* a refusal may quote the client's bytes */
  printable(r->message, message, sizeof message);
  (void)text_format(name, sizeof name, "serve:%s", r->endpoint);
  rec = json_pack(
      "{s:s, s:s, s:s, s:s, s:s?, s:I, s:I, s:i, s:s, s:s, s:s, s:s?, s:s?, "
      "s:i, s:o, s:o, s:o, s:I, s:f, s:b, s:s, s:s?}",
      "event", "serve", "name", name, "trace_id", r->trace_id, "span_id",
      r->span_id, "parent_span_id",
      r->parent_span_id[0] ? r->parent_span_id : NULL, "start_time",
      (json_int_t)r->start_ms, "end_time", (json_int_t)end, "status_code",
      status >= 400 ? 2 : 1, "http_method", r->method, "path", path, "endpoint",
      r->endpoint, "query", query[0] ? query : NULL, "format",
      r->format_known ? serve_format_name(r->format) : NULL, "http_status",
      status, "client", client_json(r), "tls", tls_json(r), "rows",
      r->rows >= 0 ? json_integer(r->rows) : json_null(), "bytes",
      (json_int_t)r->bytes, "duration_ms", (clock_monotonic() - r->t0) * 1000.0,
      "cache_hit", r->cache_hit, "outcome", outcome_of(status), "error",
      status >= 400 && r->message[0] ? message : NULL);
  if (!rec) {
    (void)text_copy(err, err_size,
                    "out of memory (or a non-UTF-8 value) building the serve "
                    "record");
    return -1;
  }
  rc = app_log_record(r->s->app, rec, err, err_size);
  json_decref(rec);
  return rc;
}
