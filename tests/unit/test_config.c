/*
 * test_config.c - the config loader: every field lands where it should,
 * and every kind of mistake is reported with file, line and key path.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"
#include "gw_alloc.h"
#include "json_locate.h"
#include "test_support.h"
#include "text.h"

static char err[GW_CONFIG_ERR_MAX];
static char tmpdir[512];
static char config_path[1024];

static void setup(void) {
  const char *d = ts_mkdtemp();
  cr_assert(d != NULL);
  snprintf(tmpdir, sizeof tmpdir, "%s", d);
  snprintf(config_path, sizeof config_path, "%s/gateway.json", tmpdir);
  err[0] = '\0';
}

static void teardown(void) {
  ts_rm_rf(tmpdir);
}

TestSuite(config, .init = setup, .fini = teardown);

static const char *in_tmp(const char *name) {
  static char buf[4][1024];
  static int next;
  char *out = buf[next];
  next = (next + 1) % 4;
  snprintf(out, sizeof buf[0], "%s/%s", tmpdir, name);
  return out;
}

static const char *fixture(const char *name) {
  static char buf[1024];
  snprintf(buf, sizeof buf, "%s/tests/fixtures/config/%s", ts_source_dir(),
           name);
  return buf;
}

/* The directory the loader resolves relative paths against. */
static const char *real_dir(const char *dir) {
  static char buf[PATH_MAX];
  cr_assert(realpath(dir, buf) != NULL);
  return buf;
}

static int load_text(const char *json, int check_files,
                     struct gw_config **cfg) {
  cr_assert_eq(ts_write_file(config_path, json), 0);
  return config_load(config_path, check_files, cfg, err, sizeof err);
}

/* Loads json that must fail and checks that err holds needle. */
static void expect_failure(const char *json, const char *needle) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(load_text(json, 0, &cfg), -1, "load succeeded for:\n%s", json);
  cr_assert_null(cfg);
  cr_expect(strstr(err, needle) != NULL, "expected \"%s\" in:\n%s", needle,
            err);
}

static int count_lines(const char *s) {
  int n = *s ? 1 : 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static int has_secret(const struct gw_config *cfg, const char *value) {
  for (size_t i = 0; cfg->secrets && cfg->secrets[i]; i++)
    if (strcmp(cfg->secrets[i], value) == 0)
      return 1;
  return 0;
}

static void write_file_mode(const char *path, const char *content,
                            mode_t mode) {
  cr_assert_eq(ts_write_file(path, content), 0);
  cr_assert_eq(chmod(path, mode), 0);
}

/* A self-signed certificate valid from now+from_days to now+to_days. */
static void make_cert(const char *cert_path, const char *key_path,
                      long from_days, long to_days) {
  EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  X509 *x = X509_new();
  X509_NAME *name;
  FILE *f;
  cr_assert(key && x);
  cr_assert(X509_set_version(x, 2));
  cr_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), 7));
  cr_assert(X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400L));
  cr_assert(X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400L));
  cr_assert(X509_set_pubkey(x, key));
  name = X509_get_subject_name(x);
  cr_assert(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       (const unsigned char *)"config-test", -1,
                                       -1, 0));
  cr_assert(X509_set_issuer_name(x, name));
  cr_assert(X509_sign(x, key, EVP_sha256()) > 0);
  f = fopen(cert_path, "w");
  cr_assert(f && PEM_write_X509(f, x));
  fclose(f);
  if (key_path) {
    f = fopen(key_path, "w");
    cr_assert(f && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
    fclose(f);
    cr_assert_eq(chmod(key_path, 0600), 0);
  }
  X509_free(x);
  EVP_PKEY_free(key);
}

/* ---- a valid configuration ---------------------------------------------- */

Test(config, full_config_loads_every_field) {
  struct gw_config *cfg = NULL;
  struct gw_transport_limits defaults;
  char dir[PATH_MAX], expect[PATH_MAX + 64];
  const struct gw_source_config *s0, *s1;
  const struct gw_export_config *e0, *e1;
  cr_assert_eq(setenv("GW_TEST_SIGNING_KEY", "s3cr3t-signing-key", 1), 0);
  cr_assert_eq(config_load(fixture("full.json"), 0, &cfg, err, sizeof err), 0,
               "%s", err);
  snprintf(dir, sizeof dir, "%s", real_dir(fixture("")));
  cr_expect_str_eq(cfg->dir, dir);
  snprintf(expect, sizeof expect, "%s/var/data", dir);
  cr_expect_str_eq(cfg->data_dir, expect);
  cr_expect_str_eq(cfg->plugin_dir, "/opt/gateway/plugins");
  snprintf(expect, sizeof expect, "%s/catalogue/indicators.json", dir);
  cr_expect_str_eq(cfg->catalogue, expect);
  snprintf(expect, sizeof expect, "%s/certs/ca.crt", dir);
  cr_expect_str_eq(cfg->tls.ca_file, expect);
  snprintf(expect, sizeof expect, "%s/certs/client.crt", dir);
  cr_expect_str_eq(cfg->tls.client_cert, expect);
  snprintf(expect, sizeof expect, "%s/certs/client.key", dir);
  cr_expect_str_eq(cfg->tls.client_key, expect);
  cr_expect_eq(cfg->tls.min_tls_minor, 3);
  cr_expect(strncmp(cfg->tls.pinned_pubkey, "sha256//YhKJ", 12) == 0);
  cr_expect_str_eq(cfg->audit_path, "/var/log/gateway/exchange.log");
  cr_expect_str_eq(cfg->audit_signing_key, "s3cr3t-signing-key");
  cr_expect(has_secret(cfg, "s3cr3t-signing-key"));
  cr_expect_str_eq(cfg->processing_activity_id,
                   "https://diemen.nl/register/verwerkingen/42");

  cr_assert_eq(cfg->source_count, 2);
  s0 = &cfg->sources[0];
  s1 = &cfg->sources[1];
  transport_default_limits(&defaults);
  cr_expect_str_eq(s0->id, "cbs-sociaal-domein");
  cr_expect_str_eq(s0->plugin, "cbs_odata");
  cr_expect_str_eq(s0->url, "https://opendata.cbs.nl/ODataFeed/odata/90001NED");
  cr_expect_str_eq(s0->schedule, "0 6 * * 1");
  cr_expect_eq(s0->tls_profile, GW_TLS_PUBLIC);
  cr_expect_null(s0->expected_oin);
  cr_assert_not_null(s0->allowed_hosts);
  cr_expect_null(s0->allowed_hosts[0]);
  cr_expect_eq(s0->limits.connect_timeout_ms, defaults.connect_timeout_ms);
  cr_expect_eq(s0->limits.total_timeout_ms, defaults.total_timeout_ms);
  cr_expect_eq(s0->limits.max_bytes, defaults.max_bytes);
  cr_expect_eq(s0->reject_opaque_periods, 0);
  cr_assert_not_null(s0->params);
  cr_expect_str_eq(json_string_value(json_object_get(s0->params, "table")),
                   "90001NED");
  cr_expect_eq(s0->line, 19);

  cr_expect_str_eq(s1->id, "rivm_gezondheid");
  cr_expect_eq(s1->tls_profile, GW_TLS_DIGIKOPPELING);
  cr_expect_str_eq(s1->expected_oin, "00000001003214345000");
  cr_assert_not_null(s1->allowed_hosts[0]);
  cr_expect_str_eq(s1->allowed_hosts[0], "dataderden.cbs.nl"); /* lowered */
  cr_expect_str_eq(s1->allowed_hosts[1], "opendata.cbs.nl");
  cr_expect_null(s1->allowed_hosts[2]);
  cr_expect_eq(s1->limits.connect_timeout_ms, 5000);
  cr_expect_eq(s1->limits.total_timeout_ms, 60000);
  cr_expect_eq(s1->limits.low_speed_bytes, 10);
  cr_expect_eq(s1->limits.low_speed_seconds, 20);
  cr_expect_eq(s1->limits.max_bytes, 1048576u);
  cr_expect_eq(s1->reject_opaque_periods, 1);
  cr_expect_null(s1->params);
  cr_expect_eq(s1->line, 26);
  cr_expect_eq(config_find_source(cfg, "rivm_gezondheid"), s1);
  cr_expect_null(config_find_source(cfg, "rivm"));

  cr_assert_eq(cfg->export_count, 2);
  e0 = &cfg->exports[0];
  e1 = &cfg->exports[1];
  cr_expect_str_eq(e0->name, "indicators");
  cr_expect_str_eq(e0->options.feed_name, "indicators");
  snprintf(expect, sizeof expect, "%s/feeds/indicators.csv", dir);
  cr_expect_str_eq(e0->path, expect);
  cr_expect_eq(e0->options.format, GW_FORMAT_CSV);
  cr_expect_eq(e0->options.csv_delimiter, ',');
  cr_expect_eq(e0->options.csv_decimal_comma, 0);
  cr_expect_eq(e0->options.csv_bom, 0);
  cr_expect_eq(e0->options.with_provenance, 1);
  cr_assert_not_null(e0->indicators);
  cr_expect_str_eq(e0->indicators[0], "3.1.4");
  cr_expect_str_eq(e0->indicators[1], "3.1.6");
  cr_expect_null(e0->indicators[2]);
  cr_expect_str_eq(e0->areas[0], "GM0384");
  cr_expect_str_eq(e1->name, "alles");
  cr_expect_str_eq(e1->path, "/srv/feeds/all.json");
  cr_expect_eq(e1->options.format, GW_FORMAT_JSON);
  cr_expect_null(e1->indicators);
  cr_expect_null(e1->areas);
  cr_expect_eq(e1->options.csv_delimiter, ';'); /* export defaults */

  cr_expect_str_eq(cfg->serve_listen, "127.0.0.1:8443");
  snprintf(expect, sizeof expect, "%s/certs/server.key", dir);
  cr_expect_str_eq(cfg->serve_key_file, expect);
  snprintf(expect, sizeof expect, "%s/targets.csv", dir);
  cr_expect_str_eq(cfg->targets, expect);
  config_free(cfg);
  unsetenv("GW_TEST_SIGNING_KEY");
}

