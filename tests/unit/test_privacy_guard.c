/*
 * test_privacy_guard.c - the privacy guard: person-level fields in JSON,
 * XML and CSV are found with the right kind and path, aggregates are not,
 * the value never appears in a finding or an error, large files scan in
 * flat memory, quarantine and salt files behave.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "privacy_guard.h"
#include "test_support.h"
#include "text.h"

static char tmpdir[512];
static struct gw_privacy_settings settings;

static void setup(void) {
  const char *d = ts_mkdtemp();
  cr_assert(d != NULL);
  snprintf(tmpdir, sizeof tmpdir, "%s", d);
  for (size_t i = 0; i < sizeof settings.salt; i++)
    settings.salt[i] = (unsigned char)(i * 7 + 1);
}

static void teardown(void) {
  ts_rm_rf(tmpdir);
}

TestSuite(privacy, .init = setup, .fini = teardown);

struct scan_case {
  const char *name;
  const char *content;
  int expect;         /* 0 clean, 1 finding, -1 error */
  const char *kind;   /* expected kind for 1 */
  const char *path;   /* expected path for 1 */
  const char *secret; /* must appear nowhere in finding or err */
  const char *hashed; /* what the hash must be taken of (NULL: secret) */
};

static const struct scan_case cases[] = {
    /* JSON */
    {"json odata bsn", "{\"value\":[{\"a\":1},{\"Bsn\":\"999900006\"}]}", 1,
     "bsn", "value[1].Bsn", "999900006", NULL},
    {"json number bsn", "[{\"bsn\": 111222333}]", 1, "bsn", "[0].bsn",
     "111222333", NULL},
    {"json burgerservicenummer",
     "{\"persoon\":{\"burgerservicenummer\":\"999900006\"}}", 1, "bsn",
     "persoon.burgerservicenummer", "999900006", NULL},
    {"json clientBsn", "{\"data\":{\"clientBsn\":\"111222333\"}}", 1, "bsn",
     "data.clientBsn", "111222333", NULL},
    {"json bsn_nummer with spaces", "{\"bsn_nummer\": \" 111222333 \"}", 1,
     "bsn", "bsn_nummer", "111222333", NULL},
    {"json formatted bsn", "{\"BSN\":\"9999.00.006\"}", 1, "bsn", "BSN",
     "9999.00.006", "999900006"},
    {"json eight digits get a leading zero", "{\"sofinummer\":\"01007919\"}", 1,
     "bsn", "sofinummer", "01007919", "001007919"},
    {"json escaped key and digits",
     "{\"b\\u0073n\":\"\\u0039\\u0039\\u0039900006\"}", 1, "bsn", "bsn",
     "999900006", NULL},
    {"json map keyed by bsn", "{\"clienten\":{\"999900006\":{\"aantal\":1}}}",
     1, "bsn", "clienten.#########", "999900006", NULL},
    {"json same number in aantal", "{\"aantal\": 999900006}", 0, NULL, NULL,
     "999900006", NULL},
    {"json non-11-check in bsn", "{\"bsn\":\"123456789\"}", 0, NULL, NULL,
     "123456789", NULL},
    {"json aantal_clienten failing 11-check",
     "{\"aantal_clienten\": 123456789}", 0, NULL, NULL, "123456789", NULL},
    {"json decimal in bsn field", "{\"bsn\": 999900006.5}", 0, NULL, NULL,
     "999900006", NULL},
    {"json spreadsheet float bsn", "{\"bsn\": 999900006.0}", 1, "bsn", "bsn",
     "999900006", NULL},
    {"json 10 digits is no bsn", "{\"bsn\": \"9999000061\"}", 0, NULL, NULL,
     "9999000061", NULL},
    {"json client naam", "{\"Client\":{\"id\":3,\"naam\":\"Jan Jansen\"}}", 1,
     "name", "Client.naam", "Jan Jansen", NULL},
    {"json clienten array naam",
     "{\"clienten\":[{\"naam\":\"x\"},{\"naam\":\"Piet\"}]}", 1, "name",
     "clienten[0].naam", "x", NULL},
    {"json voornaam", "{\"rows\":[{\"voornaam\":\"Piet\"}]}", 1, "name",
     "rows[0].voornaam", "Piet", NULL},
    {"json achternaam null is empty", "{\"achternaam\": null}", 0, NULL, NULL,
     "null", NULL},
    {"json gemeentenaam is no person", "{\"Gemeentenaam_1\":\"Diemen\"}", 0,
     NULL, NULL, "Diemen", NULL},
    {"json naam outside a person", "{\"naam\":\"Diemen\"}", 0, NULL, NULL,
     "Diemen", NULL},
    {"json geboortedatum", "{\"geboortedatum\":\"1980-05-17\"}", 1,
     "birth_date", "geboortedatum", "1980-05-17", NULL},
    {"json date_of_birth", "{\"p\":[{\"date_of_birth\":\"17/05/1980\"}]}", 1,
     "birth_date", "p[0].date_of_birth", "17/05/1980", NULL},
    {"json birth year alone", "{\"geboortedatum\":\"1980\"}", 0, NULL, NULL,
     "1980", NULL},
    {"json cbs aggregate page",
     "{\"odata.metadata\":\"x\",\"value\":[{\"ID\":0,\"WijkenEnBuurten\":"
     "\"GM0384    \",\"Perioden\":\"2020JJ00\",\"WmoClienten_8\":712.5,"
     "\"Codering_3\":\"GM0384\"}],\"odata.nextLink\":\"https://x/y\"}",
     0, NULL, NULL, "GM0384", NULL},
    {"json with bom", "\xEF\xBB\xBF  {\"bsn\":\"111222333\"}", 1, "bsn", "bsn",
     "111222333", NULL},
    {"json lines", "{\"a\":1}\n{\"bsn\":\"111222333\"}\n", 1, "bsn", "bsn",
     "111222333", NULL},
    {"json truncated", "{\"value\":[{\"bsn\":", -1, NULL, NULL, "bsn", NULL},
    {"json missing colon", "{\"bsn\" \"999900006\"}", -1, NULL, NULL,
     "999900006", NULL},
    {"json bad literal", "{\"a\": nope}", -1, NULL, NULL, "nope", NULL},
    {"json empty", "   \n", 0, NULL, NULL, "x", NULL},
    /* XML */
    {"xml second client",
     "<Bericht><Client><Bsn>123456789</Bsn></Client>"
     "<Client><Bsn>999900006</Bsn></Client></Bericht>",
     1, "bsn", "Bericht/Client[2]/Bsn", "999900006", NULL},
    {"xml attribute", "<r><persoon bsn=\"111222333\"/></r>", 1, "bsn",
     "r/persoon/@bsn", "111222333", NULL},
    {"xml namespaced",
     "<a:r xmlns:a=\"urn:x\"><a:clientnummer>111222333"
     "</a:clientnummer></a:r>",
     1, "bsn", "r/clientnummer", "111222333", NULL},
    {"xml cdata", "<r><bsn><![CDATA[999900006]]></bsn></r>", 1, "bsn", "r/bsn",
     "999900006", NULL},
    {"xml persoon naam", "<r><Persoon><Naam>Jan</Naam></Persoon></r>", 1,
     "name", "r/Persoon/Naam", "Jan", NULL},
    {"xml provider naam is no person",
     "<rapport><aanbieder><naam>Zorg BV</naam></aanbieder></rapport>", 0, NULL,
     NULL, "Zorg BV", NULL},
    {"xml geboortedatum", "<r><geboortedatum>17-05-1980</geboortedatum></r>", 1,
     "birth_date", "r/geboortedatum", "17-05-1980", NULL},
    {"xml aantal", "<r><aantal>999900006</aantal></r>", 0, NULL, NULL,
     "999900006", NULL},
    {"xml internal entity is not followed",
     "<!DOCTYPE r [<!ENTITY b \"999900006\">]><r><bsn>&b;</bsn></r>", 0, NULL,
     NULL, "999900006", NULL},
    {"xml not well-formed", "<r><bsn>999900006</r>", -1, NULL, NULL,
     "999900006", NULL},
    /* CSV */
    {"csv semicolon",
     "gemeente;bsn;aantal\nGM0384;123456789;5\nGM0384;999900006;3\n", 1, "bsn",
     "line 3 column \"bsn\"", "999900006", NULL},
    {"csv comma", "id,BSN_nummer\n1,111222333\n", 1, "bsn",
     "line 2 column \"BSN_nummer\"", "111222333", NULL},
    {"csv tab", "id\tclientnummer\n1\t111222333\n", 1, "bsn",
     "line 2 column \"clientnummer\"", "111222333", NULL},
    {"csv title rows",
     "Tabel 1: clienten;;\n\nwijk;clientnummer\n"
     "WK01;12\nWK02;111222333\n",
     1, "bsn", "line 5 column \"clientnummer\"", "111222333", NULL},
    {"csv quoted newline", "a;bsn\n\"x\ny\";1\n\"z\";\"999900006\"\n", 1, "bsn",
     "line 4 column \"bsn\"", "999900006", NULL},
    {"csv bom crlf", "\xEF\xBB\xBFwijk;bsn\r\nWK01;1\r\nWK02;111222333\r\n", 1,
     "bsn", "line 3 column \"bsn\"", "111222333", NULL},
    {"csv windows-1252 header", "wijk;cli\xEBntnummer\nWK01;111222333\n", 1,
     "bsn", "line 2 column \"cli\xEBntnummer\"", "111222333", NULL},
    {"csv aantal_clienten failing 11-check",
     "wijk;aantal_clienten\nWK01;123456789\n", 0, NULL, NULL, "123456789",
     NULL},
    {"csv same number in aantal", "wijk;aantal\nWK01;999900006\n", 0, NULL,
     NULL, "999900006", NULL},
    {"csv voornaam", "wijk;voornaam;achternaam\nWK01;;\nWK01;Piet;Jansen\n", 1,
     "name", "line 3 column \"voornaam\"", "Piet", NULL},
    {"csv geboortedatum", "nr;Geboortedatum\n1;17-5-1980\n", 1, "birth_date",
     "line 2 column \"Geboortedatum\"", "17-5-1980", NULL},
    {"csv marker in name column", "wijk;voornaam\nWK01;-\n", 0, NULL, NULL, "-",
     NULL},
    {"csv one column", "bsn\n999900006\n", 1, "bsn", "line 2 column \"bsn\"",
     "999900006", NULL},
    {"csv unnamed column", "a;;bsn\n1;2;999900006\n", 1, "bsn",
     "line 2 column \"bsn\"", "999900006", NULL},
    {"csv text", "Dit is een notitie zonder tabel.\n", 0, NULL, NULL, "x",
     NULL},
};

