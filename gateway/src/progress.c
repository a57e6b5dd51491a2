/*
 * progress.c - live progress of a run on stderr: an in-place line on a
 * terminal, throttled logfmt lines for a log collector (see progress.h).
 */
#include "progress.h"
#include "clock.h"
#include "gw_alloc.h"
#include "text.h"
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_BYTES 512
#define RECORD_MAX_BYTES (GW_RUN_ERROR_MAX * 2 + 1024)
#define SOURCE_COLUMN 22  /* the width of the SOURCE column of the table */
#define MAX_CONCURRENT 64 /* as daemon.max_concurrent (config.c) */

/* One source being shown or logged. */
struct source_slot {
  char source[sizeof((struct gw_run_summary *)0)->source_id];
  int active;  /* source[] names a run that has not reported its end */
  int written; /* something was written for this source */
  double last_write;
};

struct gw_progress {
  struct gw_progress_options opt;
  /* Every field below. Taken after the stream's own lock (see lock()). */
  pthread_mutex_t lock;
  struct source_slot *slots;
  size_t slot_count; /* 1 when sources run one at a time */
  int line_open;     /* TTY: our line is on screen without its newline */
  struct source_slot *shown; /* TTY: the source owning the live line */
};

/* A bounded string being built piece by piece; `failed` remembers any
 * truncation so the caller gets one answer at the end. */
struct builder {
  char *buf;
  size_t size, len;
  int failed;
};

static void builder_init(struct builder *b, char *buf, size_t size) {
  b->buf = buf;
  b->size = size;
  b->len = 0;
  b->failed = size == 0;
  if (size)
    buf[0] = '\0';
}

static void appendf(struct builder *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void appendf(struct builder *b, const char *fmt, ...) {
  va_list ap;
  int n;
  if (b->failed)
    return;
  va_start(ap, fmt);
  n = vsnprintf(b->buf + b->len, b->size - b->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= b->size - b->len) {
    b->failed = 1;
    b->len = strlen(b->buf);
    return;
  }
  b->len += (size_t)n;
}

static int builder_result(const struct builder *b) {
  return b->failed ? -1 : 0;
}

static double monotonic_clock(void *ctx) {
  (void)ctx;
  return clock_monotonic();
}

static const char *outcome_name(gw_result r) {
  return r == GW_OK ? "ok" : r == GW_RETRY ? "retry" : "failed";
}

/* A source that did not succeed stored nothing: an error, which stays
 * visible under --quiet. */
static gw_log_level outcome_level(gw_result r) {
  return r == GW_OK ? GW_LOG_INFO : GW_LOG_ERROR;
}

static const char *level_name(gw_log_level level) {
  return level == GW_LOG_ERROR  ? "error"
         : level == GW_LOG_WARN ? "warning"
         : level == GW_LOG_INFO ? "info"
                                : "debug";
}

int progress_format_bytes(uint64_t bytes, char *out, size_t size) {
  static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
  double value = (double)bytes;
  size_t unit = 0;
  if (bytes < 1000)
    return text_format(out, size, "%llu B", (unsigned long long)bytes);
  /* 999.95 and up would print as "1000.0": move to the next unit. */
  while (unit + 1 < sizeof units / sizeof units[0] && value >= 999.95) {
    value /= 1000.0;
    unit++;
  }
  return text_format(out, size, "%.1f %s", value, units[unit]);
}

int progress_format_count(uint64_t n, char *out, size_t size) {
  char digits[32], grouped[40];
  size_t len, i, j = 0;
  if (text_format(digits, sizeof digits, "%llu", (unsigned long long)n) != 0)
    return -1;
  len = strlen(digits);
  for (i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0)
      grouped[j++] = ',';
    grouped[j++] = digits[i];
  }
  grouped[j] = '\0';
  return text_copy(out, size, grouped);
}

