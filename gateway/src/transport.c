/*
 * transport.c - HTTPS GET with a fixed TLS policy (see transport.h).
 *
 * Redirects are followed here, not by curl, so that every hop is checked
 * against the ORIGINAL request's origin: curl's own follow mode would only
 * check the protocol, and a public-key pin is not re-checked for another
 * origin. Each hop is a separate curl_easy_perform on the same easy handle,
 * so the connection (and TLS session) is reused.
 */
#include "transport.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gw_alloc.h"
#include "spool.h"
#include "stop_request.h"
#include "text.h"
#include "tls_checks.h"
#include "tls_identity.h"

#define MAX_REDIRECTS 5
#define ERROR_BODY_MAX 512
#define HOST_MAX 256
#define DEFAULT_USER_AGENT "indicator-gateway/" GW_VERSION

/* NCSC TLS guidelines, "good"/"sufficient" suites with forward secrecy
 * only (Digikoppeling TLSCIPH001, FSC), strongest first. */
#define NCSC_TLS12_CIPHERS                                                     \
  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                 \
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                 \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
#define NCSC_TLS13_CIPHERS                                                     \
  "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"

struct gw_transport {
  CURL *curl;
  gw_tls_profile profile;
  char *ca_file;
  char *client_cert;
  char *client_key;
  char *pinned_pubkey;
  char *crl_file;     /* digikoppeling only */
  char *expected_oin; /* digikoppeling only */
  char *proxy;        /* owned copy of limits.proxy; limits.proxy points here */
  long ssl_version;
  struct gw_transport_limits limits;
  char errbuf[CURL_ERROR_SIZE];
  char hop_host[HOST_MAX];   /* host of the current hop; watch.host */
  struct gw_tls_watch watch; /* what the current hop's handshake showed */
};

/* State of one hop (one curl_easy_perform). */
struct hop {
  struct gw_transport *t;
  const struct gw_transport_request *req;
  struct gw_transport_result *res;
  int tls_captured;
  struct gw_spool_writer *spool;
  uint64_t body_bytes;
  int cap_exceeded;
  int spool_failed;
  char spool_err[GW_TRANSPORT_ERR_MAX];
  char location[GW_PATH_MAX];
  char error_body[ERROR_BODY_MAX + 1];
  size_t error_body_len;
  int error_body_done; /* enough of a non-2xx body read; transfer cut */
};

/* ---- small helpers -------------------------------------------------- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Error text goes to logs as one line: control bytes become spaces. */
static void make_one_line(char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f)
      *s = ' ';
  }
}

/* Copies a header value without surrounding white space; a value that does
 * not fit is dropped rather than stored cut (a cut ETag would never match). */
static void copy_header_value(char *dst, size_t size, const char *value,
                              size_t len) {
  char *tmp = gw_strndup(value, len);
  dst[0] = '\0';
  if (!tmp)
    return;
  if (text_copy_trimmed(dst, size, tmp) != 0)
    dst[0] = '\0';
  gw_free(tmp);
}

static int header_is(const char *line, size_t len, const char *name,
                     const char **value, size_t *value_len) {
  size_t n = strlen(name);
  if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
    return 0;
  *value = line + n + 1;
  *value_len = len - n - 1;
  return 1;
}

static long http_status(CURL *curl) {
  long status = 0;
  if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
    return 0;
  return status;
}

static int is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

/* ---- peer certificate ------------------------------------------------ */

/* The server's identity in the shape of the result (tls_identity.h is
 * shared with the feed server, so both directions log it the same way). */
static void record_peer(SSL *ssl, struct gw_transport_result *res) {
  struct gw_tls_identity id;
  tls_identity_from_ssl(ssl, &id);
  if (text_copy(res->tls_version, sizeof res->tls_version, id.tls_version) != 0)
    res->tls_version[0] = '\0';
  if (!id.has_cert)
    return;
  if (text_copy(res->peer_cert_sha256, sizeof res->peer_cert_sha256,
                id.cert_sha256) != 0)
    res->peer_cert_sha256[0] = '\0';
  if (text_copy(res->peer_subject, sizeof res->peer_subject, id.subject) != 0)
    res->peer_subject[0] = '\0';
  if (text_copy(res->peer_oin, sizeof res->peer_oin, id.oin) != 0)
    res->peer_oin[0] = '\0';
}

/* Only marks the hop as captured when a session was there: a proxy's
 * CONNECT response arrives before the origin's TLS session exists. */
