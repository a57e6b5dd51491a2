/*
 * test_xlog_reader.c - the exchange-log reader: segments in rotation order
 * (gaps and look-alike names), every line with its segment, line number,
 * offset and seq, a torn last line, empty files and lines, lines at and
 * beyond the record limit (also longer than the reader's buffer), lines
 * straddling buffer refills, and clean failure when allocation fails.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw_alloc.h"
#include "test_support.h"
#include "text.h"
#include "xlog_reader.h"

static const char *tmpdir;

static void setup(void) {
  tmpdir = ts_mkdtemp();
  cr_assert_not_null(tmpdir);
}

static void teardown(void) {
  if (tmpdir)
    ts_rm_rf(tmpdir);
}

TestSuite(xlog_reader, .init = setup, .fini = teardown);

static void write_bytes(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot create %s", path);
  cr_assert_eq(fwrite(data, 1, len, f), len);
  cr_assert_eq(fclose(f), 0);
}

static void write_text(const char *path, const char *text) {
  write_bytes(path, text, strlen(text));
}

static struct gw_xlog_reader *open_ok(const char *path) {
  struct gw_xlog_reader *r = NULL;
  char err[512] = "";
  cr_assert_eq(xlog_reader_open(path, &r, err, sizeof err), 0, "%s", err);
  cr_assert_not_null(r);
  return r;
}

static int next(struct gw_xlog_reader *r, struct gw_xlog_line *line) {
  char err[512] = "";
  int rc = xlog_reader_next(r, line, err, sizeof err);
  cr_assert_geq(rc, 0, "%s", err);
  return rc;
}

static void expect_line(struct gw_xlog_reader *r, const char *text,
                        const char *segment, uint64_t line_no) {
  struct gw_xlog_line line;
  cr_assert_eq(next(r, &line), 1, "expected a line '%s'", text);
  cr_assert_eq(line.kind, XLOG_LINE_RECORD);
  cr_assert_eq(line.len, strlen(text));
  cr_assert_str_eq(line.text, text);
  cr_assert_str_eq(line.segment, segment);
  cr_assert_eq(line.line_no, line_no);
}

Test(xlog_reader, one_file_lines_offsets_and_seq) {
  const char *path = ts_path(tmpdir, "exchange.log");
  struct gw_xlog_reader *r;
  struct gw_xlog_line line;

  write_text(path, "{\"seq\":0,\"time\":\"x\"}\n"
                   "{\"seq\":17,\"a\":1}\n"
                   "not json\n");
  r = open_ok(path);
  cr_assert_eq(xlog_reader_segment_count(r), 1);
  cr_assert_str_eq(xlog_reader_segment(r, 0), path);
  cr_assert_null(xlog_reader_segment(r, 1));

  cr_assert_eq(next(r, &line), 1);
  cr_assert_str_eq(line.text, "{\"seq\":0,\"time\":\"x\"}");
  cr_assert_eq(line.offset, 0);
  cr_assert_eq(line.disk_len, line.len);
  cr_assert(line.has_seq);
  cr_assert_eq(line.seq, 0);
  cr_assert_eq(line.segment_index, 0);

  cr_assert_eq(next(r, &line), 1);
  cr_assert_eq(line.offset, 21);
  cr_assert_eq(line.line_no, 2);
  cr_assert(line.has_seq);
  cr_assert_eq(line.seq, 17);

  cr_assert_eq(next(r, &line), 1);
  cr_assert_str_eq(line.text, "not json");
  cr_assert_not(line.has_seq);
  cr_assert_eq(line.line_no, 3);

  cr_assert_eq(next(r, &line), 0);
  cr_assert_eq(next(r, &line), 0, "the end stays the end");
  xlog_reader_close(r);
}

Test(xlog_reader, segments_oldest_first_then_active) {
  const char *path = ts_path(tmpdir, "exchange.log");
  char seg1[512], seg2[512], seg10[512];
  struct gw_xlog_reader *r;
  struct gw_xlog_line line;

  text_format(seg1, sizeof seg1, "%s.000001", path);
  text_format(seg2, sizeof seg2, "%s.000002", path);
  text_format(seg10, sizeof seg10, "%s.000010", path);
  write_text(seg10, "c\n");
  write_text(seg2, "b1\nb2\n");
  write_text(seg1, "a\n");
  write_text(path, "d\n");
  /* look-alikes that are not segments of this log */
  write_text(ts_path(tmpdir, "exchange.log.1"), "x\n");
  write_text(ts_path(tmpdir, "exchange.log.0000001"), "x\n");
  write_text(ts_path(tmpdir, "exchange.log.00000a"), "x\n");
  write_text(ts_path(tmpdir, "exchange.log.000000"), "x\n");
  write_text(ts_path(tmpdir, "exchange.log.000003.tmp"), "x\n");
  write_text(ts_path(tmpdir, "other.log.000001"), "x\n");
  write_text(ts_path(tmpdir, "exchange.log.checkpoints"), "x\n");

  r = open_ok(path);
  cr_assert_eq(xlog_reader_segment_count(r), 4);
  expect_line(r, "a", seg1, 1);
  expect_line(r, "b1", seg2, 1);
  expect_line(r, "b2", seg2, 2);
  /* the gap 000003..000009 (archived segments) is skipped */
  expect_line(r, "c", seg10, 1);
  expect_line(r, "d", path, 1);
  cr_assert_eq(next(r, &line), 0);
  xlog_reader_close(r);
}