static void write_bytes(const char *path, const char *data) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(data, 1, strlen(data), f), strlen(data));
  cr_assert_eq(fclose(f), 0);
}

static void expected_hash(const char *material, char hex[GW_SHA256_HEX_SIZE]) {
  struct gw_sha256 *st = sha256_begin();
  cr_assert_not_null(st);
  cr_assert_eq(sha256_update(st, settings.salt, sizeof settings.salt), 0);
  cr_assert_eq(sha256_update(st, material, strlen(material)), 0);
  cr_assert_eq(sha256_finish_hex(st, hex), 0);
}

static void run_case(const struct scan_case *c, size_t index) {
  struct gw_privacy_finding finding;
  char err[1024];
  char path[1024];
  char hex[GW_SHA256_HEX_SIZE];
  int rc;
  snprintf(path, sizeof path, "%s/case%zu", tmpdir, index);
  write_bytes(path, c->content);
  rc = privacy_scan_file(path, &settings, &finding, err, sizeof err);
  cr_expect_eq(rc, c->expect, "%s: rc %d, expected %d (err: %s, path: %s)",
               c->name, rc, c->expect, err, finding.path);
  if (rc == 1 && c->expect == 1) {
    cr_expect_str_eq(finding.kind, c->kind, "%s", c->name);
    cr_expect_str_eq(finding.path, c->path, "%s", c->name);
    expected_hash(c->hashed ? c->hashed : c->secret, hex);
    cr_expect_str_eq(finding.value_hash, hex, "%s: hash", c->name);
  }
  if (rc == -1)
    cr_expect(strstr(err, path) != NULL, "%s: err names the file: %s", c->name,
              err);
  if (strlen(c->secret) > 1) {
    cr_expect_null(strstr(finding.path, c->secret), "%s: value in path",
                   c->name);
    cr_expect_null(strstr(finding.kind, c->secret), "%s", c->name);
    cr_expect_null(strstr(err, c->secret), "%s: value in err: %s", c->name,
                   err);
  }
}

