/*
 * test_serve_auth.c - the feed server's client allow-list and token file:
 * parsing and its messages, certificate matching by fingerprint, subject
 * and OIN, token lookup by hash, per-client indicators, shared buckets,
 * the constant-time comparison, and the token bucket on a fake clock.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "catalogue.h"
#include "digest.h"
#include "serve_auth.h"
#include "serve_ratelimit.h"
#include "test_support.h"

static char err[1024];
static struct gw_catalogue *cat;

static void load_catalogue(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/schemas/indicators.json", ts_source_dir());
  cr_assert_eq(catalogue_load(path, &cat, err, sizeof err), 0, "%s", err);
}

static void free_catalogue(void) {
  catalogue_free(cat);
  cat = NULL;
}

TestSuite(serve_auth, .init = load_catalogue, .fini = free_catalogue);

static const char sha_a[] =
    "aa11223344556677889900aabbccddeeff00112233445566778899aabbccddee";

static struct gw_tls_identity identity(const char *sha, const char *subject,
                                       const char *oin) {
  struct gw_tls_identity id;
  memset(&id, 0, sizeof id);
  id.has_cert = 1;
  snprintf(id.cert_sha256, sizeof id.cert_sha256, "%s", sha);
  snprintf(id.subject, sizeof id.subject, "%s", subject);
  snprintf(id.oin, sizeof id.oin, "%s", oin);
  return id;
}

static struct serve_auth *load_ok(const char *clients, const char *tokens) {
  struct serve_auth *a = NULL;
  err[0] = '\0';
  cr_assert_eq(serve_auth_from_text(clients, "clients.json", tokens,
                                    "tokens.txt", cat, &a, err, sizeof err),
               0, "refused: %s", err);
  return a;
}

static void load_bad(const char *clients, const char *tokens,
                     const char *needle) {
  struct serve_auth *a = NULL;
  err[0] = '\0';
  cr_assert_eq(serve_auth_from_text(clients, "clients.json", tokens,
                                    "tokens.txt", cat, &a, err, sizeof err),
               -1, "accepted (wanted: %s)", needle);
  cr_assert_null(a);
  cr_assert_not_null(strstr(err, needle), "message '%s' lacks '%s'", err,
                     needle);
}

Test(serve_auth, certificates_by_fingerprint_subject_and_oin) {
  char clients[2048];
  const char *how = NULL;
  snprintf(
      clients, sizeof clients,
      "{\"clients\": ["
      "{\"name\": \"dash\", \"cert_sha256\": \"%s\", \"indicators\": \"*\"},"
      "{\"name\": \"kaart\", \"subject\": \"CN=kaart,O=Diemen\","
      " \"indicators\": [\"bijstand_per_10k\"]},"
      "{\"name\": \"oin-client\", \"oin\": \"00000099000000000384\","
      " \"indicators\": [\"bijstand_per_10k\", \"uitstroom_naar_werk\"],"
      " \"rate_limit\": {\"requests_per_second\": 5, \"burst\": 7}}]}",
      "AA:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF:00:11:22:33:44:"
      "55:66:77:88:99:AA:BB:CC:DD:EE");
  struct serve_auth *a = load_ok(clients, NULL);
  cr_assert_eq(serve_auth_client_count(a), 3);
  struct gw_tls_identity id = identity(sha_a, "CN=x", "");
  const struct serve_client *c = serve_auth_by_cert(a, &id, &how);
  cr_assert_not_null(c);
  cr_assert_str_eq(c->name, "dash");
  cr_assert_str_eq(how, "cert_sha256");
  cr_assert(serve_client_reads_all(c));

  id = identity("00", "CN=kaart,O=Diemen", "");
  c = serve_auth_by_cert(a, &id, &how);
  cr_assert_str_eq(c->name, "kaart");
  cr_assert_str_eq(how, "subject");
  cr_assert(serve_client_may_read(c, "bijstand_per_10k"));
  cr_assert_not(serve_client_may_read(c, "uitstroom_naar_werk"));
  cr_assert_not(serve_client_reads_all(c));

  id = identity("00", "CN=other", "00000099000000000384");
  c = serve_auth_by_cert(a, &id, &how);
  cr_assert_str_eq(c->name, "oin-client");
  cr_assert_str_eq(how, "oin");
  cr_assert_eq(c->rate_per_second, 5);
  cr_assert_eq(c->burst, 7);

  /* The fingerprint wins when a certificate matches two entries. */
  id = identity(sha_a, "CN=kaart,O=Diemen", "");
  c = serve_auth_by_cert(a, &id, &how);
  cr_assert_str_eq(c->name, "dash");

  id = identity("00", "CN=kaart,O=Diemen,OU=x", "0000009900000000038");
  cr_assert_null(serve_auth_by_cert(a, &id, &how), "no prefix matches");
  id.has_cert = 0;
  snprintf(id.subject, sizeof id.subject, "CN=kaart,O=Diemen");
  cr_assert_null(serve_auth_by_cert(a, &id, &how), "no certificate");
  serve_auth_free(a);
}