static void capture_tls(struct hop *h) {
  struct curl_tlssessioninfo *info = NULL;
  if (curl_easy_getinfo(h->t->curl, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK ||
      !info || info->backend != CURLSSLBACKEND_OPENSSL || !info->internals)
    return;
  h->tls_captured = 1;
  record_peer((SSL *)info->internals, h->res);
}

/* ---- curl callbacks ---------------------------------------------------- */

/* Retry-After is either delta-seconds or an HTTP-date (RFC 9110 10.2.3). */
static long parse_retry_after(const char *value, size_t len) {
  char buf[GW_HTTPDATE_MAX];
  int64_t seconds;
  time_t when;
  copy_header_value(buf, sizeof buf, value, len);
  if (!buf[0])
    return -1;
  if (isdigit((unsigned char)buf[0]))
    return text_parse_int64(buf, &seconds) == 0 && seconds <= LONG_MAX
               ? (long)seconds
               : -1;
  when = curl_getdate(buf, NULL);
  if (when == (time_t)-1)
    return -1;
  return when > time(NULL) ? (long)(when - time(NULL)) : 0;
}

static void start_response(struct hop *h) {
  struct gw_transport_result *res = h->res;
  res->etag[0] = '\0';
  res->last_modified[0] = '\0';
  res->content_type[0] = '\0';
  res->retry_after_s = -1;
  h->location[0] = '\0';
  if (!h->tls_captured)
    capture_tls(h);
}

static size_t on_header(char *line, size_t size, size_t nitems,
                        void *userdata) {
  struct hop *h = userdata;
  struct gw_transport_result *res = h->res;
  size_t len = size * nitems;
  const char *v;
  size_t vlen;
  if (len >= 5 && strncmp(line, "HTTP/", 5) == 0)
    start_response(h);
  else if (header_is(line, len, "ETag", &v, &vlen))
    copy_header_value(res->etag, sizeof res->etag, v, vlen);
  else if (header_is(line, len, "Last-Modified", &v, &vlen))
    copy_header_value(res->last_modified, sizeof res->last_modified, v, vlen);
  else if (header_is(line, len, "Content-Type", &v, &vlen))
    copy_header_value(res->content_type, sizeof res->content_type, v, vlen);
  else if (header_is(line, len, "Retry-After", &v, &vlen))
    res->retry_after_s = parse_retry_after(v, vlen);
  else if (header_is(line, len, "Location", &v, &vlen))
    copy_header_value(h->location, sizeof h->location, v, vlen);
  return len;
}

static void keep_error_body(struct hop *h, const char *data, size_t len) {
  size_t room = ERROR_BODY_MAX - h->error_body_len;
  size_t n = len < room ? len : room;
  memcpy(h->error_body + h->error_body_len, data, n);
  h->error_body_len += n;
  h->error_body[h->error_body_len] = '\0';
}

static int spool_chunk(struct hop *h, const char *data, size_t len) {
  if (!h->spool && spool_writer_begin(h->req->spool_dir, &h->spool,
                                      h->spool_err, sizeof h->spool_err) != 0) {
    h->spool_failed = 1;
    return -1;
  }
  if (spool_writer_write(h->spool, data, len) != 0) {
    text_format(h->spool_err, sizeof h->spool_err,
                "cannot write to spool directory %s: %s", h->req->spool_dir,
                strerror(errno));
    h->spool_failed = 1;
    return -1;
  }
  return 0;
}

/* A 2xx body is counted after decoding, so a gzip bomb or an endless
 * chunked body is stopped at the cap even though curl cannot know the size.
 * Of any other body only the start is kept (for the error message), and
 * the transfer is cut once that is read. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
  struct hop *h = userdata;
  size_t len = size * nmemb;
  long status = http_status(h->t->curl);
  if (status < 200 || status > 299) {
    keep_error_body(h, data, len);
    if (h->error_body_len < ERROR_BODY_MAX)
      return len;
    h->error_body_done = 1;
    return 0;
  }
  if (len > h->t->limits.max_bytes - h->body_bytes) {
    h->cap_exceeded = 1;
    return 0;
  }
  h->body_bytes += len;
  if (spool_chunk(h, data, len) != 0)
    return 0;
  return len;
}

/* ---- per-request setup -------------------------------------------------- */

static struct curl_slist *build_headers(const struct gw_transport_request *req,
                                        int *ok) {
  struct curl_slist *list = NULL, *next;
  char line[GW_ETAG_MAX + 32];
  *ok = 0;
  for (const char *const *hp = req->headers; hp && *hp; hp++) {
    if (!(next = curl_slist_append(list, *hp)))
      goto out;
    list = next;
  }
  if (req->if_none_match && *req->if_none_match) {
    if (text_format(line, sizeof line, "If-None-Match: %s",
                    req->if_none_match) != 0 ||
        !(next = curl_slist_append(list, line)))
      goto out;
    list = next;
  }
  if (req->if_modified_since && *req->if_modified_since) {
    if (text_format(line, sizeof line, "If-Modified-Since: %s",
                    req->if_modified_since) != 0 ||
        !(next = curl_slist_append(list, line)))
      goto out;
    list = next;
  }
  *ok = 1;
out:
  return list;
}

#define SET(opt, val)                                                          \
  do {                                                                         \
    if (curl_easy_setopt(c, opt, val) != CURLE_OK)                             \
      goto out;                                                                \
  } while (0)

/* The whole policy, re-applied after every curl_easy_reset so no option
 * can leak from one request into the next. */
/* libcurl calls this about once a second even on a silent connection, so a
 * stop request ends a hanging transfer promptly instead of after the
 * timeout. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow) {
  (void)userdata;
  (void)dltotal;
  (void)dlnow;
  (void)ultotal;
  (void)ulnow;
  return stop_requested() ? 1 : 0;
}

/* libcurl's hook into each new SSL_CTX, after all TLS options are
 * applied and before the handshake (tls_checks.h). */
static CURLcode on_ssl_ctx(CURL *curl, void *ssl_ctx, void *userdata) {
  struct gw_transport *t = userdata;
  (void)curl;
  if (tls_checks_install(ssl_ctx, &t->watch,
                         t->profile == GW_TLS_DIGIKOPPELING) != 0)
    return CURLE_SSL_CONNECT_ERROR;
  return CURLE_OK;
}

/* The digikoppeling additions; the public profile keeps libcurl's and
 * OpenSSL's default suites (public open-data servers vary). */
static int apply_digikoppeling(struct gw_transport *t) {
  CURL *c = t->curl;
  int rc = -1;
  SET(CURLOPT_CRLFILE, t->crl_file);
  SET(CURLOPT_SSL_CIPHER_LIST, NCSC_TLS12_CIPHERS);
  SET(CURLOPT_TLS13_CIPHERS, NCSC_TLS13_CIPHERS);
  /* The root itself is the anchor, never an intermediate in the file. */
  SET(CURLOPT_SSL_OPTIONS, (long)CURLSSLOPT_NO_PARTIALCHAIN);
  /* Every new connection does a full handshake (so the OIN and CRL are
   * checked again) and reads the CA and CRL files afresh. */
  SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
  SET(CURLOPT_CA_CACHE_TIMEOUT, 0L);
  rc = 0;
out:
  return rc;
}

static int apply_options(struct gw_transport *t, struct hop *h, const char *url,
                         struct curl_slist *headers, long timeout_ms) {
  CURL *c = t->curl;
  const struct gw_transport_limits *lim = &t->limits;
  int rc = -1;
  curl_easy_reset(c);
  t->errbuf[0] = '\0';
  SET(CURLOPT_ERRORBUFFER, t->errbuf);
  SET(CURLOPT_URL, url);
  SET(CURLOPT_PROTOCOLS_STR, "https");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  SET(CURLOPT_SSLVERSION, t->ssl_version);
  if (t->ca_file) {
    SET(CURLOPT_CAINFO, t->ca_file);
    SET(CURLOPT_CAPATH, NULL); /* or the system store stays trusted too */
  }
  if (t->client_cert) {
    SET(CURLOPT_SSLCERT, t->client_cert);
    SET(CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (t->client_key)
    SET(CURLOPT_SSLKEY, t->client_key);
  if (t->pinned_pubkey)
    SET(CURLOPT_PINNEDPUBLICKEY, t->pinned_pubkey);
  if (t->proxy) /* "" switches the environment's proxy off */
    SET(CURLOPT_PROXY, t->proxy);
  SET(CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
  SET(CURLOPT_SSL_CTX_DATA, t);
  if (t->profile == GW_TLS_DIGIKOPPELING && apply_digikoppeling(t) != 0)
    goto out;
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_CONNECTTIMEOUT_MS, lim->connect_timeout_ms);
  SET(CURLOPT_TIMEOUT_MS, timeout_ms);
  SET(CURLOPT_LOW_SPEED_LIMIT, lim->low_speed_bytes);
  SET(CURLOPT_LOW_SPEED_TIME, lim->low_speed_seconds);
  SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)lim->max_bytes);
  SET(CURLOPT_ACCEPT_ENCODING, "");
  SET(CURLOPT_USERAGENT, DEFAULT_USER_AGENT);
  SET(CURLOPT_HTTPHEADER, headers);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, h);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_WRITEDATA, h);
  SET(CURLOPT_XFERINFOFUNCTION, on_progress);
  SET(CURLOPT_NOPROGRESS, 0L);
  rc = 0;
