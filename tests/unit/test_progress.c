/*
 * test_progress.c - the run progress renderer: human units, the terminal
 * line and the logfmt record as exact text, throttling driven by an
 * injected clock, the escape sequences of the in-place line, and the mode
 * choice on a real pseudo-terminal.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "progress.h"

/* ---- helpers ---------------------------------------------------------- */

struct fake_clock {
  double now;
};

static double read_fake_clock(void *ctx) {
  return ((const struct fake_clock *)ctx)->now;
}

/* Output captured in memory; text() flushes and returns what was written. */
struct capture {
  FILE *f;
  char *buf;
  size_t len;
};

static void capture_open(struct capture *c) {
  memset(c, 0, sizeof *c);
  c->f = open_memstream(&c->buf, &c->len);
  cr_assert_not_null(c->f);
}

static const char *capture_text(struct capture *c) {
  cr_assert_eq(fflush(c->f), 0);
  return c->buf;
}

static void capture_close(struct capture *c) {
  fclose(c->f);
  free(c->buf);
}

static struct gw_progress *make(enum gw_progress_mode mode, struct capture *out,
                                struct fake_clock *clock, double interval) {
  struct gw_progress_options o = {.mode = mode,
                                  .out = out->f,
                                  .min_interval_s = interval,
                                  .clock = read_fake_clock,
                                  .clock_ctx = clock,
                                  .min_level = GW_LOG_INFO};
  struct gw_progress *p = progress_new(&o);
  cr_assert_not_null(p);
  return p;
}

static struct gw_run_summary sample(const char *source) {
  struct gw_run_summary s;
  memset(&s, 0, sizeof s);
  snprintf(s.source_id, sizeof s.source_id, "%s", source);
  s.pages = 12;
  s.bytes = 3400000;
  s.emitted = 18250;
  s.outcome = GW_OK;
  return s;
}

static size_t count_of(const char *haystack, const char *needle) {
  size_t n = 0;
  const char *p = haystack;
  while ((p = strstr(p, needle)) != NULL) {
    n++;
    p += strlen(needle);
  }
  return n;
}

/* ---- units ------------------------------------------------------------ */

static const struct {
  uint64_t bytes;
  const char *text;
} byte_rows[] = {
    {0, "0 B"},
    {999, "999 B"},
    {1000, "1.0 KB"},
    {1549, "1.5 KB"},
    {999949, "999.9 KB"},
    {999950, "1.0 MB"}, /* not "1000.0 KB" */
    {3400000, "3.4 MB"},
    {1500000000ULL, "1.5 GB"},
    {2000000000000ULL, "2.0 TB"},
    {UINT64_MAX, "18.4 EB"},
};

Test(progress_units, bytes_in_decimal_units_with_one_decimal) {
  char out[32];
  size_t i;
  for (i = 0; i < sizeof byte_rows / sizeof byte_rows[0]; i++) {
    cr_expect_eq(progress_format_bytes(byte_rows[i].bytes, out, sizeof out), 0);
    cr_expect_str_eq(out, byte_rows[i].text, "%llu bytes",
                     (unsigned long long)byte_rows[i].bytes);
  }
}

Test(progress_units, counts_with_thousands_separators) {
  char out[40];
  cr_expect_eq(progress_format_count(0, out, sizeof out), 0);
  cr_expect_str_eq(out, "0");
  progress_format_count(999, out, sizeof out);
  cr_expect_str_eq(out, "999");
  progress_format_count(1000, out, sizeof out);
  cr_expect_str_eq(out, "1,000");
  progress_format_count(18250, out, sizeof out);
  cr_expect_str_eq(out, "18,250");
  progress_format_count(1234567, out, sizeof out);
  cr_expect_str_eq(out, "1,234,567");
  progress_format_count(UINT64_MAX, out, sizeof out);
  cr_expect_str_eq(out, "18,446,744,073,709,551,615");
}

static const struct {
  double seconds;
  const char *text;
} elapsed_rows[] = {
    {0.0, "0:00"},       {7.9, "0:07"},       {59.99, "0:59"},
    {60.0, "1:00"},      {754.0, "12:34"},    {3599.5, "59:59"},
    {3600.0, "1:00:00"}, {3723.0, "1:02:03"}, {360000.0, "100:00:00"},
    {-5.0, "0:00"},
};