Test(serve_auth, tokens_by_hash_only) {
  char tokens[1024], hash[GW_SHA256_HEX_SIZE], hash2[GW_SHA256_HEX_SIZE];
  cr_assert_eq(sha256_hex("s3cr3t-token", 12, hash), 0);
  cr_assert_eq(sha256_hex("rotated-token", 13, hash2), 0);
  snprintf(tokens, sizeof tokens,
           "# sha256 client indicators\n"
           "\n"
           "%s begroting bijstand_per_10k,uitstroom_naar_werk\r\n"
           "   %s\tbegroting  *  \n",
           hash, hash2);
  struct serve_auth *a = load_ok(NULL, tokens);
  cr_assert_eq(serve_auth_token_count(a), 2);
  cr_assert_eq(serve_auth_bucket_count(a), 1, "two tokens, one client");
  const struct serve_client *c = serve_auth_by_token(a, "s3cr3t-token");
  cr_assert_not_null(c);
  cr_assert_str_eq(c->name, "begroting");
  cr_assert(serve_client_may_read(c, "uitstroom_naar_werk"));
  cr_assert_not(serve_client_reads_all(c));
  const struct serve_client *c2 = serve_auth_by_token(a, "rotated-token");
  cr_assert(serve_client_reads_all(c2));
  cr_assert_eq(c->bucket, c2->bucket);
  cr_assert_null(serve_auth_by_token(a, "s3cr3t-tokeN"));
  cr_assert_null(serve_auth_by_token(a, hash), "the hash is not the token");
  cr_assert_null(serve_auth_by_token(a, ""));
  serve_auth_free(a);
}

Test(serve_auth, certificate_and_token_clients_share_a_bucket) {
  char tokens[256], clients[512], hash[GW_SHA256_HEX_SIZE];
  cr_assert_eq(sha256_hex("t", 1, hash), 0);
  snprintf(tokens, sizeof tokens, "%s dash *\n%s other *\n", hash, hash);
  snprintf(
      clients, sizeof clients,
      "{\"clients\":[{\"name\":\"dash\",\"oin\":\"1\",\"indicators\":\"*\"}]}");
  struct serve_auth *a = load_ok(clients, tokens);
  cr_assert_eq(serve_auth_bucket_count(a), 2);
  cr_assert_str_eq(serve_auth_bucket_client(a, 0)->name, "dash");
  cr_assert_str_eq(serve_auth_bucket_client(a, 1)->name, "other");
  cr_assert_null(serve_auth_bucket_client(a, 2));
  /* Two lines with one hash: the first line wins, every line is read. */
  cr_assert_str_eq(serve_auth_by_token(a, "t")->name, "dash");
  serve_auth_free(a);
}

Test(serve_auth, clear_messages_for_bad_files) {
  char hash[GW_SHA256_HEX_SIZE], line[256];
  cr_assert_eq(sha256_hex("t", 1, hash), 0);
  load_bad("{\"clients\": [}", NULL, "clients.json:1:");
  load_bad("{\"client\": []}", NULL, "expected {\"clients\": [...]}");
  load_bad("{\"clients\": [{\"name\": \"x\", \"indicators\": \"*\"}]}", NULL,
           "needs one of \"cert_sha256\", \"subject\" or \"oin\"");
  load_bad("{\"clients\": [\n{\"name\": \"x\", \"oin\": \"1\", \"subject\": "
           "\"CN=x\", \"indicators\": \"*\"}]}",
           NULL, "clients.json:2: a client needs exactly one of");
  load_bad("{\"clients\": [{\"name\": \"X Y\", \"oin\": \"1\", \"indicators\": "
           "\"*\"}]}",
           NULL, "needs a \"name\"");
  load_bad("{\"clients\": [{\"name\": \"x\", \"oin\": \"1\"}]}", NULL,
           "needs \"indicators\"");
  load_bad("{\"clients\": [{\"name\": \"x\", \"oin\": \"1\", \"indicators\": "
           "[\"no_such_thing\"]}]}",
           NULL, "unknown indicator in \"indicators\": no_such_thing");
  load_bad("{\"clients\": [{\"name\": \"x\", \"cert_sha256\": \"abc\", "
           "\"indicators\": \"*\"}]}",
           NULL, "is not 64 hex digits");
  load_bad("{\"clients\": [{\"name\": \"x\", \"oin\": \"1\", \"indicators\": "
           "\"*\", \"rate_limit\": {\"burst\": 0}}]}",
           NULL, "\"rate_limit\" must be");
  load_bad("{\"clients\": [{\"name\": \"x\", \"oin\": \"1\", \"indicators\": "
           "\"*\", \"colour\": 1}]}",
           NULL, "unknown key in a client: colour");
  load_bad(NULL, "abc begroting *\n",
           "tokens.txt:1: the first field must be "
           "the SHA-256 of the token");
  snprintf(line, sizeof line, "# c\n%s begroting\n", hash);
  load_bad(NULL, line, "tokens.txt:2: expected 'SHA256 CLIENT INDICATORS'");
  snprintf(line, sizeof line, "%s begroting * extra\n", hash);
  load_bad(NULL, line, "tokens.txt:1: expected");
  snprintf(line, sizeof line, "%s Begroting *\n", hash);
  load_bad(NULL, line, "client name 'Begroting'");
  snprintf(line, sizeof line, "%s begroting bijstand_per_10k,,x\n", hash);
  load_bad(NULL, line, "indicators must be '*' or a comma-separated list");
  snprintf(line, sizeof line, "%s begroting nope\n", hash);
  load_bad(NULL, line, "tokens.txt:1: indicators must be");
}