Test(config, empty_object_gets_defaults) {
  struct gw_config *cfg = NULL;
  char expect[PATH_MAX + 64];
  cr_assert_eq(load_text("{}\n", 0, &cfg), 0, "%s", err);
  snprintf(expect, sizeof expect, "%s/gateway-data", real_dir(tmpdir));
  cr_expect_str_eq(cfg->data_dir, expect);
  snprintf(expect, sizeof expect, "%s/gateway-data/exchange.log",
           real_dir(tmpdir));
  cr_expect_str_eq(cfg->audit_path, expect);
  cr_expect_str_eq(cfg->plugin_dir, GW_DEFAULT_PLUGIN_DIR);
  cr_expect_str_eq(cfg->catalogue, GW_DEFAULT_SCHEMA_DIR "/indicators.json");
  cr_expect_eq(cfg->source_count, 0);
  cr_expect_eq(cfg->export_count, 0);
  cr_expect_eq(cfg->tls.min_tls_minor, 2);
  cr_expect_null(cfg->tls.ca_file);
  cr_assert_not_null(cfg->secrets);
  cr_expect_null(cfg->secrets[0]);
  cr_expect_null(cfg->audit_signing_key);
  config_free(cfg);
}

Test(config, audit_log_follows_data_dir) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(load_text("{ \"data_dir\": \"/srv/gw\" }", 0, &cfg), 0, "%s",
               err);
  cr_expect_str_eq(cfg->data_dir, "/srv/gw");
  cr_expect_str_eq(cfg->audit_path, "/srv/gw/exchange.log");
  config_free(cfg);
}

Test(config, relative_paths_resolve_against_config_dir) {
  struct gw_config *cfg = NULL;
  char cwd[PATH_MAX], expect[PATH_MAX + 64];
  const char *dir;
  cr_assert_eq(ts_write_file(config_path,
                             "{ \"data_dir\": \"./d\",\n"
                             "  \"tls\": { \"ca_file\": \"../ca.pem\" },\n"
                             "  \"exports\": [ { \"format\": \"xml\", "
                             "\"path\": \"out/feed.v1.xml\" } ] }\n"),
               0);
  /* load by a relative name from elsewhere: paths must not depend on cwd */
  cr_assert(getcwd(cwd, sizeof cwd) != NULL);
  cr_assert_eq(chdir(tmpdir), 0);
  cr_assert_eq(config_load("gateway.json", 0, &cfg, err, sizeof err), 0, "%s",
               err);
  cr_assert_eq(chdir(cwd), 0);
  dir = real_dir(tmpdir);
  cr_expect_str_eq(cfg->path, "gateway.json");
  cr_expect_str_eq(cfg->dir, dir);
  snprintf(expect, sizeof expect, "%s/d", dir);
  cr_expect_str_eq(cfg->data_dir, expect);
  snprintf(expect, sizeof expect, "%s/../ca.pem", dir);
  cr_expect_str_eq(cfg->tls.ca_file, expect);
  snprintf(expect, sizeof expect, "%s/out/feed.v1.xml", dir);
  cr_expect_str_eq(cfg->exports[0].path, expect);
  cr_expect_str_eq(cfg->exports[0].name, "feed.v1");
  cr_expect_eq(cfg->exports[0].options.format, GW_FORMAT_XML);
  config_free(cfg);
}

Test(config, default_config_has_no_sources) {
  struct gw_config *cfg = NULL;
  char cwd[PATH_MAX], expect[PATH_MAX + 64];
  cr_assert_eq(config_default(&cfg, err, sizeof err), 0, "%s", err);
  cr_assert(getcwd(cwd, sizeof cwd) != NULL);
  snprintf(expect, sizeof expect, "%s/gateway-data", cwd);
  cr_expect_str_eq(cfg->data_dir, expect);
  cr_expect_str_eq(cfg->plugin_dir, GW_DEFAULT_PLUGIN_DIR);
  cr_expect_eq(cfg->source_count, 0);
  cr_expect_eq(config_line_of(cfg, "/sources"), 0);
  cr_expect_null(config_find_source(cfg, "x"));
  config_free(cfg);
}

/* ---- error classes: file, line and key path ----------------------------- */

Test(config, unknown_top_level_key_suggests) {
  expect_failure("{\n  \"data_dri\": \"x\"\n}\n",
                 "gateway.json:2: data_dri: unknown key \"data_dri\"; did you "
                 "mean \"data_dir\"?");
}

Test(config, unknown_nested_key_suggests) {
  expect_failure("{\n"
                 "  \"sources\": [\n"
                 "    { \"id\": \"a\", \"plugin\": \"p\",\n"
                 "      \"url\": \"https://example.org/\",\n"
                 "      \"limits\": {\n"
                 "        \"max_byte\": 5 } } ]\n"
                 "}\n",
                 "gateway.json:6: sources[0].limits.max_byte: unknown key "
                 "\"max_byte\"; did you mean \"max_bytes\"?");
}

Test(config, unknown_key_without_close_match_lists_keys) {
  expect_failure("{ \"tls\": { \"zzzzzz\": 1 } }",
                 "gateway.json:1: tls.zzzzzz: unknown key \"zzzzzz\" "
                 "(expected one of: ca_file, client_cert, client_key, "
                 "min_version, pinned_pubkey)");
}