Test(progress_units, elapsed_as_minutes_or_hours) {
  char out[32];
  size_t i;
  for (i = 0; i < sizeof elapsed_rows / sizeof elapsed_rows[0]; i++) {
    cr_expect_eq(
        progress_format_elapsed(elapsed_rows[i].seconds, out, sizeof out), 0);
    cr_expect_str_eq(out, elapsed_rows[i].text, "%g s",
                     elapsed_rows[i].seconds);
  }
  progress_format_elapsed(NAN, out, sizeof out);
  cr_expect_str_eq(out, "0:00", "NaN seconds");
}

Test(progress_units, too_small_buffers_are_reported) {
  char out[4];
  cr_expect_eq(progress_format_bytes(3400000, out, sizeof out), -1);
  cr_expect_eq(progress_format_count(18250, out, sizeof out), -1);
  cr_expect_eq(progress_format_elapsed(3723, out, sizeof out), -1);
  cr_expect_eq(strlen(out), 3, "truncated output stays terminated");
}

/* ---- the terminal line and the log record ----------------------------- */

Test(progress_format, running_line) {
  struct gw_run_summary s = sample("cbs-sociaal");
  char line[256];
  cr_assert_eq(progress_format_line(&s, 7.4, 0, line, sizeof line), 0);
  /* The source is padded to the table's SOURCE column (22). */
  cr_expect_str_eq(line, "cbs-sociaal            page 12  3.4 MB  18,250 "
                         "rows  0:07");
}

Test(progress_format, finished_line_with_counts_and_outcome) {
  struct gw_run_summary s = sample("rivm");
  char line[256];
  s.not_modified = 3;
  s.retries = 1;
  s.rejected = 2;
  s.store.inserted = 1204;
  s.store.revised = 3;
  cr_assert_eq(progress_format_line(&s, 65, 1, line, sizeof line), 0);
  cr_expect_str_eq(line, "rivm                   12 pages  3.4 MB  18,250 "
                         "rows  3 not modified  1 retry  2 rejected  1:05  "
                         "ok: 1,204 new, 3 revised");
  s.outcome = GW_FAIL;
  s.pages = 1;
  s.emitted = 1;
  s.not_modified = s.retries = s.rejected = 0;
  cr_assert_eq(progress_format_line(&s, 0.2, 1, line, sizeof line), 0);
  cr_expect_str_eq(
      line, "rivm                   1 page  3.4 MB  1 row  0:00  failed");
}

Test(progress_format, line_too_long_for_the_buffer) {
  struct gw_run_summary s = sample("cbs-sociaal");
  char line[30];
  cr_expect_eq(progress_format_line(&s, 1, 0, line, sizeof line), -1);
  cr_expect_eq(strlen(line), sizeof line - 1);
}

Test(progress_format, progress_record) {
  struct gw_run_summary s = sample("cbs");
  char rec[512];
  s.retries = 2;
  cr_assert_eq(progress_format_record(&s, 7.06, 0, rec, sizeof rec), 0);
  cr_expect_str_eq(rec, "level=info event=progress source=cbs pages=12 "
                        "not_modified=0 bytes=3400000 rows=18250 rejected=0 "
                        "retries=2 elapsed_s=7.1");
}

Test(progress_format, finished_record_ok_and_failed) {
  struct gw_run_summary s = sample("cbs");
  char rec[4096];
  snprintf(s.run_id, sizeof s.run_id, "%s", "0123abcd");
  s.store.inserted = 100;
  s.store.unchanged = 5;
  s.unmapped = 4;
  s.suppressed = 1;
  s.seconds = 7.126;
  cr_assert_eq(progress_format_record(&s, 7.1, 1, rec, sizeof rec), 0);
  cr_expect_str_eq(rec, "level=info event=run_finished source=cbs outcome=ok "
                        "run_id=0123abcd pages=12 not_modified=0 "
                        "bytes=3400000 rows=18250 unmapped=4 rejected=0 "
                        "suppressed=1 inserted=100 revised=0 unchanged=5 "
                        "retries=0 seconds=7.13");
  s.outcome = GW_FAIL;
  snprintf(s.error, sizeof s.error, "%s",
           "cbs: HTTP 404 \"Not Found\" at C:\\x\nsecond line");
  cr_assert_eq(progress_format_record(&s, 7.1, 1, rec, sizeof rec), 0);
  cr_expect(strstr(rec, "level=error event=run_finished source=cbs "
                        "outcome=failed ") == rec,
            "%s", rec);
  cr_expect(strstr(rec, " error=\"cbs: HTTP 404 \\\"Not Found\\\" at "
                        "C:\\\\x second line\"") != NULL,
            "%s", rec);
}

