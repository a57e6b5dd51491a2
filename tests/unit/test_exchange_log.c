/*
 * test_exchange_log.c - the hash-chained exchange log (DESIGN 8).
 */
#include "digest.h"
#include "exchange_log.h"
#include "gw_alloc.h"
#include "test_support.h"
#include "text.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *tmp_dir;

static void make_tmp(void) {
  tmp_dir = ts_mkdtemp();
  cr_assert_not_null(tmp_dir);
  tmp_dir = strdup(tmp_dir);
}

static void remove_tmp(void) {
  if (tmp_dir) {
    ts_rm_rf(tmp_dir);
    free((void *)tmp_dir);
    tmp_dir = NULL;
  }
}

TestSuite(exchange_log, .init = make_tmp, .fini = remove_tmp);

static json_t *fetch_record(int n) {
  json_t *r = json_pack("{s:s, s:s, s:i, s:s}", "event", "fetch", "source",
                        "cbs_odata", "bytes", n, "outcome", "ok");
  cr_assert_not_null(r);
  return r;
}

static struct gw_xlog *open_ok(const char *path) {
  struct gw_xlog *log = NULL;
  char err[512];
  cr_assert_eq(xlog_open(path, &log, err, sizeof err), 0, "open: %s", err);
  cr_assert_str_empty(err, "unexpected warning: %s", err);
  return log;
}

static void append_n(struct gw_xlog *log, int n) {
  char err[512];
  for (int i = 0; i < n; i++) {
    json_t *r = fetch_record(i);
    cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "append: %s", err);
    json_decref(r);
  }
}

static void write_log(const char *path, int n) {
  struct gw_xlog *log = open_ok(path);
  append_n(log, n);
  xlog_close(log);
}

static uint64_t verify_ok(const char *path) {
  uint64_t count = 0;
  char err[512];
  cr_assert_eq(xlog_verify_file(path, &count, err, sizeof err), 0, "verify: %s",
               err);
  return count;
}

static void verify_fails_with(const char *path, const char *expected) {
  uint64_t count = 0;
  char err[512];
  cr_assert_eq(xlog_verify_file(path, &count, err, sizeof err), -1,
               "verify passed but should report: %s", expected);
  cr_assert(strstr(err, expected) != NULL, "error '%s' lacks '%s'", err,
            expected);
}

/* The lines of a file as an array of malloc'ed strings (no '\n'). */
static size_t split_lines(const char *path, char ***lines_out) {
  char *text = ts_read_file(path, NULL);
  char **lines = NULL;
  size_t n = 0;
  cr_assert_not_null(text);
  for (char *p = text; *p;) {
    char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    lines = realloc(lines, (n + 1) * sizeof *lines);
    cr_assert_not_null(lines);
    lines[n++] = strndup(p, len);
    p += len + (nl ? 1 : 0);
  }
  free(text);
  *lines_out = lines;
  return n;
}

static void write_lines(const char *path, char **lines, size_t n) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%s\n", lines[i]);
  cr_assert_eq(fclose(f), 0);
}

static void free_lines(char **lines, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(lines[i]);
  free(lines);
}

/* ---- chain ------------------------------------------------------------ */

Test(exchange_log, new_log_in_missing_directory_chains_from_zero) {
  const char *path = ts_path(tmp_dir, "audit/deep/exchange.log");
  struct stat st;
  char **lines;
  size_t n;
  umask(022);
  write_log(path, 5);
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0640, "mode %o", st.st_mode & 0777);
  cr_assert_eq(verify_ok(path), 5);

  n = split_lines(path, &lines);
  cr_assert_eq(n, 5);
  for (size_t i = 0; i < n; i++) {
    json_t *obj = json_loads(lines[i], 0, NULL);
    char expected_prev[GW_SHA256_HEX_SIZE];
    cr_assert_not_null(obj);
    cr_assert_eq(json_integer_value(json_object_get(obj, "seq")),
                 (json_int_t)i);
    if (i == 0)
      memset(expected_prev, '0', 64), expected_prev[64] = '\0';
    else
      cr_assert_eq(
          sha256_hex(lines[i - 1], strlen(lines[i - 1]), expected_prev), 0);
    cr_assert_str_eq(json_string_value(json_object_get(obj, "prev")),
                     expected_prev);
    json_decref(obj);
  }
  free_lines(lines, n);
}

