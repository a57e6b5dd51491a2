/*
 * test_exchange_log.c - the hash-chained exchange log (DESIGN 8): the
 * chain, checkpoints (Merkle root, signed notes, the checkpoint file),
 * segments, the torn-tail policy, concurrency and failures. The verifier's
 * own cases are in test_xlog_verify.c.
 */
#include "audit_keys.h"
#include "digest.h"
#include "exchange_log.h"
#include "merkle.h"
#include "signed_note.h"
#include "xlog_verify.h"
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

/* A fixed test key: 64 hex digits, as audit.signing_key holds it. */
#define TEST_SEED                                                              \
  "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"

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
TestSuite(checkpoints, .init = make_tmp, .fini = remove_tmp);
TestSuite(segments, .init = make_tmp, .fini = remove_tmp);
TestSuite(seal, .init = make_tmp, .fini = remove_tmp);

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
  /* five records and the checkpoint written when the handle closed */
  cr_assert_eq(verify_ok(path), 6);

  n = split_lines(path, &lines);
  cr_assert_eq(n, 6);
  cr_assert(strstr(lines[5], "\"event\":\"checkpoint\",\"size\":5,") != NULL,
            "%s", lines[5]);
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
  write_log(path, 3); /* seq 0-2 and a checkpoint, seq 3 */
  log = open_ok(path);
  cr_assert_eq(xlog_next_seq(log), 4);
  append_n(log, 2);
  cr_assert_eq(xlog_next_seq(log), 6);
  xlog_close(log);
  cr_assert_eq(verify_ok(path), 7);

  n = split_lines(path, &lines);
  cr_assert_eq(n, 7);
  cr_assert_eq(sha256_hex(lines[3], strlen(lines[3]), hash), 0);
  cr_assert(strstr(lines[4], hash) != NULL, "line 5 does not chain to 4");
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
  cr_assert_eq(xlog_next_seq(log), 3);
  append_n(log, 1);
  xlog_close(log);
  cr_assert_eq(verify_ok(path), 5);
  json_decref(r);
  free(big);
}

Test(exchange_log, lines_longer_than_the_stream_buffers) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log = open_ok(path);
  size_t big_len = 300000; /* beyond the 64 KiB the readers start with */
  char *big = malloc(big_len + 1);
  json_t *r;
  char err[512];
  cr_assert_not_null(big);
  memset(big, 'b', big_len);
  big[big_len] = '\0';
  r = json_pack("{s:s}", "detail", big);
  append_n(log, 1);
  cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
  append_n(log, 1);
  cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
  xlog_close(log);
  log = open_ok(path); /* streams the long lines to rebuild the tree */
  cr_assert_eq(xlog_next_seq(log), 5);
  append_n(log, 1);
  xlog_close(log);
  cr_assert_eq(verify_ok(path), 7);
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
              "break\",\"url\":\"https://x.example/a\\?b=c\"\\}\n"
              "\\{\"seq\":1,[^\n]*\"event\":\"checkpoint\"[^\n]*\\}\n$",
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
  for (size_t i = 0; i < 2; i++) {
    const char *own[] = {"checkpoint", "torn_tail"};
    json_t *r = json_pack("{s:s}", "event", own[i]);
    cr_assert_eq(xlog_append(log, r, err, sizeof err), -1);
    cr_assert(strstr(err, "written by the log itself") != NULL, "%s", err);
    json_decref(r);
  }
  cr_assert_eq(xlog_next_seq(log), 0);
  append_n(log, 1);
  xlog_close(log);
  json_decref(arr);
  cr_assert_eq(verify_ok(path), 2);
}