Test(privacy, table_of_payloads) {
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    run_case(&cases[i], i);
}

Test(privacy, test_bsns_pass_the_eleven_check) {
  /* 9*d1 + 8*d2 + ... + 2*d8 - d9 must be a multiple of 11 */
  static const char *const valid[] = {"999900006", "111222333", "123456782"};
  for (size_t i = 0; i < 3; i++) {
    int sum = 0;
    for (int k = 0; k < 8; k++)
      sum += (valid[i][k] - '0') * (9 - k);
    sum -= valid[i][8] - '0';
    cr_expect_eq(sum % 11, 0, "%s", valid[i]);
  }
}

Test(privacy, first_finding_stops_and_hash_depends_on_salt) {
  struct gw_privacy_finding a, b;
  char err[512];
  char path[1024];
  snprintf(path, sizeof path, "%s/p.json", tmpdir);
  write_bytes(path, "{\"bsn\":\"999900006\",\"voornaam\":\"Piet\"}");
  cr_assert_eq(privacy_scan_file(path, &settings, &a, err, sizeof err), 1);
  cr_expect_str_eq(a.kind, "bsn");
  cr_expect_str_eq(a.format, "json");
  settings.salt[0] ^= 1;
  cr_assert_eq(privacy_scan_file(path, &settings, &b, err, sizeof err), 1);
  cr_expect_str_neq(a.value_hash, b.value_hash);
}