out:
  return rc;
}

#undef SET

/* ---- outcome ------------------------------------------------------------ */

static gw_result classify_curl_error(CURLcode code) {
  switch (code) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_AGAIN:
    return GW_RETRY;
  default:
    /* Certificate, pin, protocol-version and URL errors do not heal by
     * themselves; retrying them would only hide a policy refusal. */
    return GW_FAIL;
  }
}

static gw_result classify_status(long status) {
  if ((status >= 200 && status <= 299) || status == 304)
    return GW_OK;
  if (status == 408 || status == 429 || (status >= 500 && status <= 599))
    return GW_RETRY;
  return GW_FAIL;
}

#define PROXY_NOTE_MAX 320

/* The proxy curl will use for an https URL: the configured one, or the
 * environment's (curl reads the lower-case name first). NULL: none. */
static const char *effective_proxy(const struct gw_transport *t) {
  static const char *const names[] = {"https_proxy", "HTTPS_PROXY", "all_proxy",
                                      "ALL_PROXY", NULL};
  if (t->proxy)
    return t->proxy[0] ? t->proxy : NULL;
  for (size_t i = 0; names[i]; i++) {
    const char *v = getenv(names[i]);
    if (v && *v)
      return v;
  }
  return NULL;
}

/* " through proxy http://host:port" (credentials left out), or "": a
 * connection error then names the proxy that failed, not only the origin. */