Test(exchange_log, empty_file_starts_at_zero) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log;
  cr_assert_eq(ts_write_file(path, ""), 0);
  cr_assert_eq(verify_ok(path), 0);
  log = open_ok(path);
  cr_assert_eq(xlog_next_seq(log), 0);
  xlog_close(log);
  /* a handle that appended nothing writes no checkpoint */
  cr_assert_eq(verify_ok(path), 0);
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
  cr_assert(strstr(err, "gateway audit verify --seal-torn") != NULL, "%s", err);
  cr_assert(strstr(err, "docs/exchange-log.md") != NULL, "%s", err);
  cr_assert(strstr(err, path) != NULL, "%s", err);
  xlog_close(log);
  json_decref(r);

  text = ts_read_file(path, &size_after);
  cr_assert_eq(size_after, size_before + strlen("{\"seq\":2,\"ti"),
               "the torn line was changed");
  free(text);
  verify_fails_with(path, "torn last line 4 (12 bytes without a newline)");
}

Test(exchange_log, torn_only_line_is_reported) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log = NULL;
  char err[512];
  cr_assert_eq(ts_write_file(path, "{\"seq\":0"), 0);
  cr_assert_eq(xlog_open(path, &log, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(err, "torn write at byte 0") != NULL, "%s", err);
  xlog_close(log);
  verify_fails_with(path, "torn last line 1 (8 bytes without a newline)");
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
  verify_fails_with(path, "x.log:4 (expected seq 3) is not a JSON object");
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
  verify_fails_with(path, "record seq 2 at ");
  verify_fails_with(path, "x.log:3 was changed: its SHA-256 no longer matches"
                          " the prev of seq 3");
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
  verify_fails_with(path, "record seq 2 was deleted: ");
  verify_fails_with(path, "x.log:3 has seq 3 where 2 was expected (seq gap)");
}

Test(exchange_log, deleted_middle_line_with_renumbered_seq_is_found) {
  const char *path = ts_path(tmp_dir, "x.log");
  char **lines;
  size_t n;
  write_log(path, 4);
  n = split_lines(path, &lines);
  cr_assert_eq(n, 5);
  /* A forger removes line 2 and renumbers line 3 to hide the gap. */
  char *seq = strstr(lines[2], "\"seq\":2");
  cr_assert_not_null(seq);
  seq[6] = '1';
  free(lines[1]);
  lines[1] = lines[2];
  lines[2] = lines[3];
  write_lines(path, lines, 3);
  free(lines[4]); /* lines[3] lives on as lines[2] */
  free_lines(lines, 3);
  verify_fails_with(path, "were removed and the rest renumbered");
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
  verify_fails_with(path, "records seq 2 and 3 were swapped");
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
  verify_fails_with(path, "x.log:2 (expected seq 1) is not a JSON object");
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
  verify_fails_with(path, "prev is not 64 zeros");
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
  cr_assert_eq(verify_ok(path), THREADS * PER_THREAD + 1);
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
  /* a closes with a checkpoint over all 15; b then has nothing new */
  xlog_close(a);
  xlog_close(b);
  cr_assert_eq(verify_ok(path), 16);
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
  cr_assert(strstr(err, "cannot write record 3") != NULL, "%s", err);
  cr_assert_eq(xlog_next_seq(log), 3);
  free(ts_read_file(path, &size_after));
  cr_assert_eq(size_after, size_before, "partial record left behind");
  cr_assert_eq(xlog_append(log, r, err, sizeof err), 0, "%s", err);
  xlog_close(log);
  json_decref(r);
  cr_assert_eq(verify_ok(path), 5);
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
  cr_assert_eq(verify_ok(path), 2);
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

/* ---- checkpoints -------------------------------------------------------- */

static struct gw_xlog *open_opts(const char *path,
                                 const struct gw_xlog_options *o) {
  struct gw_xlog *log = NULL;
  char err[512];
  cr_assert_eq(xlog_open_with(path, o, &log, err, sizeof err), 0, "open: %s",
               err);
  cr_assert_str_empty(err, "unexpected warning: %s", err);
  return log;
}

/* The Merkle root (base64) of lines[0, n). */
static void root_of(char **lines, size_t n, char *out, size_t out_size) {
  struct gw_merkle *t = merkle_new();
  unsigned char root[GW_MERKLE_HASH_SIZE];
  cr_assert_not_null(t);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(merkle_append(t, lines[i], strlen(lines[i])), 0);
  cr_assert_eq(merkle_root(t, root), 0);
  cr_assert_eq(note_b64_encode(root, sizeof root, out, out_size), 0);
  merkle_free(t);
}

/* Checks every checkpoint line against the lines before it; returns the
 * seqs of the checkpoints (up to max). */
static size_t check_checkpoints(char **lines, size_t n, const char *origin,
                                uint64_t *seqs, size_t max) {
  size_t found = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *obj = json_loads(lines[i], 0, NULL);
    const char *event = json_string_value(json_object_get(obj, "event"));
    char root[64], body[256];
    cr_assert_not_null(obj);
    if (event && strcmp(event, "checkpoint") == 0) {
      const char *note = json_string_value(json_object_get(obj, "note"));
      cr_assert_eq(json_integer_value(json_object_get(obj, "size")),
                   (json_int_t)i, "checkpoint at line %zu", i + 1);
      root_of(lines, i, root, sizeof root);
      cr_assert_str_eq(json_string_value(json_object_get(obj, "root")), root);
      cr_assert_str_eq(json_string_value(json_object_get(obj, "origin")),
                       origin);
      cr_assert_eq(
          text_format(body, sizeof body, "%s\n%zu\n%s\n", origin, i, root), 0);
      cr_assert_not_null(note);
      cr_assert_eq(strncmp(note, body, strlen(body)), 0, "note %s", note);
      if (found < max)
        seqs[found] = i;
      found++;
    }
    json_decref(obj);
  }
  return found;
}