Test(privacy, external_entity_is_not_loaded) {
  struct gw_privacy_finding f;
  char err[512];
  char secret[1024], doc[2048], path[1024];
  snprintf(secret, sizeof secret, "%s/secret.txt", tmpdir);
  write_bytes(secret, "999900006");
  snprintf(doc, sizeof doc,
           "<!DOCTYPE r [<!ENTITY x SYSTEM \"file://%s\">]>"
           "<r><bsn>&x;</bsn></r>",
           secret);
  snprintf(path, sizeof path, "%s/xxe.xml", tmpdir);
  write_bytes(path, doc);
  cr_expect_eq(privacy_scan_file(path, &settings, &f, err, sizeof err), 0,
               "err: %s", err);
}

Test(privacy, deep_json_nesting_is_an_error) {
  struct gw_privacy_finding f;
  char err[512];
  char path[1024];
  char *doc = malloc(2001);
  cr_assert_not_null(doc);
  memset(doc, '[', 1000);
  memset(doc + 1000, ']', 1000);
  doc[2000] = '\0';
  snprintf(path, sizeof path, "%s/deep.json", tmpdir);
  write_bytes(path, doc);
  free(doc);
  cr_expect_eq(privacy_scan_file(path, &settings, &f, err, sizeof err), -1);
  cr_expect(strstr(err, "deeper than") != NULL, "%s", err);
}

/* libxml2 stops at 256 levels and suggests XML_PARSE_HUGE; the message
 * must name the limit but not pass that advice on to an operator. */