static void proxy_note(const struct gw_transport *t, char *out,
                       size_t out_size) {
  const char *proxy = effective_proxy(t);
  const char *scheme_end, *at;
  out[0] = '\0';
  if (!proxy)
    return;
  scheme_end = strstr(proxy, "://");
  at = strchr(scheme_end ? scheme_end + 3 : proxy, '@');
  if (at && scheme_end)
    text_format(out, out_size, " through proxy %.*s://%s",
                (int)(scheme_end - proxy), proxy, at + 1);
  else if (at)
    text_format(out, out_size, " through proxy %s", at + 1);
  else
    text_format(out, out_size, " through proxy %s", proxy);
}

/* Codes a TLS refusal can surface as: during the handshake, or (TLS 1.3,
 * client certificate) as the first read after it. Timeouts are not. */
static int may_be_tls_refusal(CURLcode code) {
  return code == CURLE_SSL_CONNECT_ERROR ||
         code == CURLE_PEER_FAILED_VERIFICATION ||
         code == CURLE_SSL_PINNEDPUBKEYNOTMATCH || code == CURLE_RECV_ERROR ||
         code == CURLE_SEND_ERROR || code == CURLE_GOT_NOTHING ||
         code == CURLE_SSL_CIPHER || code == CURLE_SSL_ISSUER_ERROR;
}

/* 1 and the refusal in out when the failed transfer was a TLS refusal.
 * OpenSSL's own view (tls_checks) comes first; what only libcurl checks
 * (the host name for the public profile, the pin) is read from its code
 * and message. */