Test(checkpoints, every_n_records_at_close_and_in_the_checkpoint_file) {
  const char *path = ts_path(tmp_dir, "x.log");
  const char *cpfile = ts_path(tmp_dir, "off/x.checkpoints");
  struct gw_xlog_options o = {.checkpoint_every = 3,
                              .checkpoint_file = cpfile,
                              .origin = "gemeente.example/gateway/audit"};
  struct gw_xlog *log = open_opts(path, &o);
  uint64_t seqs[8];
  char **lines;
  size_t n;
  char *notes;
  append_n(log, 7);
  /* r0 r1 r2 cp3 r4 r5 r6 cp7 r8, then cp9 at close */
  cr_assert_eq(xlog_next_seq(log), 9);
  xlog_close(log);
  n = split_lines(path, &lines);
  cr_assert_eq(n, 10);
  cr_assert_eq(
      check_checkpoints(lines, n, "gemeente.example/gateway/audit", seqs, 8),
      3);
  cr_assert_eq(seqs[0], 3);
  cr_assert_eq(seqs[1], 7);
  cr_assert_eq(seqs[2], 9);
  cr_assert_null(strstr(lines[3], "key_id"), "unsigned has no key id");
  free_lines(lines, n);
  notes = ts_read_file(cpfile, NULL);
  cr_assert_not_null(notes);
  /* unsigned notes, a blank line after each */
  cr_assert(strncmp(notes, "gemeente.example/gateway/audit\n3\n",
                    strlen("gemeente.example/gateway/audit\n3\n")) == 0,
            "%s", notes);
  cr_assert(strstr(notes, "=\n\ngemeente.example/gateway/audit\n7\n") != NULL,
            "%s", notes);
  cr_assert(strstr(notes, "\n9\n") != NULL, "%s", notes);
  cr_assert_null(strstr(notes, "\xe2\x80\x94"), "unsigned notes: %s", notes);
  free(notes);
  cr_assert_eq(verify_ok(path), 10);
}

