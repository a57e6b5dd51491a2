/*
 * schedule.h - when a source runs under the daemon's rules: its cron
 * schedule read in the daemon's time zone (daemon.timezone, default
 * Europe/Amsterdam), shifted by the source's stable jitter
 * (daemon.jitter_seconds). `gateway daemon` and `gateway status` both ask
 * here, so the time status promises is the time the daemon keeps.
 */
#ifndef GW_SCHEDULE_H
#define GW_SCHEDULE_H
#include <time.h>
#include "config.h"

/* The first due time strictly after `after`. Returns 0 with *next, 1 when
 * the source has no schedule (runs only on demand), -1 when the schedule
 * or zone cannot be evaluated (config_load has refused both already, so
 * this means a broken zoneinfo installation). */
int schedule_next_run(const struct gw_config *cfg,
                      const struct gw_source_config *src, time_t after,
                      time_t *next);

/* 1 when a due time fell in (last_started, now], i.e. a run was missed
 * while the daemon was down; 0 when not (or no schedule); -1 on error. */
int schedule_missed_run(const struct gw_config *cfg,
                        const struct gw_source_config *src, time_t last_started,
                        time_t now);

#endif