Test(config, wrong_types_name_the_expected_type) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(load_text("{\n"
                         "  \"data_dir\": 5,\n"
                         "  \"tls\": [],\n"
                         "  \"exports\": [\n"
                         "    { \"format\": \"json\", \"path\": \"a.json\",\n"
                         "      \"with_provenance\": \"yes\" } ],\n"
                         "  \"sources\": [ { \"id\": \"a\", \"plugin\": "
                         "\"p\", \"url\": \"https://h/\",\n"
                         "    \"limits\": { \"max_bytes\": \"big\" },\n"
                         "    \"params\": [] } ]\n"
                         "}\n",
                         0, &cfg),
               -1);
  cr_expect(strstr(err, ":2: data_dir: expected a string, got an integer"),
            "%s", err);
  cr_expect(strstr(err, ":3: tls: expected an object, got an array"), "%s",
            err);
  cr_expect(strstr(err, ":6: exports[0].with_provenance: expected a boolean "
                        "(true or false), got a string"),
            "%s", err);
  cr_expect(strstr(err, ":8: sources[0].limits.max_bytes: expected a "
                        "positive integer, got a string"),
            "%s", err);
  cr_expect(strstr(err, ":9: sources[0].params: expected an object, got an "
                        "array"),
            "%s", err);
  cr_expect_eq(count_lines(err), 5, "%s", err);
}

Test(config, missing_required_keys_point_at_the_object) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(load_text("{\n"
                         "  \"sources\": [\n"
                         "    {\n"
                         "      \"plugin\": \"cbs_odata\" }\n"
                         "  ],\n"
                         "  \"exports\": [ { \"path\": \"x.csv\" } ]\n"
                         "}\n",
                         0, &cfg),
               -1);
  cr_expect(strstr(err, ":3: sources[0]: missing required key \"id\""), "%s",
            err);
  cr_expect(strstr(err, ":3: sources[0]: missing required key \"url\""), "%s",
            err);
  cr_expect(strstr(err, ":6: exports[0]: missing required key \"format\""),
            "%s", err);
}

Test(config, bad_enum_lists_the_choices) {
  expect_failure("{ \"sources\": [ { \"id\": \"a\", \"plugin\": \"p\",\n"
                 "  \"url\": \"https://example.org/\",\n"
                 "  \"tls_profile\": \"none\" } ] }",
                 "gateway.json:3: sources[0].tls_profile: expected one of "
                 "public, digikoppeling, got \"none\"");
  expect_failure("{\n \"tls\": { \"min_version\": \"1.1\" } }",
                 "gateway.json:2: tls.min_version: expected one of 1.2, 1.3, "
                 "got \"1.1\"");
  expect_failure("{ \"exports\": [ { \"format\": \"csv\", \"path\": \"a\",\n"
                 "  \"csv\": { \"delimiter\": \"|\" } } ] }",
                 "gateway.json:2: exports[0].csv.delimiter: expected one of "
                 ";, ,, \t, got \"|\"");
}

Test(config, duplicate_source_id) {
  expect_failure("{ \"sources\": [\n"
                 "  { \"id\": \"a\", \"plugin\": \"p\", \"url\": "
                 "\"https://h/\" },\n"
                 "  { \"id\": \"a\", \"plugin\": \"p\", \"url\": "
                 "\"https://h/\" }\n"
                 "] }",
                 "gateway.json:3: sources[1].id: duplicate source id \"a\"; "
                 "already used by sources[0] (line 2)");
}

Test(config, url_must_be_https_with_host) {
  expect_failure("{ \"sources\": [ { \"id\": \"a\", \"plugin\": \"p\",\n"
                 "  \"url\": \"http://example.org/odata\" } ] }",
                 "gateway.json:2: sources[0].url: expected an absolute "
                 "https:// URL with a host, got \"http://example.org/odata\"");
  expect_failure("{ \"sources\": [ { \"id\": \"a\", \"plugin\": \"p\",\n"
                 "  \"url\": \"https://\" } ] }",
                 "gateway.json:2: sources[0].url: expected an absolute");
}

Test(config, schedule_errors_name_the_cron_field) {
  expect_failure("{ \"sources\": [ { \"id\": \"a\", \"plugin\": \"p\",\n"
                 "  \"url\": \"https://h/\",\n"
                 "  \"schedule\": \"0 24 * * *\" } ] }",
                 "gateway.json:3: sources[0].schedule: field 2 (hour): 24 is "
                 "out of range 0-23 in \"0 24 * * *\"");
  expect_failure("{ \"sources\": [ { \"id\": \"a\", \"plugin\": \"p\",\n"
                 "  \"url\": \"https://h/\", \"schedule\": \"0 6 * foo *\" } "
                 "] }",
                 "gateway.json:2: sources[0].schedule: field 4 (month): 'foo' "
                 "is neither a number 1-12 nor a name jan..dec");
  struct gw_config *cfg = NULL;
  cr_assert_eq(load_text("{ \"sources\": [ { \"id\": \"a\", \"plugin\": "
                         "\"p\", \"url\": \"https://h/\",\n"
                         "  \"schedule\": \"*/15 6-18 * jan-jun mon-fri\" } "
                         "] }",
                         0, &cfg),
               0, "%s", err);
  config_free(cfg);
}

Test(config, source_value_rules) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(load_text("{ \"sources\": [\n"
                         "  { \"id\": \"Bad ID\", \"plugin\": \"../evil\",\n"
                         "    \"url\": \"https://h/\",\n"
                         "    \"schedule\": \"0 6 * *\",\n"
                         "    \"allowed_hosts\": [\"exa mple.org\", 3],\n"
                         "    \"unknown_periods\": \"drop\" },\n"
                         "  { \"id\": \"dk\", \"plugin\": \"p\", \"url\": "
                         "\"https://h/\",\n"
                         "    \"tls_profile\": \"digikoppeling\" },\n"
                         "  { \"id\": \"oin\", \"plugin\": \"p\", \"url\": "
                         "\"https://h/\",\n"
                         "    \"expected_oin\": \"123\" },\n"
                         "  { \"id\": \"pub\", \"plugin\": \"p\", \"url\": "
                         "\"https://h/\",\n"
                         "    \"expected_oin\": \"00000001003214345000\",\n"
                         "    \"limits\": { \"connect_timeout_ms\": 0 } }\n"
                         "] }",
                         0, &cfg),
               -1);
  cr_expect(strstr(err, ":2: sources[0].id: expected 1 to 64 lower-case"), "%s",
            err);
  cr_expect(strstr(err, ":2: sources[0].plugin: expected a plugin name"), "%s",
            err);
  cr_expect(strstr(err, ":4: sources[0].schedule: expected 5 fields (minute "
                        "hour day-of-month month day-of-week), got 4"),
            "%s", err);
  cr_expect(strstr(err, ":5: sources[0].allowed_hosts[0]: expected a host "
                        "name, got \"exa mple.org\""),
            "%s", err);
  cr_expect(strstr(err, ":5: sources[0].allowed_hosts[1]: expected a "
                        "non-empty string, got an integer"),
            "%s", err);
  cr_expect(strstr(err, ":6: sources[0].unknown_periods: expected one of "
                        "keep, reject, got \"drop\""),
            "%s", err);
  cr_expect(strstr(err, ":7: sources[1]: missing required key "
                        "\"expected_oin\""),
            "%s", err);
  cr_expect(strstr(err, ":10: sources[2].expected_oin: expected an OIN of 20 "
                        "digits, got \"123\""),
            "%s", err);
  cr_expect(strstr(err, ":12: sources[3].expected_oin: only used with"), "%s",
            err);
  cr_expect(strstr(err, ":13: sources[3].limits.connect_timeout_ms: expected "
                        "a positive integer"),
            "%s", err);
}

