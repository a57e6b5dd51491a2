/*
 * daemon.c - the daemon's event loop (see daemon.h): one libevent loop
 * drives the schedule timer, the signals, the metrics endpoint and the
 * notifications of finished runs; the runs themselves happen on job
 * threads (daemon_jobs.c).
 *
 * One timer suffices: it is armed for the earliest due time, but never
 * further than a minute ahead, so a wall-clock step (NTP, suspend) is
 * noticed within a minute.
 */
#include "audit_keys.h"
#include "clock.h"
#include "config_check.h"
#include "cron.h"
#include "daemon_internal.h"
#include "diag.h"
#include "digest.h"
#include "gw_alloc.h"
#include "plugin_audit.h"
#include "schedule.h"
#include "stop_request.h"
#include "text.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TIMER_MAX_SECONDS 60
#define SERVE_GRACE_SECONDS 5
#define REPORT_LINE_MAX 2048

static void dispatch(struct gw_daemon *d);
static void arm_timer(struct gw_daemon *d);

/* Stopping ends the loop once no run is in flight and the feed server has
 * finished the answers it was writing. */
static void exit_when_idle(struct gw_daemon *d) {
  if (d->stopping && d->running == 0 && !d->server_draining)
    event_base_loopexit(d->base, NULL);
}

static const char *zone_of(const struct gw_config *cfg) {
  return cfg->daemon.timezone ? cfg->daemon.timezone : CRON_DEFAULT_TZ;
}

