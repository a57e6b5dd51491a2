/*
 * test_transport.c - the HTTPS transport against the local fixture server
 * (tests/server/fixture_server.py): TLS facts recorded, payload spooled
 * under its digest, conditional GET, gzip, outcome classification, byte
 * cap, redirect policy, timeouts and certificate refusal.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "spool.h"
#include "test_server.h"
#include "test_support.h"
#include "text.h"
#include "transport.h"

#define DATA_JSON                                                              \
  "{\"value\":[{\"Key\":\"GM0384\",\"Title\":\"Diemen\"},"                     \
  "{\"Key\":\"GM0363\",\"Title\":\"Amsterdam\"}],\"note\":\"a body long "      \
  "enough that gzip makes it smaller: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"    \
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}\n"

static struct ts_server srv;
static char root[512];
static char spool[600];
static struct gw_transport *tr;

static void new_transport(const struct gw_transport_limits *limits) {
  struct gw_tls_settings tls = {
      .profile = GW_TLS_PUBLIC, .ca_file = srv.ca_file, .min_tls_minor = 2};
  char err[512] = "";
  transport_free(tr);
  tr = NULL;
  cr_assert_eq(transport_new(&tls, limits, &tr, err, sizeof err), 0, "%s", err);
}

static void setup(void) {
  const char *d = ts_mkdtemp();
  cr_assert_not_null(d);
  cr_assert_eq(text_copy(root, sizeof root, d), 0);
  cr_assert_eq(text_format(spool, sizeof spool, "%s/spool", root), 0);
  cr_assert_eq(ts_write_file(ts_path(root, "data.json"), DATA_JSON), 0);
  cr_assert_eq(transport_global_init(), 0);
  cr_assert_eq(ts_server_start(root, &srv), 0, "fixture server did not start");
  new_transport(NULL);
}

static void teardown(void) {
  transport_free(tr);
  tr = NULL;
  ts_server_stop(&srv);
  transport_global_cleanup();
  ts_rm_rf(root);
}

TestSuite(transport, .init = setup, .fini = teardown, .timeout = 30);

static const char *url_of(const char *path) {
  static char buf[4][2048];
  static int next;
  char *out = buf[next];
  next = (next + 1) % 4;
  cr_assert_eq(text_format(out, sizeof buf[0], "%s%s", srv.base_url, path), 0);
  return out;
}

static int fetch(const char *url, struct gw_transport_result *res) {
  struct gw_transport_request req = {.url = url, .spool_dir = spool};
  return transport_fetch(tr, &req, res);
}

/* Number of entries in the spool dir (0 when it does not exist), counting
 * temporary files separately. */
static int spool_files(int *temporaries) {
  DIR *d = opendir(spool);
  struct dirent *e;
  int n = 0;
  if (temporaries)
    *temporaries = 0;
  if (!d)
    return 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] != '.')
      n++;
    else if (temporaries && strncmp(e->d_name, ".tmp-", 5) == 0)
      (*temporaries)++;
  }
  closedir(d);
  return n;
}

static void assert_nothing_spooled(void) {
  int temporaries = 0;
  cr_assert_eq(spool_files(&temporaries), 0, "a payload was spooled");
  cr_assert_eq(temporaries, 0, "a temporary spool file was left behind");
}

static void assert_error_has(const struct gw_transport_result *res,
                             const char *needle) {
  cr_assert_not_null(strstr(res->error, needle), "error lacks '%s': %s", needle,
                     res->error);
  cr_assert_null(strchr(res->error, '\n'), "error is not one line");
}

/* SHA-256 of the DER certificate, computed independently of transport.c. */
static void cert_fingerprint(const char *pem_path, char hex[65]) {
  FILE *f = fopen(pem_path, "r");
  X509 *cert;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  cr_assert_not_null(f, "cannot open %s", pem_path);
  cert = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  cr_assert_not_null(cert);
  cr_assert_eq(X509_digest(cert, EVP_sha256(), md, &len), 1);
  text_hex(md, len, hex);
  X509_free(cert);
}