Test(config, proxy_values) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(
      load_text("{ \"sources\": [\n"
                "  { \"id\": \"env\", \"plugin\": \"p\", \"url\": "
                "\"https://h/\" },\n"
                "  { \"id\": \"via\", \"plugin\": \"p\", \"url\": "
                "\"https://h/\",\n"
                "    \"proxy\": \"http://proxy.gemeente.local:8080\" },\n"
                "  { \"id\": \"tls\", \"plugin\": \"p\", \"url\": "
                "\"https://h/\",\n"
                "    \"proxy\": \"https://[::1]:3128/\" },\n"
                "  { \"id\": \"none\", \"plugin\": \"p\", \"url\": "
                "\"https://h/\", \"proxy\": \"none\" },\n"
                "  { \"id\": \"empty\", \"plugin\": \"p\", \"url\": "
                "\"https://h/\", \"proxy\": \"\" }\n"
                "] }",
                0, &cfg),
      0, "%s", err);
  cr_expect_null(cfg->sources[0].proxy);
  cr_expect_str_eq(cfg->sources[1].proxy, "http://proxy.gemeente.local:8080");
  cr_expect_str_eq(cfg->sources[2].proxy, "https://[::1]:3128/");
  cr_expect_str_eq(cfg->sources[3].proxy, "");
  cr_expect_str_eq(cfg->sources[4].proxy, "");
  config_free(cfg);
}

Test(config, proxy_rules) {
  static const char *const bad[] = {"socks5://p:1080",
                                    "http://proxy.local",
                                    "http://proxy.local:0",
                                    "http://proxy.local:99999",
                                    "http://u:pw@proxy.local:8080",
                                    "http://pro xy:8080",
                                    "http://proxy.local:8080/path",
                                    "proxy:8080",
                                    NULL};
  for (size_t i = 0; bad[i]; i++) {
    char json[512];
    char needle[256];
    cr_assert_eq(text_format(json, sizeof json,
                             "{ \"sources\": [ { \"id\": \"a\", "
                             "\"plugin\": \"p\",\n  \"url\": \"https://h/\",\n"
                             "  \"proxy\": \"%s\" } ] }",
                             bad[i]),
                 0);
    cr_assert_eq(text_format(needle, sizeof needle,
                             "gateway.json:3: sources[0].proxy: expected "
                             "\"http://host:port\" or \"https://host:port\" "
                             "(no user:password), or \"none\" to bypass any "
                             "proxy, got \"%s\"",
                             bad[i]),
                 0);
    expect_failure(json, needle);
  }
  expect_failure("{ \"sources\": [ { \"id\": \"a\", \"plugin\": \"p\",\n"
                 "  \"url\": \"https://h/\", \"proxy\": 8080 } ] }",
                 "gateway.json:2: sources[0].proxy: expected a");
}

Test(config, export_and_tls_rules) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(load_text("{ \"exports\": [\n"
                         "  { \"format\": \"json\", \"path\": \"a.json\",\n"
                         "    \"csv\": { \"bom\": true } },\n"
                         "  { \"format\": \"xml\", \"path\": \"a.json\",\n"
                         "    \"areas\": [] } ],\n"
                         "  \"tls\": { \"client_cert\": \"c.pem\",\n"
                         "    \"pinned_pubkey\": \"md5//abc\" },\n"
                         "  \"serve\": { \"listen\": \"8443\" },\n"
                         "  \"audit\": { \"processing_activity_id\": \"42\" }\n"
                         "}",
                         0, &cfg),
               -1);
  cr_expect(strstr(err, ":3: exports[0].csv: csv options apply only to"), "%s",
            err);
  cr_expect(strstr(err, ":4: exports[1].path: same file as exports[0]"), "%s",
            err);
  cr_expect(strstr(err, ":5: exports[1].areas: empty list"), "%s", err);
  cr_expect(strstr(err, ":6: tls: missing required key \"client_key\""), "%s",
            err);
  cr_expect(strstr(err, ":7: tls.pinned_pubkey: expected \"sha256//"), "%s",
            err);
  cr_expect(strstr(err, ":8: serve.listen: expected \"host:port\""), "%s", err);
  cr_expect(strstr(err, ":9: audit.processing_activity_id: expected a URI"),
            "%s", err);
}

Test(config, all_errors_are_collected) {
  struct gw_config *cfg = NULL;
  const char *needles[] = {
      "many_errors.json:2: data_dri: unknown key \"data_dri\"; did you mean "
      "\"data_dir\"?",
      "many_errors.json:4: tls.min_version: expected one of 1.2, 1.3, got "
      "\"1.1\"",
      "many_errors.json:5: tls.ca_fil: unknown key \"ca_fil\"; did you mean "
      "\"ca_file\"?",
      "many_errors.json:7: audit.signing_key: secrets must not be written "
      "inline",
      "many_errors.json:15: sources[1].id: duplicate source id \"ok-source\"",
      "many_errors.json:17: sources[1].url: expected an absolute https://",
      "many_errors.json:18: sources[1].tls_profil: unknown key \"tls_profil\"; "
      "did you mean \"tls_profile\"?",
      "many_errors.json:19: sources[1].tls_profile: expected one of public, "
      "digikoppeling, got \"none\"",
      "many_errors.json:20: sources[1].limits.max_bytes: expected a positive "
      "integer, got a string",
      "many_errors.json:22: sources[2]: missing required key \"id\"",
      "many_errors.json:24: exports[0].format: expected one of json, xml, csv, "
      "got \"pdf\"",
      "many_errors.json:24: exports[0].path: expected a string, got an "
      "integer",
  };
  cr_assert_eq(
      config_load(fixture("many_errors.json"), 0, &cfg, err, sizeof err), -1);
  for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
    cr_expect(strstr(err, needles[i]) != NULL, "missing \"%s\" in:\n%s",
              needles[i], err);
  cr_expect_eq(count_lines(err), (int)(sizeof needles / sizeof needles[0]),
               "%s", err);
  cr_expect_null(strstr(err, "hunter2"), "secret leaked: %s", err);
  /* reported top to bottom, like the file reads */
  {
    long previous = 0;
    for (const char *p = err; p;
         p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
      const char *colon = strstr(p, ".json:");
      long line;
      cr_assert_not_null(colon);
      line = strtol(colon + 6, NULL, 10);
      cr_expect_geq(line, previous, "out of order:\n%s", err);
      previous = line;
    }
  }
}

Test(config, errors_beyond_the_buffer_are_counted) {
  struct gw_config *cfg = NULL;
  char small[300];
  cr_assert_eq(
      config_load(fixture("many_errors.json"), 0, &cfg, small, sizeof small),
      -1);
  cr_expect(strstr(small, "more errors not shown)") != NULL, "%s", small);
  cr_expect_lt(strlen(small), sizeof small);
}

Test(config, json_syntax_error_has_jansson_line_and_column) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(
      config_load(fixture("syntax_error.json"), 0, &cfg, err, sizeof err), -1);
  cr_expect(strstr(err, "syntax_error.json:5:5: invalid JSON: ") != NULL, "%s",
            err);
  expect_failure("{\n \"data_dir\": \"a\",\n \"data_dir\": \"b\"\n}",
                 "gateway.json:3:");
  expect_failure("{\n \"data_dir\": \"a\",\n \"data_dir\": \"b\"\n}",
                 "duplicate");
  expect_failure("\n[1, 2]\n", "gateway.json:2: expected a JSON object");
}

Test(config, missing_config_file_is_named) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(config_load(in_tmp("nope.json"), 0, &cfg, err, sizeof err), -1);
  cr_expect(strstr(err, "nope.json: cannot open the config file: No such "
                        "file") != NULL,
            "%s", err);
}

/* ---- secrets ------------------------------------------------------------ */

Test(config, inline_secret_is_refused_without_echoing_it) {
  expect_failure("{\n \"audit\": {\n  \"signing_key\": \"hunter2\" } }",
                 "gateway.json:3: audit.signing_key: secrets must not be "
                 "written inline; use \"${ENV}\" or {\"file\": ...}");
  cr_expect_null(strstr(err, "hunter2"));
  expect_failure("{ \"tls\": { \"client_cert\": \"c.pem\",\n"
                 /* split: no committed file carries a PEM private-key header */
                 "  \"client_key\": \"-----BEGIN PRIV"
                 "ATE KEY-----\\nMIIE\" } }",
                 "gateway.json:2: tls.client_key: secrets must not be written "
                 "inline");
  cr_expect_null(strstr(err, "MIIE"));
  expect_failure("{ \"audit\": { \"signing_key\": 42 } }",
                 "audit.signing_key: expected \"${ENV}\" or {\"file\": ...}, "
                 "got an integer");
}