/* ---- terminal mode ---------------------------------------------------- */

Test(progress_tty, rewrites_in_place_throttled_and_keeps_the_final_line) {
  struct capture c;
  struct fake_clock clock = {100.0};
  struct gw_progress *p;
  struct gw_run_summary s = sample("cbs");
  char line[256], expected[1024];
  capture_open(&c);
  p = make(GW_PROGRESS_TTY, &c, &clock, -1); /* default: 0.1 s */
  progress_update(p, &s, 1.0, 0);            /* first: drawn at once */
  s.pages = 13;
  clock.now = 100.05;
  progress_update(p, &s, 1.05, 0); /* within 0.1 s: skipped */
  clock.now = 100.1;
  s.pages = 14;
  progress_update(p, &s, 1.1, 0);
  clock.now = 100.12;
  s.pages = 15;
  s.seconds = 1.12;
  progress_update(p, &s, 1.12, 1); /* the end is never throttled */
  progress_format_line(&s, 1.12, 1, line, sizeof line);
  snprintf(expected, sizeof expected,
           "\rcbs                    page 12  3.4 MB  18,250 rows  0:01\033[K\r"
           "\rcbs                    page 14  3.4 MB  18,250 rows  0:01\033[K\r"
           "\r%s\033[K\n",
           line);
  cr_expect_str_eq(capture_text(&c), expected);
  cr_expect_eq(count_of(c.buf, "page 13"), 0, "throttled update was drawn");
  progress_free(p); /* the line is closed: nothing more to write */
  cr_expect_str_eq(capture_text(&c), expected);
  capture_close(&c);
}

Test(progress_tty, clear_on_finish_erases_the_line_for_the_table_row) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress_options o = {.mode = GW_PROGRESS_TTY,
                                  .min_interval_s = 0.1,
                                  .clock = read_fake_clock,
                                  .clock_ctx = &clock,
                                  .clear_on_finish = 1};
  struct gw_progress *p;
  struct gw_run_summary s = sample("cbs");
  capture_open(&c);
  o.out = c.f;
  p = progress_new(&o);
  cr_assert_not_null(p);
  progress_update(p, &s, 0.5, 0);
  progress_update(p, &s, 0.6, 1);
  cr_expect_str_eq(capture_text(&c),
                   "\rcbs                    page 12  3.4 MB  18,250 rows  "
                   "0:00\033[K\r\r\033[K");
  progress_free(p);
  capture_close(&c);
}

Test(progress_tty, lines_are_cut_to_the_terminal_width) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress_options o = {.mode = GW_PROGRESS_TTY,
                                  .min_interval_s = 0,
                                  .clock = read_fake_clock,
                                  .clock_ctx = &clock,
                                  .columns = 20};
  struct gw_progress *p;
  struct gw_run_summary s = sample("cbs");
  capture_open(&c);
  o.out = c.f;
  p = progress_new(&o);
  cr_assert_not_null(p);
  progress_update(p, &s, 0, 0);
  /* 19 visible characters: a full-width line would wrap, and "\r" would
   * then return only to its last row. */
  cr_expect_str_eq(capture_text(&c), "\rcbs                \033[K\r");
  progress_free(p); /* an open line is finished with a newline */
  cr_expect_str_eq(capture_text(&c), "\rcbs                \033[K\r\n");
  capture_close(&c);
}

Test(progress_tty, next_source_and_interrupt_never_overwrite_other_text) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress *p;
  struct gw_run_summary a = sample("aaa"), b = sample("bbb");
  capture_open(&c);
  p = make(GW_PROGRESS_TTY, &c, &clock, 10.0);
  progress_update(p, &a, 0, 0);
  /* A run that never reported its end: its line is closed, not reused. */
  progress_update(p, &b, 0, 0);
  cr_expect_eq(count_of(capture_text(&c), "\033[K\r\n\rbbb"), 1, "%s", c.buf);
  /* Someone else prints a line: ours is erased, then redrawn at the next
   * update although the interval has not passed. */
  progress_interrupt(p);
  cr_expect(strstr(capture_text(&c), "\033[K\r\r\033[K") != NULL);
  progress_interrupt(p); /* nothing open: nothing written */
  progress_update(p, &b, 0, 0);
  cr_expect_eq(count_of(capture_text(&c), "\rbbb "), 2, "%s", c.buf);
  progress_update(p, &b, 0, 0); /* throttled again */
  cr_expect_eq(count_of(capture_text(&c), "\rbbb "), 2, "%s", c.buf);
  progress_free(p);
  capture_close(&c);
}