Test(checkpoints, signed_with_the_configured_key) {
  const char *path = ts_path(tmp_dir, "x.log");
  const char *cpfile = ts_path(tmp_dir, "x.checkpoints");
  struct gw_xlog_options o = {.checkpoint_every = 4,
                              .checkpoint_file = cpfile,
                              .signing_key = TEST_SEED};
  struct gw_xlog *log = open_opts(path, &o);
  struct gw_note_signer *signer = NULL;
  struct gw_note_verifier *v = NULL;
  struct xlog_verify_options vo = {0};
  struct xlog_verify_report rep;
  char err[256], key_id[32];
  char **lines;
  size_t n;
  append_n(log, 10);
  xlog_close(log);
  cr_assert_eq(audit_signer_load(TEST_SEED, XLOG_DEFAULT_ORIGIN, &signer, err,
                                 sizeof err),
               0, "%s", err);
  cr_assert_eq(note_verifier_from_signer(signer, &v), 0);
  n = split_lines(path, &lines);
  cr_assert_eq(n, 13); /* 4 + cp, 4 + cp, 2 + cp */
  cr_assert_eq(text_format(key_id, sizeof key_id, "\"key_id\":\"%08x\"",
                           (unsigned)note_signer_key_id(signer)),
               0);
  cr_assert(strstr(lines[4], key_id) != NULL, "%s", lines[4]);
  cr_assert(strstr(lines[4], "\\u2014 indicator-gateway/exchange-log ") != NULL,
            "%s", lines[4]);
  free_lines(lines, n);

  vo.keys = &v;
  vo.key_count = 1;
  vo.checkpoint_file = cpfile;
  cr_assert_eq(xlog_verify(path, &vo, &rep), 0, "%s", rep.error);
  cr_assert_eq(rep.records, 13);
  cr_assert_eq(rep.checkpoints, 3);
  cr_assert_eq(rep.signed_checkpoints, 3);
  cr_assert_eq(rep.newest_signed_size, 12);
  cr_assert_eq(rep.notes_checked, 3);
  cr_assert_str_empty(rep.warning, "%s", rep.warning);
  /* the same log, verified without the key: the signatures are untrusted */
  vo.key_count = 0;
  vo.checkpoint_file = NULL;
  cr_assert_eq(xlog_verify(path, &vo, &rep), -1);
  cr_assert_eq(rep.problem, XLOG_CP_UNTRUSTED);
  note_verifier_free(v);
  note_signer_free(signer);
}

Test(checkpoints, unsigned_log_warns_that_truncation_cannot_be_proven) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct xlog_verify_report rep;
  write_log(path, 3);
  cr_assert_eq(xlog_verify(path, NULL, &rep), 0, "%s", rep.error);
  cr_assert_eq(rep.checkpoints, 1);
  cr_assert_eq(rep.signed_checkpoints, 0);
  cr_assert(strstr(rep.warning, "unsigned") != NULL, "%s", rep.warning);
  cr_assert(strstr(rep.warning, "off-site") != NULL, "%s", rep.warning);
}

Test(checkpoints, after_the_interval) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog_options o = {.checkpoint_interval_s = 2};
  struct gw_xlog *log = open_opts(path, &o);
  uint64_t before;
  char **lines;
  size_t n;
  append_n(log, 1);
  /* 1, or 2 if this machine stalled for the whole interval */
  before = xlog_next_seq(log);
  usleep(2100 * 1000);
  append_n(log, 1);
  cr_assert_eq(xlog_next_seq(log), before + 2,
               "no checkpoint after the interval");
  xlog_close(log);
  n = split_lines(path, &lines);
  cr_assert_eq(n, before + 2, "closing wrote another checkpoint");
  cr_assert(strstr(lines[n - 1], "\"event\":\"checkpoint\"") != NULL, "%s",
            lines[n - 1]);
  free_lines(lines, n);
}

Test(checkpoints, explicit_checkpoint_only_when_there_is_something_new) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog *log = open_ok(path);
  char err[256];
  cr_assert_eq(xlog_checkpoint(log, err, sizeof err), 0, "%s", err);
  cr_assert_eq(xlog_next_seq(log), 0);
  append_n(log, 2);
  cr_assert_eq(xlog_checkpoint(log, err, sizeof err), 0, "%s", err);
  cr_assert_eq(xlog_next_seq(log), 3);
  cr_assert_eq(xlog_checkpoint(log, err, sizeof err), 0, "%s", err);
  cr_assert_eq(xlog_next_seq(log), 3);
  xlog_close(log); /* nothing appended since: no closing checkpoint */
  cr_assert_eq(verify_ok(path), 3);
}

