#include "diag.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static gw_log_level min_level = GW_LOG_INFO;
/* Lines from concurrent runs must not interleave mid-line. */
static pthread_mutex_t diag_lock = PTHREAD_MUTEX_INITIALIZER;

static void (*tty_hook)(void *ctx);
static void *tty_hook_ctx;

void diag_set_tty_hook(void (*before_write)(void *ctx), void *ctx) {
  pthread_mutex_lock(&diag_lock);
  tty_hook = before_write;
  tty_hook_ctx = ctx;
  pthread_mutex_unlock(&diag_lock);
}

static const char *level_name(gw_log_level level) {
  switch (level) {
  case GW_LOG_DEBUG:
    return "debug";
  case GW_LOG_INFO:
    return "info";
  case GW_LOG_WARN:
    return "warning";
  case GW_LOG_ERROR:
    return "error";
  }
  return "info";
}

void diag_set_level(gw_log_level level) {
  min_level = level;
}

gw_log_level diag_level(void) {
  return min_level;
}

void diag(gw_log_level level, const char *fmt, ...) {
  va_list ap;
  char msg[2048];
  if (level < min_level)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&diag_lock);
  if (isatty(STDERR_FILENO)) {
    if (tty_hook)
      tty_hook(tty_hook_ctx);
    if (level >= GW_LOG_WARN)
      fprintf(stderr, "gateway: %s: %s\n", level_name(level), msg);
    else
      fprintf(stderr, "gateway: %s\n", msg);
  } else {
    /* Structured for collectors: logfmt with a quoted message. */
    struct timespec ts;
    struct tm tm;
    char stamp[32] = "";
    const char *p;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (gmtime_r(&ts.tv_sec, &tm))
      strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "time=%s level=%s msg=\"", stamp, level_name(level));
    for (p = msg; *p; p++) {
      if (*p == '"' || *p == '\\')
        fputc('\\', stderr);
      fputc(*p == '\n' ? ' ' : *p, stderr);
    }
    fputs("\"\n", stderr);
  }
  pthread_mutex_unlock(&diag_lock);
}