/* "sha256//<base64 of SHA-256 of the DER SubjectPublicKeyInfo>" */
static void cert_pin(const char *pem_path, char *out, size_t size) {
  FILE *f = fopen(pem_path, "r");
  X509 *cert;
  unsigned char *der = NULL, md[EVP_MAX_MD_SIZE], b64[64];
  unsigned int md_len = 0;
  int der_len;
  cr_assert_not_null(f);
  cert = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  cr_assert_not_null(cert);
  der_len = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
  cr_assert_gt(der_len, 0);
  cr_assert_eq(
      EVP_Digest(der, (size_t)der_len, md, &md_len, EVP_sha256(), NULL), 1);
  EVP_EncodeBlock(b64, md, (int)md_len);
  cr_assert_eq(text_format(out, size, "sha256//%s", (const char *)b64), 0);
  OPENSSL_free(der);
  X509_free(cert);
}

Test(transport, ok_records_tls_facts_and_spools_by_digest) {
  struct gw_transport_result res;
  char want_sha[65], want_fp[65], want_path[1024];
  char *stored;
  size_t len = 0;
  cr_assert_eq(fetch(url_of("/data.json"), &res), 0, "%s", res.error);
  cr_assert_eq(res.outcome, GW_OK);
  cr_assert_eq(res.http_status, 200);
  cr_assert_eq(res.not_modified, 0);
  cr_assert_str_empty(res.error);
  cr_assert_eq(sha256_hex(DATA_JSON, strlen(DATA_JSON), want_sha), 0);
  cr_assert_str_eq(res.payload_sha256, want_sha);
  cr_assert_eq(res.bytes, strlen(DATA_JSON));
  cr_assert_eq(spool_path(spool, want_sha, want_path, sizeof want_path), 0);
  cr_assert_str_eq(res.spool_path, want_path);
  stored = ts_read_file(res.spool_path, &len);
  cr_assert_not_null(stored);
  cr_assert_eq(len, strlen(DATA_JSON));
  cr_assert_eq(memcmp(stored, DATA_JSON, len), 0);
  free(stored);

  cr_assert(strcmp(res.tls_version, "TLSv1.2") == 0 ||
                strcmp(res.tls_version, "TLSv1.3") == 0,
            "tls_version %s", res.tls_version);
  cert_fingerprint(ts_path(srv.cert_dir, "server.crt"), want_fp);
  cr_assert_str_eq(res.peer_cert_sha256, want_fp);
  cr_assert_not_null(strstr(res.peer_subject, "CN=localhost"), "%s",
                     res.peer_subject);
  cr_assert_str_eq(res.peer_oin, "00000099000000000001");
  cr_assert_neq(res.etag[0], '\0');
  cr_assert_neq(res.last_modified[0], '\0');
  cr_assert_not_null(strstr(res.content_type, "json"), "%s", res.content_type);
  cr_assert_eq(res.retry_after_s, -1);
  cr_assert_str_eq(res.effective_url, url_of("/data.json"));
  cr_assert_gt(res.seconds, 0.0);
  cr_assert_eq(ts_server_count_requests(&srv, "/data.json"), 1);
}

Test(transport, tls13_minimum_is_honoured) {
  struct gw_tls_settings tls = {
      .profile = GW_TLS_PUBLIC, .ca_file = srv.ca_file, .min_tls_minor = 3};
  struct gw_transport_result res;
  char err[512] = "";
  transport_free(tr);
  tr = NULL;
  cr_assert_eq(transport_new(&tls, NULL, &tr, err, sizeof err), 0, "%s", err);
  cr_assert_eq(fetch(url_of("/data.json"), &res), 0, "%s", res.error);
  cr_assert_str_eq(res.tls_version, "TLSv1.3");
}

Test(transport, conditional_get_gives_not_modified) {
  struct gw_transport_result first, second;
  struct gw_transport_request req = {.spool_dir = spool};
  char etag[GW_ETAG_MAX];
  cr_assert_eq(fetch(url_of("/data.json"), &first), 0, "%s", first.error);
  cr_assert_neq(first.etag[0], '\0');
  cr_assert_eq(text_copy(etag, sizeof etag, first.etag), 0);
  ts_rm_rf(spool);
  req.url = url_of("/data.json");
  req.if_none_match = etag;
  cr_assert_eq(transport_fetch(tr, &req, &second), 0, "%s", second.error);
  cr_assert_eq(second.outcome, GW_OK);
  cr_assert_eq(second.http_status, 304);
  cr_assert_eq(second.not_modified, 1);
  cr_assert_str_empty(second.payload_sha256);
  cr_assert_str_empty(second.spool_path);
  cr_assert_eq(second.bytes, 0);
  assert_nothing_spooled();

  /* If-Modified-Since alone works too. */
  req.if_none_match = NULL;
  req.if_modified_since = first.last_modified;
  cr_assert_eq(transport_fetch(tr, &req, &second), 0, "%s", second.error);
  cr_assert_eq(second.not_modified, 1);
}