Test(checkpoints, reopen_rebuilds_the_tree) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog_options o = {.checkpoint_every = 5};
  struct gw_xlog *log;
  char **lines;
  size_t n;
  uint64_t seqs[8];
  for (int round = 0; round < 3; round++) {
    log = open_opts(path, &o);
    append_n(log, 4 + round);
    xlog_close(log);
  }
  n = split_lines(path, &lines);
  cr_assert_geq(check_checkpoints(lines, n, XLOG_DEFAULT_ORIGIN, seqs, 8), 4);
  free_lines(lines, n);
  cr_assert_eq(verify_ok(path), n);
}

Test(checkpoints, bad_signing_key_fails_open_without_echoing_it) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog_options o = {.signing_key = "hunter2-not-a-seed"};
  struct gw_xlog *log = NULL;
  char err[512];
  cr_assert_eq(xlog_open_with(path, &o, &log, err, sizeof err), -1);
  cr_assert_null(log);
  cr_assert(strstr(err, "audit.signing_key") != NULL, "%s", err);
  cr_assert(strstr(err, "64 hex digits") != NULL, "%s", err);
  cr_assert_null(strstr(err, "hunter2"), "%s", err);
  o.signing_key = NULL;
  o.origin = "has space";
  cr_assert_eq(xlog_open_with(path, &o, &log, err, sizeof err), -1);
  cr_assert(strstr(err, "audit.origin") != NULL, "%s", err);
}

/* ---- segments ---------------------------------------------------------- */

Test(segments, rotate_by_size_continues_seq_chain_and_tree) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog_options o = {.rotate_bytes = 1500, .checkpoint_every = 1000};
  struct gw_xlog *log = open_opts(path, &o);
  char seg[512];
  struct stat st;
  unsigned segments;
  uint64_t total = 0;
  append_n(log, 30);
  segments = xlog_segments(log);
  xlog_close(log);
  cr_assert_geq(segments, 3, "only %u segments", segments);
  cr_assert_eq(xlog_segment_count(path), segments);
  for (unsigned i = 1; i <= segments; i++) {
    char **lines;
    size_t n;
    cr_assert_eq(xlog_segment_path(path, i, seg, sizeof seg), 0);
    cr_assert_eq(stat(seg, &st), 0);
    /* over the limit by at most the closing checkpoint record */
    cr_assert_leq(st.st_size, 1500 + 700, "%s is %lld bytes", seg,
                  (long long)st.st_size);
    n = split_lines(seg, &lines);
    cr_assert(strstr(lines[n - 1], "\"event\":\"checkpoint\"") != NULL,
              "segment %u does not end with a checkpoint", i);
    total += n;
    free_lines(lines, n);
  }
  cr_assert_eq(xlog_segment_path(path, 1, seg, sizeof seg), 0);
  cr_assert(text_ends_with(seg, "x.log.000001"), "%s", seg);
  {
    char **lines;
    size_t n = split_lines(path, &lines);
    total += n;
    free_lines(lines, n);
  }
  /* one log across the files: verify counts every record of every file */
  cr_assert_eq(verify_ok(path), total);
}

/* A one-record log written "yesterday" (a valid chain start). */
static void write_old_record(const char *path) {
  char line[256];
  cr_assert_eq(text_format(line, sizeof line,
                           "{\"seq\":0,\"time\":\"2001-02-03T04:05:06.789Z\","
                           "\"prev\":\"%064d\",\"event\":\"fetch\"}\n",
                           0),
               0);
  cr_assert_eq(ts_write_file(path, line), 0);
}

Test(segments, rotate_daily_on_the_first_record_of_a_new_day) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog_options o = {.rotate_daily = 1};
  struct gw_xlog *log;
  char seg[512];
  char **lines;
  size_t n;
  write_old_record(path);
  log = open_opts(path, &o);
  append_n(log, 2);
  cr_assert_eq(xlog_segments(log), 1);
  xlog_close(log);
  cr_assert_eq(xlog_segment_path(path, 1, seg, sizeof seg), 0);
  n = split_lines(seg, &lines);
  cr_assert_eq(n, 2, "old record and the closing checkpoint");
  cr_assert(strstr(lines[1], "\"size\":1,") != NULL, "%s", lines[1]);
  free_lines(lines, n);
  n = split_lines(path, &lines);
  cr_assert_eq(n, 3, "today's two records and a checkpoint");
  cr_assert(strstr(lines[0], "\"seq\":2,") != NULL, "%s", lines[0]);
  free_lines(lines, n);
  cr_assert_eq(verify_ok(path), 5);
  /* same day: no further segment */
  log = open_opts(path, &o);
  append_n(log, 1);
  cr_assert_eq(xlog_segments(log), 1);
  xlog_close(log);
}

