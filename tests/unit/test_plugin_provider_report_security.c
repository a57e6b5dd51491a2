/*
 * provider_report, hostile XML: a DOCTYPE, an external entity (XXE), an
 * entity bomb, other encodings. Each is refused whole, and the tests show
 * that an external entity's file is never opened: once with the byte
 * guard (the normal path) and once without it, so the reader options and
 * the reader's own DOCTYPE check are shown to hold on their own.
 */
#include <criterion/criterion.h>

#include "provider_report_fake_host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
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

/* welzijn-diemen-2021.xml with a DOCTYPE after its XML declaration; every
 * "@URL@" in the DOCTYPE becomes url. */
static struct prf_host *report_with_doctype(const char *doctype,
                                            const char *url) {
  static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  char with_doctype[1200];
  snprintf(with_doctype, sizeof with_doctype, "%s\n%s", decl, doctype);
  prf_replace(h, decl, with_doctype);
  prf_replace(h, "@URL@", url);
  cr_assert_not_null(strstr(h->body, "<!DOCTYPE"));
  cr_assert_not_null(strstr(h->body, url));
  return h;
}

static const char *const external_doctypes[] = {
    /* an external DTD, no internal subset */
    "<!DOCTYPE providerReport SYSTEM \"@URL@\">\n",
    /* a parameter entity expanded inside the internal subset */
    "<!DOCTYPE providerReport [<!ENTITY % p SYSTEM \"@URL@\"> %p;]>\n",
    /* an external DTD and an internal subset */
    "<!DOCTYPE providerReport PUBLIC \"-//X//DTD R//EN\" \"@URL@\" "
    "[<!ENTITY x \"y\">]>\n",
    NULL};

/* External DTDs and parameter entities, with and without the byte guard:
 * the tripwire's access time stays, and a FIFO (which blocks whoever opens
 * it for reading, so a load would hang the test into its timeout) too. */
static void external_dtd_never_read(int guard) {
  const char *dir = ts_mkdtemp();
  char *file = make_tripwire(dir);
  char *fifo = prf_strdup(ts_path(dir, "fifo"));
  char url[1024];
  time_t before = atime_of(file);
  size_t i;

  cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
  for (i = 0; external_doctypes[i]; i++) {
    struct prf_host *h;
    snprintf(url, sizeof url, "file://%s", file);
    h = report_with_doctype(external_doctypes[i], url);
    expect_refused_with(h, guard, "DOCTYPE", NULL);
    cr_expect_eq(atime_of(file), before, "DOCTYPE %zu read its file", i);
    prf_free(h);
    h = report_with_doctype(external_doctypes[i], fifo);
    expect_refused_with(h, guard, "DOCTYPE", NULL);
    prf_free(h);
  }
  free(file);
  free(fifo);
  ts_rm_rf(dir);
}

Test(provider_report_security, external_dtd_is_never_read, .timeout = 20) {
  external_dtd_never_read(1);
}

Test(provider_report_security, external_dtd_is_never_read_without_the_guard,
     .timeout = 20) {
  external_dtd_never_read(0);
}

/* A listening socket on 127.0.0.1 that nobody should connect to. */
static int listen_local(unsigned short *port) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  cr_assert_eq(listen(fd, 8), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
  *port = ntohs(addr.sin_port);
  return fd;
}

/* Entities and DTDs on the network: no connection is ever made (the
 * listening socket has nothing to accept), with or without the guard. */
Test(provider_report_security, network_entities_are_never_fetched,
     .timeout = 20) {
  static const char *const entity_doctype =
      "<!DOCTYPE providerReport [<!ENTITY e SYSTEM \"@URL@\">]>\n";
  unsigned short port;
  int fd = listen_local(&port);
  char url[128];
  size_t i;
  int guard;

  snprintf(url, sizeof url, "http://127.0.0.1:%u/canary", (unsigned)port);
  for (guard = 0; guard <= 1; guard++) {
    struct prf_host *h = report_with_doctype(entity_doctype, url);
    prf_replace(h, "<name>Stichting Welzijn Diemen</name>", "<name>&e;</name>");
    expect_refused_with(h, guard, "DOCTYPE", NULL);
    prf_free(h);
    for (i = 0; external_doctypes[i]; i++) {
      h = report_with_doctype(external_doctypes[i], url);
      expect_refused_with(h, guard, "DOCTYPE", NULL);
      prf_free(h);
    }
  }
  cr_expect_eq(accept(fd, NULL, NULL), -1, "the parser connected to %s", url);
  cr_expect(errno == EAGAIN || errno == EWOULDBLOCK, "accept: %s",
            strerror(errno));
  close(fd);
}