Test(exchange_log, reopen_continues_seq_and_prev) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log;
  char **lines;
  size_t n;
  char hash[GW_SHA256_HEX_SIZE];
  write_log(path, 3);
  log = open_ok(path);
  cr_assert_eq(xlog_next_seq(log), 3);
  append_n(log, 2);
  cr_assert_eq(xlog_next_seq(log), 5);
  xlog_close(log);
  cr_assert_eq(verify_ok(path), 5);

  n = split_lines(path, &lines);
  cr_assert_eq(n, 5);
  cr_assert_eq(sha256_hex(lines[2], strlen(lines[2]), hash), 0);
  cr_assert(strstr(lines[3], hash) != NULL, "line 4 does not chain to 3");
  free_lines(lines, n);
}

Test(exchange_log, reopen_finds_last_line_longer_than_a_read_chunk) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log = open_ok(path);
  char *big = malloc(20000);
  json_t *r;
  char err[512];
  cr_assert_not_null(big);
  memset(big, 'a', 19999);
  big[19999] = '\0';
  r = json_pack("{s:s}", "detail", big);
  cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
  xlog_close(log);
  log = open_ok(path);
  cr_assert_eq(xlog_next_seq(log), 2);
  append_n(log, 1);
  xlog_close(log);
  cr_assert_eq(verify_ok(path), 3);
  json_decref(r);
  free(big);
}

Test(exchange_log, seq_time_prev_come_first_and_caller_fields_kept) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log = open_ok(path);
  json_t *r = json_object();
  char err[512];
  char *text;
  regex_t re;
  json_object_set_new(r, "event", json_string("fetch"));
  json_object_set_new(r, "zeta", json_integer(1));
  json_object_set_new(r, "alpha", json_string("line\nbreak"));
  json_object_set_new(r, "url", json_string("https://x.example/a?b=c"));
  cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(json_object_size(r), 4, "caller's record was changed");
  cr_assert_null(json_object_get(r, "seq"));
  xlog_close(log);
  json_decref(r);

  text = ts_read_file(path, NULL);
  cr_assert_not_null(text);
  cr_assert_eq(
      regcomp(&re,
              "^\\{\"seq\":0,\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T"
              "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z\",\"prev\":\"0{64}"
              "\",\"event\":\"fetch\",\"zeta\":1,\"alpha\":\"line\\\\n"
              "break\",\"url\":\"https://x.example/a\\?b=c\"\\}\n$",
              REG_EXTENDED),
      0);
  cr_assert_eq(regexec(&re, text, 0, NULL, 0), 0, "unexpected line: %s", text);
  regfree(&re);
  free(text);
}

Test(exchange_log, time_is_current_utc) {
  const char *path = ts_path(tmp_dir, "x.log");
  char **lines;
  size_t n;
  char now[32];
  time_t t = time(NULL);
  struct tm tm;
  write_log(path, 1);
  gmtime_r(&t, &tm);
  strftime(now, sizeof now, "%Y-%m-%dT%H", &tm);
  n = split_lines(path, &lines);
  cr_assert(strstr(lines[0], now) != NULL, "%s lacks %s", lines[0], now);
  free_lines(lines, n);
}