Test(config, env_secret_unset_or_empty_names_the_variable) {
  unsetenv("GW_TEST_UNSET_SECRET");
  expect_failure("{ \"audit\": {\n"
                 "  \"signing_key\": \"${GW_TEST_UNSET_SECRET}\" } }",
                 "gateway.json:2: audit.signing_key: environment variable "
                 "GW_TEST_UNSET_SECRET is not set");
  cr_assert_eq(setenv("GW_TEST_EMPTY_SECRET", "", 1), 0);
  expect_failure("{ \"audit\": {\n"
                 "  \"signing_key\": \"${GW_TEST_EMPTY_SECRET}\" } }",
                 "environment variable GW_TEST_EMPTY_SECRET is empty");
  expect_failure("{ \"audit\": { \"signing_key\": \"${BAD NAME}\" } }",
                 "invalid environment variable reference");
}

Test(config, secret_from_file) {
  struct gw_config *cfg = NULL;
  write_file_mode(in_tmp("signing.key"), "file-secret-value\n", 0600);
  cr_assert_eq(load_text("{ \"audit\": { \"signing_key\": "
                         "{ \"file\": \"signing.key\" } } }",
                         0, &cfg),
               0, "%s", err);
  cr_expect_str_eq(cfg->audit_signing_key, "file-secret-value");
  cr_expect(has_secret(cfg, "file-secret-value"));
  config_free(cfg);
}

Test(config, secret_file_problems) {
  write_file_mode(in_tmp("empty.key"), "\n", 0600);
  expect_failure("{ \"audit\": {\n \"signing_key\": {\n  \"file\": "
                 "\"missing.key\" } } }",
                 "gateway.json:3: audit.signing_key.file: secret file not "
                 "found: ");
  cr_expect(strstr(err, "/missing.key") != NULL, "%s", err);
  expect_failure("{ \"audit\": { \"signing_key\": { \"file\": \"empty.key\" "
                 "} } }",
                 "audit.signing_key.file: secret file");
  cr_expect(strstr(err, "is empty") != NULL, "%s", err);
  expect_failure("{ \"audit\": { \"signing_key\": {\n \"fil\": \"x\" } } }",
                 "gateway.json:2: audit.signing_key.fil: unknown key \"fil\"; "
                 "did you mean \"file\"?");
  expect_failure("{ \"audit\": { \"signing_key\": {} } }",
                 "audit.signing_key: missing required key \"file\"");
}

static void setup_capture_stderr(void) {
  setup();
  cr_redirect_stderr();
}

/* Everything written to stderr so far (accumulated across calls). */
static int stderr_contains(const char *needle) {
  static char buf[8192];
  static size_t used;
  FILE *f = cr_get_redirected_stderr();
  fflush(stderr);
  used += fread(buf + used, 1, sizeof buf - 1 - used, f);
  buf[used] = '\0';
  return strstr(buf, needle) != NULL;
}

Test(config, group_readable_secret_file_warns_but_loads,
     .init = setup_capture_stderr) {
  struct gw_config *cfg = NULL;
  /* a warning, not an error: operators fix modes at their own pace */
  write_file_mode(in_tmp("open.key"), "v", 0644);
  cr_assert_eq(load_text("{ \"audit\": { \"signing_key\": "
                         "{ \"file\": \"open.key\" } } }",
                         0, &cfg),
               0, "%s", err);
  cr_expect_str_eq(cfg->audit_signing_key, "v");
  cr_expect(stderr_contains("audit.signing_key.file: secret file "));
  cr_expect(stderr_contains("is accessible by group or others (mode 0644)"));
  config_free(cfg);
}

Test(config, client_key_forms) {
  struct gw_config *cfg = NULL;
  char expect[PATH_MAX + 64];
  cr_assert_eq(setenv("GW_TEST_KEY_PATH", "/run/creds/client.key", 1), 0);
  cr_assert_eq(load_text("{ \"tls\": { \"client_cert\": \"c.pem\", "
                         "\"client_key\": \"${GW_TEST_KEY_PATH}\" } }",
                         0, &cfg),
               0, "%s", err);
  cr_expect_str_eq(cfg->tls.client_key, "/run/creds/client.key");
  config_free(cfg);
  cr_assert_eq(load_text("{ \"tls\": { \"client_cert\": \"c.pem\", "
                         "\"client_key\": { \"file\": \"k.pem\" } } }",
                         0, &cfg),
               0, "%s", err);
  snprintf(expect, sizeof expect, "%s/k.pem", real_dir(tmpdir));
  cr_expect_str_eq(cfg->tls.client_key, expect);
  config_free(cfg);
  unsetenv("GW_TEST_KEY_PATH");
}

/* ---- referenced files (check_files) ------------------------------------- */

Test(config, missing_ca_file) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(ts_write_file(in_tmp("cat.json"), "{}"), 0);
  cr_assert_eq(load_text("{ \"catalogue\": \"cat.json\",\n"
                         "  \"tls\": {\n"
                         "    \"ca_file\": \"certs/missing-ca.pem\" } }",
                         1, &cfg),
               -1);
  cr_expect(strstr(err, "gateway.json:3: tls.ca_file: file not found: ") !=
                NULL,
            "%s", err);
  cr_expect(strstr(err, "certs/missing-ca.pem") != NULL, "%s", err);
  cr_expect_eq(count_lines(err), 1, "%s", err);
  /* without check_files the same config loads */
  cr_assert_eq(
      load_text("{ \"tls\": { \"ca_file\": \"missing.pem\" } }", 0, &cfg), 0,
      "%s", err);
  config_free(cfg);
}

Test(config, certificates_are_parsed_and_dated) {
  struct gw_config *cfg = NULL;
  make_cert(in_tmp("ca.pem"), NULL, -1, 365);
  make_cert(in_tmp("client.pem"), in_tmp("client.key"), -1, 365);
  make_cert(in_tmp("old.pem"), in_tmp("old.key"), -30, -1);
  cr_assert_eq(ts_write_file(in_tmp("cat.json"), "{}"), 0);
  cr_assert_eq(ts_write_file(in_tmp("notpem.pem"), "hello\n"), 0);
  cr_assert_eq(load_text("{ \"catalogue\": \"cat.json\",\n"
                         "  \"tls\": { \"ca_file\": \"ca.pem\",\n"
                         "    \"client_cert\": \"client.pem\",\n"
                         "    \"client_key\": \"client.key\" } }",
                         1, &cfg),
               0, "%s", err);
  config_free(cfg);
  cr_assert_eq(load_text("{ \"catalogue\": \"cat.json\",\n"
                         "  \"tls\": { \"ca_file\": \"notpem.pem\",\n"
                         "    \"client_cert\": \"old.pem\",\n"
                         "    \"client_key\": \"old.key\" } }",
                         1, &cfg),
               -1);
  cr_expect(strstr(err, ":2: tls.ca_file: not a PEM X.509 certificate: ") !=
                NULL,
            "%s", err);
  cr_expect(strstr(err, ":3: tls.client_cert: certificate expired on ") != NULL,
            "%s", err);
  cr_expect(strstr(err, "old.pem (subject /CN=config-test)") != NULL, "%s",
            err);
  cr_expect_eq(count_lines(err), 2, "%s", err);
}

Test(config, missing_catalogue_and_targets_with_check_files) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(load_text("{\n \"catalogue\": \"nope.json\",\n"
                         " \"targets\": \"t.csv\" }",
                         1, &cfg),
               -1);
  cr_expect(strstr(err, "gateway.json:2: catalogue: file not found: ") != NULL,
            "%s", err);
  cr_expect(strstr(err, "gateway.json:3: targets: file not found: ") != NULL,
            "%s", err);
}

