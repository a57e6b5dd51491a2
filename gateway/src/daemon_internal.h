/*
 * daemon_internal.h - the daemon's state, shared by daemon.c (the event
 * loop: timers, signals, reload) and daemon_jobs.c (the threads that run
 * one source each).
 *
 * Threading: everything here belongs to the loop thread, except what a
 * job thread reads while it runs: d->app (never replaced while a job runs:
 * a reload waits for running == 0), d->metrics (internally locked) and
 * the feeds, which job threads publish under feeds_lock.
 */
#ifndef GW_DAEMON_INTERNAL_H
#define GW_DAEMON_INTERNAL_H
#include <event2/event.h>
#include <pthread.h>
#include <time.h>
#include "app.h"
#include "daemon.h"
#include "metrics.h"
#include "metrics_http.h"
#include "run.h"
#include "serve.h"

#define DAEMON_ID_MAX 80

struct daemon_source {
  char id[DAEMON_ID_MAX];
  const struct gw_source_config *src; /* in d->app.cfg */
  time_t next_due;                    /* 0: no schedule */
  int running;
  int queued;
};

struct gw_daemon;

struct daemon_job {
  struct gw_daemon *d;
  size_t index; /* into d->sources */
  pthread_t thread;
  struct gw_run_summary summary;
  int feed_failures;
};

struct gw_daemon {
  const struct gw_daemon_options *opts;
  struct event_base *base;
  struct gw_app app;
  struct gw_app next_app; /* validated by SIGHUP, waits for running == 0 */
  int reload_waiting;
  struct daemon_source *sources;
  size_t source_count;
  size_t *queue; /* indices waiting for a free slot, oldest first */
  size_t queue_len;
  int running;
  int stopping;
  struct event *timer;
  struct event *checkpoint_timer; /* audit.checkpoint_interval_s */
  struct event *signals[3];
  struct event *notify_event;
  int notify_fd[2]; /* job threads write their job pointer when done */
  pthread_mutex_t feeds_lock;
  struct gw_metrics *metrics;
  struct gw_metrics_server *metrics_server;
  char *metrics_listen;    /* what metrics_server listens on, or NULL */
  struct gw_serve *server; /* the feed server with daemon.serve, or NULL */
  int server_draining;     /* SIGTERM: answers in progress may finish */
};

/* daemon_jobs.c: starts the run of d->sources[index] on its own thread.
 * 0, or -1 (logged) when no thread could be started. */
int daemon_job_start(struct gw_daemon *d, size_t index);
/* Called on the loop thread when the notify pipe is readable: joins
 * finished jobs and hands each to done(d, job) before freeing it. */
void daemon_jobs_collect(struct gw_daemon *d,
                         void (*done)(struct gw_daemon *d,
                                      const struct daemon_job *job));

#endif
