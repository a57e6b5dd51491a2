/*
 * daemon_jobs.c - one thread per running source (see daemon_internal.h).
 *
 * A thread per run rather than a pool: runs are minutes of network and
 * parsing, so thread start-up cost is noise, and the loop thread keeps the
 * only queue. Job threads block the signals the loop handles, so SIGTERM
 * and SIGHUP always reach the loop.
 */
#include "daemon_internal.h"
#include "diag.h"
#include "feeds.h"
#include "gw_alloc.h"
#include "spool_retention.h"
#include "stop_request.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void publish_feeds(struct daemon_job *job) {
  struct gw_daemon *d = job->d;
  const struct gw_run_summary *s = &job->summary;
  int changed = s->outcome == GW_OK && s->store.inserted + s->store.revised > 0;
  /* Also after a failure: the feeds stay as they were, but their status
   * files must say how old they now are. */
  if (stop_requested() || d->app.cfg->export_count == 0)
    return;
  pthread_mutex_lock(&d->feeds_lock);
  job->feed_failures = feeds_publish(&d->app, changed, NULL);
  pthread_mutex_unlock(&d->feeds_lock);
}

static void notify_loop(struct daemon_job *job) {
  const char *p = (const char *)&job;
  size_t left = sizeof job;
  while (left > 0) {
    ssize_t n = write(job->d->notify_fd[1], p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      /* The loop would never learn that this source finished. */
      diag(GW_LOG_ERROR, "daemon: cannot notify the loop: %s", strerror(errno));
      abort();
    }
    p += n;
    left -= (size_t)n;
  }
}

static void *job_main(void *arg) {
  struct daemon_job *job = arg;
  struct gw_daemon *d = job->d;
  const struct gw_source_config *src = d->sources[job->index].src;
  metrics_run_started(d->metrics, src->id);
  run_source_observed(&d->app, src, NULL, &job->summary);
  metrics_run_finished(d->metrics, &job->summary, time(NULL));
  publish_feeds(job);
  /* Reported, never a failure of the run (spool_retention.h). */
  if (!stop_requested())
    (void)spool_retention_prune(&d->app, NULL);
  notify_loop(job);
  return NULL;
}

int daemon_job_start(struct gw_daemon *d, size_t index) {
  struct daemon_job *job = gw_calloc(1, sizeof *job);
  sigset_t block, old;
  int rc;
  if (!job) {
    diag(GW_LOG_ERROR, "%s: out of memory starting the run",
         d->sources[index].id);
    return -1;
  }
  job->d = d;
  job->index = index;
  sigemptyset(&block);
  sigaddset(&block, SIGHUP);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  rc = pthread_create(&job->thread, NULL, job_main, job);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    diag(GW_LOG_ERROR, "%s: cannot start a thread for the run: %s",
         d->sources[index].id, strerror(rc));
    gw_free(job);
    return -1;
  }
  d->sources[index].running = 1;
  d->running++;
  return 0;
}

void daemon_jobs_collect(struct gw_daemon *d,
                         void (*done)(struct gw_daemon *d,
                                      const struct daemon_job *job)) {
  struct daemon_job *job;
  for (;;) {
    ssize_t n = read(d->notify_fd[0], &job, sizeof job);
    if (n < 0 && errno == EINTR)
      continue;
    if (n != (ssize_t)sizeof job)
      return; /* EAGAIN: all collected (writes of a pointer are atomic) */
    pthread_join(job->thread, NULL);
    d->sources[job->index].running = 0;
    d->running--;
    done(d, job);
    gw_free(job);
  }
}
