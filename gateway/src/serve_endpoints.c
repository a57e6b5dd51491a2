/*
 * serve_endpoints.c - the small endpoints (GET /v1/health, /v1/indicators,
 * /v1/monitor) and the store generation that decides how long cached
 * answers stay valid.
 *
 * The generation is a digest of the store's latest run per source (id,
 * outcome, end) and of the targets file's size and modification time:
 * whatever a run commits, its run record changes afterwards, so a new
 * digest means the cached answers may be stale. It is re-read at most
 * once a second, so a commit by another process (a timer-driven
 * `gateway run`) is noticed within about a second.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "diag.h"
#include "digest.h"
#include "monitor.h"
#include "serve_catalogue.h"
#include "schedule.h"
#include "serve_internal.h"
#include "text.h"

#define GENERATION_POLL_SECONDS 1.0
#define DEFAULT_AREA "GM0384"

static const char *const default_years[] = {"2020", "2021", "2022", "2023",
                                            NULL};

/* ---- the store's generation -------------------------------------------- */

struct generation {
  struct gw_sha256 *sha;
  time_t newest;
  int failed;
};

static int hash_field(struct generation *g, const char *text) {
  const char *t = text ? text : "";
  if (sha256_update(g->sha, t, strlen(t) + 1) != 0)
    g->failed = 1;
  return g->failed;
}

static int add_run(const struct gw_run_record *rec, void *user) {
  struct generation *g = user;
  time_t ended;
  hash_field(g, rec->run_id);
  hash_field(g, rec->outcome);
  hash_field(g, rec->ended_at);
  if (rec->ended_at && clock_parse_rfc3339(rec->ended_at, &ended) == 0 &&
      ended > g->newest)
    g->newest = ended;
  return g->failed;
}

/* The soonest next run of any scheduled source, or 0. */
static time_t next_scheduled_run(const struct gw_config *cfg, time_t now) {
  time_t soonest = 0, next;
  for (size_t i = 0; i < cfg->source_count; i++)
    if (schedule_next_run(cfg, &cfg->sources[i], now, &next) == 0 &&
        (soonest == 0 || next < soonest))
      soonest = next;
  return soonest;
}

long serve_max_age(const struct gw_serve *s, time_t now) {
  long max_age = (long)s->app->cfg->serve.cache_seconds;
  if (s->next_run > now && s->next_run - now < max_age)
    max_age = (long)(s->next_run - now);
  return max_age;
}