/* ---- locating lines ----------------------------------------------------- */

Test(config, line_of_nested_paths) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(setenv("GW_TEST_SIGNING_KEY", "k", 1), 0);
  cr_assert_eq(config_load(fixture("full.json"), 0, &cfg, err, sizeof err), 0,
               "%s", err);
  cr_expect_eq(config_line_of(cfg, ""), 1);
  cr_expect_eq(config_line_of(cfg, "/tls"), 6);
  cr_expect_eq(config_line_of(cfg, "/sources/0"), 19);
  cr_expect_eq(config_line_of(cfg, "/sources/0/params/table"), 24);
  cr_expect_eq(config_line_of(cfg, "/sources/0/params/areas/0"), 24);
  cr_expect_eq(config_line_of(cfg, "/sources/1/limits/max_bytes"), 38);
  cr_expect_eq(config_line_of(cfg, "/exports/0/csv/delimiter"), 50);
  cr_expect_eq(config_line_of(cfg, "/exports/1/name"), 52);
  cr_expect_eq(config_line_of(cfg, "/targets"), 59);
  cr_expect_eq(config_line_of(cfg, "/nope"), 0);
  cr_expect_eq(config_line_of(cfg, "/sources/2"), 0);
  cr_expect_eq(config_line_of(cfg, "/sources/x"), 0);
  cr_expect_eq(config_line_of(cfg, "/sources/01"), 0);
  cr_expect_eq(config_line_of(cfg, "/data_dir/0"), 0);
  config_free(cfg);
  unsetenv("GW_TEST_SIGNING_KEY");
}

Test(config, locate_handles_escapes_and_tricky_strings) {
  const char *text = "{\n"
                     "  \"a/b\": { \"x~y\": 1 },\n"
                     "  \"skip\": \"}]{[,:\\\"\",\n"
                     "  \"\\u00e9t\\u00e9\": [\n"
                     "    0,\n"
                     "    { \"k\": [true, null,\n"
                     "      -1.5e3] }\n"
                     "  ],\n"
                     "  \"\\ud83d\\ude00\": \"smile\"\n"
                     "}\n";
  size_t len = strlen(text);
  cr_expect_eq(json_locate_line(text, len, "/a~1b/x~0y"), 2);
  cr_expect_eq(json_locate_line(text, len, "/skip"), 3);
  cr_expect_eq(json_locate_line(text, len, "/\xc3\xa9t\xc3\xa9"), 4);
  cr_expect_eq(json_locate_line(text, len, "/\xc3\xa9t\xc3\xa9/1/k/2"), 7);
  cr_expect_eq(json_locate_line(text, len, "/\xf0\x9f\x98\x80"), 9);
  cr_expect_eq(json_locate_line(text, len, "/a~1b/x~2y"), 0); /* bad escape */
  cr_expect_eq(json_locate_line(text, len, "/a"), 0);
  cr_expect_eq(json_locate_line(text, len, "no-slash"), 0);
  cr_expect_eq(json_locate_line("{\"a\": ", 6, "/a"), 0); /* truncated */
  cr_expect_eq(json_locate_line("{\"a\" 1}", 7, "/a"), 0);
  cr_expect_eq(json_locate_line("[]", 2, "/0"), 0);
}

/* ---- plugin params ------------------------------------------------------ */

static const struct gw_config_key test_keys[] = {
    {"table", GW_CFG_STRING, GW_CFG_REQUIRED, NULL, "StatLine table id"},
    {"page_size", GW_CFG_INT, 0, "200", "rows per page"},
    {"verbose", GW_CFG_BOOL, 0, "false", "log every page"},
    {"headers", GW_CFG_STRING_MAP, 0, NULL, "extra request headers"},
    {"areas", GW_CFG_STRING_LIST, 0, NULL, "area codes to keep"},
    {"api_key", GW_CFG_STRING, GW_CFG_SECRET, NULL, "API key"},
    {NULL, GW_CFG_STRING, 0, NULL, NULL}};

static struct gw_config *load_params(const char *params_json) {
  struct gw_config *cfg = NULL;
  char json[4096];
  snprintf(json, sizeof json,
           "{ \"sources\": [\n"
           "  { \"id\": \"x\", \"plugin\": \"p\", \"url\": \"https://h/\" },\n"
           "  { \"id\": \"b\", \"plugin\": \"p\", \"url\": \"https://h/\",\n"
           "    \"params\": %s } ] }\n",
           params_json);
  cr_assert_eq(load_text(json, 0, &cfg), 0, "%s", err);
  return cfg;
}

Test(config, params_valid) {
  struct gw_config *cfg;
  cr_assert_eq(setenv("GW_TEST_API_KEY", "k-123", 1), 0);
  cfg = load_params("{ \"table\": \"90001NED\", \"page_size\": 100,\n"
                    "  \"verbose\": true, \"headers\": { \"X-A\": \"1\" },\n"
                    "  \"areas\": [\"GM0384\"],\n"
                    "  \"api_key\": \"${GW_TEST_API_KEY}\" }");
  err[0] = '\0';
  cr_expect_eq(
      config_check_params(cfg, &cfg->sources[1], test_keys, err, sizeof err), 0,
      "%s", err);
  cr_expect_str_eq(err, "");
  config_free(cfg);
  unsetenv("GW_TEST_API_KEY");
}

Test(config, params_unknown_and_missing) {
  struct gw_config *cfg = load_params("{\n      \"tabel\": \"90001NED\" }");
  err[0] = '\0';
  cr_expect_eq(
      config_check_params(cfg, &cfg->sources[1], test_keys, err, sizeof err), 2,
      "%s", err);
  cr_expect(strstr(err, "gateway.json:5: sources[1].params.tabel: unknown key "
                        "\"tabel\"; did you mean \"table\"?") != NULL,
            "%s", err);
  cr_expect(strstr(err, "gateway.json:4: sources[1].params: missing required "
                        "key \"table\" (StatLine table id)") != NULL,
            "%s", err);
  /* no params at all */
  err[0] = '\0';
  cr_expect_eq(
      config_check_params(cfg, &cfg->sources[0], test_keys, err, sizeof err), 1,
      "%s", err);
  cr_expect(strstr(err, "gateway.json:2: sources[0]: missing required key "
                        "\"params.table\"") != NULL,
            "%s", err);
  config_free(cfg);
}

Test(config, params_wrong_types) {
  struct gw_config *cfg = load_params("{ \"table\": \"t\",\n"
                                      "      \"page_size\": \"200\",\n"
                                      "      \"verbose\": 1,\n"
                                      "      \"headers\": { \"X-A\": 1 },\n"
                                      "      \"areas\": [\"GM0384\", false],\n"
                                      "      \"api_key\": \"inline-key\" }");
  err[0] = '\0';
  cr_expect_eq(
      config_check_params(cfg, &cfg->sources[1], test_keys, err, sizeof err), 5,
      "%s", err);
  cr_expect(strstr(err, ":5: sources[1].params.page_size: expected an "
                        "integer, got a string") != NULL,
            "%s", err);
  cr_expect(strstr(err, ":6: sources[1].params.verbose: expected a boolean "
                        "(true or false), got an integer") != NULL,
            "%s", err);
  cr_expect(strstr(err, ":7: sources[1].params.headers.X-A: expected a "
                        "string, got an integer") != NULL,
            "%s", err);
  cr_expect(strstr(err, ":8: sources[1].params.areas[1]: expected a string, "
                        "got a boolean") != NULL,
            "%s", err);
  cr_expect(strstr(err, ":9: sources[1].params.api_key: secrets must not be "
                        "written inline") != NULL,
            "%s", err);
  cr_expect_null(strstr(err, "inline-key"));
  config_free(cfg);
}

