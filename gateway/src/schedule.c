/*
 * schedule.c - due times of scheduled sources (see schedule.h).
 *
 * A due time is a cron time plus the source's jitter, so the next due time
 * after t is the next cron time after (t - jitter), plus jitter: shifting
 * the search keeps a cron time whose jittered start still lies ahead.
 */
#include "schedule.h"
#include "cron.h"

int schedule_next_run(const struct gw_config *cfg,
                      const struct gw_source_config *src, time_t after,
                      time_t *next) {
  struct gw_cron cron;
  char why[CRON_ERR_MAX];
  time_t cron_time;
  int jitter;
  if (!src->schedule)
    return 1;
  if (cron_parse(src->schedule, &cron, why, sizeof why) != 0)
    return -1;
  jitter = cron_jitter_seconds(src->id, cfg->daemon.jitter_seconds);
  if (cron_next(&cron, after - jitter, cfg->daemon.timezone, &cron_time) != 0)
    return -1;
  *next = cron_time + jitter;
  return 0;
}

int schedule_missed_run(const struct gw_config *cfg,
                        const struct gw_source_config *src, time_t last_started,
                        time_t now) {
  time_t due;
  int rc = schedule_next_run(cfg, src, last_started, &due);
  if (rc != 0)
    return rc == 1 ? 0 : -1;
  return due <= now ? 1 : 0;
}
