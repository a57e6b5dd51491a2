/*
 * The fixture server and its C launcher are what every transport and
 * integration test stands on, so check the contract they rely on: ETag and
 * 304, {BASE} links, $skip pages, 404, fault routes, TLS trust and the
 * request log.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "test_server.h"
#include "test_support.h"
#include "text.h"

struct buffer {
  char *data;
  size_t len;
};

struct response {
  long status;
  CURLcode code;
  struct buffer body;
  char etag[128];
  char content_encoding[64];
  char retry_after[32];
};

static struct ts_server srv;
static char root[TS_PATH_MAX];

static void write_fixture(const char *rel, const char *content) {
  char path[1024];
  cr_assert_eq(text_format(path, sizeof path, "%s/%s", root, rel), 0);
  cr_assert_eq(ts_write_file(path, content), 0, "cannot write %s", path);
}

static void make_root(void) {
  char dir[1024];
  const char *tmp = ts_mkdtemp();
  cr_assert_not_null(tmp);
  cr_assert_eq(text_copy(root, sizeof root, tmp), 0);
  cr_assert_eq(text_format(dir, sizeof dir, "%s/a", root), 0);
  cr_assert_eq(mkdir(dir, 0700), 0);
  write_fixture("a/data.json", "{\"next\":\"{BASE}/a/data?$skip=2\"}");
  write_fixture("a/data.skip2.json", "{\"page\":2}");
  write_fixture("plain.txt", "hello\n");
}

static void start_with(const struct ts_server_options *opt) {
  cr_assert_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
  make_root();
  cr_assert_eq(ts_server_start_with(root, opt, &srv), 0,
               "fixture server did not start");
  cr_assert_gt(srv.port, 0);
}

static void setup(void) {
  start_with(NULL);
}

static void teardown(void) {
  ts_server_stop(&srv);
  ts_rm_rf(root);
  curl_global_cleanup();
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
  struct buffer *b = userdata;
  size_t n = size * nmemb;
  char *grown = realloc(b->data, b->len + n + 1);
  if (grown == NULL)
    return 0;
  memcpy(grown + b->len, ptr, n);
  b->len += n;
  grown[b->len] = '\0';
  b->data = grown;
  return n;
}

/* Copy the value of "Name: value\r\n" into dst when line is that header. */
static void grab_header(const char *line, size_t len, const char *name,
                        char *dst, size_t dst_size) {
  size_t name_len = strlen(name);
  size_t start = name_len + 1;
  size_t end = len;
  if (len <= start || strncasecmp(line, name, name_len) != 0 ||
      line[name_len] != ':')
    return;
  while (start < len && line[start] == ' ')
    start++;
  while (end > start && (line[end - 1] == '\r' || line[end - 1] == '\n'))
    end--;
  if (end - start >= dst_size)
    return;
  memcpy(dst, line + start, end - start);
  dst[end - start] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata) {
  struct response *r = userdata;
  size_t n = size * nmemb;
  grab_header(ptr, n, "ETag", r->etag, sizeof r->etag);
  grab_header(ptr, n, "Content-Encoding", r->content_encoding,
              sizeof r->content_encoding);
  grab_header(ptr, n, "Retry-After", r->retry_after, sizeof r->retry_after);
  return n;
}

struct request {
  const char *path;
  const char *if_none_match;
  int gzip;
  int with_client_cert;
  const char *header; /* one extra "Name: value" line, or NULL */
};

static struct response fetch(const struct request *req) {
  struct response r;
  char url[1024];
  char inm[256];
  struct curl_slist *headers = NULL;
  CURL *curl = curl_easy_init();

  memset(&r, 0, sizeof r);
  cr_assert_not_null(curl);
  cr_assert_eq(text_format(url, sizeof url, "%s%s", srv.base_url, req->path),
               0);
  if (req->if_none_match) {
    cr_assert_eq(
        text_format(inm, sizeof inm, "If-None-Match: %s", req->if_none_match),
        0);
    headers = curl_slist_append(headers, inm);
    cr_assert_not_null(headers);
  }
  if (req->header) {
    headers = curl_slist_append(headers, req->header);
    cr_assert_not_null(headers);
  }
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_CAINFO, srv.ca_file);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "fixture-test/1");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  if (req->gzip)
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
  if (req->with_client_cert) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT,
                     ts_path(srv.cert_dir, "client.crt"));
    curl_easy_setopt(curl, CURLOPT_SSLKEY, ts_path(srv.cert_dir, "client.key"));
  }
  r.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
  return r;
}

static struct response get(const char *path) {
  struct request req = {.path = path};
  return fetch(&req);
}

static const char *body_of(const struct response *r) {
  return r->body.data ? r->body.data : "";
}