Test(config, params_errors_append_to_err) {
  struct gw_config *cfg =
      load_params("{ \"table\": \"t\", \"api_key\": \"${GW_TEST_NOPE}\" }");
  unsetenv("GW_TEST_NOPE");
  snprintf(err, sizeof err, "earlier error");
  cr_expect_eq(
      config_check_params(cfg, &cfg->sources[1], test_keys, err, sizeof err),
      1);
  cr_expect(strncmp(err, "earlier error\n", 14) == 0, "%s", err);
  cr_expect(strstr(err, "sources[1].params.api_key: environment variable "
                        "GW_TEST_NOPE is not set") != NULL,
            "%s", err);
  config_free(cfg);
}

Test(config, resolve_secret_by_source_id_path) {
  struct gw_config *cfg =
      load_params("{ \"table\": \"t\",\n"
                  "      \"api_key\": \"${GW_TEST_RESOLVE}\" }");
  const json_t *value = json_object_get(cfg->sources[1].params, "api_key");
  const char *a, *b;
  size_t n = 0;
  unsetenv("GW_TEST_RESOLVE");
  cr_expect_null(config_resolve_secret(cfg, value, "sources[b].params.api_key",
                                       err, sizeof err));
  cr_expect(strstr(err,
                   "gateway.json:5: sources[b].params.api_key: "
                   "environment variable GW_TEST_RESOLVE is not set") != NULL,
            "%s", err);
  cr_assert_eq(setenv("GW_TEST_RESOLVE", "tok-9", 1), 0);
  a = config_resolve_secret(cfg, value, "sources[b].params.api_key", err,
                            sizeof err);
  b = config_resolve_secret(cfg, value, "sources[1].params.api_key", err,
                            sizeof err);
  cr_assert_not_null(a);
  cr_expect_str_eq(a, "tok-9");
  cr_expect_eq(a, b); /* kept once, however often a run resolves it */
  while (cfg->secrets[n])
    n++;
  cr_expect_eq(n, 1);
  config_free(cfg);
  unsetenv("GW_TEST_RESOLVE");
}

/* ---- allocation failures ------------------------------------------------ */

Test(config, every_allocation_failure_is_clean) {
  int failed = 0, loaded = 0;
  cr_assert_eq(setenv("GW_TEST_SIGNING_KEY", "k", 1), 0);
  for (unsigned long n = 1; n < 400; n++) {
    struct gw_config *cfg = NULL;
    int rc;
    err[0] = '\0';
    gw_alloc_fail_at(n);
    rc = config_load(fixture("full.json"), 0, &cfg, err, sizeof err);
    gw_alloc_fail_at(0);
    if (rc == 0) {
      /* a load that succeeds must be complete, not silently thinned */
      cr_assert_eq(cfg->source_count, 2);
      cr_assert_not_null(cfg->sources[1].allowed_hosts[1]);
      cr_assert_not_null(cfg->exports[0].name);
      cr_assert_not_null(cfg->audit_signing_key);
      loaded++;
    } else {
      cr_assert_null(cfg);
      cr_assert(err[0] != '\0', "allocation %lu failed without a message", n);
      failed++;
    }
    config_free(cfg);
  }
  cr_expect_gt(failed, 20);
  cr_expect_gt(loaded, 0); /* the sweep went past the last allocation */
  unsetenv("GW_TEST_SIGNING_KEY");
}

/* The example in docs/configuration.md must stay a valid config. */
Test(config, documented_example_loads) {
  struct gw_config *cfg = NULL;
  char doc_path[1024];
  char *doc, *start, *end;
  snprintf(doc_path, sizeof doc_path, "%s/docs/configuration.md",
           ts_source_dir());
  doc = ts_read_file(doc_path, NULL);
  cr_assert_not_null(doc, "cannot read %s", doc_path);
  start = strstr(doc, "## Example\n\n```json\n");
  cr_assert_not_null(start, "no example section in %s", doc_path);
  start += strlen("## Example\n\n```json\n");
  end = strstr(start, "```");
  cr_assert_not_null(end);
  *end = '\0';
  cr_assert_eq(setenv("GATEWAY_SIGNING_KEY", "doc-key", 1), 0);
  cr_assert_eq(load_text(start, 0, &cfg), 0, "%s", err);
  unsetenv("GATEWAY_SIGNING_KEY");
  cr_expect_eq(cfg->source_count, 2);
  cr_expect_eq(cfg->export_count, 2);
  cr_expect_str_eq(cfg->audit_path, "/var/lib/gateway/exchange.log");
  cr_expect_eq(cfg->privacy_min_count, 5);
  cr_expect_str_eq(cfg->privacy_quarantine_dir, "/var/lib/gateway/quarantine");
  config_free(cfg);
  free(doc);
}

/* ---- privacy ------------------------------------------------------------ */

Test(config, privacy_defaults_follow_data_dir) {
  struct gw_config *cfg = NULL;
  char cwd[PATH_MAX], expect[PATH_MAX + 64];
  cr_assert_eq(load_text("{ \"data_dir\": \"/srv/gw\" }", 0, &cfg), 0, "%s",
               err);
  cr_expect_eq(cfg->privacy_min_count, 0, "small-cell rule off by default");
  cr_expect_str_eq(cfg->privacy_quarantine_dir, "/srv/gw/quarantine");
  config_free(cfg);
  cr_assert_eq(config_default(&cfg, err, sizeof err), 0, "%s", err);
  cr_assert(getcwd(cwd, sizeof cwd) != NULL);
  snprintf(expect, sizeof expect, "%s/gateway-data/quarantine", cwd);
  cr_expect_str_eq(cfg->privacy_quarantine_dir, expect);
  cr_expect_eq(cfg->privacy_min_count, 0);
  config_free(cfg);
}

Test(config, privacy_values) {
  struct gw_config *cfg = NULL;
  char expect[PATH_MAX + 64];
  cr_assert_eq(load_text("{ \"privacy\": { \"min_count\": 10,\n"
                         "  \"quarantine_dir\": \"q/held\" } }",
                         0, &cfg),
               0, "%s", err);
  cr_expect_eq(cfg->privacy_min_count, 10);
  snprintf(expect, sizeof expect, "%s/q/held", real_dir(tmpdir));
  cr_expect_str_eq(cfg->privacy_quarantine_dir, expect);
  config_free(cfg);
  cr_assert_eq(load_text("{ \"privacy\": { \"min_count\": 0 } }", 0, &cfg), 0,
               "%s", err);
  cr_expect_eq(cfg->privacy_min_count, 0);
  config_free(cfg);
}

Test(config, privacy_errors) {
  expect_failure("{\n  \"privacy\": { \"min_count\": -1 }\n}",
                 "gateway.json:2: privacy.min_count: expected an integer from "
                 "0 (off) to 1000000, got -1");
  expect_failure("{\n  \"privacy\": { \"min_count\": \"5\" }\n}",
                 "privacy.min_count: expected an integer (0 switches the rule "
                 "off), got a string");
  expect_failure("{\n  \"privacy\": { \"min_cuont\": 5 }\n}",
                 "did you mean \"min_count\"");
  expect_failure("{\n  \"privacy\": { \"quarantine_dir\": \"\" }\n}",
                 "privacy.quarantine_dir: must not be empty");
  expect_failure("{\n  \"privacy\": 5\n}",
                 "gateway.json:2: privacy: expected an object, got an integer");
  expect_failure("{\n  \"privacey\": {}\n}", "did you mean \"privacy\"");
}