Test(xlog_reader, segments_without_active_file) {
  const char *path = ts_path(tmpdir, "exchange.log");
  char seg1[512];
  struct gw_xlog_reader *r;
  struct gw_xlog_line line;

  text_format(seg1, sizeof seg1, "%s.000001", path);
  write_text(seg1, "only\n");
  r = open_ok(path);
  expect_line(r, "only", seg1, 1);
  cr_assert_eq(next(r, &line), 0);
  xlog_reader_close(r);
}

Test(xlog_reader, relative_path_in_current_directory) {
  char cwd[1024];
  struct gw_xlog_reader *r;
  cr_assert_not_null(getcwd(cwd, sizeof cwd));
  cr_assert_eq(chdir(tmpdir), 0);
  write_text("rel.log", "x\n");
  write_text("rel.log.000001", "w\n");
  r = open_ok("rel.log");
  expect_line(r, "w", "rel.log.000001", 1);
  expect_line(r, "x", "rel.log", 1);
  xlog_reader_close(r);
  cr_assert_eq(chdir(cwd), 0);
}

Test(xlog_reader, missing_log_is_an_error) {
  struct gw_xlog_reader *r = NULL;
  char err[512] = "";
  const char *path = ts_path(tmpdir, "nothing.log");
  cr_assert_eq(xlog_reader_open(path, &r, err, sizeof err), -1);
  cr_assert_null(r);
  cr_assert_not_null(strstr(err, "no exchange log"), "%s", err);
  cr_assert_not_null(strstr(err, path), "%s", err);
  cr_assert_eq(xlog_reader_open(ts_path("/nonexistent-dir", "x.log"), &r, err,
                                sizeof err),
               -1);
  cr_assert_eq(xlog_reader_open("", &r, err, sizeof err), -1);
}

Test(xlog_reader, empty_file_and_empty_lines) {
  const char *path = ts_path(tmpdir, "exchange.log");
  char seg1[512];
  struct gw_xlog_reader *r;
  struct gw_xlog_line line;

  write_text(path, "");
  r = open_ok(path);
  cr_assert_eq(next(r, &line), 0);
  xlog_reader_close(r);

  text_format(seg1, sizeof seg1, "%s.000001", path);
  write_text(seg1, "\n\n");
  r = open_ok(path);
  expect_line(r, "", seg1, 1);
  expect_line(r, "", seg1, 2);
  cr_assert_eq(next(r, &line), 0, "the empty active file adds nothing");
  xlog_reader_close(r);
}

Test(xlog_reader, torn_last_line_is_reported) {
  const char *path = ts_path(tmpdir, "exchange.log");
  struct gw_xlog_reader *r;
  struct gw_xlog_line line;

  write_text(path, "{\"seq\":0}\n{\"seq\":1,\"ti");
  r = open_ok(path);
  expect_line(r, "{\"seq\":0}", path, 1);
  cr_assert_eq(next(r, &line), 1);
  cr_assert_eq(line.kind, XLOG_LINE_TORN);
  cr_assert_str_eq(line.text, "{\"seq\":1,\"ti");
  cr_assert_eq(line.len, 12);
  cr_assert_eq(line.offset, 10);
  cr_assert_eq(line.line_no, 2);
  cr_assert(line.has_seq, "what there is of the record can be read");
  cr_assert_eq(line.seq, 1);
  cr_assert_eq(next(r, &line), 0);
  xlog_reader_close(r);
}