int progress_format_elapsed(double seconds, char *out, size_t size) {
  unsigned long long total, hours;
  /* Also catches NaN; the cap keeps the cast defined. */
  if (!(seconds > 0.0))
    seconds = 0.0;
  if (seconds > 9.0e15)
    seconds = 9.0e15;
  total = (unsigned long long)seconds;
  hours = total / 3600;
  if (hours > 0)
    return text_format(out, size, "%llu:%02u:%02u", hours,
                       (unsigned)(total / 60 % 60), (unsigned)(total % 60));
  return text_format(out, size, "%llu:%02u", total / 60,
                     (unsigned)(total % 60));
}

/* "12 retries" / "1 retry": only the words the line uses. */
static void append_counted(struct builder *b, uint64_t n, const char *one,
                           const char *many) {
  char count[32];
  if (progress_format_count(n, count, sizeof count) != 0) {
    b->failed = 1;
    return;
  }
  appendf(b, "  %s %s", count, n == 1 ? one : many);
}

int progress_format_line(const struct gw_run_summary *s, double elapsed_s,
                         int finished, char *out, size_t size) {
  struct builder b;
  char pages[32], bytes[32], rows[32], clock_text[32];
  builder_init(&b, out, size);
  if (progress_format_count(s->pages, pages, sizeof pages) != 0 ||
      progress_format_bytes(s->bytes, bytes, sizeof bytes) != 0 ||
      progress_format_count(s->emitted, rows, sizeof rows) != 0 ||
      progress_format_elapsed(elapsed_s, clock_text, sizeof clock_text) != 0)
    return -1;
  appendf(&b, "%-*s ", SOURCE_COLUMN, s->source_id);
  if (finished)
    appendf(&b, "%s %s", pages, s->pages == 1 ? "page" : "pages");
  else
    appendf(&b, "page %s", pages);
  appendf(&b, "  %s  %s %s", bytes, rows, s->emitted == 1 ? "row" : "rows");
  if (s->not_modified > 0)
    append_counted(&b, s->not_modified, "not modified", "not modified");
  if (s->retries > 0)
    append_counted(&b, s->retries, "retry", "retries");
  if (s->rejected > 0)
    append_counted(&b, s->rejected, "rejected", "rejected");
  appendf(&b, "  %s", clock_text);
  if (finished && s->outcome == GW_OK) {
    char inserted[32], revised[32];
    if (progress_format_count(s->store.inserted, inserted, sizeof inserted) !=
            0 ||
        progress_format_count(s->store.revised, revised, sizeof revised) != 0)
      return -1;
    appendf(&b, "  ok: %s new, %s revised", inserted, revised);
  } else if (finished) {
    appendf(&b, "  %s", outcome_name(s->outcome));
  }
  return builder_result(&b);
}

/* logfmt value: bare when it needs no quoting, else quoted with \" and \\
 * escaped and line breaks flattened, as diag.c does for msg=. */
static void append_value(struct builder *b, const char *value) {
  const char *p;
  int bare = value[0] != '\0';
  for (p = value; *p && bare; p++)
    bare = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
           (*p >= '0' && *p <= '9') || strchr("-_.:/", *p) != NULL;
  if (bare) {
    appendf(b, "%s", value);
    return;
  }
  appendf(b, "\"");
  for (p = value; *p; p++) {
    if (*p == '"' || *p == '\\')
      appendf(b, "\\%c", *p);
    else
      appendf(b, "%c", *p == '\n' || *p == '\r' ? ' ' : *p);
  }
  appendf(b, "\"");
}

static unsigned long long ull(uint64_t v) {
  return (unsigned long long)v;
}