Test(exchange_log, refuses_reserved_fields_and_non_objects) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log = open_ok(path);
  const char *reserved[] = {"seq", "time", "prev"};
  char err[512];
  json_t *arr = json_array();
  for (size_t i = 0; i < 3; i++) {
    json_t *r = json_pack("{s:s, s:i}", "event", "fetch", reserved[i], 7);
    cr_assert_eq(xlog_append(log, r, err, sizeof err), -1);
    cr_assert(strstr(err, reserved[i]) != NULL, "%s", err);
    json_decref(r);
  }
  cr_assert_eq(xlog_append(log, arr, err, sizeof err), -1);
  cr_assert(strstr(err, "JSON object") != NULL, "%s", err);
  cr_assert_eq(xlog_append(log, NULL, err, sizeof err), -1);
  cr_assert_eq(xlog_next_seq(log), 0);
  append_n(log, 1);
  xlog_close(log);
  json_decref(arr);
  cr_assert_eq(verify_ok(path), 1);
}

Test(exchange_log, empty_file_starts_at_zero) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log;
  cr_assert_eq(ts_write_file(path, ""), 0);
  cr_assert_eq(verify_ok(path), 0);
  log = open_ok(path);
  cr_assert_eq(xlog_next_seq(log), 0);
  xlog_close(log);
}

/* ---- torn tail ---------------------------------------------------------- */

Test(exchange_log, torn_last_line_is_reported_and_blocks_appends) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log = NULL;
  char err[512];
  char expected[128];
  size_t size_before, size_after;
  FILE *f;
  char *text;
  json_t *r;
  write_log(path, 2);
  free(ts_read_file(path, &size_before));
  f = fopen(path, "a");
  fputs("{\"seq\":2,\"ti", f);
  fclose(f);

  cr_assert_eq(xlog_open(path, &log, err, sizeof err), 0, "%s", err);
  cr_assert_eq(text_format(expected, sizeof expected, "torn write at byte %zu",
                           size_before),
               0);
  cr_assert(strstr(err, expected) != NULL, "open warning '%s'", err);
  cr_assert(strstr(err, "incomplete record") != NULL, "%s", err);

  r = fetch_record(1);
  cr_assert_eq(xlog_append(log, r, err, sizeof err), -1);
  cr_assert(strstr(err, "ends in an incomplete record") != NULL, "%s", err);
  cr_assert(strstr(err, "gateway audit verify") != NULL, "%s", err);
  cr_assert(strstr(err, "docs/exchange-log.md") != NULL, "%s", err);
  cr_assert(strstr(err, path) != NULL, "%s", err);
  xlog_close(log);
  json_decref(r);

  text = ts_read_file(path, &size_after);
  cr_assert_eq(size_after, size_before + strlen("{\"seq\":2,\"ti"),
               "the torn line was changed");
  free(text);
  verify_fails_with(path, "torn last record at line 3");
}

Test(exchange_log, torn_only_line_is_reported) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log = NULL;
  char err[512];
  cr_assert_eq(ts_write_file(path, "{\"seq\":0"), 0);
  cr_assert_eq(xlog_open(path, &log, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(err, "torn write at byte 0") != NULL, "%s", err);
  xlog_close(log);
  verify_fails_with(path, "torn last record at line 1");
}

Test(exchange_log, damaged_last_line_blocks_appends) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log = NULL;
  char err[512];
  json_t *r = fetch_record(0);
  write_log(path, 2);
  FILE *f = fopen(path, "a");
  fputs("garbage\n", f);
  fclose(f);
  cr_assert_eq(xlog_open(path, &log, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(err, "damaged record") != NULL, "%s", err);
  cr_assert_eq(xlog_append(log, r, err, sizeof err), -1);
  cr_assert(strstr(err, "damaged record") != NULL, "%s", err);
  xlog_close(log);
  json_decref(r);
  verify_fails_with(path, "line 3 is not a JSON object");
}

/* ---- tampering ---------------------------------------------------------- */

Test(exchange_log, flipped_byte_in_middle_record_is_named) {
  const char *path = ts_path(tmp_dir, "x.log");
  char **lines;
  size_t n;
  char *pos;
  write_log(path, 6);
  n = split_lines(path, &lines);
  pos = strstr(lines[2], "cbs_odata");
  cr_assert_not_null(pos);
  pos[0] = 'C'; /* still valid JSON with the right seq and prev */
  write_lines(path, lines, n);
  free_lines(lines, n);
  verify_fails_with(path, "prev mismatch at line 4");
  verify_fails_with(path, "line 3 was changed");
}