Test(config, retry_policy_defaults_and_values) {
  struct gw_config *cfg = NULL;
  struct gw_retry_policy defaults;
  retry_default_policy(&defaults);
  cr_assert_eq(load_text("{ \"sources\": [\n"
                         "  { \"id\": \"a\", \"plugin\": \"p\", \"url\": "
                         "\"https://h/\" },\n"
                         "  { \"id\": \"b\", \"plugin\": \"p\", \"url\": "
                         "\"https://h/\",\n"
                         "    \"retry\": { \"base_ms\": 50, \"cap_ms\": 200,\n"
                         "               \"max_attempts\": 3, \"max_age_s\": "
                         "60 } },\n"
                         "  { \"id\": \"c\", \"plugin\": \"p\", \"url\": "
                         "\"https://h/\",\n"
                         "    \"retry\": { \"max_attempts\": 1 } }\n"
                         "] }",
                         0, &cfg),
               0, "%s", err);
  cr_expect_eq(cfg->sources[0].retry.base_ms, defaults.base_ms);
  cr_expect_eq(cfg->sources[0].retry.cap_ms, defaults.cap_ms);
  cr_expect_eq(cfg->sources[0].retry.max_attempts, defaults.max_attempts);
  cr_expect_eq(cfg->sources[0].retry.max_age_ms, defaults.max_age_ms);
  cr_expect_eq(cfg->sources[1].retry.base_ms, 50);
  cr_expect_eq(cfg->sources[1].retry.cap_ms, 200);
  cr_expect_eq(cfg->sources[1].retry.max_attempts, 3);
  cr_expect_eq(cfg->sources[1].retry.max_age_ms, 60000);
  cr_expect_eq(cfg->sources[2].retry.max_attempts, 1);
  cr_expect_eq(cfg->sources[2].retry.base_ms, defaults.base_ms);
  config_free(cfg);
}

Test(config, retry_policy_rules) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(load_text("{ \"sources\": [\n"
                         "  { \"id\": \"a\", \"plugin\": \"p\", \"url\": "
                         "\"https://h/\",\n"
                         "    \"retry\": { \"base_ms\": 0,\n"
                         "               \"cap_ms\": \"1s\",\n"
                         "               \"max_attempts\": 1000,\n"
                         "               \"max_age_s\": -1,\n"
                         "               \"jitter\": true } },\n"
                         "  { \"id\": \"b\", \"plugin\": \"p\", \"url\": "
                         "\"https://h/\",\n"
                         "    \"retry\": { \"base_ms\": 900, \"cap_ms\": 100 } "
                         "},\n"
                         "  { \"id\": \"c\", \"plugin\": \"p\", \"url\": "
                         "\"https://h/\", \"retry\": 3 }\n"
                         "] }",
                         0, &cfg),
               -1);
  cr_assert_null(cfg);
  cr_expect(strstr(err, ":3: sources[0].retry.base_ms: expected a positive "
                        "integer"),
            "%s", err);
  cr_expect(strstr(err, ":4: sources[0].retry.cap_ms: expected a positive "
                        "integer"),
            "%s", err);
  cr_expect(strstr(err, ":5: sources[0].retry.max_attempts: expected a "
                        "positive integer up to 100, got 1000"),
            "%s", err);
  cr_expect(strstr(err, ":6: sources[0].retry.max_age_s: expected a positive "
                        "integer"),
            "%s", err);
  cr_expect(strstr(err, ":7: sources[0].retry.jitter"), "%s", err);
  cr_expect(strstr(err, ":9: sources[1].retry.cap_ms: expected at least "
                        "base_ms (900), got 100"),
            "%s", err);
  cr_expect(strstr(err, ":10: sources[2].retry: expected an object"), "%s",
            err);
}

Test(config, daemon_section_defaults_and_values) {
  struct gw_config *cfg = NULL;
  cr_assert_eq(load_text("{}\n", 0, &cfg), 0, "%s", err);
  cr_expect_eq(cfg->daemon.max_concurrent, 2);
  cr_expect_eq(cfg->daemon.jitter_seconds, 30);
  cr_expect_eq(cfg->daemon.catch_up, 1);
  cr_expect_null(cfg->daemon.timezone);
  cr_expect_null(cfg->daemon.metrics_listen);
  config_free(cfg);
  cfg = NULL;
  cr_assert_eq(load_text("{\"daemon\": {\"max_concurrent\": 4, "
                         "\"jitter_seconds\": 0, \"catch_up\": false, "
                         "\"timezone\": \"UTC\", \"metrics_listen\": "
                         "\"127.0.0.1:9464\"}}\n",
                         0, &cfg),
               0, "%s", err);
  cr_expect_eq(cfg->daemon.max_concurrent, 4);
  cr_expect_eq(cfg->daemon.jitter_seconds, 0);
  cr_expect_eq(cfg->daemon.catch_up, 0);
  cr_expect_str_eq(cfg->daemon.timezone, "UTC");
  cr_expect_str_eq(cfg->daemon.metrics_listen, "127.0.0.1:9464");
  config_free(cfg);
}

Test(config, daemon_section_rules) {
  expect_failure("{\"daemon\": {\"max_concurrent\": 0}}\n",
                 ":1: daemon.max_concurrent: expected a positive integer");
  expect_failure("{\"daemon\": {\"jitter_seconds\": 7200}}\n",
                 "daemon.jitter_seconds: expected an integer from 0 (off) "
                 "to 3600 seconds, got 7200");
  expect_failure("{\"daemon\": {\"timezone\": \"Europe/Diemen\"}}\n",
                 "daemon.timezone: unknown time zone \"Europe/Diemen\"");
  expect_failure("{\"daemon\": {\"metrics_listen\": \"0.0.0.0:9464\"}}\n",
                 "daemon.metrics_listen: expected a loopback");
  expect_failure("{\"daemon\": {\"catch_up\": 1}}\n",
                 "daemon.catch_up: expected a boolean");
  expect_failure("{\"daemon\": {\"jitter\": 5}}\n", "jitter_seconds");
}

Test(config, audit_checkpoint_and_spool_keys) {
  struct gw_config *cfg = NULL;
  char expect[PATH_MAX + 64];
  cr_assert_eq(load_text("{\"audit\": {\"path\": \"log/x.log\"}}\n", 0, &cfg),
               0, "%s", err);
  cr_expect_str_eq(cfg->audit.origin, "indicator-gateway/exchange-log");
  snprintf(expect, sizeof expect, "%s/log/x.log.checkpoints", real_dir(tmpdir));
  cr_expect_str_eq(cfg->audit.checkpoint_file, expect);
  cr_expect_eq(cfg->audit.checkpoint_every, 1000);
  cr_expect_eq(cfg->audit.checkpoint_interval_s, 3600);
  cr_expect_eq(cfg->audit.rotate_bytes, 268435456);
  cr_expect_eq(cfg->audit.rotate_daily, 0);
  cr_expect_null(cfg->audit.verify_keys);
  cr_expect_eq(cfg->spool_retention_days, 90);
  config_free(cfg);
  cfg = NULL;
  cr_assert_eq(
      load_text("{\"audit\": {\"origin\": \"diemen.nl/gateway\", "
                "\"checkpoint_every\": 10, \"rotate_bytes\": 0, "
                "\"rotate_daily\": true, \"verify_keys\": [\"old.vkey\"]}, "
                "\"spool\": {\"retention_days\": 0}}\n",
                0, &cfg),
      0, "%s", err);
  cr_expect_str_eq(cfg->audit.origin, "diemen.nl/gateway");
  cr_expect_eq(cfg->audit.checkpoint_every, 10);
  cr_expect_eq(cfg->audit.rotate_bytes, 0);
  cr_expect_eq(cfg->audit.rotate_daily, 1);
  snprintf(expect, sizeof expect, "%s/old.vkey", real_dir(tmpdir));
  cr_assert_not_null(cfg->audit.verify_keys);
  cr_expect_str_eq(cfg->audit.verify_keys[0], expect);
  cr_expect_null(cfg->audit.verify_keys[1]);
  cr_expect_eq(cfg->spool_retention_days, 0);
  config_free(cfg);
  expect_failure("{\"audit\": {\"rotate_bytes\": -1}}\n",
                 "audit.rotate_bytes: expected an integer from 0 (off)");
  expect_failure("{\"spool\": {\"retention_days\": \"90\"}}\n",
                 "spool.retention_days: expected an integer");
  expect_failure("{\"audit\": {\"checkpoint_every\": 0}}\n",
                 "audit.checkpoint_every: expected a positive integer");
}