Test(privacy, deep_xml_nesting_is_an_error_without_parser_advice) {
  struct gw_privacy_finding f;
  char err[512];
  char path[1024];
  size_t levels = 300, open_len = 3 * levels, i;
  char *doc = malloc(open_len + 4 * levels + 1);
  cr_assert_not_null(doc);
  for (i = 0; i < levels; i++)
    memcpy(doc + 3 * i, "<a>", 3);
  for (i = 0; i < levels; i++)
    memcpy(doc + open_len + 4 * i, "</a>", 4);
  doc[open_len + 4 * levels] = '\0';
  snprintf(path, sizeof path, "%s/deep.xml", tmpdir);
  write_bytes(path, doc);
  free(doc);
  cr_expect_eq(privacy_scan_file(path, &settings, &f, err, sizeof err), -1);
  cr_expect(strstr(err, "not well-formed XML") != NULL, "%s", err);
  cr_expect(strstr(err, "XML_PARSE_HUGE") == NULL, "%s", err);
}

Test(privacy, missing_file_is_an_error) {
  struct gw_privacy_finding f;
  char err[512];
  cr_expect_eq(
      privacy_scan_file("/nonexistent/payload", &settings, &f, err, sizeof err),
      -1);
  cr_expect(strstr(err, "/nonexistent/payload") != NULL, "%s", err);
}

Test(privacy, long_paths_are_cut_and_marked) {
  struct gw_privacy_finding f;
  char err[512];
  char path[1024];
  char doc[4096] = "{";
  for (int i = 0; i < 60; i++)
    cr_assert_eq(
        text_append(doc, sizeof doc, "\"abcdefghijklmnopqrstuvwxyz\":{"), 0);
  cr_assert_eq(text_append(doc, sizeof doc, "\"bsn\":\"999900006\""), 0);
  for (int i = 0; i < 61; i++)
    cr_assert_eq(text_append(doc, sizeof doc, "}"), 0);
  snprintf(path, sizeof path, "%s/long.json", tmpdir);
  write_bytes(path, doc);
  cr_assert_eq(privacy_scan_file(path, &settings, &f, err, sizeof err), 1);
  cr_expect_eq(strlen(f.path), GW_PRIVACY_PATH_MAX - 1);
  cr_expect(strcmp(f.path + strlen(f.path) - 3, "...") == 0, "%s", f.path);
}

/* No shipped fixture holds person data: the guard must let every one of
 * them through (or fail on the deliberately broken ones), else the demo
 * and the plugin tests would be refused. Fixtures made to trip the guard
 * live under a "privacy" directory, carry "bsn" or "person" in their name,
 * or are listed here. */
static const char *const deliberate_person_data[] = {
    /* a schema case: an unknown root key that happens to be a BSN */
    "/provider/schema-cases/bad-extra-root-key.json",
};
static int fixture_failures;
static int fixture_count;

static int deliberate(const char *path) {
  for (size_t i = 0;
       i < sizeof deliberate_person_data / sizeof *deliberate_person_data; i++)
    if (strstr(path, deliberate_person_data[i]))
      return 1;
  return strstr(path, "/privacy/") != NULL;
}

static int scan_fixture(const char *path, const struct stat *st, int type,
                        struct FTW *ftw) {
  struct gw_privacy_finding f;
  char err[1024];
  const char *name = path + ftw->base;
  (void)st;
  if (type != FTW_F || strstr(path, "/config/") || strstr(name, "bsn") ||
      strstr(name, "person") || deliberate(path))
    return 0;
  fixture_count++;
  if (privacy_scan_file(path, &settings, &f, err, sizeof err) == 1) {
    fixture_failures++;
    cr_log_error("%s: %s at %s", path, f.kind, f.path);
  }
  return 0;
}

Test(privacy, shipped_fixtures_are_clean) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/tests/fixtures", ts_source_dir());
  cr_assert_eq(nftw(dir, scan_fixture, 16, FTW_PHYS), 0, "cannot walk %s", dir);
  cr_expect_gt(fixture_count, 50, "only %d fixtures found", fixture_count);
  cr_expect_eq(fixture_failures, 0, "%d fixtures refused", fixture_failures);
}