int progress_format_record(const struct gw_run_summary *s, double elapsed_s,
                           int finished, char *out, size_t size) {
  struct builder b;
  builder_init(&b, out, size);
  appendf(&b, "level=%s event=%s source=",
          level_name(finished ? outcome_level(s->outcome) : GW_LOG_INFO),
          finished ? "run_finished" : "progress");
  append_value(&b, s->source_id);
  if (finished) {
    appendf(&b, " outcome=%s", outcome_name(s->outcome));
    if (s->run_id[0]) {
      appendf(&b, " run_id=");
      append_value(&b, s->run_id);
    }
  }
  appendf(&b, " pages=%llu not_modified=%llu bytes=%llu rows=%llu",
          ull(s->pages), ull(s->not_modified), ull(s->bytes), ull(s->emitted));
  if (finished)
    appendf(&b,
            " unmapped=%llu rejected=%llu suppressed=%llu inserted=%llu "
            "revised=%llu unchanged=%llu retries=%llu seconds=%.2f",
            ull(s->unmapped), ull(s->rejected), ull(s->suppressed),
            ull(s->store.inserted), ull(s->store.revised),
            ull(s->store.unchanged), ull(s->retries), s->seconds);
  else
    appendf(&b, " rejected=%llu retries=%llu elapsed_s=%.1f", ull(s->rejected),
            ull(s->retries), elapsed_s);
  if (finished && s->error[0]) {
    appendf(&b, " error=");
    append_value(&b, s->error);
  }
  return builder_result(&b);
}

static void progress_destroy(struct gw_progress *p) {
  gw_free(p->slots);
  gw_free(p);
}

struct gw_progress *progress_new(const struct gw_progress_options *options) {
  struct gw_progress *p = gw_calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->opt = *options;
  if (!p->opt.out)
    p->opt.mode = GW_PROGRESS_OFF;
  if (!p->opt.clock) {
    p->opt.clock = monotonic_clock;
    p->opt.clock_ctx = NULL;
  }
  if (p->opt.min_interval_s < 0)
    p->opt.min_interval_s = p->opt.mode == GW_PROGRESS_TTY
                                ? GW_PROGRESS_TTY_INTERVAL_S
                                : GW_PROGRESS_LINES_INTERVAL_S;
  if (p->opt.concurrent > MAX_CONCURRENT)
    p->opt.concurrent = MAX_CONCURRENT;
  p->slot_count = p->opt.concurrent > 1 ? p->opt.concurrent : 1;
  p->slots = gw_calloc(p->slot_count, sizeof *p->slots);
  if (!p->slots || pthread_mutex_init(&p->lock, NULL) != 0) {
    progress_destroy(p);
    return NULL;
  }
  return p;
}

/* Progress is best effort: a stderr that cannot be written must not fail
 * a run, so write errors are not reported. One fwrite per update keeps a
 * line whole when other writers share the stream. Called with the lock
 * held. */
static void emit(struct gw_progress *p, const char *text) {
  fwrite(text, 1, strlen(text), p->opt.out);
  fflush(p->opt.out);
}

void progress_free(struct gw_progress *progress) {
  if (!progress)
    return;
  if (progress->line_open)
    emit(progress, "\n");
  pthread_mutex_destroy(&progress->lock);
  progress_destroy(progress);
}

/* The stream first, then the mutex: a writer that holds the stream across
 * several calls (and erases our line through progress_interrupt() before
 * its own) then keeps every update out until its line is whole. */
static void lock(struct gw_progress *p) {
  if (p->opt.out)
    flockfile(p->opt.out);
  pthread_mutex_lock(&p->lock);
}

static void unlock(struct gw_progress *p) {
  pthread_mutex_unlock(&p->lock);
  if (p->opt.out)
    funlockfile(p->opt.out);
}

static int sequential(const struct gw_progress *p) {
  return p->slot_count == 1;
}

/* Erases the open line; its owner draws it again at its next update. */
static void erase_line(struct gw_progress *p) {
  if (!p->line_open)
    return;
  emit(p, "\r\033[K");
  p->line_open = 0;
  if (p->shown)
    p->shown->written = 0;
}

