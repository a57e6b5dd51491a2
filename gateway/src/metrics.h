/*
 * metrics.h - the daemon's counters and gauges per source, rendered in the
 * Prometheus text exposition format 0.0.4 (docs/metrics.md lists every
 * series and what it means).
 *
 * Thread-safe: worker threads report runs while the event-loop thread
 * renders; one mutex inside guards everything. Memory is bounded: one
 * entry per source id, at most METRICS_MAX_SOURCES of them; ids beyond the
 * cap (or longer than a run summary's source_id can hold) are ignored.
 *
 * Ownership: metrics_new() returns an object the caller frees with
 * metrics_free(). Source ids are copied; callers keep theirs.
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H
#include <stddef.h>
#include <time.h>
#include "run.h"

#define METRICS_MAX_SOURCES 1024

struct gw_metrics;

/* 0, or -1 when out of memory. The start time is taken now. */
int metrics_new(struct gw_metrics **out);
void metrics_free(struct gw_metrics *m); /* NULL ok */

/* A run of source_id began: its running gauge becomes 1. */
void metrics_run_started(struct gw_metrics *m, const char *source_id);
/* A run ended: running 0, the counters and the duration histogram take
 * the summary, last run time becomes ended_at (and last success time on
 * GW_OK); consecutive failures count GW_RETRY and GW_FAIL runs and reset
 * on GW_OK. */
void metrics_run_finished(struct gw_metrics *m, const struct gw_run_summary *s,
                          time_t ended_at);
/* The next scheduled run of source_id; 0: not scheduled (no sample). */
void metrics_set_next_run(struct gw_metrics *m, const char *source_id,
                          time_t next);
/* A configuration reload happened; ok: 1 applied, 0 refused. */
void metrics_config_reload(struct gw_metrics *m, int ok);

/* Every series as Prometheus text. *text is gw_malloc'd and
 * NUL-terminated (*len excludes the NUL); the caller gw_free()s it.
 * `now` is the time of the scrape; no sample depends on it today
 * (samples carry no timestamps: the scraper stamps them).
 * 0, or -1 when out of memory (*text NULL). */
int metrics_render(struct gw_metrics *m, time_t now, char **text, size_t *len);

#endif