Test(xlog_reader, torn_segment_end_then_next_segment) {
  const char *path = ts_path(tmpdir, "exchange.log");
  char seg1[512];
  struct gw_xlog_reader *r;
  struct gw_xlog_line line;

  text_format(seg1, sizeof seg1, "%s.000001", path);
  write_text(seg1, "a\npartial");
  write_text(path, "b\n");
  r = open_ok(path);
  expect_line(r, "a", seg1, 1);
  cr_assert_eq(next(r, &line), 1);
  cr_assert_eq(line.kind, XLOG_LINE_TORN);
  cr_assert_str_eq(line.segment, seg1);
  expect_line(r, "b", path, 1);
  xlog_reader_close(r);
}

/* A line of n bytes of 'x' */
static char *filler(size_t n) {
  char *s = malloc(n + 1);
  cr_assert_not_null(s);
  memset(s, 'x', n);
  s[n] = '\0';
  return s;
}

Test(xlog_reader, record_limit_and_over_long_lines) {
  const char *path = ts_path(tmpdir, "exchange.log");
  size_t huge = 3 * XLOG_READER_BUFFER + 17; /* longer than the buffer */
  size_t total = XLOG_RECORD_MAX + 1 + XLOG_RECORD_MAX + 2 + huge + 1 + 6;
  char *data = malloc(total), *p = data;
  struct gw_xlog_reader *r;
  struct gw_xlog_line line;

  cr_assert_not_null(data);
  memset(p, 'a', XLOG_RECORD_MAX); /* exactly the limit: a record */
  p += XLOG_RECORD_MAX;
  *p++ = '\n';
  memset(p, 'b', XLOG_RECORD_MAX + 1); /* one byte more: too long */
  p += XLOG_RECORD_MAX + 1;
  *p++ = '\n';
  memset(p, 'c', huge);
  p += huge;
  *p++ = '\n';
  memcpy(p, "after\n", 6);
  p += 6;
  cr_assert_eq((size_t)(p - data), total);
  write_bytes(path, data, total);

  r = open_ok(path);
  cr_assert_eq(next(r, &line), 1);
  cr_assert_eq(line.kind, XLOG_LINE_RECORD);
  cr_assert_eq(line.len, XLOG_RECORD_MAX);
  cr_assert_eq(line.text[0], 'a');
  cr_assert_eq(line.text[XLOG_RECORD_MAX - 1], 'a');

  cr_assert_eq(next(r, &line), 1);
  cr_assert_eq(line.kind, XLOG_LINE_TOO_LONG);
  cr_assert_eq(line.len, 0);
  cr_assert_str_eq(line.text, "");
  cr_assert_eq(line.disk_len, XLOG_RECORD_MAX + 1);
  cr_assert_eq(line.offset, XLOG_RECORD_MAX + 1);
  cr_assert_eq(line.line_no, 2);

  cr_assert_eq(next(r, &line), 1);
  cr_assert_eq(line.kind, XLOG_LINE_TOO_LONG);
  cr_assert_eq(line.disk_len, huge);
  cr_assert_eq(line.offset, 2 * XLOG_RECORD_MAX + 3);
  cr_assert_eq(line.line_no, 3);

  cr_assert_eq(next(r, &line), 1);
  cr_assert_eq(line.kind, XLOG_LINE_RECORD);
  cr_assert_str_eq(line.text, "after");
  cr_assert_eq(line.offset, total - 6);
  cr_assert_eq(line.line_no, 4);
  cr_assert_eq(next(r, &line), 0);
  xlog_reader_close(r);
  free(data);
}

Test(xlog_reader, torn_over_long_tail) {
  const char *path = ts_path(tmpdir, "exchange.log");
  char *big = filler(XLOG_READER_BUFFER + 5);
  struct gw_xlog_reader *r;
  struct gw_xlog_line line;

  write_text(path, big);
  r = open_ok(path);
  cr_assert_eq(next(r, &line), 1);
  cr_assert_eq(line.kind, XLOG_LINE_TOO_LONG);
  cr_assert_eq(line.disk_len, XLOG_READER_BUFFER + 5);
  cr_assert_eq(next(r, &line), 0);
  xlog_reader_close(r);
  free(big);
}