static void format_local(const struct gw_config *cfg, time_t t, char *out,
                         size_t size) {
  struct tm tm;
  if (cron_local_time(t, zone_of(cfg), &tm) != 0 ||
      strftime(out, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
    (void)clock_format_rfc3339(t, out, size);
}

/* ---- exchange log ------------------------------------------------------ */

/* A `config` record (DESIGN 8): which configuration governs the exchanges
 * that follow, and every refused attempt to change it. */
static void log_config_event(struct gw_daemon *d, const char *action,
                             const char *outcome, const char *error) {
  char trace[33], span[17], sha[GW_SHA256_HEX_SIZE] = "", err[1024];
  int64_t now = clock_now_ms();
  json_t *rec;
  if (random_hex(16, trace, sizeof trace) != 0 ||
      random_hex(8, span, sizeof span) != 0)
    return;
  if (sha256_file_hex(d->opts->config_path, sha, NULL) != 0)
    sha[0] = '\0';
  rec = json_pack(
      "{s:s, s:s, s:s, s:s, s:n, s:I, s:I, s:i, s:s, s:s, s:s?, "
      "s:I, s:s, s:s?}",
      "event", "config", "name", action, "trace_id", trace, "span_id", span,
      "parent_span_id", "start_time", (json_int_t)now, "end_time",
      (json_int_t)now, "status_code", strcmp(outcome, "refused") == 0 ? 2 : 1,
      "action", action, "path", d->opts->config_path, "config_sha256",
      sha[0] ? sha : NULL, "sources", (json_int_t)d->app.cfg->source_count,
      "outcome", outcome, "error", error);
  if (!rec || app_log_record(&d->app, rec, err, sizeof err) != 0)
    diag(GW_LOG_ERROR, "daemon: exchange log: %s", rec ? err : "out of memory");
  json_decref(rec);
}

static int log_plugin_loads(struct gw_daemon *d) {
  const struct gw_config *cfg = d->app.cfg;
  const struct gw_source_config **list =
      gw_calloc(cfg->source_count ? cfg->source_count : 1, sizeof *list);
  int rc;
  if (!list)
    return -1;
  for (size_t i = 0; i < cfg->source_count; i++)
    list[i] = &cfg->sources[i];
  rc = plugin_audit_log_loads(&d->app, list, cfg->source_count);
  gw_free(list);
  return rc;
}

/* ---- sources and the queue -------------------------------------------- */

static void compute_next_due(struct gw_daemon *d, struct daemon_source *s,
                             time_t after) {
  time_t next = 0;
  int rc = schedule_next_run(d->app.cfg, s->src, after, &next);
  if (rc < 0) {
    diag(GW_LOG_ERROR, "%s: cannot compute the next run of \"%s\" in %s", s->id,
         s->src->schedule, zone_of(d->app.cfg));
    next = 0;
  }
  s->next_due = rc == 0 ? next : 0;
  metrics_set_next_run(d->metrics, s->id, s->next_due);
}

static int enqueue(struct gw_daemon *d, size_t index, const char *why) {
  struct daemon_source *s = &d->sources[index];
  if (s->running) {
    diag(GW_LOG_WARN,
         "%s: still running; the run due now (%s) is skipped so the source "
         "never runs twice at once",
         s->id, why);
    return 0;
  }
  if (s->queued)
    return 0;
  s->queued = 1;
  d->queue[d->queue_len++] = index;
  diag(GW_LOG_DEBUG, "%s: queued (%s)", s->id, why);
  return 0;
}

static int build_sources(struct gw_daemon *d) {
  const struct gw_config *cfg = d->app.cfg;
  time_t now = time(NULL);
  size_t n = cfg->source_count ? cfg->source_count : 1;
  d->sources = gw_calloc(n, sizeof *d->sources);
  d->queue = gw_calloc(n, sizeof *d->queue);
  if (!d->sources || !d->queue) {
    diag(GW_LOG_ERROR, "daemon: out of memory");
    return -1;
  }
  d->source_count = cfg->source_count;
  d->queue_len = 0;
  for (size_t i = 0; i < cfg->source_count; i++) {
    struct daemon_source *s = &d->sources[i];
    s->src = &cfg->sources[i];
    text_copy(s->id, sizeof s->id, s->src->id);
    compute_next_due(d, s, now);
    if (!s->src->schedule)
      diag(GW_LOG_INFO,
           "%s: no schedule; the daemon runs it only with --run-now (use "
           "`gateway run %s`)",
           s->id, s->id);
  }
  return 0;
}

static void free_sources(struct gw_daemon *d) {
  gw_free(d->sources);
  gw_free(d->queue);
  d->sources = NULL;
  d->queue = NULL;
  d->source_count = 0;
  d->queue_len = 0;
}

struct catch_up_ctx {
  struct gw_daemon *d;
  time_t now;
};

static int catch_up_one(const struct gw_run_record *rec, void *user) {
  struct catch_up_ctx *ctx = user;
  struct gw_daemon *d = ctx->d;
  time_t started;
  for (size_t i = 0; i < d->source_count; i++) {
    struct daemon_source *s = &d->sources[i];
    char when[64];
    if (strcmp(s->id, rec->source_id) != 0 || !rec->started_at ||
        clock_parse_rfc3339(rec->started_at, &started) != 0)
      continue;
    if (schedule_missed_run(d->app.cfg, s->src, started, ctx->now) != 1)
      continue;
    format_local(d->app.cfg, started, when, sizeof when);
    diag(GW_LOG_INFO,
         "%s: a scheduled run was missed while the daemon was down (last run "
         "started %s); running it now",
         s->id, when);
    enqueue(d, i, "catch-up");
  }
  return 0;
}

static void queue_start_up_runs(struct gw_daemon *d) {
  struct catch_up_ctx ctx = {.d = d, .now = time(NULL)};
  char err[GW_ERR_MAX];
  if (d->opts->run_now) {
    for (size_t i = 0; i < d->source_count; i++)
      enqueue(d, i, "--run-now");
    return;
  }
  if (!d->app.cfg->daemon.catch_up)
    return;
  if (store_latest_runs(d->app.store, catch_up_one, &ctx, err, sizeof err) != 0)
    diag(GW_LOG_WARN, "daemon: cannot read the run history for catch-up: %s",
         err);
}

/* ---- dispatch and results ---------------------------------------------- */

static void dispatch(struct gw_daemon *d) {
  while (!d->stopping && !d->reload_waiting && d->queue_len > 0 &&
         d->running < d->app.cfg->daemon.max_concurrent) {
    size_t index = d->queue[0];
    memmove(d->queue, d->queue + 1, (d->queue_len - 1) * sizeof *d->queue);
    d->queue_len--;
    d->sources[index].queued = 0;
    diag(GW_LOG_INFO, "%s: run started", d->sources[index].id);
    if (daemon_job_start(d, index) != 0)
      break;
  }
}

static void report_run(struct gw_daemon *d, const struct daemon_job *job) {
  const struct gw_run_summary *s = &job->summary;
  char when[64] = "-";
  const struct daemon_source *src = &d->sources[job->index];
  if (src->next_due)
    format_local(d->app.cfg, src->next_due, when, sizeof when);
  if (s->outcome == GW_OK)
    diag(GW_LOG_INFO,
         "%s: run ok in %.1f s: %llu page(s), %llu stored, %llu rejected; "
         "next run %s",
         s->source_id, s->seconds, (unsigned long long)s->pages,
         (unsigned long long)(s->store.inserted + s->store.revised),
         (unsigned long long)s->rejected, when);
  else
    diag(GW_LOG_ERROR, "%s: run failed after %.1f s: %s; next run %s",
         s->source_id, s->seconds, s->error[0] ? s->error : "no detail", when);
  if (job->feed_failures > 0)
    diag(GW_LOG_ERROR,
         "%s: %d feed(s) could not be published; the previous files stay",
         s->source_id, job->feed_failures);
}

static void apply_reload(struct gw_daemon *d);

static void on_job_done(struct gw_daemon *d, const struct daemon_job *job) {
  const struct gw_run_summary *s = &job->summary;
  report_run(d, job);
  if (d->server && s->store.inserted + s->store.revised > 0)
    serve_invalidate(d->server);
}

static void on_notify(evutil_socket_t fd, short what, void *arg) {
  struct gw_daemon *d = arg;
  (void)fd;
  (void)what;
  daemon_jobs_collect(d, on_job_done);
  if (d->stopping) {
    exit_when_idle(d);
    return;
  }
  if (d->reload_waiting && d->running == 0)
    apply_reload(d);
  dispatch(d);
  arm_timer(d);
}

/* ---- the schedule timer ------------------------------------------------ */

static void on_timer(evutil_socket_t fd, short what, void *arg) {
  struct gw_daemon *d = arg;
  time_t now = time(NULL);
  (void)fd;
  (void)what;
  for (size_t i = 0; i < d->source_count; i++) {
    struct daemon_source *s = &d->sources[i];
    if (!s->next_due || s->next_due > now)
      continue;
    enqueue(d, i, "schedule");
    compute_next_due(d, s, now);
  }
  dispatch(d);
  arm_timer(d);
}

static void arm_timer(struct gw_daemon *d) {
  time_t now = time(NULL), earliest = 0;
  struct timeval tv = {.tv_sec = TIMER_MAX_SECONDS, .tv_usec = 0};
  if (d->stopping)
    return;
  for (size_t i = 0; i < d->source_count; i++) {
    time_t due = d->sources[i].next_due;
    if (due && (!earliest || due < earliest))
      earliest = due;
  }
  if (earliest && earliest - now < TIMER_MAX_SECONDS)
    tv.tv_sec = earliest > now ? (long)(earliest - now) : 0;
  evtimer_add(d->timer, &tv);
}

/* ---- checkpoints while idle ---------------------------------------------- */

/* The log writes interval checkpoints when it appends; an idle daemon
 * appends nothing, so the loop asks for one at the same interval. */
static void on_checkpoint_timer(evutil_socket_t fd, short what, void *arg) {
  struct gw_daemon *d = arg;
  char err[1024];
  (void)fd;
  (void)what;
  if (d->app.xlog && xlog_checkpoint(d->app.xlog, err, sizeof err) != 0)
    diag(GW_LOG_ERROR, "daemon: exchange log checkpoint: %s", err);
}

static void arm_checkpoint_timer(struct gw_daemon *d) {
  struct timeval tv = {.tv_sec = (long)d->app.cfg->audit.checkpoint_interval_s,
                       .tv_usec = 0};
  if (tv.tv_sec > 0)
    evtimer_add(d->checkpoint_timer, &tv);
}

/* ---- metrics endpoint -------------------------------------------------- */

static int health(void *user, char *detail, size_t size) {
  struct gw_daemon *d = user;
  (void)text_format(detail, size, "%zu source(s), %d running, %zu waiting%s%s",
                    d->source_count, d->running, d->queue_len,
                    d->reload_waiting ? ", reload waiting" : "",
                    d->stopping ? ", stopping" : "");
  return d->stopping ? 0 : 1;
}

/* Starts, keeps or moves the endpoint to match the config. 0 or -1. */
static int sync_metrics_server(struct gw_daemon *d) {
  const char *want = d->app.cfg->daemon.metrics_listen;
  char err[512];
  if (d->metrics_listen && want && strcmp(d->metrics_listen, want) == 0)
    return 0;
  metrics_server_free(d->metrics_server);
  d->metrics_server = NULL;
  gw_free(d->metrics_listen);
  d->metrics_listen = NULL;
  if (!want)
    return 0;
  if (metrics_server_start(d->base, want, d->metrics, health, d,
                           &d->metrics_server, err, sizeof err) != 0) {
    diag(GW_LOG_ERROR, "daemon: %s", err);
    return -1;
  }
  d->metrics_listen = gw_strdup(want);
  diag(GW_LOG_INFO, "metrics and health at http://%s/metrics and /healthz",
       want);
  return 0;
}

/* ---- feed server ------------------------------------------------------- */

/* With daemon.serve the feed server shares this loop. 0 or -1 (logged). */
static int start_server(struct gw_daemon *d) {
  char err[SERVE_ERR_MAX];
  if (!d->app.cfg->daemon.serve)
    return 0;
  if (serve_start(d->base, &d->app, &d->server, err, sizeof err) != 0) {
    diag(GW_LOG_ERROR, "daemon: %s", err);
    d->server = NULL;
    return -1;
  }
  diag(GW_LOG_INFO, "feed server at https://%s (port %d)",
       d->app.cfg->serve_listen, serve_port(d->server));
  return 0;
}

static void on_server_drained(void *arg) {
  struct gw_daemon *d = arg;
  serve_stop(d->server);
  d->server = NULL;
  d->server_draining = 0;
  exit_when_idle(d);
}

/* ---- reload ------------------------------------------------------------ */

/* The check's report, folded into one line for the log. */
static void first_lines(const char *report, char *out, size_t size) {
  size_t n = 0;
  out[0] = '\0';
  for (const char *p = report; *p && n + 3 < size; p++) {
    if (strncmp(p, "warning: ", 9) == 0 && (p == report || p[-1] == '\n')) {
      const char *nl = strchr(p, '\n');
      if (!nl)
        break;
      p = nl;
      continue;
    }
    out[n++] = *p == '\n' ? ';' : *p;
    if (*p == '\n' && p[1])
      out[n++] = ' ';
  }
  while (n > 0 && (out[n - 1] == ';' || out[n - 1] == ' '))
    n--;
  out[n] = '\0';
}

/* Runs `gateway check` on the file; 0 when valid, else why in out. */
static int validate_config(const char *path, char *why, size_t why_size) {
  char *report = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&report, &len);
  int problems;
  if (!mem) {
    text_copy(why, why_size, "out of memory checking the configuration");
    return -1;
  }
  problems = config_check_file(path, mem, NULL);
  fclose(mem);
  if (problems > 0)
    first_lines(report ? report : "", why, why_size);
  free(report); /* from open_memstream: libc, not gw_alloc */
  return problems > 0 ? -1 : 0;
}

static void refuse_reload(struct gw_daemon *d, const char *why) {
  diag(GW_LOG_ERROR, "reload refused, keeping the running configuration: %s",
       why);
  metrics_config_reload(d->metrics, 0);
  log_config_event(d, "reload", "refused", why);
}

static void on_hup(struct gw_daemon *d) {
  char why[REPORT_LINE_MAX];
  diag(GW_LOG_INFO, "SIGHUP: re-reading %s", d->opts->config_path);
  if (d->stopping)
    return;
  if (validate_config(d->opts->config_path, why, sizeof why) != 0) {
    refuse_reload(d, why);
    return;
  }
  if (d->reload_waiting) /* a newer file replaces the one still waiting */
    app_close(&d->next_app);
  d->reload_waiting = 0;
  if (app_open(&d->next_app, d->opts->config_path,
               GW_APP_CATALOGUE | GW_APP_STORE | GW_APP_PLUGINS) != 0) {
    refuse_reload(d, "the configuration passed the check but could not be "
                     "opened (see the message above)");
    return;
  }
  d->reload_waiting = 1;
  if (d->running == 0)
    apply_reload(d);
  else
    diag(GW_LOG_INFO,
         "the new configuration is valid; it takes over when the %d running "
         "source(s) have finished",
         d->running);
}

/* Moves the exchange log over when the path stays, else opens the new one;
 * the old app keeps its log when that fails. 0 or -1. */
static int take_over_xlog(struct gw_daemon *d, char *why, size_t why_size) {
  struct gw_app *next = &d->next_app;
  struct gw_xlog_options opts;
  char again[1024];
  /* Reopened even when the path stays: the signing key, checkpoint and
   * rotation settings may have changed. Closing first writes the old
   * handle's closing checkpoint before the new handle reads the tail. */
  xlog_close(d->app.xlog);
  d->app.xlog = NULL;
  audit_xlog_options(next->cfg, &opts);
  if (xlog_open_with(next->cfg->audit_path, &opts, &next->xlog, why,
                     why_size) == 0 &&
      next->xlog)
    return 0;
  audit_xlog_options(d->app.cfg, &opts);
  if (xlog_open_with(d->app.cfg->audit_path, &opts, &d->app.xlog, again,
                     sizeof again) != 0)
    diag(GW_LOG_ERROR,
         "daemon: cannot reopen the exchange log either: %s; every run will "
         "fail (no log, no exchange)",
         again);
  return -1;
}

/* Only with no run in flight: job threads read d->app. */
static void apply_reload(struct gw_daemon *d) {
  char why[1024] = "";
  size_t *queued_ids = NULL;
  char(*ids)[DAEMON_ID_MAX] = NULL;
  size_t queued = d->queue_len;
  d->reload_waiting = 0;
  if (take_over_xlog(d, why, sizeof why) != 0) {
    app_close(&d->next_app);
    refuse_reload(d, why[0] ? why : "cannot open the new exchange log");
    return;
  }
  /* Sources waiting for a slot keep their turn if they still exist. */
  ids = gw_calloc(queued ? queued : 1, sizeof *ids);
  queued_ids = ids ? d->queue : NULL;
  for (size_t i = 0; ids && i < queued; i++)
    text_copy(ids[i], sizeof ids[i], d->sources[queued_ids[i]].id);
  /* The server reads the app: it restarts with the new one. */
  serve_stop(d->server);
  d->server = NULL;
  app_close(&d->app);
  d->app = d->next_app;
  memset(&d->next_app, 0, sizeof d->next_app);
  free_sources(d);
  if (getenv("TZ") == NULL || strcmp(getenv("TZ"), zone_of(d->app.cfg)) != 0)
    (void)setenv("TZ", zone_of(d->app.cfg), 1); /* no job thread runs now */
  tzset();
  if (build_sources(d) != 0) {
    gw_free(ids);
    event_base_loopexit(d->base, NULL);
    return;
  }
  for (size_t i = 0; ids && i < queued; i++)
    for (size_t j = 0; j < d->source_count; j++)
      if (strcmp(ids[i], d->sources[j].id) == 0)
        enqueue(d, j, "waiting before the reload");
  gw_free(ids);
  (void)sync_metrics_server(d);
  (void)start_server(d);
  arm_checkpoint_timer(d);
  metrics_config_reload(d->metrics, 1);
  log_config_event(d, "reload", "applied", NULL);
  (void)log_plugin_loads(d);
  diag(GW_LOG_INFO, "configuration reloaded from %s: %zu source(s)",
       d->opts->config_path, d->source_count);
}

/* ---- signals ----------------------------------------------------------- */

static void on_signal(evutil_socket_t sig, short what, void *arg) {
  struct gw_daemon *d = arg;
  (void)what;
  if (sig == SIGHUP) {
    on_hup(d);
    dispatch(d);
    arm_timer(d);
    return;
  }
  if (d->stopping) {
    diag(GW_LOG_WARN, "%s: still waiting for %d run(s) to abort",
         strsignal((int)sig), d->running);
    return;
  }
  d->stopping = 1;
  stop_request();
  evtimer_del(d->timer);
  event_del(d->checkpoint_timer);
  for (size_t i = 0; i < d->queue_len; i++)
    d->sources[d->queue[i]].queued = 0;
  d->queue_len = 0;
  diag(GW_LOG_INFO,
       "%s: stopping; %d run(s) in flight abort without storing anything",
       strsignal((int)sig), d->running);
  if (d->server) {
    d->server_draining = 1;
    serve_shutdown(d->server, SERVE_GRACE_SECONDS, on_server_drained, d);
  }
  exit_when_idle(d);
}

/* ---- start and stop ---------------------------------------------------- */

static int open_notify_pipe(struct gw_daemon *d) {
  if (pipe(d->notify_fd) != 0) {
    d->notify_fd[0] = d->notify_fd[1] = -1;
    return -1;
  }
  for (int i = 0; i < 2; i++)
    if (fcntl(d->notify_fd[i], F_SETFD, FD_CLOEXEC) != 0)
      return -1;
  return fcntl(d->notify_fd[0], F_SETFL, O_NONBLOCK);
}

static int setup_loop(struct gw_daemon *d) {
  static const int handled[3] = {SIGHUP, SIGTERM, SIGINT};
  d->base = event_base_new();
  if (!d->base || open_notify_pipe(d) != 0) {
    diag(GW_LOG_ERROR, "daemon: cannot set up the event loop: %s",
         strerror(errno));
    return -1;
  }
  d->timer = evtimer_new(d->base, on_timer, d);
  d->checkpoint_timer =
      event_new(d->base, -1, EV_PERSIST, on_checkpoint_timer, d);
  d->notify_event =
      event_new(d->base, d->notify_fd[0], EV_READ | EV_PERSIST, on_notify, d);
  if (!d->timer || !d->checkpoint_timer || !d->notify_event ||
      event_add(d->notify_event, NULL) != 0)
    goto fail;
  for (int i = 0; i < 3; i++) {
    d->signals[i] = evsignal_new(d->base, handled[i], on_signal, d);
    if (!d->signals[i] || event_add(d->signals[i], NULL) != 0)
      goto fail;
  }
  /* A consumer closing a connection must not kill the daemon. */
  signal(SIGPIPE, SIG_IGN);
  return 0;
fail:
  diag(GW_LOG_ERROR, "daemon: cannot register events with libevent");
  return -1;
}

static void teardown(struct gw_daemon *d) {
  for (int i = 0; i < 3; i++)
    if (d->signals[i])
      event_free(d->signals[i]);
  if (d->timer)
    event_free(d->timer);
  if (d->checkpoint_timer)
    event_free(d->checkpoint_timer);
  if (d->notify_event)
    event_free(d->notify_event);
  serve_stop(d->server);
  metrics_server_free(d->metrics_server);
  gw_free(d->metrics_listen);
  if (d->base)
    event_base_free(d->base);
  for (int i = 0; i < 2; i++)
    if (d->notify_fd[i] >= 0)
      close(d->notify_fd[i]);
  if (d->reload_waiting)
    app_close(&d->next_app);
  app_close(&d->app);
  metrics_free(d->metrics);
  free_sources(d);
  pthread_mutex_destroy(&d->feeds_lock);
}

/* The zone is chosen once, before any job thread exists: cron then never
 * has to touch the environment while libcurl reads it (cron.c). */
static int select_zone(const struct gw_config *cfg) {
  if (setenv("TZ", zone_of(cfg), 1) != 0)
    return -1;
  tzset();
  return 0;
}

static void announce(struct gw_daemon *d) {
  size_t scheduled = 0;
  for (size_t i = 0; i < d->source_count; i++)
    scheduled += d->sources[i].next_due != 0;
  diag(GW_LOG_INFO,
       "daemon started (gateway %s, pid %ld): %zu source(s), %zu scheduled, "
       "at most %d at once, times in %s",
       GW_VERSION, (long)getpid(), d->source_count, scheduled,
       d->app.cfg->daemon.max_concurrent, zone_of(d->app.cfg));
  for (size_t i = 0; i < d->source_count; i++) {
    char when[64];
    if (!d->sources[i].next_due)
      continue;
    format_local(d->app.cfg, d->sources[i].next_due, when, sizeof when);
    diag(GW_LOG_INFO, "%s: \"%s\", next run %s", d->sources[i].id,
         d->sources[i].src->schedule, when);
  }
}

int daemon_main(const struct gw_daemon_options *opts) {
  struct gw_daemon d;
  char why[REPORT_LINE_MAX];
  int rc = 2;
  memset(&d, 0, sizeof d);
  d.opts = opts;
  d.notify_fd[0] = d.notify_fd[1] = -1;
  pthread_mutex_init(&d.feeds_lock, NULL);
  if (validate_config(opts->config_path, why, sizeof why) != 0) {
    fprintf(stderr, "gateway: daemon: %s\n", why);
    goto out;
  }
  if (app_open(&d.app, opts->config_path,
               GW_APP_CATALOGUE | GW_APP_STORE | GW_APP_XLOG |
                   GW_APP_PLUGINS) != 0)
    goto out;
  rc = 1;
  if (select_zone(d.app.cfg) != 0 || metrics_new(&d.metrics) != 0 ||
      setup_loop(&d) != 0 || sync_metrics_server(&d) != 0 ||
      start_server(&d) != 0 || build_sources(&d) != 0)
    goto out;
  log_config_event(&d, "start", "applied", NULL);
  if (log_plugin_loads(&d) != 0)
    goto out;
  announce(&d);
  arm_checkpoint_timer(&d);
  queue_start_up_runs(&d);
  dispatch(&d);
  arm_timer(&d);
  if (event_base_dispatch(d.base) < 0) {
    diag(GW_LOG_ERROR, "daemon: the event loop failed");
    goto out;
  }
  log_config_event(&d, "stop", "applied", NULL);
  diag(GW_LOG_INFO, "daemon stopped");
  rc = 0;
out:
  teardown(&d);
  return rc;
}