static struct source_slot *find_slot(struct gw_progress *p,
                                     const char *source_id) {
  size_t i;
  for (i = 0; i < p->slot_count; i++) {
    if (p->slots[i].active && strcmp(p->slots[i].source, source_id) == 0)
      return &p->slots[i];
  }
  return NULL;
}

/* A new source. One at a time: a line left open by a run that never
 * reported its end is closed so the new one does not overwrite it. Several
 * at once: a free slot, or NULL when more sources run than were announced
 * (they then show only their end). */
static struct source_slot *start_source(struct gw_progress *p,
                                        const char *source_id, double now) {
  struct source_slot *slot = NULL;
  size_t i;
  if (sequential(p)) {
    if (p->line_open) {
      emit(p, "\n");
      p->line_open = 0;
    }
    slot = &p->slots[0];
    p->shown = NULL;
  }
  for (i = 0; !slot && i < p->slot_count; i++) {
    if (!p->slots[i].active)
      slot = &p->slots[i];
  }
  if (!slot)
    return NULL;
  text_copy(slot->source, sizeof slot->source, source_id);
  slot->active = 1;
  slot->written = 0;
  slot->last_write = now;
  return slot;
}

/* Redraw now? The first draw of a terminal line is immediate (the steward
 * sees the source start); the first log line waits a full interval, so a
 * short run logs only its run_finished line. */
static int due(const struct gw_progress *p, const struct source_slot *slot,
               double now) {
  if (p->opt.mode == GW_PROGRESS_TTY && !slot->written)
    return 1;
  /* The epsilon keeps 100.1 - 100.0 from counting as less than 0.1. */
  return now - slot->last_write + 1e-9 >= p->opt.min_interval_s;
}

/* Other sources running besides the one on the live line. */
static size_t others_running(const struct gw_progress *p,
                             const struct source_slot *slot) {
  size_t i, n = 0;
  for (i = 0; i < p->slot_count; i++)
    n += p->slots[i].active && &p->slots[i] != slot;
  return n;
}

static void tty_draw(struct gw_progress *p, const struct gw_run_summary *s,
                     const struct source_slot *slot, double elapsed_s,
                     int finished) {
  char line[LINE_MAX_BYTES], text[LINE_MAX_BYTES + 16];
  size_t others = finished || !slot ? 0 : others_running(p, slot);
  /* A line too long for the buffer is still worth showing truncated. */
  (void)progress_format_line(s, elapsed_s, finished, line, sizeof line);
  if (others > 0) {
    size_t len = strlen(line);
    (void)text_format(line + len, sizeof line - len, "  +%zu running", others);
  }
  /* A line as wide as the terminal wraps, and "\r" would then return
   * only to the start of its last row. */
  if (p->opt.columns > 1 && strlen(line) >= p->opt.columns)
    line[p->opt.columns - 1] = '\0';
  /* An open line leaves the cursor at its start: a diagnostic printed
   * mid-run (diag.c knows nothing of this line) then overwrites it instead
   * of being glued to its end. */
  if (text_format(text, sizeof text, "\r%s\033[K%s", line,
                  finished ? "\n" : "\r") != 0)
    return;
  emit(p, text);
  p->line_open = !finished;
}

/* The end of a source that does not own the live line: its final line
 * replaces the live one, which its owner draws again at its next update. */
static void tty_finish_other(struct gw_progress *p,
                             const struct gw_run_summary *s, double elapsed_s) {
  if (p->opt.clear_on_finish)
    return; /* the caller's table row says it */
  if (p->shown)
    p->shown->written = 0;
  tty_draw(p, s, NULL, elapsed_s, 1);
}

