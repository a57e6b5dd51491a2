/*
 * test_progress_parallel.c - progress of several sources at once (`gateway
 * run --jobs`): who owns the terminal line, how another source's end is
 * shown, hold/release for the table rows, throttling per source in log
 * mode, and whole lines when many threads report at the same time (run
 * under ASan, valgrind or helgrind for the locking).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "progress.h"

struct fake_clock {
  double now;
};

static double read_fake_clock(void *ctx) {
  return ((const struct fake_clock *)ctx)->now;
}

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

static struct gw_progress *make(enum gw_progress_mode mode, FILE *out,
                                struct fake_clock *clock, double interval,
                                unsigned concurrent, int clear_on_finish) {
  struct gw_progress_options o = {.mode = mode,
                                  .out = out,
                                  .min_interval_s = interval,
                                  .clock = clock ? read_fake_clock : NULL,
                                  .clock_ctx = clock,
                                  .min_level = GW_LOG_INFO,
                                  .clear_on_finish = clear_on_finish,
                                  .concurrent = concurrent};
  struct gw_progress *p = progress_new(&o);
  cr_assert_not_null(p);
  return p;
}

static struct gw_run_summary sample(const char *source) {
  struct gw_run_summary s;
  memset(&s, 0, sizeof s);
  snprintf(s.source_id, sizeof s.source_id, "%s", source);
  s.pages = 3;
  s.bytes = 1000;
  s.emitted = 10;
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

Test(progress_parallel, one_source_owns_the_line_the_others_are_counted) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress *p;
  struct gw_run_summary a = sample("aaa"), b = sample("bbb");
  capture_open(&c);
  p = make(GW_PROGRESS_TTY, c.f, &clock, 0.1, 4, 0);
  progress_update(p, &a, 0, 0);
  progress_update(p, &b, 0, 0); /* aaa owns the line: bbb is not drawn */
  cr_expect_eq(count_of(capture_text(&c), "bbb"), 0, "%s", c.buf);
  /* A line is never closed for another running source. */
  cr_expect_eq(count_of(capture_text(&c), "\n"), 0, "%s", c.buf);
  clock.now = 1.0;
  progress_update(p, &a, 1.0, 0);
  cr_expect_eq(count_of(capture_text(&c), "  +1 running\033[K\r"), 1, "%s",
               c.buf);
  progress_free(p);
  capture_close(&c);
}

Test(progress_parallel, another_source_ends_above_the_live_line) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress *p;
  struct gw_run_summary a = sample("aaa"), b = sample("bbb");
  char final[256], expected[512];
  capture_open(&c);
  p = make(GW_PROGRESS_TTY, c.f, &clock, 10.0, 4, 0);
  progress_update(p, &a, 0, 0);
  progress_update(p, &b, 0, 0);
  progress_update(p, &b, 0, 1);
  cr_assert_eq(progress_format_line(&b, 0, 1, final, sizeof final), 0);
  snprintf(expected, sizeof expected, "\r%s\033[K\n", final);
  /* bbb's final line replaced the live line... */
  cr_expect_eq(count_of(capture_text(&c), expected), 1, "%s", c.buf);
  /* ...and aaa draws its own again at once, no longer "+1 running". */
  progress_update(p, &a, 0, 0);
  cr_expect_eq(count_of(capture_text(&c), "\raaa "), 2, "%s", c.buf);
  cr_expect_eq(count_of(capture_text(&c), "running"), 0, "%s", c.buf);
  /* aaa ends: the line is free for the next source to report. */
  progress_update(p, &a, 0, 1);
  progress_update(p, &b, 0, 0); /* bbb again: a new run of it */
  cr_expect_eq(count_of(capture_text(&c), "\rbbb                    page 3"), 1,
               "%s", c.buf);
  progress_free(p);
  capture_close(&c);
}

Test(progress_parallel, clear_on_finish_leaves_the_end_to_the_table_row) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress *p;
  struct gw_run_summary a = sample("aaa"), b = sample("bbb");
  size_t before;
  capture_open(&c);
  p = make(GW_PROGRESS_TTY, c.f, &clock, 10.0, 4, 1);
  progress_update(p, &a, 0, 0);
  progress_update(p, &b, 0, 0);
  before = strlen(capture_text(&c));
  progress_update(p, &b, 0, 1); /* not the owner: nothing to erase */
  cr_expect_eq(strlen(capture_text(&c)), before, "%s", c.buf);
  /* The caller prints its row between hold and release. */
  progress_hold(p);
  cr_expect(strstr(capture_text(&c) + before, "\r\033[K") != NULL, "%s", c.buf);
  fputs("ROW bbb\n", c.f);
  progress_release(p);
  progress_update(p, &a, 0, 0); /* erased by hold: drawn again at once */
  cr_expect(strstr(capture_text(&c), "ROW bbb\n\raaa ") != NULL, "%s", c.buf);
  progress_update(p, &a, 0, 1);
  cr_expect(strstr(capture_text(&c), "ROW bbb\n\raaa ") != NULL, "%s", c.buf);
  progress_free(p);
  capture_close(&c);
}