TestSuite(fixture_server, .init = setup, .fini = teardown, .timeout = 60);

Test(fixture_server, serves_file_with_strong_etag_and_base) {
  char expected[256];
  struct response r = get("/a/data");
  cr_assert_eq(r.code, CURLE_OK, "curl: %s", curl_easy_strerror(r.code));
  cr_assert_eq(r.status, 200);
  cr_assert_eq(text_format(expected, sizeof expected,
                           "{\"next\":\"%s/a/data?$skip=2\"}", srv.base_url),
               0);
  cr_assert_str_eq(body_of(&r), expected);
  /* quoted, 32 lower-case hex digits */
  cr_assert_eq(strlen(r.etag), 34, "ETag %s", r.etag);
  cr_assert_eq(r.etag[0], '"');
  cr_assert_eq(r.etag[33], '"');
  cr_assert_eq(strspn(r.etag + 1, "0123456789abcdef"), 32, "ETag %s", r.etag);
  free(r.body.data);
}

Test(fixture_server, if_none_match_gives_304_only_when_it_matches) {
  struct response first = get("/a/data");
  struct request again = {.path = "/a/data", .if_none_match = first.etag};
  struct request stale = {.path = "/a/data",
                          .if_none_match =
                              "\"00000000000000000000000000000000\""};
  struct response second = fetch(&again);
  struct response third = fetch(&stale);
  cr_assert_eq(first.status, 200);
  cr_assert_eq(second.code, CURLE_OK);
  cr_assert_eq(second.status, 304);
  cr_assert_eq(second.body.len, 0, "304 must have no body");
  cr_assert_eq(third.status, 200);
  cr_assert_str_eq(third.etag, first.etag);
  free(first.body.data);
  free(second.body.data);
  free(third.body.data);
}

Test(fixture_server, skip_query_selects_page_file_other_params_ignored) {
  struct response page = get("/a/data?$skip=2&$format=json");
  struct response encoded = get("/a/data?%24skip=2");
  struct response first = get("/a/data?$format=json&$top=10");
  struct response missing = get("/a/data?$skip=400");
  cr_assert_eq(page.status, 200);
  cr_assert_str_eq(body_of(&page), "{\"page\":2}");
  cr_assert_str_eq(body_of(&encoded), "{\"page\":2}");
  cr_assert_eq(first.status, 200);
  cr_assert_not_null(strstr(body_of(&first), "\"next\""));
  cr_assert_eq(missing.status, 404);
  free(page.body.data);
  free(encoded.body.data);
  free(first.body.data);
  free(missing.body.data);
}

Test(fixture_server, plain_file_missing_file_and_traversal) {
  struct response plain = get("/plain.txt");
  struct response missing = get("/nothing/here");
  struct response escape = get("/a/../../etc/passwd");
  cr_assert_eq(plain.status, 200);
  cr_assert_str_eq(body_of(&plain), "hello\n");
  cr_assert_eq(missing.status, 404);
  cr_assert_not_null(strstr(body_of(&missing), "\"error\""));
  cr_assert_neq(escape.status, 200);
  free(plain.body.data);
  free(missing.body.data);
  free(escape.body.data);
}

Test(fixture_server, gzip_when_asked) {
  struct request req = {.path = "/a/data", .gzip = 1};
  struct response r = fetch(&req);
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(r.content_encoding, "gzip");
  cr_assert_not_null(strstr(body_of(&r), srv.base_url), "decoded: %s",
                     body_of(&r));
  free(r.body.data);
}

Test(fixture_server, fault_routes) {
  struct response unavailable = get("/_fault/status/503");
  struct response limited = get("/_fault/retry-after/7");
  struct response big = get("/_fault/big/1000");
  struct response shortened = get("/_fault/short");
  cr_assert_eq(unavailable.code, CURLE_OK);
  cr_assert_eq(unavailable.status, 503);
  cr_assert_eq(limited.status, 429);
  cr_assert_str_eq(limited.retry_after, "7");
  cr_assert_eq(big.status, 200);
  cr_assert_eq(big.body.len, 1000);
  cr_assert_eq(strncmp(body_of(&big), "{\"pad\":\"xxx", 11), 0);
  cr_assert_eq(strcmp(body_of(&big) + 998, "\"}"), 0);
  cr_assert_eq(shortened.code, CURLE_PARTIAL_FILE, "curl: %s",
               curl_easy_strerror(shortened.code));
  free(unavailable.body.data);
  free(limited.body.data);
  free(big.body.data);
  free(shortened.body.data);
}