static void tty_update(struct gw_progress *p, const struct gw_run_summary *s,
                       struct source_slot *slot, double elapsed_s,
                       int finished) {
  if (p->opt.min_level > GW_LOG_INFO)
    return;
  if (!finished) {
    if (!p->shown)
      p->shown = slot;
    if (p->shown == slot)
      tty_draw(p, s, slot, elapsed_s, 0);
    return;
  }
  if (p->line_open && p->shown != slot) {
    tty_finish_other(p, s, elapsed_s);
    return;
  }
  if (p->opt.clear_on_finish) {
    erase_line(p);
    return;
  }
  tty_draw(p, s, slot, elapsed_s, 1);
}

static void lines_update(struct gw_progress *p, const struct gw_run_summary *s,
                         double elapsed_s, int finished) {
  char record[RECORD_MAX_BYTES], stamp[40], text[RECORD_MAX_BYTES + 64];
  gw_log_level level = finished ? outcome_level(s->outcome) : GW_LOG_INFO;
  if (level < p->opt.min_level)
    return;
  (void)progress_format_record(s, elapsed_s, finished, record, sizeof record);
  if (clock_now_rfc3339(stamp, sizeof stamp) != 0)
    text_copy(stamp, sizeof stamp, "-");
  if (text_format(text, sizeof text, "time=%s %s\n", stamp, record) != 0)
    return;
  emit(p, text);
}

static void update_locked(struct gw_progress *p,
                          const struct gw_run_summary *live, double elapsed_s,
                          int finished) {
  double now = p->opt.clock(p->opt.clock_ctx);
  struct source_slot *slot = find_slot(p, live->source_id);
  if (!slot)
    slot = start_source(p, live->source_id, now);
  /* Without a slot only the end is shown: never throttled, never live. */
  if (!slot) {
    if (finished && p->opt.mode == GW_PROGRESS_TTY)
      tty_finish_other(p, live, elapsed_s);
    else if (finished)
      lines_update(p, live, elapsed_s, finished);
    return;
  }
  if (!finished && !due(p, slot, now))
    return;
  if (p->opt.mode == GW_PROGRESS_TTY)
    tty_update(p, live, slot, elapsed_s, finished);
  else
    lines_update(p, live, elapsed_s, finished);
  slot->written = 1;
  slot->last_write = now;
  if (finished) {
    slot->active = 0;
    if (p->shown == slot)
      p->shown = NULL;
  }
}

void progress_update(struct gw_progress *progress,
                     const struct gw_run_summary *live, double elapsed_s,
                     int finished) {
  if (!progress || !live || progress->opt.mode == GW_PROGRESS_OFF)
    return;
  lock(progress);
  update_locked(progress, live, elapsed_s, finished);
  unlock(progress);
}

void progress_interrupt(struct gw_progress *progress) {
  if (!progress)
    return;
  lock(progress);
  erase_line(progress);
  unlock(progress);
}

void progress_hold(struct gw_progress *progress) {
  if (!progress)
    return;
  lock(progress);
  erase_line(progress);
}

void progress_release(struct gw_progress *progress) {
  if (progress)
    unlock(progress);
}

static void observe(const struct gw_run_summary *live, double elapsed_s,
                    int finished, void *user) {
  progress_update(user, live, elapsed_s, finished);
}

struct gw_run_observer progress_observer(struct gw_progress *progress) {
  struct gw_run_observer observer = {.progress = observe, .user = progress};
  return observer;
}

enum gw_progress_mode progress_mode_for(int fd, const char *term) {
  if (isatty(fd) && term && term[0] && strcmp(term, "dumb") != 0)
    return GW_PROGRESS_TTY;
  return GW_PROGRESS_LINES;
}

int progress_same_terminal(int fd_a, int fd_b) {
  struct stat a, b;
  if (!isatty(fd_a) || !isatty(fd_b) || fstat(fd_a, &a) != 0 ||
      fstat(fd_b, &b) != 0)
    return 0;
  return S_ISCHR(a.st_mode) && S_ISCHR(b.st_mode) && a.st_rdev == b.st_rdev;
}

unsigned progress_terminal_columns(int fd) {
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
    return 0;
  return ws.ws_col;
}