Test(serve_auth, files_on_disk) {
  const char *dir = ts_mkdtemp();
  char hash[GW_SHA256_HEX_SIZE], text[256];
  struct serve_auth *a = NULL;
  cr_assert_eq(sha256_hex("tok", 3, hash), 0);
  snprintf(text, sizeof text, "%s app *\n", hash);
  cr_assert_eq(ts_write_file(ts_path(dir, "tokens"), text), 0);
  cr_assert_eq(
      serve_auth_load(NULL, ts_path(dir, "tokens"), cat, &a, err, sizeof err),
      0, "%s", err);
  cr_assert_str_eq(serve_auth_by_token(a, "tok")->name, "app");
  serve_auth_free(a);
  cr_assert_eq(serve_auth_load(ts_path(dir, "missing.json"), NULL, cat, &a, err,
                               sizeof err),
               -1);
  cr_assert_not_null(strstr(err, "missing.json: No such file"), "%s", err);
  ts_rm_rf(dir);
}

Test(serve_auth, constant_time_compare) {
  cr_assert(serve_equal_ct("abcdef", "abcdef", 6));
  cr_assert_not(serve_equal_ct("abcdef", "abcdeg", 6));
  cr_assert_not(serve_equal_ct("xbcdef", "abcdef", 6));
  cr_assert(serve_equal_ct("", "", 0));
}

Test(serve_ratelimit, bucket_on_a_fake_clock) {
  struct serve_bucket b;
  long retry = 0;
  serve_bucket_init(&b, 2.0, 3.0, 100.0);
  for (int i = 0; i < 3; i++)
    cr_assert_eq(serve_bucket_take(&b, 100.0, &retry), 1, "burst %d", i);
  cr_assert_eq(serve_bucket_take(&b, 100.0, &retry), 0);
  cr_assert_eq(retry, 1, "half a second rounds up to one");
  cr_assert_eq(serve_bucket_take(&b, 100.25, &retry), 0);
  cr_assert_eq(serve_bucket_take(&b, 100.5, &retry), 1, "refilled at 2/s");
  cr_assert_eq(serve_bucket_take(&b, 100.5, &retry), 0);
  /* A long pause fills the bucket to its size, no further. */
  for (int i = 0; i < 3; i++)
    cr_assert_eq(serve_bucket_take(&b, 1000.0, &retry), 1);
  cr_assert_eq(serve_bucket_take(&b, 1000.0, &retry), 0);
  /* A clock going backwards refills nothing. */
  cr_assert_eq(serve_bucket_take(&b, 10.0, &retry), 0);
}

Test(serve_ratelimit, slow_rate_and_unlimited) {
  struct serve_bucket b;
  long retry = 0;
  serve_bucket_init(&b, 0.1 /* one every ten seconds */, 1.0, 0.0);
  cr_assert_eq(serve_bucket_take(&b, 0.0, &retry), 1);
  cr_assert_eq(serve_bucket_take(&b, 1.0, &retry), 0);
  cr_assert_eq(retry, 9);
  cr_assert_eq(serve_bucket_take(&b, 10.0, &retry), 1);
  serve_bucket_init(&b, 0, 1, 0.0);
  for (int i = 0; i < 1000; i++)
    cr_assert_eq(serve_bucket_take(&b, 0.0, &retry), 1);
}