Test(fixture_server, request_log_records_every_request) {
  struct response first = get("/a/data");
  struct request conditional = {.path = "/a/data?$skip=2",
                                .if_none_match = "\"abc\""};
  struct response second = fetch(&conditional);
  struct response missing = get("/missing");
  char *log = ts_read_file(srv.request_log, NULL);
  cr_assert_eq(ts_server_count_requests(&srv, "/a/data"), 2);
  cr_assert_eq(ts_server_count_requests(&srv, "/missing"), 1);
  cr_assert_eq(ts_server_count_requests(&srv, "/never"), 0);
  cr_assert_not_null(log);
  cr_assert_not_null(strstr(log, "\"if_none_match\": \"\\\"abc\\\"\""), "%s",
                     log);
  cr_assert_not_null(strstr(log, "\"query\": \"$skip=2\""), "%s", log);
  cr_assert_not_null(strstr(log, "\"status\": 404"), "%s", log);
  cr_assert_not_null(strstr(log, "\"user_agent\": \"fixture-test/1\""));
  free(log);
  free(first.body.data);
  free(second.body.data);
  free(missing.body.data);
}

/* Suites below start their own server with other certificates. */

static void no_setup(void) {
  cr_assert_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
  make_root();
}

static void restart(const struct ts_server_options *opt) {
  cr_assert_eq(ts_server_start_with(root, opt, &srv), 0,
               "fixture server did not start");
}

TestSuite(fixture_server_tls, .init = no_setup, .fini = teardown,
          .timeout = 60);

Test(fixture_server_tls, certificate_from_other_ca_is_refused) {
  struct ts_server_options opt = {.cert_name = "untrusted-server"};
  restart(&opt);
  struct response r = get("/plain.txt");
  cr_assert_eq(r.code, CURLE_PEER_FAILED_VERIFICATION, "curl: %s",
               curl_easy_strerror(r.code));
  cr_assert_eq(r.body.len, 0);
  free(r.body.data);
}

Test(fixture_server_tls, expired_certificate_is_refused) {
  struct ts_server_options opt = {.cert_name = "expired-server"};
  restart(&opt);
  struct response r = get("/plain.txt");
  cr_assert_eq(r.code, CURLE_PEER_FAILED_VERIFICATION, "curl: %s",
               curl_easy_strerror(r.code));
  free(r.body.data);
}

Test(fixture_server_tls, client_certificate_required_when_asked) {
  struct ts_server_options opt = {.require_client_cert = 1};
  restart(&opt);
  struct response anonymous = get("/plain.txt");
  struct request with_cert = {.path = "/plain.txt", .with_client_cert = 1};
  struct response identified = fetch(&with_cert);
  char *log;
  cr_assert_neq(anonymous.code, CURLE_OK,
                "server accepted a client without "
                "certificate");
  cr_assert_eq(identified.code, CURLE_OK, "curl: %s",
               curl_easy_strerror(identified.code));
  cr_assert_str_eq(body_of(&identified), "hello\n");
  log = ts_read_file(srv.request_log, NULL);
  cr_assert_not_null(log);
  cr_assert_not_null(strstr(log, "gemeente-diemen-test"), "%s", log);
  cr_assert_not_null(strstr(log, "00000099000000000384"), "%s", log);
  free(log);
  free(anonymous.body.data);
  free(identified.body.data);
}

Test(fixture_server_tls, required_header_or_401) {
  struct ts_server_options opt = {.require_header = "apikey: key-4711"};
  restart(&opt);
  struct response none = get("/plain.txt");
  struct request wrong_req = {.path = "/plain.txt", .header = "apikey: nope"};
  struct request right_req = {.path = "/plain.txt",
                              .header = "APIKEY: key-4711"};
  struct request fault_req = {.path = "/_fault/status/503"};
  struct response wrong = fetch(&wrong_req);
  struct response right = fetch(&right_req);
  struct response fault = fetch(&fault_req);
  char *log;
  cr_assert_eq(none.code, CURLE_OK);
  cr_assert_eq(none.status, 401);
  cr_assert_not_null(strstr(body_of(&none), "\"error\""), "%s", body_of(&none));
  cr_assert_not_null(strstr(body_of(&none), "apikey"), "%s", body_of(&none));
  cr_assert_eq(wrong.status, 401);
  cr_assert_eq(right.status, 200, "header names are case-insensitive");
  cr_assert_str_eq(body_of(&right), "hello\n");
  cr_assert_eq(fault.status, 401, "fault routes are guarded too");
  log = ts_read_file(srv.request_log, NULL);
  cr_assert_not_null(log);
  cr_assert_not_null(strstr(log, "\"status\": 401"), "%s", log);
  cr_assert_null(strstr(log, "key-4711"), "the key must not be logged: %s",
                 log);
  free(log);
  free(none.body.data);
  free(wrong.body.data);
  free(right.body.data);
  free(fault.body.data);
}