void serve_refresh_generation(struct gw_serve *s, int force) {
  struct generation g = {NULL, 0, 0};
  char hex[GW_SHA256_HEX_SIZE], err[GW_ERR_MAX], targets[64];
  struct stat st;
  double now = clock_monotonic();
  if (!force && now - s->generation_checked < GENERATION_POLL_SECONDS)
    return;
  s->generation_checked = now;
  s->next_run = next_scheduled_run(s->app->cfg, time(NULL));
  if (force) /* forget everything, whatever the digest says */
    serve_cache_set_generation(s->cache, "invalidated");
  g.sha = sha256_begin();
  if (!g.sha ||
      store_latest_runs(s->app->store, add_run, &g, err, sizeof err) != 0 ||
      g.failed) {
    diag(GW_LOG_WARN, "serve: cannot read the store's runs: %s",
         g.failed ? "digest failed" : err);
    sha256_abort(g.sha);
    /* unknown state: keep nothing (two different generations in a row
     * always empty the cache) */
    serve_cache_set_generation(s->cache, "unknown");
    serve_cache_set_generation(s->cache, "");
    return;
  }
  if (s->app->cfg->targets && stat(s->app->cfg->targets, &st) == 0 &&
      text_format(targets, sizeof targets, "%lld.%ld/%lld",
                  (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec,
                  (long long)st.st_size) == 0)
    hash_field(&g, targets);
  if (sha256_finish_hex(g.sha, hex) != 0) {
    serve_cache_set_generation(s->cache, "");
    return;
  }
  serve_cache_set_generation(s->cache, hex);
  (void)text_copy(s->generation, sizeof s->generation, hex);
  s->data_time = g.newest;
}

/* ---- rendering helpers
 * -------------------------------------------------------- */

/* Runs write(out, user) into memory and makes the answer from it. */
static void answer_rendered(struct serve_request *r,
                            int (*write)(FILE *out, void *user, uint64_t *rows,
                                         char *err, size_t err_size),
                            void *user, time_t last_modified) {
  char *buf = NULL, err[SERVE_MESSAGE_MAX];
  size_t len = 0;
  uint64_t rows = 0;
  FILE *out = open_memstream(&buf, &len);
  int rc;
  if (!out) {
    serve_fail(r, 500, "out of memory");
    return;
  }
  err[0] = '\0';
  rc = write(out, user, &rows, err, sizeof err);
  if (fclose(out) != 0 && rc == 0) {
    rc = -1;
    (void)text_copy(err, sizeof err, "out of memory");
  }
  if (rc != 0) {
    diag(GW_LOG_ERROR, "serve: %s: %s", r->endpoint, err);
    serve_fail(r, 500, "the answer could not be rendered");
  } else {
    (void)serve_answer_from(r, buf, len, serve_format_media_type(r->format),
                            last_modified, rows);
  }
  free(buf); /* from open_memstream: libc, not gw_alloc */
}

/* ---- /v1/health
 * ------------------------------------------------------------------ */

void serve_get_health(struct serve_request *r) {
  char body[128];
  if (text_format(body, sizeof body,
                  "{\"status\":\"ok\",\"service\":\"indicator-gateway\","
                  "\"version\":\"%s\"}\n",
                  GW_VERSION) != 0) {
    serve_fail(r, 500, "health answer too long");
    return;
  }
  (void)serve_answer_from(r, body, strlen(body), "application/json", time(NULL),
                          0);
}

/* ---- /v1/indicators
 * -------------------------------------------------------------- */

static int write_indicators(FILE *out, void *user, uint64_t *rows, char *err,
                            size_t err_size) {
  struct serve_request *r = user;
  size_t count = 0;
  int rc = serve_catalogue_write(r->s->app->catalogue, r->client, r->format,
                                 out, &count, err, err_size);
  *rows = count;
  return rc;
}

void serve_get_indicators(struct serve_request *r) {
  struct stat st;
  time_t lm = stat(r->s->app->cfg->catalogue, &st) == 0 ? st.st_mtime : 0;
  answer_rendered(r, write_indicators, r, lm);
}

/* ---- /v1/monitor
 * ------------------------------------------------------------------- */

struct monitor_job {
  struct serve_request *r;
  const struct serve_query *q;
};

static gw_monitor_format monitor_format(serve_format f) {
  return f == SERVE_FMT_CSV    ? GW_MONITOR_CSV
         : f == SERVE_FMT_HTML ? GW_MONITOR_HTML
         : f == SERVE_FMT_TEXT ? GW_MONITOR_TEXT
                               : GW_MONITOR_JSON;
}

static int write_monitor(FILE *out, void *user, uint64_t *rows, char *err,
                         size_t err_size) {
  struct monitor_job *job = user;
  struct serve_request *r = job->r;
  struct gw_serve *s = r->s;
  struct gw_monitor_report *report = NULL;
  struct gw_monitor_options opt;
  char now[GW_TIME_MAX];
  int rc;
  if (clock_now_rfc3339(now, sizeof now) != 0)
    now[0] = '\0';
  opt = (struct gw_monitor_options){
      .municipality = job->q->area_count ? job->q->areas[0]
                      : s->targets       ? targets_municipality(s->targets)
                                         : DEFAULT_AREA,
      .years = job->q->year_count ? job->q->years : default_years,
      .year_count = job->q->year_count ? job->q->year_count : 4,
      .generated_at = now};
  rc = monitor_build(s->app->store, s->app->catalogue, s->targets, &opt,
                     &report, err, err_size);
  if (rc == 0)
    rc = monitor_write(report, monitor_format(r->format), out, err, err_size);
  *rows = report ? report->row_count : 0;
  monitor_free(report);
  return rc;
}

void serve_get_monitor(struct serve_request *r, const struct serve_query *q) {
  struct monitor_job job = {r, q};
  if (!serve_client_reads_all(r->client)) {
    serve_fail(r, 403,
               "the monitor report covers every indicator; client %s may read "
               "only some (use /v1/observations)",
               r->client->name);
    return;
  }
  if (q->area_count > 1) {
    serve_fail(r, 400,
               "parameter 'area': the monitor report is about one "
               "area (e.g. area=GM0384)");
    return;
  }
  answer_rendered(r, write_monitor, &job, r->s->data_time);
}