static long max_rss_kib(void) {
  struct rusage ru;
  cr_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
  return ru.ru_maxrss;
}

#if defined(__SANITIZE_ADDRESS__)
#define RSS_GROWTH_LIMIT_KIB (256L * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_GROWTH_LIMIT_KIB (256L * 1024)
#endif
#endif
#ifndef RSS_GROWTH_LIMIT_KIB
#define RSS_GROWTH_LIMIT_KIB (8L * 1024)
#endif

/* Every row has a bsn-named column (failing the 11-check), so the whole
 * file is parsed and every value inspected; the last row holds a BSN so
 * the test also proves the scan reached the end. */
Test(privacy, fifty_megabyte_csv_in_flat_memory, .timeout = 300) {
  static const char row[] = "WK038401;123456789;123456789;12,5;\"tekst, met "
                            "komma\"\n";
  size_t target = getenv("GW_VALGRIND") ? 5u << 20 : 50u << 20;
  struct gw_privacy_finding f;
  char err[512];
  char path[1024];
  size_t written = 0;
  unsigned long rows = 1;
  long before, growth;
  FILE *out;
  snprintf(path, sizeof path, "%s/big.csv", tmpdir);
  out = fopen(path, "wb");
  cr_assert_not_null(out);
  fputs("wijk;bsn;aantal_clienten;waarde;toelichting\n", out);
  while (written < target) {
    cr_assert_eq(fwrite(row, 1, sizeof row - 1, out), sizeof row - 1);
    written += sizeof row - 1;
    rows++;
  }
  fputs("WK038402;111222333;1;1;x\n", out);
  cr_assert_eq(fclose(out), 0);

  before = max_rss_kib();
  cr_assert_eq(privacy_scan_file(path, &settings, &f, err, sizeof err), 1, "%s",
               err);
  growth = max_rss_kib() - before;
  char expected[64];
  snprintf(expected, sizeof expected, "line %lu column \"bsn\"", rows + 1);
  cr_expect_str_eq(f.path, expected);
  fprintf(stderr, "privacy: %zu MiB CSV scanned, max RSS grew by %ld KiB\n",
          written >> 20, growth);
  if (!getenv("GW_VALGRIND"))
    cr_expect_lt(growth, RSS_GROWTH_LIMIT_KIB, "max RSS grew by %ld KiB",
                 growth);
}

/* ---- quarantine ----------------------------------------------------------
 */