Test(exchange_log, deleted_middle_line_is_found) {
  const char *path = ts_path(tmp_dir, "x.log");
  char **lines;
  size_t n;
  write_log(path, 6);
  n = split_lines(path, &lines);
  free(lines[2]);
  memmove(&lines[2], &lines[3], (n - 3) * sizeof *lines);
  write_lines(path, lines, n - 1);
  free_lines(lines, n - 1);
  verify_fails_with(path, "expected 2, found 3 at line 3");
}

Test(exchange_log, deleted_middle_line_with_renumbered_seq_is_found) {
  const char *path = ts_path(tmp_dir, "x.log");
  char **lines;
  size_t n;
  write_log(path, 4);
  n = split_lines(path, &lines);
  cr_assert_eq(n, 4);
  /* A forger removes line 2 and renumbers line 3 to hide the gap. */
  char *seq = strstr(lines[2], "\"seq\":2");
  cr_assert_not_null(seq);
  seq[6] = '1';
  free(lines[1]);
  lines[1] = lines[2];
  lines[2] = lines[3];
  write_lines(path, lines, 3);
  free_lines(lines, 3);
  verify_fails_with(path, "prev mismatch at line 2");
}

Test(exchange_log, swapped_lines_are_found) {
  const char *path = ts_path(tmp_dir, "x.log");
  char **lines;
  size_t n;
  char *tmp;
  write_log(path, 6);
  n = split_lines(path, &lines);
  tmp = lines[2];
  lines[2] = lines[3];
  lines[3] = tmp;
  write_lines(path, lines, n);
  free_lines(lines, n);
  verify_fails_with(path, "expected 2, found 3 at line 3");
}

Test(exchange_log, non_json_line_is_named) {
  const char *path = ts_path(tmp_dir, "x.log");
  char **lines;
  size_t n;
  write_log(path, 4);
  n = split_lines(path, &lines);
  free(lines[1]);
  lines[1] = strdup("not json at all");
  write_lines(path, lines, n);
  free_lines(lines, n);
  verify_fails_with(path, "line 2 is not a JSON object");
}

Test(exchange_log, first_record_must_start_the_chain) {
  const char *path = ts_path(tmp_dir, "x.log");
  char **lines;
  size_t n;
  char *zeros;
  write_log(path, 3);
  n = split_lines(path, &lines);
  zeros = strstr(lines[0], "\"prev\":\"0000");
  cr_assert_not_null(zeros);
  zeros[8] = '1';
  write_lines(path, lines, n);
  free_lines(lines, n);
  verify_fails_with(path, "prev mismatch at line 1");
}

Test(exchange_log, verify_of_missing_file_fails) {
  verify_fails_with(ts_path(tmp_dir, "nope.log"), "nope.log");
}

/* ---- concurrency ------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 40

static void *append_worker(void *arg) {
  struct gw_xlog *log = arg;
  char err[512];
  for (int i = 0; i < PER_THREAD; i++) {
    json_t *r = fetch_record(i);
    if (xlog_append(log, r, err, sizeof err) != 0) {
      json_decref(r);
      return (void *)1;
    }
    json_decref(r);
  }
  return NULL;
}

Test(exchange_log, four_threads_append_without_gaps) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log = open_ok(path);
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++)
    cr_assert_eq(pthread_create(&threads[i], NULL, append_worker, log), 0);
  for (int i = 0; i < THREADS; i++) {
    void *res = NULL;
    cr_assert_eq(pthread_join(threads[i], &res), 0);
    cr_assert_null(res, "a thread's append failed");
  }
  cr_assert_eq(xlog_next_seq(log), THREADS * PER_THREAD);
  xlog_close(log);
  cr_assert_eq(verify_ok(path), THREADS * PER_THREAD);
}

Test(exchange_log, two_handles_on_one_file_keep_one_chain) {
  /* Like `gateway run` from cron while `gateway serve` is running. */
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *a = open_ok(path);
  struct gw_xlog *b = open_ok(path);
  for (int i = 0; i < 5; i++) {
    append_n(a, 1);
    append_n(b, 2);
  }
  cr_assert_eq(xlog_next_seq(a), 13);
  cr_assert_eq(xlog_next_seq(b), 15);
  xlog_close(a);
  xlog_close(b);
  cr_assert_eq(verify_ok(path), 15);
}

