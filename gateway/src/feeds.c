/*
 * feeds.c - publishing the configured exports after runs (see feeds.h):
 * each feed written atomically and logged with its SHA-256, and its status
 * sidecar (feed_status.h) refreshed every time, so the age of a feed that
 * was left as it was stays visible.
 */
#include "feeds.h"
#include "clock.h"
#include "feed_status.h"
#include "diag.h"
#include "digest.h"
#include "fsutil.h"
#include "text.h"
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int feeds_log_export(struct gw_app *app, const char *name, const char *format,
                     const char *destination, uint64_t count,
                     const char *sha256, uint64_t bytes, int64_t start_ms,
                     const char *error, char *err, size_t err_size) {
  char trace[33], span[17];
  json_t *rec;
  int rc;
  if (random_hex(16, trace, sizeof trace) != 0 ||
      random_hex(8, span, sizeof span) != 0) {
    text_copy(err, err_size, "no randomness for trace ids");
    return -1;
  }
  rec = json_pack("{s:s, s:s, s:s, s:s, s:n, s:I, s:I, s:i, s:s, s:s, s:s, "
                  "s:I, s:s?, s:I, s:s, s:s?}",
                  "event", "export", "name", "export:feed", "trace_id", trace,
                  "span_id", span, "parent_span_id", "start_time",
                  (json_int_t)start_ms, "end_time", (json_int_t)clock_now_ms(),
                  "status_code", error ? 2 : 1, "feed", name, "format", format,
                  "destination", destination, "count", (json_int_t)count,
                  "payload_sha256", sha256, "bytes", (json_int_t)bytes,
                  "outcome", error ? "fail" : "ok", "error", error);
  if (!rec) {
    text_copy(err, err_size, "out of memory building an export record");
    return -1;
  }
  rc = app_log_record(app, rec, err, err_size);
  json_decref(rec);
  return rc;
}

static int publish_one(struct gw_app *app, const struct gw_export_config *e,
                       json_t *report) {
  struct gw_query q = {.indicators = (const char *const *)e->indicators,
                       .areas = (const char *const *)e->areas};
  struct gw_export_options opt = e->options;
  char now[GW_TIME_MAX], err[GW_ERR_MAX], log_err[GW_ERR_MAX];
  char sha[GW_SHA256_HEX_SIZE] = "";
  uint64_t count = 0, bytes = 0;
  int64_t start = clock_now_ms();
  int rc;
  clock_now_rfc3339(now, sizeof now);
  opt.generated_at = now;
  opt.feed_name = e->name;
  opt.gateway_version = GW_VERSION;
  rc = fs_mkdirs_parent(e->path, 0755, err, sizeof err);
  if (rc == 0)
    rc = export_to_file(app->store, &q, &opt, e->path, &count, err, sizeof err);
  if (rc == 0 && sha256_file_hex(e->path, sha, &bytes) != 0) {
    text_format(err, sizeof err, "cannot read back %s", e->path);
    rc = -1;
  }
  if (feeds_log_export(app, e->name, export_format_name(opt.format), e->path,
                       count, rc == 0 ? sha : NULL, bytes, start,
                       rc == 0 ? NULL : err, log_err, sizeof log_err) != 0) {
    diag(GW_LOG_ERROR, "feed %s: exchange log: %s", e->name, log_err);
    rc = -1;
  }
  if (rc != 0)
    diag(GW_LOG_ERROR, "feed %s (%s): %s", e->name, e->path, err);
  if (report)
    json_array_append_new(
        report,
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:s?, s:s}", "name", e->name,
                  "format", export_format_name(opt.format), "path", e->path,
                  "observations", (json_int_t)count, "bytes", (json_int_t)bytes,
                  "sha256", rc == 0 ? sha : NULL, "outcome",
                  rc == 0 ? "written" : "failed"));
  return rc;
}

/* Runs whether or not the feed was rewritten: a feed left as it was after
 * a failed run is exactly the one whose age consumers need to see. */
static int refresh_status(struct gw_app *app,
                          const struct gw_export_config *e) {
  char err[GW_ERR_MAX];
  int rc = feed_status_write(app, e, err, sizeof err);
  if (rc < 0)
    diag(GW_LOG_ERROR, "feed %s: status file %s%s: %s", e->name, e->path,
         FEED_STATUS_SUFFIX, err);
  return rc < 0 ? -1 : 0;
}

/* A run killed between its store commit and the publication leaves a feed
 * older than the store, and the next run may change nothing: so "unchanged"
 * also asks the store whether anything was committed after the file was
 * written (its mtime). When in doubt, the feed is rewritten. */
static int feed_is_current(struct gw_app *app, const char *path) {
  struct stat st;
  struct tm tm;
  char since[GW_TIME_MAX], stamp[24], err[GW_ERR_MAX];
  int changed = 1;
  if (stat(path, &st) != 0 || gmtime_r(&st.st_mtim.tv_sec, &tm) == NULL ||
      strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
      text_format(since, sizeof since, "%s.%03ldZ", stamp,
                  st.st_mtim.tv_nsec / 1000000L) != 0)
    return 0;
  if (store_changed_since(app->store, since, &changed, err, sizeof err) != 0)
    diag(GW_LOG_WARN, "feed %s: %s; rewriting it", path, err);
  return !changed;
}

int feeds_publish(struct gw_app *app, int changed, json_t *report) {
  size_t i;
  int failures = 0;
  for (i = 0; i < app->cfg->export_count; i++) {
    const struct gw_export_config *e = &app->cfg->exports[i];
    int failed = 0;
    if (!changed && feed_is_current(app, e->path)) {
      if (report)
        json_array_append_new(
            report, json_pack("{s:s, s:s, s:s, s:s}", "name", e->name, "format",
                              export_format_name(e->options.format), "path",
                              e->path, "outcome", "unchanged"));
    } else if (publish_one(app, e, report) != 0) {
      failed = 1;
    }
    if (refresh_status(app, e) != 0)
      failed = 1;
    failures += failed;
  }
  return failures;
}