Test(transport, stale_etag_gets_a_full_body) {
  struct gw_transport_result res;
  struct gw_transport_request req = {.url = url_of("/data.json"),
                                     .if_none_match = "\"0000\"",
                                     .spool_dir = spool};
  cr_assert_eq(transport_fetch(tr, &req, &res), 0, "%s", res.error);
  cr_assert_eq(res.http_status, 200);
  cr_assert_eq(res.not_modified, 0);
  cr_assert_eq(spool_files(NULL), 1);
}

Test(transport, gzip_body_is_decoded_before_hashing) {
  struct gw_transport_result res;
  char want_sha[65];
  char *log;
  const char *bytes_field;
  int64_t wire_bytes = -1;
  cr_assert_eq(fetch(url_of("/data.json"), &res), 0, "%s", res.error);
  cr_assert_eq(sha256_hex(DATA_JSON, strlen(DATA_JSON), want_sha), 0);
  cr_assert_str_eq(res.payload_sha256, want_sha);
  cr_assert_eq(res.bytes, strlen(DATA_JSON));
  /* The server logs the bytes it put on the wire: smaller means gzip. */
  log = ts_read_file(srv.request_log, NULL);
  cr_assert_not_null(log);
  bytes_field = strstr(log, "\"bytes\": ");
  if (!bytes_field)
    bytes_field = strstr(log, "\"bytes\":");
  cr_assert_not_null(bytes_field, "no bytes in %s", log);
  bytes_field = strchr(bytes_field, ':') + 1;
  wire_bytes = strtoll(bytes_field, NULL, 10);
  free(log);
  cr_assert_gt(wire_bytes, 0);
  cr_assert_lt(wire_bytes, (int64_t)strlen(DATA_JSON),
               "body was not compressed (%lld bytes)", (long long)wire_bytes);
}