/* ---- failures ----------------------------------------------------------- */

Test(exchange_log, failed_write_returns_error_and_keeps_state) {
  struct gw_xlog *log = NULL;
  char err[512];
  json_t *r = fetch_record(1);
  cr_assert_eq(xlog_open("/dev/full", &log, err, sizeof err), 0, "%s", err);
  cr_assert_eq(xlog_append(log, r, err, sizeof err), -1);
  cr_assert(strstr(err, "/dev/full") != NULL, "%s", err);
  cr_assert(strstr(err, "No space left") != NULL, "%s", err);
  cr_assert_eq(xlog_next_seq(log), 0);
  cr_assert_eq(xlog_append(log, r, err, sizeof err), -1);
  cr_assert_eq(xlog_next_seq(log), 0);
  xlog_close(log);
  json_decref(r);
}

Test(exchange_log, short_write_is_rolled_back) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log;
  struct rlimit old, small;
  size_t size_before, size_after;
  char err[512];
  json_t *r = fetch_record(1);
  write_log(path, 2);
  free(ts_read_file(path, &size_before));
  log = open_ok(path);
  /* Past RLIMIT_FSIZE write() stops short, then fails with EFBIG. */
  signal(SIGXFSZ, SIG_IGN);
  cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
  small = old;
  small.rlim_cur = size_before + 10;
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
  cr_assert_eq(xlog_append(log, r, err, sizeof err), -1);
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
  cr_assert(strstr(err, "cannot write record 2") != NULL, "%s", err);
  cr_assert_eq(xlog_next_seq(log), 2);
  free(ts_read_file(path, &size_after));
  cr_assert_eq(size_after, size_before, "partial record left behind");
  cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
  xlog_close(log);
  json_decref(r);
  cr_assert_eq(verify_ok(path), 3);
}

Test(exchange_log, allocation_failure_keeps_state) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log = open_ok(path);
  char err[512];
  json_t *r = fetch_record(1);
  gw_alloc_fail_at(1);
  cr_assert_eq(xlog_append(log, r, err, sizeof err), -1);
  gw_alloc_fail_at(0);
  cr_assert_eq(xlog_next_seq(log), 0);
  cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
  xlog_close(log);
  json_decref(r);
  cr_assert_eq(verify_ok(path), 1);
}

Test(exchange_log, open_fails_when_directory_cannot_be_made) {
  char err[512];
  struct gw_xlog *log = NULL;
  const char *file = ts_path(tmp_dir, "plain");
  cr_assert_eq(ts_write_file(file, "x"), 0);
  cr_assert_eq(xlog_open(ts_path(file, "sub/x.log"), &log, err, sizeof err),
               -1);
  cr_assert_null(log);
  cr_assert(strstr(err, "plain/sub") != NULL, "%s", err);
}

/* ---- performance sanity ------------------------------------------------ */