static int explain_tls_refusal(const struct gw_transport *t, CURLcode code,
                               char *out, size_t out_size) {
  if (!may_be_tls_refusal(code))
    return 0;
  if (tls_watch_explain(&t->watch, out, out_size))
    return 1;
  if (code == CURLE_PEER_FAILED_VERIFICATION &&
      strstr(t->errbuf, "target host name")) {
    text_format(out, out_size,
                "hostname mismatch: the certificate is not valid for %s (%s)",
                t->hop_host, t->errbuf);
    return 1;
  }
  if (code == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
    text_format(out, out_size,
                "public key pin mismatch: the peer's key is not in "
                "tls.pinned_pubkey");
    return 1;
  }
  if (code == CURLE_PEER_FAILED_VERIFICATION) {
    text_format(out, out_size, "certificate refused: %s",
                t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
    return 1;
  }
  return 0;
}

/* What was seen of the peer before the refusal goes into the result, so
 * the refusal record can say whom we refused. */
static void record_refused_peer(const struct gw_tls_watch *w,
                                struct gw_transport_result *res) {
  if (!w->leaf_seen)
    return;
  if (text_copy(res->tls_version, sizeof res->tls_version,
                w->leaf.tls_version) != 0)
    res->tls_version[0] = '\0';
  if (text_copy(res->peer_cert_sha256, sizeof res->peer_cert_sha256,
                w->leaf.cert_sha256) != 0)
    res->peer_cert_sha256[0] = '\0';
  if (text_copy(res->peer_subject, sizeof res->peer_subject, w->leaf.subject) !=
      0)
    res->peer_subject[0] = '\0';
  if (text_copy(res->peer_oin, sizeof res->peer_oin, w->leaf.oin) != 0)
    res->peer_oin[0] = '\0';
}

static void fail_with_curl_error(struct gw_transport_result *res,
                                 const struct hop *h, CURLcode code,
                                 const char *url) {
  char refusal[GW_TRANSPORT_ERR_MAX];
  const struct gw_transport *t = h->t;
  res->outcome = classify_curl_error(code);
  if (h->cap_exceeded || code == CURLE_FILESIZE_EXCEEDED) {
    res->outcome = GW_FAIL;
    text_format(res->error, sizeof res->error,
                "response body exceeds the limit of %llu bytes (GET %s)",
                (unsigned long long)t->limits.max_bytes, url);
  } else if (h->spool_failed) {
    res->outcome = GW_FAIL;
    text_format(res->error, sizeof res->error, "%s (GET %s)", h->spool_err,
                url);
  } else if (code == CURLE_ABORTED_BY_CALLBACK) {
    res->outcome = GW_FAIL;
    text_format(res->error, sizeof res->error, "%s (GET %s)",
                GW_STOPPED_MESSAGE, url);
  } else if (explain_tls_refusal(t, code, refusal, sizeof refusal)) {
    char via[PROXY_NOTE_MAX];
    proxy_note(t, via, sizeof via);
    res->outcome = GW_FAIL;
    res->tls_refused = 1;
    record_refused_peer(&t->watch, res);
    text_format(res->error, sizeof res->error, "%s (GET %s%s)", refusal, url,
                via);
  } else {
    char via[PROXY_NOTE_MAX];
    proxy_note(t, via, sizeof via);
    text_format(res->error, sizeof res->error, "%s: %s (GET %s%s)",
                curl_easy_strerror(code),
                t->errbuf[0] ? t->errbuf : "no details", url, via);
  }
}

static void fail_with_status(struct gw_transport_result *res,
                             const struct hop *h, const char *url) {
  res->outcome = classify_status(res->http_status);
  if (h->error_body_len > 0)
    text_format(res->error, sizeof res->error,
                "HTTP status %ld from %s; body starts: %.200s",
                res->http_status, url, h->error_body);
  else
    text_format(res->error, sizeof res->error,
                "HTTP status %ld from %s (empty body)", res->http_status, url);
}

static int finish_spool(struct hop *h, struct gw_transport_result *res,
                        const char *url) {
  char err[GW_TRANSPORT_ERR_MAX];
  struct gw_spool_writer *w = h->spool;
  h->spool = NULL;
  if (!w && spool_writer_begin(h->req->spool_dir, &w, err, sizeof err) != 0)
    goto fail;
  if (spool_writer_finish(w, res->payload_sha256, res->spool_path,
                          sizeof res->spool_path, err, sizeof err) != 0)
    goto fail;
  res->bytes = h->body_bytes;
  return 0;
fail:
  res->outcome = GW_FAIL;
  text_format(res->error, sizeof res->error, "%s (GET %s)", err, url);
  return -1;
}

/* ---- redirects ---------------------------------------------------------- */

/* Resolves Location against the current URL; returns a curl-allocated
 * absolute URL (curl_free) or NULL. */
static char *resolve_location(const char *base, const char *location) {
  CURLU *u = curl_url();
  char *out = NULL;
  if (!u)
    return NULL;
  if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
      curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
    out = NULL;
  curl_url_cleanup(u);
  return out;
}

static int same_origin(const char *url, const char *host, int port) {
  char other_host[HOST_MAX];
  int other_port = 0;
  return url_https_origin(url, other_host, sizeof other_host, &other_port) &&
         other_port == port && strcmp(other_host, host) == 0;
}

/* Returns the next URL (gw_malloc'ed) or NULL with res filled as FAIL. */
static char *next_hop(const struct hop *h, const char *url,
                      const char *origin_host, int origin_port,
                      struct gw_transport_result *res) {
  char *resolved = NULL;
  char *next = NULL;
  res->outcome = GW_FAIL;
  if (!h->location[0]) {
    text_format(res->error, sizeof res->error,
                "HTTP %ld redirect without a usable Location header from %s",
                res->http_status, url);
    goto out;
  }
  resolved = resolve_location(url, h->location);
  if (!resolved) {
    text_format(res->error, sizeof res->error,
                "refused redirect from %s to %s: not a valid URL", url,
                h->location);
    goto out;
  }
  if (!same_origin(resolved, origin_host, origin_port)) {
    text_format(res->error, sizeof res->error,
                "refused redirect from %s to %s: only https to the same "
                "host and port is followed",
                url, resolved);
    goto out;
  }
  next = gw_strdup(resolved);
  if (!next)
    text_format(res->error, sizeof res->error,
                "out of memory following redirect from %s", url);
out:
  curl_free(resolved);
  return next;
}

/* ---- public API --------------------------------------------------------- */

int transport_global_init(void) {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void transport_global_cleanup(void) {
  curl_global_cleanup();
}

void transport_default_limits(struct gw_transport_limits *limits) {
  limits->connect_timeout_ms = 10000;
  limits->total_timeout_ms = 300000;
  limits->low_speed_bytes = 100;
  limits->low_speed_seconds = 30;
  limits->max_bytes = 256ull * 1024 * 1024;
  limits->proxy = NULL;
}

static int check_limits(const struct gw_transport_limits *l, char *err,
                        size_t err_size) {
  if (l->connect_timeout_ms <= 0 || l->total_timeout_ms <= 0) {
    text_copy(err, err_size,
              "transport timeouts must be positive (connect and total)");
    return -1;
  }
  if (l->low_speed_bytes < 0 || l->low_speed_seconds < 0) {
    text_copy(err, err_size, "transport low-speed limits must not be negative");
    return -1;
  }
  if (l->max_bytes == 0 || l->max_bytes > (uint64_t)INT64_MAX) {
    text_copy(err, err_size,
              "transport max_bytes must be between 1 and 2^63-1");
    return -1;
  }
  return 0;
}

static int is_oin(const char *s) {
  size_t n = 0;
  for (; s[n]; n++)
    if (!isdigit((unsigned char)s[n]))
      return 0;
  return n == 20;
}

/* Digikoppeling has no defaults to fall back on: each missing piece
 * would silently weaken the profile, so each is an error of its own. */
static int check_digikoppeling(const struct gw_tls_settings *tls,
                               const struct gw_transport_limits *limits,
                               char *err, size_t err_size) {
  const char *missing = NULL;
  if (!tls->ca_file || !*tls->ca_file)
    missing = "tls.ca_file (the PKIoverheid root; the system store is never "
              "used for this profile)";
  else if (!tls->client_cert || !*tls->client_cert)
    missing = "tls.client_cert (the PKIoverheid certificate carrying our "
              "OIN; mutual TLS is mandatory)";
  else if (!tls->client_key || !*tls->client_key)
    missing = "tls.client_key (the private key of tls.client_cert)";
  else if (!tls->crl_file || !*tls->crl_file)
    missing = "crl_file (the CRLs of the PKIoverheid CAs; revocation is "
              "always checked)";
  else if (!tls->expected_oin || !*tls->expected_oin)
    missing = "expected_oin (the peer's 20-digit OIN)";
  if (missing) {
    text_format(err, err_size, "tls profile digikoppeling needs %s", missing);
    return -1;
  }
  if (!is_oin(tls->expected_oin)) {
    text_format(err, err_size,
                "tls profile digikoppeling: expected_oin must be 20 digits, "
                "got \"%s\"",
                tls->expected_oin);
    return -1;
  }
  /* libcurl would run our checks on the proxy's own TLS connection too. */
  if (limits->proxy && strncasecmp(limits->proxy, "https://", 8) == 0) {
    text_copy(err, err_size,
              "tls profile digikoppeling cannot go through an https:// "
              "proxy; use an http:// proxy (the tunnel stays end-to-end TLS)");
    return -1;
  }
  return 0;
}

static int check_tls_settings(const struct gw_tls_settings *tls,
                              const struct gw_transport_limits *limits,
                              char *err, size_t err_size) {
  if (tls->profile == GW_TLS_DIGIKOPPELING)
    return check_digikoppeling(tls, limits, err, err_size);
  if (tls->profile != GW_TLS_PUBLIC) {
    text_format(err, err_size, "unknown tls profile %d", (int)tls->profile);
    return -1;
  }
  if (tls->crl_file && *tls->crl_file) {
    text_copy(err, err_size,
              "crl_file is only used with tls profile digikoppeling");
    return -1;
  }
  return 0;
}

static int copy_optional(char **dst, const char *src) {
  *dst = NULL;
  if (!src || !*src)
    return 0;
  *dst = gw_strdup(src);
  return *dst ? 0 : -1;
}

int transport_new(const struct gw_tls_settings *tls,
                  const struct gw_transport_limits *limits,
                  struct gw_transport **out, char *err, size_t err_size) {
  struct gw_transport *t = NULL;
  struct gw_transport_limits defaults;
  int rc = -1;
  *out = NULL;
  if (!limits) {
    transport_default_limits(&defaults);
    limits = &defaults;
  }
  if (check_tls_settings(tls, limits, err, err_size) != 0)
    goto out;
  if (tls->min_tls_minor != 0 && tls->min_tls_minor != 2 &&
      tls->min_tls_minor != 3) {
    text_format(err, err_size,
                "minimum TLS version 1.%d is not allowed (expected 1.2 or 1.3)",
                tls->min_tls_minor);
    goto out;
  }
  if (check_limits(limits, err, err_size) != 0)
    goto out;
  t = gw_calloc(1, sizeof *t);
  if (!t || copy_optional(&t->ca_file, tls->ca_file) != 0 ||
      copy_optional(&t->client_cert, tls->client_cert) != 0 ||
      copy_optional(&t->client_key, tls->client_key) != 0 ||
      copy_optional(&t->pinned_pubkey, tls->pinned_pubkey) != 0 ||
      copy_optional(&t->crl_file, tls->crl_file) != 0 ||
      (tls->profile == GW_TLS_DIGIKOPPELING &&
       copy_optional(&t->expected_oin, tls->expected_oin) != 0)) {
    text_copy(err, err_size, "out of memory creating the transport");
    goto out;
  }
  t->profile = tls->profile;
  t->watch.expected_oin = t->expected_oin;
  t->watch.host = t->hop_host;
  t->watch.have_client_cert = t->client_cert != NULL;
  t->ssl_version = tls->min_tls_minor == 3 ? CURL_SSLVERSION_TLSv1_3
                                           : CURL_SSLVERSION_TLSv1_2;
  t->limits = *limits;
  t->limits.proxy = NULL;
  if (limits->proxy) {
    /* "" is meaningful (no proxy), so copy_optional does not fit */
    t->proxy = gw_strdup(limits->proxy);
    if (!t->proxy) {
      text_copy(err, err_size, "out of memory creating the transport");
      goto out;
    }
    t->limits.proxy = t->proxy;
  }
  t->curl = curl_easy_init();
  if (!t->curl) {
    text_copy(err, err_size, "cannot create a curl handle");
    goto out;
  }
  *out = t;
  t = NULL;
  rc = 0;
out:
  transport_free(t);
  return rc;
}

void transport_free(struct gw_transport *t) {
  if (!t)
    return;
  if (t->curl)
    curl_easy_cleanup(t->curl);
  gw_free(t->ca_file);
  gw_free(t->client_cert);
  gw_free(t->client_key);
  gw_free(t->pinned_pubkey);
  gw_free(t->crl_file);
  gw_free(t->expected_oin);
  gw_free(t->proxy);
  gw_free(t);
}

static void reset_result(struct gw_transport_result *res) {
  memset(res, 0, sizeof *res);
  res->outcome = GW_FAIL;
  res->retry_after_s = -1;
}

static void reset_peer(struct gw_transport_result *res) {
  res->tls_version[0] = '\0';
  res->peer_cert_sha256[0] = '\0';
  res->peer_subject[0] = '\0';
  res->peer_oin[0] = '\0';
}

/* One GET on one URL; the outcome of this hop lands in res. Returns 1 when
 * the response is a redirect to be examined, 0 otherwise. */
static int perform_hop(struct hop *h, const char *url,
                       struct curl_slist *headers, long timeout_ms) {
  struct gw_transport_result *res = h->res;
  CURLcode code;
  int redirect = 0;
  reset_peer(res);
  tls_watch_reset(&h->t->watch);
  if (!url_https_origin(url, h->t->hop_host, sizeof h->t->hop_host, NULL))
    h->t->hop_host[0] = '\0'; /* cannot happen: the URL was checked */
  if (apply_options(h->t, h, url, headers, timeout_ms) != 0) {
    res->outcome = GW_FAIL;
    text_format(res->error, sizeof res->error,
                "cannot configure curl for GET %s", url);
    goto out;
  }
  code = curl_easy_perform(h->t->curl);
  res->http_status = http_status(h->t->curl);
  if (code == CURLE_WRITE_ERROR && h->error_body_done)
    code = CURLE_OK; /* we cut a non-2xx body on purpose */
  if (code != CURLE_OK) {
    fail_with_curl_error(res, h, code, url);
    goto out;
  }
  if (is_redirect(res->http_status)) {
    redirect = 1;
    goto out;
  }
  if (res->http_status == 304) {
    res->outcome = GW_OK;
    res->not_modified = 1;
    goto out;
  }
  if (classify_status(res->http_status) != GW_OK) {
    fail_with_status(res, h, url);
    goto out;
  }
  res->outcome = GW_OK;
  finish_spool(h, res, url);
out:
  if (h->spool) {
    spool_writer_abort(h->spool);
    h->spool = NULL;
  }
  return redirect;
}

static void reset_hop(struct hop *h) {
  h->tls_captured = 0;
  h->spool = NULL;
  h->body_bytes = 0;
  h->cap_exceeded = 0;
  h->spool_failed = 0;
  h->spool_err[0] = '\0';
  h->location[0] = '\0';
  h->error_body_len = 0;
  h->error_body[0] = '\0';
  h->error_body_done = 0;
}

static long remaining_ms(const struct gw_transport *t, double started) {
  long elapsed = (long)((now_seconds() - started) * 1000.0);
  long left = t->limits.total_timeout_ms - elapsed;
  return left > 1 ? left : 1;
}

int transport_fetch(struct gw_transport *t,
                    const struct gw_transport_request *req,
                    struct gw_transport_result *res) {
  struct hop h = {.t = t, .req = req, .res = res};
  struct curl_slist *headers = NULL;
  char origin_host[HOST_MAX];
  int origin_port = 0;
  double started = now_seconds();
  char *url = NULL;
  int headers_ok = 0;
  reset_result(res);
  if (!req->url || !url_https_origin(req->url, origin_host, sizeof origin_host,
                                     &origin_port)) {
    text_format(res->error, sizeof res->error,
                "refused URL %s: only absolute https URLs with a host are "
                "allowed",
                req->url ? req->url : "(null)");
    goto out;
  }
  if (!req->spool_dir || !*req->spool_dir) {
    text_format(res->error, sizeof res->error,
                "no spool directory given for GET %s", req->url);
    goto out;
  }
  headers = build_headers(req, &headers_ok);
  url = gw_strdup(req->url);
  if (!headers_ok || !url) {
    text_format(res->error, sizeof res->error,
                "out of memory (or header too long) preparing GET %s",
                req->url);
    goto out;
  }
  for (int hops = 0;; hops++) {
    char *next;
    reset_hop(&h);
    text_copy(res->effective_url, sizeof res->effective_url, url);
    if (!perform_hop(&h, url, headers, remaining_ms(t, started)))
      break;
    if (hops == MAX_REDIRECTS) {
      res->outcome = GW_FAIL;
      text_format(res->error, sizeof res->error,
                  "more than %d redirects starting at %s (last %s)",
                  MAX_REDIRECTS, req->url, url);
      break;
    }
    next = next_hop(&h, url, origin_host, origin_port, res);
    if (!next)
      break;
    gw_free(url);
    url = next;
  }
out:
  if (res->outcome != GW_OK) {
    res->payload_sha256[0] = '\0';
    res->spool_path[0] = '\0';
    res->bytes = 0;
  } else {
    res->error[0] = '\0';
  }
  make_one_line(res->error);
  res->seconds = now_seconds() - started;
  curl_slist_free_all(headers);
  gw_free(url);
  return res->outcome == GW_OK ? 0 : -1;
}

int url_https_origin(const char *url, char *host, size_t host_size, int *port) {
  CURLU *u = curl_url();
  char *scheme = NULL, *h = NULL, *p = NULL;
  int64_t port_number = 0;
  int ok = 0;
  if (!u || !url)
    goto out;
  /* curl reads "https:///x" as host "x"; such a URL is a typo, not intent. */
  if (strncasecmp(url, "https://", 8) != 0 || url[8] == '/' || url[8] == '\0')
    goto out;
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      strcasecmp(scheme, "https") != 0 ||
      curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || !*h ||
      curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK ||
      text_parse_int64(p, &port_number) != 0 || port_number <= 0 ||
      port_number > 65535)
    goto out;
  for (char *c = h; *c; c++)
    *c = (char)tolower((unsigned char)*c);
  if (host && text_copy(host, host_size, h) != 0)
    goto out;
  if (port)
    *port = (int)port_number;
  ok = 1;
out:
  curl_free(scheme);
  curl_free(h);
  curl_free(p);
  curl_url_cleanup(u);
  return ok;
}