/* Lines of every length from 0 to a few thousand bytes, so that many of
 * them straddle the boundary of a buffer refill. */
Test(xlog_reader, many_lines_across_refills) {
  const char *path = ts_path(tmpdir, "exchange.log");
  size_t n = 3000, total = 0, i;
  FILE *f = fopen(path, "wb");
  struct gw_xlog_reader *r;
  struct gw_xlog_line line;
  uint64_t offset = 0;

  cr_assert_not_null(f);
  for (i = 0; i < n; i++) {
    size_t len = (i * 7919) % 4000;
    fprintf(f, "{\"seq\":%zu,\"pad\":\"", i);
    for (size_t k = 0; k < len; k++)
      fputc('a' + (int)(k % 26), f);
    fputs("\"}\n", f);
  }
  cr_assert_eq(fclose(f), 0);

  r = open_ok(path);
  for (i = 0; i < n; i++) {
    size_t len = (i * 7919) % 4000;
    char head[64];
    cr_assert_eq(next(r, &line), 1, "line %zu", i);
    cr_assert_eq(line.kind, XLOG_LINE_RECORD);
    cr_assert(line.has_seq);
    cr_assert_eq(line.seq, i);
    cr_assert_eq(line.offset, offset, "offset of line %zu", i);
    text_format(head, sizeof head, "{\"seq\":%zu,\"pad\":\"", i);
    cr_assert_eq(line.len, strlen(head) + len + 2);
    cr_assert_eq(memcmp(line.text, head, strlen(head)), 0);
    cr_assert_eq(line.text[line.len - 1], '}');
    cr_assert_eq(line.text[line.len], '\0');
    offset += line.len + 1;
    total++;
  }
  cr_assert_eq(next(r, &line), 0);
  cr_assert_eq(total, n);
  xlog_reader_close(r);
}

Test(xlog_reader, seq_prefix) {
  uint64_t seq = 99;
  cr_assert_eq(xlog_line_seq("{\"seq\":0,", 9, &seq), 0);
  cr_assert_eq(seq, 0);
  cr_assert_eq(xlog_line_seq("{\"seq\":18446744073709551615}", 28, &seq), 0);
  cr_assert_eq(seq, UINT64_MAX);
  cr_assert_eq(xlog_line_seq("{\"seq\":18446744073709551616}", 28, &seq), -1);
  cr_assert_eq(xlog_line_seq("{\"seq\":012,", 11, &seq), -1);
  cr_assert_eq(xlog_line_seq("{\"seq\":-1,", 10, &seq), -1);
  cr_assert_eq(xlog_line_seq("{\"seq\":,", 8, &seq), -1);
  cr_assert_eq(xlog_line_seq("{\"seq\":12", 9, &seq), -1, "no terminator");
  cr_assert_eq(xlog_line_seq("{\"seq\": 1,", 10, &seq), -1);
  cr_assert_eq(xlog_line_seq("{\"time\":1,", 10, &seq), -1);
  cr_assert_eq(xlog_line_seq("", 0, &seq), -1);
  /* only len bytes count */
  cr_assert_eq(xlog_line_seq("{\"seq\":1,", 8, &seq), -1);
}

Test(xlog_reader, allocation_failures_are_clean) {
  const char *path = ts_path(tmpdir, "exchange.log");
  char seg1[512];
  int succeeded = 0;

  text_format(seg1, sizeof seg1, "%s.000001", path);
  write_text(seg1, "a\n");
  write_text(path, "b\n");
  for (unsigned long nth = 1; nth < 40 && !succeeded; nth++) {
    struct gw_xlog_reader *r = NULL;
    char err[512] = "";
    int rc;
    gw_alloc_fail_at(nth);
    rc = xlog_reader_open(path, &r, err, sizeof err);
    gw_alloc_fail_at(0);
    if (rc == 0) {
      succeeded = 1;
      xlog_reader_close(r);
    } else {
      cr_assert_null(r);
      cr_assert_not_null(strstr(err, "out of memory"), "%s", err);
    }
  }
  cr_assert(succeeded);
}