Test(exchange_log, verify_200000_lines) {
  const char *path = ts_path(tmp_dir, "big.log");
  FILE *f = fopen(path, "w");
  char prev[GW_SHA256_HEX_SIZE];
  char line[512];
  struct timespec t0, t1;
  const uint64_t total = 200000;
  cr_assert_not_null(f);
  memset(prev, '0', 64);
  prev[64] = '\0';
  for (uint64_t i = 0; i < total; i++) {
    cr_assert_eq(text_format(line, sizeof line,
                             "{\"seq\":%llu,\"time\":\"2026-11-24T02:50:"
                             "08.123Z\",\"prev\":\"%s\",\"event\":\"fetch\","
                             "\"source\":\"cbs_odata\",\"bytes\":%llu}",
                             (unsigned long long)i, prev,
                             (unsigned long long)(i * 7)),
                 0);
    fprintf(f, "%s\n", line);
    cr_assert_eq(sha256_hex(line, strlen(line), prev), 0);
  }
  cr_assert_eq(fclose(f), 0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cr_assert_eq(verify_ok(path), total);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  fprintf(stderr, "verify of %llu lines took %.3f s\n",
          (unsigned long long)total,
          (double)(t1.tv_sec - t0.tv_sec) +
              (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* ---- redaction --------------------------------------------------------- */

static void redacts(const char *url, const char *const *secrets,
                    const char *expected) {
  char out[512];
  cr_assert_eq(xlog_redact_url(url, secrets, out, sizeof out), 0, "%s", url);
  cr_assert_str_eq(out, expected);
}

Test(redaction, sensitive_query_parameters) {
  redacts("https://api.example.nl/data?apikey=abc123&$format=json", NULL,
          "https://api.example.nl/data?apikey=REDACTED&$format=json");
  redacts("https://h/p?access_token=t&x=1&Client_Secret=s&PassWord=p&"
          "passwd=q&X-Amz-Signature=ff&authorization=b&KEY=k",
          NULL,
          "https://h/p?access_token=REDACTED&x=1&Client_Secret=REDACTED&"
          "PassWord=REDACTED&passwd=REDACTED&X-Amz-Signature=REDACTED&"
          "authorization=REDACTED&KEY=REDACTED");
  redacts("https://opendata.cbs.nl/ODataFeed/odata/90001NED/"
          "TypedDataSet?$skip=200&$top=100",
          NULL,
          "https://opendata.cbs.nl/ODataFeed/odata/90001NED/"
          "TypedDataSet?$skip=200&$top=100");
  redacts("https://h/p?token&sig=", NULL, "https://h/p?token&sig=REDACTED");
  redacts("https://h/p?a=1#access_token=zz&state=s", NULL,
          "https://h/p?a=1#access_token=REDACTED&state=s");
}

Test(redaction, userinfo) {
  redacts("https://user:pa55@example.nl:8443/x?y=1", NULL,
          "https://REDACTED@example.nl:8443/x?y=1");
  redacts("https://tok3n@example.nl/", NULL, "https://REDACTED@example.nl/");
  redacts("https://example.nl/path@not-userinfo", NULL,
          "https://example.nl/path@not-userinfo");
  redacts("https://example.nl/?next=https://a:b@c", NULL,
          "https://example.nl/?next=https://a:b@c");
}

Test(redaction, provided_secrets_anywhere) {
  const char *secrets[] = {"s3cr3tvalue", "abc", "0123456789", NULL};
  redacts("https://h/v1/s3cr3tvalue/data?q=0123456789abc", secrets,
          "https://h/v1/REDACTED/data?q=REDACTEDabc");
  redacts("https://h/p?token=s3cr3tvalue", secrets,
          "https://h/p?token=REDACTED");
  const char *empty_list[] = {NULL};
  redacts("https://h/p", empty_list, "https://h/p");
}

Test(redaction, longest_secret_wins) {
  const char *secrets[] = {"abcd", "abcdefgh", NULL};
  redacts("https://h/abcdefgh/x", secrets, "https://h/REDACTED/x");
}

Test(redaction, output_bound) {
  char out[24];
  cr_assert_eq(
      xlog_redact_url("https://example.nl/a?key=1", NULL, out, sizeof out), -1);
  cr_assert_str_empty(out);
  cr_assert_eq(xlog_redact_url("https://h/?key=1", NULL, out, sizeof out), 0);
  cr_assert_str_eq(out, "https://h/?key=REDACTED");
  cr_assert_eq(xlog_redact_url(NULL, NULL, out, sizeof out), -1);
}