Test(progress_tty, quiet_shows_nothing) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress_options o = {.mode = GW_PROGRESS_TTY,
                                  .min_interval_s = 0,
                                  .clock = read_fake_clock,
                                  .clock_ctx = &clock,
                                  .min_level = GW_LOG_ERROR};
  struct gw_progress *p;
  struct gw_run_summary s = sample("cbs");
  capture_open(&c);
  o.out = c.f;
  p = progress_new(&o);
  cr_assert_not_null(p);
  progress_update(p, &s, 0, 0);
  s.outcome = GW_FAIL;
  progress_update(p, &s, 0, 1);
  progress_free(p);
  cr_expect_str_eq(capture_text(&c), "");
  capture_close(&c);
}

/* ---- log-line mode ---------------------------------------------------- */

Test(progress_lines, one_line_per_interval_and_always_run_finished) {
  struct capture c;
  struct fake_clock clock = {50.0};
  struct gw_progress *p;
  struct gw_run_summary s = sample("cbs");
  const char *text;
  capture_open(&c);
  p = make(GW_PROGRESS_LINES, &c, &clock, 10.0);
  progress_update(p, &s, 0, 0); /* start: no line yet */
  clock.now = 55.0;
  progress_update(p, &s, 5, 0);
  cr_expect_str_eq(capture_text(&c), "", "a line before the first interval");
  clock.now = 60.0;
  s.pages = 20;
  progress_update(p, &s, 10, 0);
  clock.now = 65.0;
  progress_update(p, &s, 15, 0);
  clock.now = 70.5;
  s.pages = 30;
  progress_update(p, &s, 20.5, 0);
  clock.now = 71.0;
  s.seconds = 21.0;
  progress_update(p, &s, 21, 1);
  text = capture_text(&c);
  cr_expect_eq(count_of(text, "\n"), 3, "%s", text);
  cr_expect_eq(count_of(text, "event=progress"), 2, "%s", text);
  cr_expect_eq(count_of(text, "event=run_finished"), 1, "%s", text);
  cr_expect(strstr(text, "level=info event=progress source=cbs pages=20 ") !=
                NULL,
            "%s", text);
  cr_expect(strstr(text, " pages=30 ") != NULL &&
                strstr(text, "elapsed_s=20.5"),
            "%s", text);
  cr_expect(
      strstr(text, "event=run_finished source=cbs outcome=ok pages=30 ") !=
          NULL,
      "%s", text);
  cr_expect(strncmp(text, "time=", 5) == 0, "%s", text);
  cr_expect(strchr(text, '\033') == NULL && strchr(text, '\r') == NULL,
            "escape sequences in log lines");
  progress_free(p);
  capture_close(&c);
}

Test(progress_lines, the_default_interval_is_ten_seconds) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress *p;
  struct gw_run_summary s = sample("cbs");
  capture_open(&c);
  p = make(GW_PROGRESS_LINES, &c, &clock, -1);
  progress_update(p, &s, 0, 0);
  clock.now = 9.9;
  progress_update(p, &s, 9.9, 0);
  cr_expect_str_eq(capture_text(&c), "");
  clock.now = 10.0;
  progress_update(p, &s, 10, 0);
  cr_expect_eq(count_of(capture_text(&c), "event=progress"), 1);
  progress_free(p);
  capture_close(&c);
}