/* Peak RSS means nothing under ASan or valgrind (shadow memory,
 * quarantine); the refusal and its speed are still checked there. */
static int rss_is_meaningful(void) {
  return !getenv("GW_SANITIZED") && !getenv("GW_VALGRIND");
}

static long peak_rss_kb(void) {
  struct rusage ru;
  cr_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
  return ru.ru_maxrss;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bomb refused (with or without the guard) in under two seconds, the
 * process's peak RSS growing by less than 32 MiB. */
static void bomb_refused_fast_and_small(struct prf_host *h, int guard) {
  long rss_before = peak_rss_kb();
  double start = now_s();
  double took;
  expect_refused_with(h, guard, "refused whole", NULL);
  took = now_s() - start;
  cr_expect_lt(took, 2.0, "refusing the bomb took %.2f s", took);
  if (rss_is_meaningful())
    cr_expect_lt(peak_rss_kb() - rss_before, 32 * 1024,
                 "peak RSS grew from %ld KiB to %ld KiB", rss_before,
                 peak_rss_kb());
}

/* One 100 KB entity referenced 10,000 times: 1 GB if it were expanded. */
static struct prf_host *quadratic_blowup(void) {
  static const char open_doctype[] = "<!DOCTYPE providerReport [<!ENTITY a \"";
  static const char close_doctype[] = "\">]>\n<providerReport ";
  static const char open_comment[] = "<comment>";
  static const char close_comment[] = "</comment>";
  struct prf_host *h = host_with("welzijn-diemen-2021.xml");
  size_t big = 100000, refs = 10000, i;
  char *doctype = malloc(sizeof open_doctype + big + sizeof close_doctype);
  char *comment = malloc(sizeof open_comment + refs * 3 + sizeof close_comment);
  char *p;
  cr_assert(doctype && comment);
  p = doctype;
  memcpy(p, open_doctype, sizeof open_doctype - 1);
  p += sizeof open_doctype - 1;
  memset(p, 'a', big);
  memcpy(p + big, close_doctype, sizeof close_doctype);
  p = comment;
  memcpy(p, open_comment, sizeof open_comment - 1);
  p += sizeof open_comment - 1;
  for (i = 0; i < refs; i++, p += 3)
    memcpy(p, "&a;", 3);
  memcpy(p, close_comment, sizeof close_comment);
  prf_replace(h, "<providerReport ", doctype);
  prf_replace(h,
              "<comment>Huizen van de buurt are in the begroting since "
              "2022.</comment>",
              comment);
  cr_assert_not_null(strstr(h->body, "&a;&a;"));
  free(doctype);
  free(comment);
  return h;
}

Test(provider_report_security, quadratic_blowup_is_refused_fast_and_small,
     .timeout = 20) {
  struct prf_host *h = quadratic_blowup();
  bomb_refused_fast_and_small(h, 1);
  cr_expect_geq(prf_log_find(h, GW_LOG_ERROR, "the report contains a DOCTYPE",
                             NULL, NULL),
                0, "refused by the byte guard, before parsing");
  prf_free(h);
  h = quadratic_blowup();
  bomb_refused_fast_and_small(h, 0);
  prf_free(h);
}

Test(provider_report_security, billion_laughs_is_refused_fast_and_small,
     .timeout = 20) {
  struct prf_host *h = host_with("billion-laughs.xml");
  bomb_refused_fast_and_small(h, 1);
  prf_free(h);
  h = host_with("billion-laughs.xml");
  bomb_refused_fast_and_small(h, 0);
  prf_free(h);
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