static const char sha[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Test(privacy, quarantine_moves_with_mode_0600) {
  char spool[1024], qdir[1024], out[1024], err[512];
  struct stat st;
  char *content;
  snprintf(spool, sizeof spool, "%s/spool-file", tmpdir);
  snprintf(qdir, sizeof qdir, "%s/data/quarantine", tmpdir);
  write_bytes(spool, "bsn\n999900006\n");
  cr_assert_eq(chmod(spool, 0644), 0);
  cr_assert_eq(
      privacy_quarantine(spool, qdir, sha, out, sizeof out, err, sizeof err), 0,
      "%s", err);
  cr_expect_eq(access(spool, F_OK), -1, "the spool file is gone");
  cr_expect(strstr(out, qdir) == out);
  cr_expect(strstr(out, sha) != NULL);
  cr_assert_eq(stat(out, &st), 0);
  cr_expect_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
  cr_assert_eq(stat(qdir, &st), 0);
  cr_expect_eq(st.st_mode & 0077, 0, "quarantine dir mode %o",
               st.st_mode & 0777);
  content = ts_read_file(out, NULL);
  cr_assert_not_null(content);
  cr_expect_str_eq(content, "bsn\n999900006\n");
  free(content);
}

/* From tmpfs to the test directory: another file system on the usual CI
 * machine, so rename() fails with EXDEV and the copy path runs. */
Test(privacy, quarantine_across_file_systems) {
  char spool[1024], qdir[1024], out[1024], err[512];
  struct stat st;
  char *content;
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : tmpdir;
  snprintf(spool, sizeof spool, "%s/gw-privacy-test-%ld", base, (long)getpid());
  snprintf(qdir, sizeof qdir, "%s/quarantine", tmpdir);
  write_bytes(spool, "{\"bsn\":\"999900006\"}");
  cr_assert_eq(
      privacy_quarantine(spool, qdir, sha, out, sizeof out, err, sizeof err), 0,
      "%s", err);
  cr_expect_eq(access(spool, F_OK), -1, "the spool file is gone");
  cr_assert_eq(stat(out, &st), 0);
  cr_expect_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
  content = ts_read_file(out, NULL);
  cr_assert_not_null(content);
  cr_expect_str_eq(content, "{\"bsn\":\"999900006\"}");
  free(content);
  unlink(spool);
}

Test(privacy, quarantine_refuses_bad_sha_and_missing_file) {
  char out[1024], err[512], qdir[1024], spool[1024];
  snprintf(qdir, sizeof qdir, "%s/q", tmpdir);
  snprintf(spool, sizeof spool, "%s/x", tmpdir);
  write_bytes(spool, "x");
  cr_expect_eq(privacy_quarantine(spool, qdir, "../../etc/passwd", out,
                                  sizeof out, err, sizeof err),
               -1);
  cr_expect(strstr(err, "64 lower-case hex") != NULL, "%s", err);
  cr_expect_eq(access(spool, F_OK), 0, "left in place");
  cr_expect_eq(privacy_quarantine("/nonexistent/x", qdir, sha, out, sizeof out,
                                  err, sizeof err),
               -1);
  cr_expect(strstr(err, "/nonexistent/x") != NULL, "%s", err);
}

/* ---- salt ---------------------------------------------------------------
 */

Test(privacy, salt_created_once_and_reused) {
  unsigned char a[GW_PRIVACY_SALT_SIZE], b[GW_PRIVACY_SALT_SIZE];
  unsigned char zero[GW_PRIVACY_SALT_SIZE] = {0};
  char dir[1024], file[1100], err[512];
  struct stat st;
  snprintf(dir, sizeof dir, "%s/data", tmpdir);
  snprintf(file, sizeof file, "%s/privacy.salt", dir);
  cr_assert_eq(privacy_load_or_create_salt(dir, a, err, sizeof err), 0, "%s",
               err);
  cr_assert_eq(stat(file, &st), 0);
  cr_expect_eq(st.st_size, GW_PRIVACY_SALT_SIZE);
  cr_expect_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
  cr_expect_neq(memcmp(a, zero, sizeof a), 0);
  cr_assert_eq(privacy_load_or_create_salt(dir, b, err, sizeof err), 0, "%s",
               err);
  cr_expect_eq(memcmp(a, b, sizeof a), 0, "the salt is reused");
}

Test(privacy, salt_of_wrong_size_is_an_error_not_replaced) {
  unsigned char s[GW_PRIVACY_SALT_SIZE];
  char file[1024], err[512];
  char *content;
  snprintf(file, sizeof file, "%s/privacy.salt", tmpdir);
  write_bytes(file, "short");
  cr_expect_eq(privacy_load_or_create_salt(tmpdir, s, err, sizeof err), -1);
  cr_expect(strstr(err, "expected exactly 32 bytes, found 5") != NULL, "%s",
            err);
  content = ts_read_file(file, NULL);
  cr_assert_not_null(content);
  cr_expect_str_eq(content, "short", "left as it was");
  free(content);
}

Test(privacy, different_installations_get_different_salts) {
  unsigned char a[GW_PRIVACY_SALT_SIZE], b[GW_PRIVACY_SALT_SIZE];
  char d1[1024], d2[1024], err[512];
  snprintf(d1, sizeof d1, "%s/one", tmpdir);
  snprintf(d2, sizeof d2, "%s/two", tmpdir);
  cr_assert_eq(privacy_load_or_create_salt(d1, a, err, sizeof err), 0);
  cr_assert_eq(privacy_load_or_create_salt(d2, b, err, sizeof err), 0);
  cr_expect_neq(memcmp(a, b, sizeof a), 0);
}
