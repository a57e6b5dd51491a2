/*
 * progress.h - what a long `gateway run` shows while it works (DESIGN 12:
 * "progress on a TTY for long runs; quiet and structured when not a TTY").
 *
 * Fed by the run observer (run.h), one source at a time. On a terminal
 * (GW_PROGRESS_TTY) each source gets one line that is rewritten in place,
 * at most every min_interval_s; when the source ends the line is either
 * kept with its outcome or erased so the caller's own result row can take
 * its place. Otherwise (GW_PROGRESS_LINES) it writes logfmt lines in the
 * style of diag.h for a log collector: an event=progress line per source
 * at most every min_interval_s, and always one event=run_finished line.
 *
 * Output goes only to the FILE* given (stderr in the gateway), so stdout
 * stays a clean table or pure JSON. The formatting functions are pure and
 * write into caller buffers.
 *
 * Several sources at once (options.concurrent > 1, `gateway run --jobs`):
 * every function may be called from any thread; one mutex keeps each
 * write whole. Log lines are throttled per source. A terminal has one
 * live line, owned by one running source at a time and suffixed with
 * "+N running" for the others; when its owner ends, the next source to
 * report takes it over. A finished source's final line is printed above
 * the live line (or, with clear_on_finish, left to the caller's row).
 * With concurrent <= 1 the behaviour is the sequential one above: a new
 * source closes a line left open by the previous one.
 */
#ifndef GW_PROGRESS_H
#define GW_PROGRESS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "run.h"

enum gw_progress_mode {
  GW_PROGRESS_OFF,
  GW_PROGRESS_TTY,  /* one line per source, rewritten with "\r\033[K" */
  GW_PROGRESS_LINES /* logfmt lines for journald and other collectors */
};

/* Default spacing of updates per source: ~10 redraws a second on a
 * terminal; one line per 10 s in a log, so a long run shows it is alive
 * without flooding the journal. */
#define GW_PROGRESS_TTY_INTERVAL_S 0.1
#define GW_PROGRESS_LINES_INTERVAL_S 10.0

/* Monotonic seconds; injectable so tests control throttling. */
typedef double (*gw_progress_clock_fn)(void *ctx);

struct gw_progress_options {
  enum gw_progress_mode mode;
  FILE *out;                  /* borrowed, never closed; NULL: mode OFF */
  double min_interval_s;      /* < 0: the mode's default above */
  gw_progress_clock_fn clock; /* NULL: clock_monotonic() */
  void *clock_ctx;
  gw_log_level min_level; /* diag_level(): above INFO only failures print */
  int clear_on_finish;    /* TTY: erase a finished line instead of keeping */
  unsigned columns;       /* TTY: terminal width, 0 when unknown */
  unsigned concurrent;    /* sources that may run at once; 0 or 1: one */
};

/* NULL only when out of memory. Owned by the caller: progress_free(). */
struct gw_progress *progress_new(const struct gw_progress_options *options);
/* Terminates a line still open on the terminal. NULL is a no-op. */
void progress_free(struct gw_progress *progress);

/* One observer callback: draws, logs or skips (throttled). finished=1
 * always writes the source's final state. */
void progress_update(struct gw_progress *progress,
                     const struct gw_run_summary *live, double elapsed_s,
                     int finished);
/* Erases a line left open on the terminal so another writer can print a
 * whole line of its own; the next update draws it again at once. Meant for
 * diagnostics printed in the middle of a run. */
void progress_interrupt(struct gw_progress *progress);
/* Another writer's whole lines on the same terminal (the table rows on
 * stdout): hold erases the live line and keeps every update out until
 * release, so nothing is drawn between the erase and the caller's write.
 * The live line is drawn again at the next update. NULL is a no-op. Never
 * call diag() while holding (its hook erases through this lock). */
void progress_hold(struct gw_progress *progress);
void progress_release(struct gw_progress *progress);
/* An observer for run_source_observed() that feeds progress_update(). */
struct gw_run_observer progress_observer(struct gw_progress *progress);

/* TTY when fd is a terminal and term names one that understands "\r" and
 * "\033[K" (set, non-empty, not "dumb"); LINES otherwise. */
enum gw_progress_mode progress_mode_for(int fd, const char *term);
/* 1 when both descriptors are the same terminal (stdout and stderr on one
 * screen), where a finished line should give way to the result row. */
int progress_same_terminal(int fd_a, int fd_b);
/* Width of the terminal on fd, 0 when unknown. */
unsigned progress_terminal_columns(int fd);

/* Pure formatters; each returns 0, or -1 when out was too small (out is
 * then truncated but terminated). */
/* 999 -> "999 B", 3400000 -> "3.4 MB" (decimal units, one decimal). */
int progress_format_bytes(uint64_t bytes, char *out, size_t size);
/* 18250 -> "18,250". */
int progress_format_count(uint64_t n, char *out, size_t size);
/* Whole seconds: 7.9 -> "0:07", 754 -> "12:34", 3723 -> "1:02:03". */
int progress_format_elapsed(double seconds, char *out, size_t size);
/* The terminal line: "cbs-sociaal   page 12  3.4 MB  18,250 rows  0:07";
 * finished: "12 pages" and the outcome at the end. */
int progress_format_line(const struct gw_run_summary *s, double elapsed_s,
                         int finished, char *out, size_t size);
/* The logfmt line, without time= and newline:
 * "level=info event=progress source=cbs pages=12 bytes=3400000 ...". */
int progress_format_record(const struct gw_run_summary *s, double elapsed_s,
                           int finished, char *out, size_t size);

#endif
