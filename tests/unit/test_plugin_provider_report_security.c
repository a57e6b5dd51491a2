/*
 * provider_report, hostile XML: a DOCTYPE, an external entity (XXE), an
 * entity bomb, other encodings. Each is refused whole, and the tests show
 * that an external entity's file is never opened: once with the byte
 * guard (the normal path) and once without it, so the reader options and
 * the reader's own DOCTYPE check are shown to hold on their own.
 */
#include <criterion/criterion.h>

#include "provider_report_fake_host.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

static struct prf_host *host_with(const char *fixture) {
  struct prf_host *h = prf_new();
  cr_assert_not_null(h);
  cr_assert_eq(prf_load_fixture(h, fixture), 0, "fixture %s", fixture);
  return h;
}

static void without_guard(struct pr_ctx *ctx) {
  ctx->xml_prescan = 0;
}

static void expect_refused_with(struct prf_host *h, int guard, const char *a,
                                const char *b) {
  gw_result rc = prf_run_with(h, guard ? NULL : without_guard);
  if (rc != GW_FAIL || prf_log_find(h, GW_LOG_ERROR, a, b, NULL) < 0)
    prf_dump_logs(h);
  cr_assert_eq(rc, GW_FAIL);
  cr_expect_eq(h->obs_count, 0, "nothing emitted");
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, a, b, NULL), 0,
                "an error names '%s'", a);
}

Test(provider_report_security, doctype_is_refused_with_its_line) {
  struct prf_host *h = host_with("doctype.xml");
  expect_refused_with(h, 1, "refused whole",
                      "line 2: the report contains a "
                      "DOCTYPE");
  cr_expect_eq(h->payload->rewinds, 1, "no second pass after a refusal");
  prf_free(h);
}

Test(provider_report_security, doctype_node_is_refused_without_the_guard) {
  struct prf_host *h = host_with("doctype.xml");
  expect_refused_with(h, 0, "refused whole", "the report contains a DOCTYPE");
  prf_free(h);
}

Test(provider_report_security, doctype_split_across_reads_is_still_seen) {
  struct prf_host *h = host_with("doctype.xml");
  h->read_chunk = 3; /* "<!D" "OCT" "YPE" */
  expect_refused_with(h, 1, "contains a DOCTYPE", NULL);
  prf_free(h);
}

Test(provider_report_security, entity_declaration_without_doctype_keyword) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  prf_replace(h, "<figures>", "<!ENTITY x \"y\"><figures>");
  expect_refused_with(h, 1, "declares an ENTITY", NULL);
  prf_free(h);
}

Test(provider_report_security, undeclared_entity_reference_is_refused) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  prf_replace(h, "<name>Stichting Welzijn Diemen</name>", "<name>&e;</name>");
  expect_refused_with(h, 1, "line 7: ", "Entity 'e' not defined");
  prf_free(h);
}

/* A file the report's external entity points at. Its access time is set
 * well before its modification time, so any read moves it (relatime). */
static char *make_tripwire(const char *dir) {
  char *path = prf_strdup(ts_path(dir, "secret.txt"));
  struct timeval times[2];
  struct stat st;
  cr_assert_eq(ts_write_file(path, "secret: do not read\n"), 0);
  cr_assert_eq(stat(path, &st), 0);
  times[0].tv_sec = st.st_mtime - 3600; /* atime */
  times[0].tv_usec = 0;
  times[1].tv_sec = st.st_mtime; /* mtime */
  times[1].tv_usec = 0;
  cr_assert_eq(utimes(path, times), 0);
  return path;
}

static time_t atime_of(const char *path) {
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  return st.st_atime;
}

static void xxe_never_reads_the_file(int guard) {
  const char *dir = ts_mkdtemp();
  char *file = make_tripwire(dir);
  char *fifo = prf_strdup(ts_path(dir, "fifo"));
  char url[1024];
  time_t before = atime_of(file);
  struct prf_host *h = host_with("xxe.xml");
  int i;

  /* the fixture names /etc/passwd; point it at files the test controls */
  snprintf(url, sizeof url, "file://%s", file);
  prf_replace(h, "file:///etc/passwd", url);
  expect_refused_with(h, guard, "DOCTYPE", NULL);
  cr_expect_eq(atime_of(file), before, "the entity's file was read");
  cr_expect_eq(prf_log_find(h, GW_LOG_ERROR, "secret", NULL, NULL), -1);
  prf_free(h);

  /* A FIFO without a writer blocks whoever opens it for reading: if the
   * parser tried, this test would hang and hit its timeout. */
  cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
  for (i = 0; i < 2; i++) {
    h = host_with("xxe.xml");
    snprintf(url, sizeof url, i == 0 ? "file://%s" : "%s", fifo);
    prf_replace(h, "file:///etc/passwd", url);
    expect_refused_with(h, guard, "DOCTYPE", NULL);
    prf_free(h);
  }
  free(file);
  free(fifo);
  ts_rm_rf(dir);
}

Test(provider_report_security, xxe_file_is_never_read, .timeout = 20) {
  xxe_never_reads_the_file(1);
}

Test(provider_report_security, xxe_file_is_never_read_without_the_guard,
     .timeout = 20) {
  xxe_never_reads_the_file(0);
}

Test(provider_report_security, billion_laughs_is_refused_quickly,
     .timeout = 20) {
  struct prf_host *h = host_with("billion-laughs.xml");
  expect_refused_with(h, 1, "line 2: the report contains a DOCTYPE", NULL);
  prf_free(h);
  h = host_with("billion-laughs.xml");
  expect_refused_with(h, 0, "refused whole", NULL);
  prf_free(h);
}

/* UTF-16 hides "<!DOCTYPE" from a byte scan; NUL bytes give it away. */
Test(provider_report_security, utf16_report_is_refused) {
  static const char ascii[] =
      "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<!DOCTYPE x>\n<x/>\n";
  char utf16[2 + 2 * sizeof ascii];
  struct prf_host *h = prf_new();
  size_t i;
  utf16[0] = '\xff';
  utf16[1] = '\xfe';
  for (i = 0; i < sizeof ascii - 1; i++) {
    utf16[2 + 2 * i] = ascii[i];
    utf16[3 + 2 * i] = '\0';
  }
  prf_set_bytes(h, utf16, 2 + 2 * (sizeof ascii - 1));
  expect_refused_with(h, 1, "refused whole", NULL);
  cr_expect_geq(
      prf_log_find(h, GW_LOG_ERROR, "neither XML nor JSON", NULL, NULL), 0,
      "the UTF-16 BOM is not a format we read");
  prf_free(h);
  h = prf_new();
  prf_set_bytes(h, utf16 + 2, 2 * (sizeof ascii - 1)); /* without BOM */
  expect_refused_with(h, 1, "line 1: the report contains a NUL byte", NULL);
  prf_free(h);
}

Test(provider_report_security, nul_byte_is_refused) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  char *copy = prf_strdup(h->body);
  size_t len = strlen(copy);
  copy[300] = '\0';
  prf_set_bytes(h, copy, len);
  free(copy);
  expect_refused_with(h, 1, "NUL byte", "UTF-8");
  prf_free(h);
}

Test(provider_report_security, declared_encoding_is_ignored_reports_are_utf8) {
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  prf_replace(h, "encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
  prf_replace(h, "Stichting Welzijn Diemen",
              "Stichting Welzijn Diemen \xc3\xa9");
  cr_assert_eq(prf_run(h), GW_OK, "read as UTF-8 whatever it declares");
  prf_free(h);
}