Test(transport, not_found_fails_and_quotes_the_body) {
  struct gw_transport_result res;
  const char *url = url_of("/nope.json");
  cr_assert_eq(fetch(url, &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL);
  cr_assert_eq(res.http_status, 404);
  assert_error_has(&res, "404");
  assert_error_has(&res, url);
  assert_error_has(&res, "no fixture for");
  cr_assert_str_empty(res.payload_sha256);
  assert_nothing_spooled();
}

Test(transport, server_errors_and_throttling_are_retried) {
  struct gw_transport_result res;
  cr_assert_eq(fetch(url_of("/_fault/status/503"), &res), -1);
  cr_assert_eq(res.outcome, GW_RETRY);
  cr_assert_eq(res.http_status, 503);
  assert_error_has(&res, "503");

  cr_assert_eq(fetch(url_of("/_fault/status/408"), &res), -1);
  cr_assert_eq(res.outcome, GW_RETRY);

  cr_assert_eq(fetch(url_of("/_fault/retry-after/7"), &res), -1);
  cr_assert_eq(res.outcome, GW_RETRY);
  cr_assert_eq(res.http_status, 429);
  cr_assert_eq(res.retry_after_s, 7);

  cr_assert_eq(fetch(url_of("/_fault/status/400"), &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL);
  assert_nothing_spooled();
}

Test(transport, short_body_is_retried_and_not_spooled) {
  struct gw_transport_result res;
  cr_assert_eq(fetch(url_of("/_fault/short"), &res), -1);
  cr_assert_eq(res.outcome, GW_RETRY, "%s", res.error);
  cr_assert_eq(res.http_status, 200);
  assert_error_has(&res, "/_fault/short");
  cr_assert_str_empty(res.payload_sha256);
  assert_nothing_spooled();
}

Test(transport, body_over_the_cap_fails) {
  struct gw_transport_limits limits;
  struct gw_transport_result res;
  transport_default_limits(&limits);
  limits.max_bytes = 1000;
  new_transport(&limits);
  cr_assert_eq(fetch(url_of("/_fault/big/1000"), &res), 0, "%s", res.error);
  cr_assert_eq(res.bytes, 1000);

  ts_rm_rf(spool);
  cr_assert_eq(fetch(url_of("/_fault/big/1001"), &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL);
  assert_error_has(&res, "response body exceeds the limit of 1000 bytes");
  assert_nothing_spooled();
}

Test(transport, endless_and_bomb_bodies_stop_at_the_cap) {
  struct gw_transport_limits limits;
  struct gw_transport_result res;
  transport_default_limits(&limits);
  limits.max_bytes = 1 << 20;
  new_transport(&limits);
  cr_assert_eq(fetch(url_of("/_fault/endless"), &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL);
  assert_error_has(&res, "exceeds the limit of 1048576 bytes");
  cr_assert_eq(fetch(url_of("/_fault/gzip-bomb"), &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL);
  assert_error_has(&res, "exceeds the limit of 1048576 bytes");
  assert_nothing_spooled();
}

Test(transport, redirect_to_plain_http_is_refused) {
  struct gw_transport_result res;
  char path[256], target[256];
  cr_assert_eq(text_format(target, sizeof target,
                           "http://127.0.0.1:%d/data.json", srv.port),
               0);
  cr_assert_eq(text_format(path, sizeof path, "/_fault/redirect?to=%s", target),
               0);
  cr_assert_eq(fetch(url_of(path), &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL);
  assert_error_has(&res, "refused redirect");
  assert_error_has(&res, target);
  assert_error_has(&res, url_of(path));
  cr_assert_eq(ts_server_count_requests(&srv, "/data.json"), 0);
  assert_nothing_spooled();
}

Test(transport, redirect_to_another_host_is_refused) {
  struct gw_transport_result res;
  char path[256], target[256];
  /* Same server, but "localhost" is another origin than "127.0.0.1". */
  cr_assert_eq(text_format(target, sizeof target,
                           "https://localhost:%d/data.json", srv.port),
               0);
  cr_assert_eq(text_format(path, sizeof path, "/_fault/redirect?to=%s", target),
               0);
  cr_assert_eq(fetch(url_of(path), &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL);
  assert_error_has(&res, target);
  cr_assert_eq(ts_server_count_requests(&srv, "/data.json"), 0);
}

Test(transport, same_origin_redirect_is_followed) {
  struct gw_transport_result res;
  char path[256], want_sha[65];
  cr_assert_eq(text_format(path, sizeof path, "/_fault/redirect?to=%s",
                           url_of("/data.json")),
               0);
  cr_assert_eq(fetch(url_of(path), &res), 0, "%s", res.error);
  cr_assert_eq(res.http_status, 200);
  cr_assert_str_eq(res.effective_url, url_of("/data.json"));
  cr_assert_eq(sha256_hex(DATA_JSON, strlen(DATA_JSON), want_sha), 0);
  cr_assert_str_eq(res.payload_sha256, want_sha);
  cr_assert_eq(spool_files(NULL), 1, "the redirect body was spooled too");

  /* A relative Location resolves against the current URL. */
  cr_assert_eq(fetch(url_of("/_fault/redirect?to=/data.json"), &res), 0, "%s",
               res.error);
  cr_assert_str_eq(res.effective_url, url_of("/data.json"));
}

/* url_k = redirect to url_{k-1}; url_0 is the data file. */
static void redirect_chain(int hops, char *out, size_t size) {
  CURL *c = curl_easy_init();
  cr_assert_not_null(c);
  cr_assert_eq(text_copy(out, size, url_of("/data.json")), 0);
  for (int i = 0; i < hops; i++) {
    char *escaped = curl_easy_escape(c, out, 0);
    char next[2048];
    cr_assert_not_null(escaped);
    cr_assert_eq(text_format(next, sizeof next, "%s/_fault/redirect?to=%s",
                             srv.base_url, escaped),
                 0);
    curl_free(escaped);
    cr_assert_eq(text_copy(out, size, next), 0);
  }
  curl_easy_cleanup(c);
}

Test(transport, at_most_five_redirects_are_followed) {
  struct gw_transport_result res;
  char url[2048];
  redirect_chain(5, url, sizeof url);
  cr_assert_eq(fetch(url, &res), 0, "%s", res.error);
  cr_assert_str_eq(res.effective_url, url_of("/data.json"));
  redirect_chain(6, url, sizeof url);
  cr_assert_eq(fetch(url, &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL);
  assert_error_has(&res, "more than 5 redirects");
}

Test(transport, hanging_server_times_out_as_retry) {
  struct gw_transport_limits limits;
  struct gw_transport_result res;
  transport_default_limits(&limits);
  limits.total_timeout_ms = 1500;
  new_transport(&limits);
  cr_assert_eq(fetch(url_of("/_fault/hang"), &res), -1);
  cr_assert_eq(res.outcome, GW_RETRY, "%s", res.error);
  cr_assert_eq(res.http_status, 0);
  cr_assert_geq(res.seconds, 1.4);
  cr_assert_lt(res.seconds, 5.0, "took %.1f s", res.seconds);
  assert_error_has(&res, "/_fault/hang");
}

Test(transport, trickling_server_hits_the_low_speed_limit) {
  struct gw_transport_limits limits;
  struct gw_transport_result res;
  transport_default_limits(&limits);
  limits.low_speed_bytes = 100;
  limits.low_speed_seconds = 1;
  new_transport(&limits);
  cr_assert_eq(fetch(url_of("/_fault/trickle?n=100&interval=0.5"), &res), -1);
  cr_assert_eq(res.outcome, GW_RETRY, "%s", res.error);
  cr_assert_lt(res.seconds, 5.0);
  assert_nothing_spooled();
}

Test(transport, html_error_page_with_200_is_still_transported) {
  struct gw_transport_result res;
  cr_assert_eq(fetch(url_of("/_fault/html200"), &res), 0, "%s", res.error);
  cr_assert_not_null(strstr(res.content_type, "text/html"));
}

Test(transport, caller_headers_are_sent) {
  struct gw_transport_result res;
  const char *headers[] = {"User-Agent: transport-test/1",
                           "Accept: application/json", NULL};
  struct gw_transport_request req = {
      .url = url_of("/data.json"), .headers = headers, .spool_dir = spool};
  char *log;
  cr_assert_eq(transport_fetch(tr, &req, &res), 0, "%s", res.error);
  log = ts_read_file(srv.request_log, NULL);
  cr_assert_not_null(log);
  cr_assert_not_null(strstr(log, "transport-test/1"), "%s", log);
  free(log);
}

Test(transport, matching_pin_passes_and_wrong_pin_fails) {
  struct gw_tls_settings tls = {.profile = GW_TLS_PUBLIC,
                                .ca_file = srv.ca_file};
  struct gw_transport_result res;
  char pin[128], err[512] = "";
  cert_pin(ts_path(srv.cert_dir, "server.crt"), pin, sizeof pin);
  tls.pinned_pubkey = pin;
  transport_free(tr);
  tr = NULL;
  cr_assert_eq(transport_new(&tls, NULL, &tr, err, sizeof err), 0, "%s", err);
  cr_assert_eq(fetch(url_of("/data.json"), &res), 0, "%s", res.error);

  transport_free(tr);
  tr = NULL;
  tls.pinned_pubkey = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  cr_assert_eq(transport_new(&tls, NULL, &tr, err, sizeof err), 0, "%s", err);
  cr_assert_eq(fetch(url_of("/data.json"), &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL);
  assert_error_has(&res, "public key");
}

Test(transport, non_https_urls_fail_before_connecting) {
  struct gw_transport_result res;
  char plain[128];
  const char *bad[] = {plain,
                       "ftp://127.0.0.1/x",
                       "file:///etc/passwd",
                       "https:///no-host",
                       "not a url",
                       NULL};
  cr_assert_eq(text_format(plain, sizeof plain, "http://127.0.0.1:%d/data.json",
                           srv.port),
               0);
  for (int i = 0; bad[i]; i++) {
    cr_assert_eq(fetch(bad[i], &res), -1);
    cr_assert_eq(res.outcome, GW_FAIL, "%s", bad[i]);
    cr_assert_eq(res.http_status, 0);
    assert_error_has(&res, "only absolute https URLs");
    assert_error_has(&res, bad[i]);
  }
  cr_assert_eq(ts_server_count_requests(&srv, "/data.json"), 0);
}

/* The untrusted server runs in addition to the suite's trusted one. */
Test(transport, server_from_an_untrusted_ca_is_refused) {
  struct ts_server_options opt = {.cert_name = "untrusted-server"};
  struct ts_server untrusted = {0};
  struct gw_transport_result res;
  char url[256];
  cr_assert_eq(ts_server_start_with(root, &opt, &untrusted), 0);
  cr_assert_eq(text_format(url, sizeof url, "%s/data.json", untrusted.base_url),
               0);
  cr_assert_eq(fetch(url, &res), -1);
  ts_server_stop(&untrusted);
  cr_assert_eq(res.outcome, GW_FAIL, "%s", res.error);
  cr_assert_eq(res.http_status, 0);
  assert_error_has(&res, "certificate");
  assert_error_has(&res, url);
  assert_nothing_spooled();
}

Test(transport, unwritable_spool_fails_clearly) {
  struct gw_transport_result res;
  struct gw_transport_request req = {.url = url_of("/data.json")};
  char file[700];
  cr_assert_eq(text_format(file, sizeof file, "%s/a-file", root), 0);
  cr_assert_eq(ts_write_file(file, "x"), 0);
  req.spool_dir = ts_path(file, "spool");
  cr_assert_eq(transport_fetch(tr, &req, &res), -1);
  cr_assert_eq(res.outcome, GW_FAIL);
  assert_error_has(&res, "a-file");
}

/* A one-connection TLS server with a canned response, for headers the
 * fixture server does not produce (an HTTP-date Retry-After, a redirect
 * without Location). */
struct oneshot {
  SSL_CTX *ctx;
  int fd;
  int port;
  const char *response;
  pthread_t thread;
};

static void *oneshot_serve(void *arg) {
  struct oneshot *o = arg;
  char buf[4096];
  size_t used = 0;
  int conn = accept(o->fd, NULL, NULL);
  SSL *ssl;
  if (conn < 0)
    return NULL;
  ssl = SSL_new(o->ctx);
  if (ssl && SSL_set_fd(ssl, conn) == 1 && SSL_accept(ssl) == 1) {
    while (used < sizeof buf - 1) {
      int n = SSL_read(ssl, buf + used, (int)(sizeof buf - 1 - used));
      if (n <= 0)
        break;
      used += (size_t)n;
      buf[used] = '\0';
      if (strstr(buf, "\r\n\r\n"))
        break;
    }
    SSL_write(ssl, o->response, (int)strlen(o->response));
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  close(conn);
  return NULL;
}

static void oneshot_start(struct oneshot *o, const char *response) {
  struct sockaddr_in addr = {.sin_family = AF_INET};
  socklen_t len = sizeof addr;
  o->response = response;
  o->ctx = SSL_CTX_new(TLS_server_method());
  cr_assert_not_null(o->ctx);
  cr_assert_eq(SSL_CTX_use_certificate_chain_file(
                   o->ctx, ts_path(srv.cert_dir, "server.crt")),
               1);
  cr_assert_eq(SSL_CTX_use_PrivateKey_file(o->ctx,
                                           ts_path(srv.cert_dir, "server.key"),
                                           SSL_FILETYPE_PEM),
               1);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  o->fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_geq(o->fd, 0);
  cr_assert_eq(bind(o->fd, (struct sockaddr *)&addr, sizeof addr), 0);
  cr_assert_eq(listen(o->fd, 1), 0);
  cr_assert_eq(getsockname(o->fd, (struct sockaddr *)&addr, &len), 0);
  o->port = ntohs(addr.sin_port);
  cr_assert_eq(pthread_create(&o->thread, NULL, oneshot_serve, o), 0);
}

static void oneshot_stop(struct oneshot *o) {
  pthread_join(o->thread, NULL);
  close(o->fd);
  SSL_CTX_free(o->ctx);
}

Test(transport, retry_after_as_http_date) {
  struct oneshot o;
  struct gw_transport_result res;
  char response[256], date[64], url[128];
  time_t later = time(NULL) + 120;
  struct tm tm;
  cr_assert_not_null(gmtime_r(&later, &tm));
  cr_assert_gt(strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm),
               0);
  cr_assert_eq(text_format(response, sizeof response,
                           "HTTP/1.1 503 Service Unavailable\r\n"
                           "Retry-After: %s\r\nContent-Length: 0\r\n"
                           "Connection: close\r\n\r\n",
                           date),
               0);
  oneshot_start(&o, response);
  cr_assert_eq(text_format(url, sizeof url, "https://127.0.0.1:%d/x", o.port),
               0);
  cr_assert_eq(fetch(url, &res), -1);
  oneshot_stop(&o);
  cr_assert_eq(res.outcome, GW_RETRY, "%s", res.error);
  cr_assert_eq(res.http_status, 503);
  cr_assert(res.retry_after_s >= 110 && res.retry_after_s <= 120,
            "retry_after_s %ld", res.retry_after_s);
}

Test(transport, redirect_without_location_fails) {
  struct oneshot o;
  struct gw_transport_result res;
  char url[128];
  oneshot_start(&o, "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n");
  cr_assert_eq(text_format(url, sizeof url, "https://127.0.0.1:%d/x", o.port),
               0);
  cr_assert_eq(fetch(url, &res), -1);
  oneshot_stop(&o);
  cr_assert_eq(res.outcome, GW_FAIL);
  assert_error_has(&res, "without a usable Location");
  assert_error_has(&res, url);
}

/* No server needed: transport_new refuses before any connection. */
Test(policy, profile_and_version_are_enforced) {
  struct gw_tls_settings tls = {.profile = GW_TLS_DIGIKOPPELING,
                                .ca_file = "/nonexistent/ca.crt"};
  struct gw_transport *other = NULL;
  char err[512] = "";
  cr_assert_eq(transport_new(&tls, NULL, &other, err, sizeof err), -1);
  cr_assert_null(other);
  /* digikoppeling without a client certificate (and CRL): refused up
   * front; the profile itself is tested in test_transport_digikoppeling.c */
  cr_assert_not_null(strstr(err, "tls profile digikoppeling needs"), "%s", err);
  tls.profile = GW_TLS_PUBLIC;
  tls.min_tls_minor = 1;
  cr_assert_eq(transport_new(&tls, NULL, &other, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "1.1"), "%s", err);
  cr_assert_null(other);
}

Test(policy, nonsense_limits_are_refused) {
  struct gw_tls_settings tls = {.profile = GW_TLS_PUBLIC};
  struct gw_transport_limits limits;
  struct gw_transport *other = NULL;
  char err[512] = "";
  transport_default_limits(&limits);
  limits.max_bytes = 0;
  cr_assert_eq(transport_new(&tls, &limits, &other, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "max_bytes"), "%s", err);
  transport_default_limits(&limits);
  limits.total_timeout_ms = 0;
  cr_assert_eq(transport_new(&tls, &limits, &other, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "timeouts"), "%s", err);
  transport_default_limits(&limits);
  cr_assert_eq(transport_new(&tls, &limits, &other, err, sizeof err), 0, "%s",
               err);
  transport_free(other);
}

Test(url, https_origin) {
  char host[64];
  int port = 0;
  cr_assert_eq(
      url_https_origin("HTTPS://Example.COM/a?b=c", host, sizeof host, &port),
      1);
  cr_assert_str_eq(host, "example.com");
  cr_assert_eq(port, 443);
  cr_assert_eq(url_https_origin("https://opendata.cbs.nl:8443/x", host,
                                sizeof host, &port),
               1);
  cr_assert_str_eq(host, "opendata.cbs.nl");
  cr_assert_eq(port, 8443);
  cr_assert_eq(url_https_origin("https://a.example", NULL, 0, NULL), 1);
  cr_assert_eq(
      url_https_origin("http://example.com/", host, sizeof host, &port), 0);
  cr_assert_eq(url_https_origin("file:///etc/passwd", NULL, 0, NULL), 0);
  cr_assert_eq(url_https_origin("https:///path", NULL, 0, NULL), 0);
  cr_assert_eq(url_https_origin("example.com/x", NULL, 0, NULL), 0);
  cr_assert_eq(url_https_origin("", NULL, 0, NULL), 0);
  cr_assert_eq(url_https_origin("https://example.com:99999/", NULL, 0, NULL),
               0);
}