Test(progress_lines, quiet_keeps_only_failed_sources) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress_options o = {.mode = GW_PROGRESS_LINES,
                                  .min_interval_s = 0,
                                  .clock = read_fake_clock,
                                  .clock_ctx = &clock,
                                  .min_level = GW_LOG_ERROR};
  struct gw_progress *p;
  struct gw_run_summary ok = sample("good"), bad = sample("bad");
  const char *text;
  capture_open(&c);
  o.out = c.f;
  p = progress_new(&o);
  cr_assert_not_null(p);
  progress_update(p, &ok, 0, 0);
  progress_update(p, &ok, 0, 1);
  bad.outcome = GW_RETRY;
  progress_update(p, &bad, 0, 0);
  progress_update(p, &bad, 0, 1);
  text = capture_text(&c);
  cr_expect_eq(count_of(text, "\n"), 1, "%s", text);
  cr_expect(strstr(text, "level=error event=run_finished source=bad "
                         "outcome=retry") != NULL,
            "%s", text);
  progress_free(p);
  capture_close(&c);
}

Test(progress_lines, off_and_no_output_file_write_nothing) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress_options o = {.mode = GW_PROGRESS_LINES,
                                  .min_interval_s = 0,
                                  .clock = read_fake_clock,
                                  .clock_ctx = &clock};
  struct gw_progress *p, *q;
  struct gw_run_summary s = sample("cbs");
  struct gw_run_observer observer;
  capture_open(&c);
  p = make(GW_PROGRESS_OFF, &c, &clock, 0);
  progress_update(p, &s, 0, 0);
  progress_update(p, &s, 0, 1);
  q = progress_new(&o); /* out NULL */
  cr_assert_not_null(q);
  observer = progress_observer(q);
  observer.progress(&s, 0, 1, observer.user);
  cr_expect_str_eq(capture_text(&c), "");
  progress_free(p);
  progress_free(q);
  progress_free(NULL);
  capture_close(&c);
}

Test(progress_lines, the_observer_feeds_updates) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress *p;
  struct gw_run_summary s = sample("cbs");
  struct gw_run_observer observer;
  capture_open(&c);
  p = make(GW_PROGRESS_LINES, &c, &clock, 0);
  observer = progress_observer(p);
  cr_assert_not_null(observer.progress);
  observer.progress(&s, 1, 0, observer.user);
  observer.progress(&s, 2, 1, observer.user);
  cr_expect_eq(count_of(capture_text(&c), "source=cbs"), 2, "%s", c.buf);
  progress_free(p);
  capture_close(&c);
}

/* ---- mode choice on real descriptors ---------------------------------- */

static int open_pty_slave(int *master) {
  int slave;
  *master = posix_openpt(O_RDWR | O_NOCTTY);
  cr_assert(*master >= 0);
  cr_assert_eq(grantpt(*master), 0);
  cr_assert_eq(unlockpt(*master), 0);
  slave = open(ptsname(*master), O_RDWR | O_NOCTTY);
  cr_assert(slave >= 0);
  return slave;
}

Test(progress_mode, terminal_with_a_capable_term_only) {
  int master, slave = open_pty_slave(&master), pipefd[2];
  cr_assert_eq(pipe(pipefd), 0);
  cr_expect_eq(progress_mode_for(slave, "xterm-256color"), GW_PROGRESS_TTY);
  cr_expect_eq(progress_mode_for(slave, "dumb"), GW_PROGRESS_LINES);
  cr_expect_eq(progress_mode_for(slave, ""), GW_PROGRESS_LINES);
  cr_expect_eq(progress_mode_for(slave, NULL), GW_PROGRESS_LINES);
  cr_expect_eq(progress_mode_for(pipefd[1], "xterm"), GW_PROGRESS_LINES);
  close(pipefd[0]);
  close(pipefd[1]);
  close(slave);
  close(master);
}

Test(progress_mode, same_terminal_and_width) {
  int master, slave = open_pty_slave(&master), other_master, other, again = -1,
              pipefd[2];
  struct winsize ws = {.ws_row = 24, .ws_col = 97};
  other = open_pty_slave(&other_master);
  again = dup(slave);
  cr_assert(again >= 0);
  cr_assert_eq(pipe(pipefd), 0);
  cr_expect_eq(progress_same_terminal(slave, again), 1);
  cr_expect_eq(progress_same_terminal(slave, other), 0);
  cr_expect_eq(progress_same_terminal(slave, pipefd[1]), 0);
  cr_assert_eq(ioctl(slave, TIOCSWINSZ, &ws), 0);
  cr_expect_eq(progress_terminal_columns(slave), 97);
  cr_expect_eq(progress_terminal_columns(pipefd[1]), 0);
  close(pipefd[0]);
  close(pipefd[1]);
  close(again);
  close(other);
  close(other_master);
  close(slave);
  close(master);
}