Test(segments, two_handles_follow_each_others_rotations) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog_options o = {.rotate_bytes = 800, .checkpoint_every = 7};
  struct gw_xlog *a = open_opts(path, &o);
  struct gw_xlog *b = open_opts(path, &o);
  for (int i = 0; i < 12; i++) {
    append_n(a, 1);
    append_n(b, 2);
  }
  cr_assert_gt(xlog_next_seq(b), xlog_next_seq(a));
  xlog_close(a);
  xlog_close(b);
  cr_assert_geq(xlog_segment_count(path), 4);
  verify_ok(path);
}

Test(segments, crash_between_rename_and_new_file_is_harmless) {
  const char *path = ts_path(tmp_dir, "x.log");
  char seg[512];
  struct gw_xlog *log;
  uint64_t before;
  write_log(path, 3);
  cr_assert_eq(xlog_segment_path(path, 1, seg, sizeof seg), 0);
  cr_assert_eq(rename(path, seg), 0); /* the active file is gone */
  before = verify_ok(path);
  cr_assert_eq(before, 4);
  log = open_ok(path);
  cr_assert_eq(xlog_next_seq(log), 4);
  append_n(log, 1);
  xlog_close(log);
  cr_assert_eq(verify_ok(path), 6);
}

Test(segments, damaged_closed_segment_blocks_appends) {
  const char *path = ts_path(tmp_dir, "x.log");
  char seg[512], err[512];
  struct gw_xlog *log = NULL;
  FILE *f;
  write_log(path, 2);
  cr_assert_eq(xlog_segment_path(path, 1, seg, sizeof seg), 0);
  cr_assert_eq(rename(path, seg), 0);
  f = fopen(seg, "a");
  fputs("{\"seq\":3", f);
  fclose(f);
  cr_assert_eq(xlog_open(path, &log, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(err, "ends inside a record") != NULL, "%s", err);
  xlog_close(log);
  verify_fails_with(path, "the closed segment ends inside a record");
}

Test(segments, a_missing_segment_blocks_appends) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog_options o = {.rotate_bytes = 600};
  struct gw_xlog *log = open_opts(path, &o);
  char seg[512], err[512];
  append_n(log, 12);
  xlog_close(log);
  cr_assert_geq(xlog_segment_count(path), 2);
  cr_assert_eq(xlog_segment_path(path, 1, seg, sizeof seg), 0);
  cr_assert_eq(unlink(seg), 0);
  log = NULL;
  cr_assert_eq(xlog_open_with(path, &o, &log, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(err, "a segment is missing") != NULL, "%s", err);
  xlog_close(log);
}

/* ---- sealing a torn tail ------------------------------------------------- */

Test(seal, torn_bytes_are_moved_logged_and_the_chain_continues) {
  const char *path = ts_path(tmp_dir, "x.log");
  const char *torn = "{\"seq\":3,\"time\":\"2026-11";
  char moved[512], err[512], hash[GW_SHA256_HEX_SIZE], expect[256];
  char *saved;
  size_t saved_len;
  char **lines;
  size_t n;
  FILE *f;
  struct gw_xlog *log;
  write_log(path, 2);
  f = fopen(path, "a");
  fputs(torn, f);
  fclose(f);
  cr_assert_eq(xlog_seal_torn(path, NULL, moved, sizeof moved, err, sizeof err),
               1, "%s", err);
  cr_assert(strstr(moved, "x.log.torn-") != NULL, "%s", moved);
  saved = ts_read_file(moved, &saved_len);
  cr_assert_not_null(saved);
  cr_assert_eq(saved_len, strlen(torn));
  cr_assert_str_eq(saved, torn);
  free(saved);
  n = split_lines(path, &lines);
  cr_assert_eq(n, 5, "3 lines, torn_tail and its closing checkpoint");
  cr_assert_eq(sha256_hex(torn, strlen(torn), hash), 0);
  cr_assert_eq(text_format(expect, sizeof expect,
                           "\"event\":\"torn_tail\",\"bytes\":%zu,",
                           strlen(torn)),
               0);
  cr_assert(strstr(lines[3], expect) != NULL, "%s", lines[3]);
  cr_assert(strstr(lines[3], hash) != NULL, "%s", lines[3]);
  cr_assert(strstr(lines[3], "x.log.torn-") != NULL, "%s", lines[3]);
  free_lines(lines, n);
  cr_assert_eq(verify_ok(path), 5);
  /* nothing torn now */
  cr_assert_eq(xlog_seal_torn(path, NULL, moved, sizeof moved, err, sizeof err),
               0, "%s", err);
  log = open_ok(path);
  append_n(log, 1);
  xlog_close(log);
  cr_assert_eq(verify_ok(path), 7);
}

Test(seal, torn_line_after_damage_is_not_sealed) {
  const char *path = ts_path(tmp_dir, "x.log");
  char moved[512], err[512];
  FILE *f;
  write_log(path, 1);
  f = fopen(path, "a");
  fputs("garbage\n{\"seq\":9", f);
  fclose(f);
  /* the bytes are moved, but the log still refuses: no torn_tail record */
  cr_assert_eq(xlog_seal_torn(path, NULL, moved, sizeof moved, err, sizeof err),
               -1);
  cr_assert(strstr(err, "damaged record") != NULL, "%s", err);
}

/* ---- every allocation failure on the way in is clean ------------------- */

Test(exchange_log, every_allocation_failure_in_open_and_append_is_clean) {
  const char *path = ts_path(tmp_dir, "x.log");
  struct gw_xlog_options o = {.checkpoint_every = 2,
                              .checkpoint_file =
                                  ts_path(tmp_dir, "x.checkpoints"),
                              .signing_key = TEST_SEED};
  write_log(path, 3);
  for (unsigned long nth = 1; nth < 400; nth++) {
    struct gw_xlog *log = NULL;
    char err[512];
    json_t *r = fetch_record(1);
    int rc;
    gw_alloc_fail_at(nth);
    rc = xlog_open_with(path, &o, &log, err, sizeof err);
    if (rc == 0) {
      (void)xlog_append(log, r, err, sizeof err);
      (void)xlog_append(log, r, err, sizeof err);
    }
    gw_alloc_fail_at(0);
    xlog_close(log);
    json_decref(r);
  }
  verify_ok(path);
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

Test(redaction, urls_and_secrets_inside_free_text) {
  const char *secrets[] = {"s3cr3t-token", NULL};
  char out[512];
  cr_assert_eq(
      xlog_redact_text("fetch failed: HTTP status 500 from "
                       "https://u:pw@h:8443/t?api_key=abc&x=1; body starts: "
                       "{\"url\": \"http://h/?token=zz\"} (GET "
                       "https://h/t?api_key=abc) header s3cr3t-token",
                       secrets, out, sizeof out),
      0);
  cr_expect_str_eq(
      out, "fetch failed: HTTP status 500 from "
           "https://REDACTED@h:8443/t?api_key=REDACTED&x=1; body starts: "
           "{\"url\": \"http://h/?token=REDACTED\"} (GET "
           "https://h/t?api_key=REDACTED) header REDACTED");
}

Test(redaction, free_text_is_cut_between_pieces) {
  char out[40];
  cr_expect_eq(xlog_redact_text("see https://h/a?key=verylongsecretvalue123 "
                                "for details",
                                NULL, out, sizeof out),
               -1);
  cr_expect_null(strstr(out, "verylong"), "%s", out);
  cr_expect_eq(xlog_redact_text(NULL, NULL, out, sizeof out), -1);
  cr_expect_str_eq(out, "");
}