Test(progress_parallel, log_lines_are_throttled_per_source) {
  struct capture c;
  struct fake_clock clock = {100.0};
  struct gw_progress *p;
  struct gw_run_summary a = sample("aaa"), b = sample("bbb");
  capture_open(&c);
  p = make(GW_PROGRESS_LINES, c.f, &clock, 10.0, 2, 0);
  progress_update(p, &a, 0, 0); /* first lines wait a full interval */
  clock.now = 105.0;
  progress_update(p, &b, 0, 0);
  clock.now = 110.0;
  progress_update(p, &a, 10, 0); /* due for aaa */
  progress_update(p, &b, 5, 0);  /* not yet for bbb */
  cr_expect_eq(count_of(capture_text(&c), "event=progress source=aaa "), 1,
               "%s", c.buf);
  cr_expect_eq(count_of(capture_text(&c), "event=progress source=bbb "), 0,
               "%s", c.buf);
  clock.now = 115.0;
  progress_update(p, &b, 10, 0);
  cr_expect_eq(count_of(capture_text(&c), "event=progress source=bbb "), 1,
               "%s", c.buf);
  progress_update(p, &a, 15, 1);
  progress_update(p, &b, 15, 1);
  cr_expect_eq(count_of(capture_text(&c), "event=run_finished"), 2, "%s",
               c.buf);
  progress_free(p);
  capture_close(&c);
}

Test(progress_parallel, more_sources_than_announced_still_show_their_end) {
  struct capture c;
  struct fake_clock clock = {0};
  struct gw_progress *p;
  struct gw_run_summary a = sample("aaa"), b = sample("bbb"), x = sample("xxx");
  capture_open(&c);
  p = make(GW_PROGRESS_LINES, c.f, &clock, 0, 2, 0);
  progress_update(p, &a, 0, 0);
  progress_update(p, &b, 0, 0);
  progress_update(p, &x, 0, 0); /* no slot: no live lines */
  progress_update(p, &x, 0, 1); /* but its end */
  cr_expect_eq(count_of(capture_text(&c), "source=xxx"), 1, "%s", c.buf);
  cr_expect_eq(count_of(capture_text(&c), "event=run_finished source=xxx"), 1,
               "%s", c.buf);
  progress_free(p);
  capture_close(&c);
}

/* ---- many threads ------------------------------------------------------ */

#define THREADS 8
#define UPDATES 400

struct worker {
  struct gw_progress *p;
  int index;
};

static void *report(void *arg) {
  struct worker *w = arg;
  struct gw_run_summary s;
  char id[16];
  int i;
  snprintf(id, sizeof id, "src%d", w->index);
  s = sample(id);
  for (i = 0; i < UPDATES; i++) {
    s.pages = (uint64_t)i;
    progress_update(w->p, &s, i * 0.01, 0);
    if (i % 50 == 0)
      progress_interrupt(w->p);
  }
  progress_update(w->p, &s, 4.0, 1);
  return NULL;
}

static void run_threads(struct gw_progress *p) {
  pthread_t t[THREADS];
  struct worker w[THREADS];
  int i;
  for (i = 0; i < THREADS; i++) {
    w[i].p = p;
    w[i].index = i;
    cr_assert_eq(pthread_create(&t[i], NULL, report, &w[i]), 0);
  }
  for (i = 0; i < THREADS; i++) {
    progress_hold(p);
    progress_release(p);
  }
  for (i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
}

Test(progress_parallel, many_threads_write_whole_log_lines) {
  FILE *f = tmpfile();
  struct gw_progress *p;
  char line[2048];
  size_t lines = 0, finished = 0;
  cr_assert_not_null(f);
  p = make(GW_PROGRESS_LINES, f, NULL, 0, THREADS, 0);
  run_threads(p);
  progress_free(p);
  rewind(f);
  while (fgets(line, sizeof line, f)) {
    cr_assert(strncmp(line, "time=", 5) == 0, "torn line: %s", line);
    cr_assert(strstr(line, " level=info event=") != NULL, "%s", line);
    cr_assert_eq(count_of(line, "time="), 1, "two records in one: %s", line);
    finished += strstr(line, "event=run_finished") != NULL;
    lines++;
  }
  cr_expect_eq(lines, (size_t)THREADS * (UPDATES + 1));
  cr_expect_eq(finished, (size_t)THREADS);
  fclose(f);
}

Test(progress_parallel, many_threads_on_a_terminal_leave_no_line_open) {
  struct capture c;
  struct gw_progress *p;
  const char *text;
  capture_open(&c);
  p = make(GW_PROGRESS_TTY, c.f, NULL, 0, THREADS, 0);
  run_threads(p);
  text = capture_text(&c);
  /* Every source's final line, each ended by a newline. */
  cr_expect_eq(count_of(text, " ok: 0 new, 0 revised\033[K\n"), (size_t)THREADS,
               "%s", text);
  progress_free(p);
  /* Nothing was left open for progress_free() to close. */
  cr_expect_eq(text[strlen(text) - 1], '\n');
  capture_close(&c);
}
