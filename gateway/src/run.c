/*
 * run.c - one run of one source (see run.h): set up, let the plugin fetch
 * and emit, then commit or abort as one unit, logging every exchange.
 */
#include "clock.h"
#include "diag.h"
#include "drop_folder.h"
#include "gw_alloc.h"
#include "normaliser.h"
#include "replay_plan.h"
#include "retry.h"
#include "run_internal.h"
#include "run_manifest.h"
#include "spool.h"
#include "stop_request.h"
#include "text.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_PLUGIN_HEADERS 32

void run_fail(struct gw_run *run, const char *fmt, ...) {
  char msg[GW_RUN_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* Messages quote URLs; one place keeps their credentials out. */
  run_redact_text(run, msg, sizeof msg);
  if (!run->fatal && !run->summary->error[0])
    text_copy(run->summary->error, sizeof run->summary->error, msg);
  run->fatal = 1;
  diag(GW_LOG_ERROR, "%s", msg);
}

void run_note_rejection(struct gw_run *run, const char *where,
                        const char *reason) {
  run->summary->rejected++;
  if (run->rejects_kept < GW_REJECTS_KEPT) {
    text_format(run->rejects[run->rejects_kept],
                sizeof run->rejects[run->rejects_kept], "%s: %s", where,
                reason);
    run->rejects_kept++;
  }
  if (run->summary->rejected <= 5)
    diag(GW_LOG_WARN, "%s: rejected %s: %s", run->src->id, where, reason);
}

/* A span record in the shape of the Logboek Dataverwerkingen field model;
 * the caller adds the exchange-specific fields. */
static json_t *span_record(struct gw_run *run, const char *event,
                           const char *span_id, int64_t start_ms,
                           int64_t end_ms, int ok) {
  char name[160];
  text_format(name, sizeof name, "%s:%s", event, run->src->id);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:s, s:s}",
                   "event", event, "name", name, "trace_id", run->trace_id,
                   "span_id", span_id, "parent_span_id", run->span_id,
                   "start_time", (json_int_t)start_ms, "end_time",
                   (json_int_t)end_ms, "status_code", ok ? 1 : 2, "source",
                   run->src->id, "plugin", run->plugin->desc->name);
}

static int log_record(struct gw_run *run, json_t *record) {
  char err[1024];
  int rc;
  if (run->replay) {
    /* A replay exchanges nothing; its one "replay" record is replay.c's. */
    json_decref(record);
    return 0;
  }
  if (!record) {
    run_fail(run,
             "%s: out of memory building an exchange-log record; no "
             "log, no exchange",
             run->src->id);
    return -1;
  }
  rc = app_log_record(run->app, record, err, sizeof err);
  json_decref(record);
  if (rc != 0)
    run_fail(run, "%s: exchange log: %s; no log, no exchange", run->src->id,
             err);
  return rc;
}

static void notify_progress(struct gw_run *run, int finished) {
  if (!run->observer || !run->observer->progress)
    return;
  run->rows_at_last_progress = run->summary->emitted;
  run->observer->progress(run->summary, clock_monotonic() - run->started,
                          finished, run->observer->user);
}

/* 1 (and the run has failed) when the gateway is shutting down. */
static int stopping(struct gw_run *run) {
  if (!stop_requested())
    return 0;
  run_fail(run, "%s: %s", run->src->id, GW_STOPPED_MESSAGE);
  return 1;
}

/* URLs may carry secrets (an API key in the query): every URL that leaves
 * this file for the log or a message goes through here first. */
static void redact(const struct gw_run *run, const char *url, char *out,
                   size_t out_size) {
  config_secrets_lock();
  xlog_redact_url(url, (const char *const *)run->app->cfg->secrets, out,
                  out_size);
  config_secrets_unlock();
}

void run_redact_text(const struct gw_run *run, char *text, size_t size) {
  char clean[XLOG_REDACT_TEXT_MAX];
  config_secrets_lock();
  xlog_redact_text(text, (const char *const *)run->app->cfg->secrets, clean,
                   sizeof clean);
  config_secrets_unlock();
  text_copy(text, size, clean);
}

static int host_allowed(const struct gw_run *run, const char *host, int port) {
  char *const *h;
  if (strcmp(host, run->source_host) == 0 && port == run->source_port)
    return 1;
  for (h = run->src->allowed_hosts; h && *h; h++) {
    if (strcmp(*h, host) == 0)
      return 1;
  }
  return 0;
}

/* Every "refuse" record: its own span, the redacted URL, outcome
 * "refused", and the details of why (taken over, also on failure). */
static json_t *refusal_record(struct gw_run *run, const char *url,
                              json_t *details) {
  char span[GW_SPAN_ID_MAX], redacted[GW_PATH_MAX];
  int64_t now = clock_now_ms();
  json_t *rec;
  random_hex(8, span, sizeof span);
  redact(run, url, redacted, sizeof redacted);
  rec = span_record(run, "refuse", span, now, now, 0);
  if (!rec || !details ||
      json_object_update_new(rec, json_pack("{s:s, s:s}", "url", redacted,
                                            "outcome", "refused")) != 0 ||
      json_object_update(rec, details) != 0) {
    json_decref(rec);
    rec = NULL;
  }
  json_decref(details);
  return rec;
}

static void log_refusal(struct gw_run *run, const char *url,
                        const char *reason) {
  log_record(run,
             refusal_record(run, url, json_pack("{s:s}", "error", reason)));
}

/* https only, and only to the source's own origin or an allowed host:
 * a nextLink is data from the source and must not steer us elsewhere. */
static int check_url(struct gw_run *run, const char *url) {
  char host[256], reason[768], redacted[GW_PATH_MAX];
  int port = 0;
  redact(run, url, redacted, sizeof redacted);
  /* Whether the file lies inside the folder is decided on the resolved
   * path by drop_folder_fetch(); here only: does this source have one. */
  if (drop_folder_is_file_url(url) && run->src->drop_folder)
    return 0;
  if (!url_https_origin(url, host, sizeof host, &port)) {
    text_format(reason, sizeof reason,
                "refusing to fetch %s: only https URLs are allowed", redacted);
  } else if (!host_allowed(run, host, port)) {
    text_format(reason, sizeof reason,
                "refusing to fetch %s: host %s:%d is not the source's host "
                "(%s:%d) and not in allowed_hosts",
                redacted, host, port, run->source_host, run->source_port);
  } else {
    return 0;
  }
  log_refusal(run, url, reason);
  run_fail(run, "%s: %s", run->src->id, reason);
  return -1;
}

struct validators {
  char etag[GW_ETAG_MAX];
  char last_modified[GW_HTTPDATE_MAX];
  char sha256[GW_SHA256_HEX_SIZE];
  char path[GW_PATH_MAX];
  int usable;
};

/* Conditional GET only makes sense while the old body is still spooled:
 * a 304 must be answerable from disk. */
static void load_validators(struct gw_run *run, const char *url, uint32_t flags,
                            struct validators *v) {
  char err[GW_ERR_MAX];
  memset(v, 0, sizeof *v);
  if (flags & GW_FETCH_NO_CONDITIONAL)
    return;
  if (store_get_validator(run->app->store, url, v->etag, sizeof v->etag,
                          v->last_modified, sizeof v->last_modified, v->sha256,
                          sizeof v->sha256, err, sizeof err) != 0)
    return;
  if (!v->sha256[0] ||
      spool_path(run->spool_dir, v->sha256, v->path, sizeof v->path) != 0 ||
      access(v->path, R_OK) != 0)
    return;
  v->usable = v->etag[0] || v->last_modified[0];
}

static int build_headers(struct gw_run *run, const char *const *extra,
                         const char *span, char traceparent[128],
                         const char *headers[MAX_PLUGIN_HEADERS + 3]) {
  size_t n = 0;
  static const char user_agent[] = "User-Agent: indicator-gateway/" GW_VERSION;
  for (; extra && extra[n]; n++) {
    if (n >= MAX_PLUGIN_HEADERS) {
      run_fail(run, "%s: plugin passed more than %d headers", run->src->id,
               MAX_PLUGIN_HEADERS);
      return -1;
    }
    headers[n] = extra[n];
  }
  text_format(traceparent, 128, "traceparent: 00-%s-%s-01", run->trace_id,
              span);
  headers[n++] = traceparent;
  headers[n++] = user_agent;
  headers[n] = NULL;
  return 0;
}

static json_t *fetch_record(struct gw_run *run, const char *url,
                            const char *span, int attempt, int64_t start,
                            int64_t end, const struct gw_transport_result *res,
                            const char *sha) {
  char redacted[GW_PATH_MAX];
  json_t *rec =
      span_record(run, "fetch", span, start, end, res->outcome == GW_OK);
  if (!rec)
    return NULL;
  redact(run, url, redacted, sizeof redacted);
  if (json_object_update_new(
          rec,
          json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:s, s:I, s:s?, s:b, s:s, "
                    "s:s?}",
                    "url", redacted, "attempt", attempt, "http_status",
                    (json_int_t)res->http_status, "tls_version",
                    res->tls_version, "peer_cert_sha256", res->peer_cert_sha256,
                    "peer_subject", res->peer_subject, "peer_oin",
                    res->peer_oin, "bytes", (json_int_t)res->bytes,
                    "payload_sha256", sha && sha[0] ? sha : NULL,
                    "not_modified", res->not_modified, "outcome",
                    res->outcome == GW_OK      ? "ok"
                    : res->outcome == GW_RETRY ? "retry"
                                               : "fail",
                    "error", res->error[0] ? res->error : NULL)) != 0) {
    json_decref(rec);
    return NULL;
  }
  return rec;
}

static void log_privacy_refusal(struct gw_run *run, const char *url,
                                const char *sha,
                                const struct gw_privacy_finding *f,
                                const char *quarantined) {
  log_record(run,
             refusal_record(
                 run, url,
                 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?}",
                           "payload_sha256", sha, "reason", "person-level data",
                           "finding", f->kind, "format", f->format,
                           "field_path", f->path, "value_hash_salted",
                           f->value_hash, "quarantine", quarantined)));
}

/* DESIGN 10: the gateway holds aggregates only. A payload that looks
 * person-level is refused whole, before any plugin reads it, and moved
 * out of the spool; the log gets the field path and a salted hash, never
 * the value. */
static int guard_payload(struct gw_run *run, const char *url, const char *path,
                         const char *sha) {
  struct gw_privacy_finding finding;
  char err[GW_ERR_MAX], moved[GW_PATH_MAX];
  int found = privacy_scan_file(path, &run->privacy, &finding, err, sizeof err);
  if (found == 0)
    return 0;
  if (found < 0) {
    run_fail(run, "%s: privacy guard could not scan the payload of %s: %s",
             run->src->id, url, err);
    return -1;
  }
  if (run->replay) {
    /* A replay changes nothing, the spool included: say it, move nothing. */
    run_fail(run,
             "%s: the privacy guard refuses the payload %s of %s now: it "
             "holds person-level data (%s at %s); it was left in the spool",
             run->src->id, sha, url, finding.kind, finding.path);
    return -1;
  }
  if (privacy_quarantine(path, run->app->cfg->privacy_quarantine_dir, sha,
                         moved, sizeof moved, err, sizeof err) != 0) {
    diag(GW_LOG_ERROR, "%s: %s", run->src->id, err);
    moved[0] = '\0';
  }
  log_privacy_refusal(run, url, sha, &finding, moved[0] ? moved : NULL);
  run_fail(run,
           "%s: refused the payload of %s: it holds person-level data (%s "
           "at %s); quarantined%s%s",
           run->src->id, url, finding.kind, finding.path,
           moved[0] ? " as " : " (failed, see above)", moved);
  return -1;
}

/* One attempt at url, with its own span, recorded in the exchange log.
 * 0, or -1 when the record could not be written (the run has failed). */
static int fetch_attempt(struct gw_run *run, const struct gw_fetch_request *req,
                         const struct validators *v, int attempt,
                         char span[GW_SPAN_ID_MAX],
                         struct gw_transport_result *res) {
  struct gw_transport_request treq;
  const char *headers[MAX_PLUGIN_HEADERS + 3];
  char traceparent[128];
  int64_t start, end;
  random_hex(8, span, GW_SPAN_ID_MAX);
  if (build_headers(run, req->headers, span, traceparent, headers) != 0)
    return -1;
  memset(res, 0, sizeof *res);
  treq = (struct gw_transport_request){
      .url = req->url,
      .headers = headers,
      .if_none_match = v->usable ? v->etag : NULL,
      .if_modified_since = v->usable ? v->last_modified : NULL,
      .spool_dir = run->spool_dir};
  start = clock_now_ms();
  if (drop_folder_is_file_url(req->url))
    drop_folder_fetch(req->url, run->src->drop_folder, run->spool_dir,
                      v->usable ? v->etag : NULL, run->src->limits.max_bytes,
                      res);
  else
    transport_fetch(run->transport, &treq, res);
  /* Transport errors quote the URL ("... (GET <url>)") and go to the log,
   * the run's error and the journal. */
  run_redact_text(run, res->error, sizeof res->error);
  end = clock_now_ms();
  run->last_http_status = res->http_status;
  if (res->not_modified && !v->usable) {
    res->outcome = GW_FAIL;
    text_copy(res->error, sizeof res->error,
              "server answered 304 Not Modified to an unconditional request");
  }
  if (log_record(run,
                 fetch_record(run, req->url, span, attempt, start, end, res,
                              res->not_modified ? v->sha256
                                                : res->payload_sha256)) != 0)
    return -1;
  run->summary->pages++;
  run->summary->bytes += res->bytes;
  if (attempt > 1)
    run->summary->retries++;
  notify_progress(run, 0);
  return 0;
}

/* The same URL again after a transient failure, as the source's retry
 * policy allows: a paged source resumes at the page that failed instead
 * of starting over. *attempts says how many were made. 0, or -1 when the
 * exchange log failed. */
static int fetch_with_retries(struct gw_run *run,
                              const struct gw_fetch_request *req,
                              const struct validators *v,
                              char span[GW_SPAN_ID_MAX],
                              struct gw_transport_result *res, int *attempts,
                              char *why, size_t why_size) {
  char redacted[GW_PATH_MAX];
  int64_t first = clock_now_ms();
  long delay;
  redact(run, req->url, redacted, sizeof redacted);
  for (*attempts = 1;; ++*attempts) {
    if (stopping(run) || fetch_attempt(run, req, v, *attempts, span, res) != 0)
      return -1;
    if (res->outcome == GW_OK ||
        !retry_next(&run->src->retry, res->outcome, res->http_status,
                    res->retry_after_s, *attempts,
                    (long)(clock_now_ms() - first), NULL, &delay, why,
                    why_size))
      return 0;
    diag(GW_LOG_WARN,
         "%s: attempt %d at %s failed (%s); trying again in %ld ms",
         run->src->id, *attempts, redacted,
         res->error[0] ? res->error : "no detail", delay);
    retry_sleep_ms(delay);
  }
}

/* A request the original run made and that failed: the plugin gets the
 * same answer, so a 4xx it chose to skip is skipped again. */
static gw_result replay_failed_fetch(struct gw_run *run,
                                     const struct gw_replay_fetch *f,
                                     const char *redacted) {
  const char *why = f->error ? f->error : "no detail recorded";
  run->last_http_status = f->http_status;
  if (f->http_status >= 400 && f->http_status < 500) {
    text_format(run->last_fetch_error, sizeof run->last_fetch_error,
                "%s: fetching %s failed in the original run: %s", run->src->id,
                redacted, why);
    return GW_FAIL;
  }
  run_fail(run,
           "%s: fetching %s failed in the original run (%s): it has no "
           "payload to replay beyond this point",
           run->src->id, redacted, why);
  return GW_FAIL;
}

/* Replay mode (run.h): the answer comes from the spool, by the digest the
 * original run logged for this URL, and is checked against it first. */
static gw_result replay_fetch(struct gw_run *run,
                              const struct gw_fetch_request *req,
                              struct gw_payload **out) {
  const struct gw_replay_plan *plan = run->replay->plan;
  struct gw_replay_fetch *f;
  char redacted[GW_PATH_MAX], path[GW_PATH_MAX], err[GW_ERR_MAX];
  uint64_t bytes = 0;
  redact(run, req->url, redacted, sizeof redacted);
  f = replay_plan_take(run->replay->plan, redacted);
  if (!f) {
    run_fail(run,
             "%s: the plugin asks for %s, which run %s did not fetch "
             "(the plugin or the source's configuration has changed since); "
             "replay never goes to the network",
             run->src->id, redacted, plan->trace_id);
    return GW_FAIL;
  }
  run->summary->pages++;
  if (!f->ok)
    return replay_failed_fetch(run, f, redacted);
  run->last_http_status = f->http_status;
  if (spool_path(run->spool_dir, f->sha256, path, sizeof path) != 0) {
    run_fail(run, "%s: spool path too long", run->src->id);
    return GW_FAIL;
  }
  errno = 0;
  *out =
      payload_open(run, path, req->url, f->sha256, f->span_id, f->not_modified);
  if (!*out) {
    if (errno == ENOENT)
      run_fail(run,
               "%s: payload %s of %s is no longer in the spool (pruned "
               "after %lld days?)",
               run->src->id, f->sha256, redacted,
               (long long)run->app->cfg->spool_retention_days);
    else
      run_fail(run, "%s: cannot open spooled payload %s: %s", run->src->id,
               path, errno ? strerror(errno) : "out of memory");
    return GW_FAIL;
  }
  if (replay_verify_stream((*out)->file, f->sha256, &bytes, err, sizeof err) !=
      0) {
    run_fail(run, "%s: spooled payload of %s cannot be trusted: %s",
             run->src->id, redacted, err);
    return GW_FAIL;
  }
  if (f->not_modified)
    run->summary->not_modified++;
  run->summary->bytes += bytes;
  if (guard_payload(run, req->url, path, f->sha256) != 0)
    return GW_FAIL;
  return GW_OK;
}

static const char *empty_as_null(const char *s) {
  return s && *s ? s : NULL;
}

/* DESIGN 9: a peer refused at TLS level (or refusing us) is a refusal,
 * not just a failed fetch: one "refuse" record with the precise reason
 * and whatever was seen of the peer certificate (docs/tls.md). */
static void log_tls_refusal(struct gw_run *run, const char *url,
                            const struct gw_transport_result *res) {
  log_record(
      run,
      refusal_record(
          run, url,
          json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}", "reason",
                    "tls", "error", res->error, "tls_profile",
                    run->src->tls_profile == GW_TLS_DIGIKOPPELING
                        ? "digikoppeling"
                        : "public",
                    "expected_oin", empty_as_null(run->src->expected_oin),
                    "tls_version", empty_as_null(res->tls_version),
                    "peer_cert_sha256", empty_as_null(res->peer_cert_sha256),
                    "peer_subject", empty_as_null(res->peer_subject),
                    "peer_oin", empty_as_null(res->peer_oin))));
}

/* A header whose value came from a secret (an API key) must not be
 * written into the page list on disk. */
static int headers_hold_secret(const struct gw_run *run,
                               const char *const *headers) {
  char *const *secret;
  int found = 0;
  config_secrets_lock();
  for (size_t i = 0; headers && headers[i] && !found; i++) {
    for (secret = run->app->cfg->secrets; secret && *secret && !found; secret++)
      found = strlen(*secret) >= 4 && strstr(headers[i], *secret) != NULL;
  }
  config_secrets_unlock();
  return found;
}

gw_result run_fetch(struct gw_run *run, const struct gw_fetch_request *req,
                    struct gw_payload **out) {
  struct gw_transport_result *res = NULL;
  struct validators v;
  char span[GW_SPAN_ID_MAX], err[GW_ERR_MAX], why[GW_ERR_MAX];
  const char *sha, *path;
  int attempts = 0;
  gw_result rc = GW_FAIL;
  *out = NULL;
  run->last_http_status = 0;
  if (run->fatal)
    return GW_FAIL;
  if (!req || req->size < offsetof(struct gw_fetch_request, flags) ||
      !req->url) {
    run_fail(run, "%s: plugin passed an invalid fetch request", run->src->id);
    return GW_FAIL;
  }
  if (check_url(run, req->url) != 0)
    return GW_FAIL;
  if (run->replay)
    return replay_fetch(run, req, out);
  load_validators(run, req->url, req->size >= sizeof *req ? req->flags : 0, &v);
  res = gw_calloc(1, sizeof *res); /* large: keep it off the stack */
  if (!res) {
    run_fail(run, "%s: out of memory", run->src->id);
    return GW_FAIL;
  }
  if (fetch_with_retries(run, req, &v, span, res, &attempts, why, sizeof why) !=
      0)
    goto out;
  sha = res->not_modified ? v.sha256 : res->payload_sha256;
  path = res->not_modified ? v.path : res->spool_path;
  if (res->outcome != GW_OK) {
    char redacted[GW_PATH_MAX], tries[GW_ERR_MAX + 32] = "";
    redact(run, req->url, redacted, sizeof redacted);
    if (attempts > 1)
      text_format(tries, sizeof tries, " (%s)", why);
    if (res->tls_refused)
      log_tls_refusal(run, req->url, res);
    rc = res->outcome;
    if (rc == GW_FAIL && res->http_status >= 400 && res->http_status < 500) {
      text_format(run->last_fetch_error, sizeof run->last_fetch_error,
                  "%s: fetching %s failed: %s%s", run->src->id, redacted,
                  res->error[0] ? res->error : "client error", tries);
      diag(GW_LOG_WARN, "%s", run->last_fetch_error);
      goto out;
    }
    run_fail(run, "%s: fetching %s failed: %s%s", run->src->id, redacted,
             res->error[0] ? res->error : "unknown transport error", tries);
    goto out;
  }
  if (res->not_modified) {
    run->summary->not_modified++;
    /* Retention counts from the last use, and a 304 is a use. */
    if (spool_touch(run->spool_dir, sha, err, sizeof err) != 0)
      diag(GW_LOG_WARN, "%s: %s", run->src->id, err);
  } else if (guard_payload(run, req->url, path, sha) != 0)
    goto out;
  if (store_run_stage_validator(
          run->store_run, req->url, res->not_modified ? v.etag : res->etag,
          res->not_modified ? v.last_modified : res->last_modified, sha, err,
          sizeof err) != 0) {
    run_fail(run, "%s: %s", run->src->id, err);
    goto out;
  }
  *out = payload_open(run, path, req->url, sha, span, res->not_modified);
  if (!*out) {
    run_fail(run, "%s: cannot open spooled payload %s", run->src->id, path);
    goto out;
  }
  if (run->manifest)
    (void)manifest_note(run->manifest, req->url,
                        req->size >= sizeof *req ? req->flags : 0, req->headers,
                        headers_hold_secret(run, req->headers));
  rc = GW_OK;
out:
  gw_free(res);
  return rc;
}

gw_result run_emit(struct gw_run *run, const struct gw_raw_observation *obs) {
  struct gw_observation o;
  struct gw_normalise_context ctx;
  const struct gw_payload *p;
  char reason[512], where[GW_PATH_MAX + 64], err[GW_ERR_MAX];
  if (run->fatal)
    return GW_FAIL;
  if (!obs || obs->size < sizeof *obs) {
    run_fail(run, "%s: plugin passed an invalid observation", run->src->id);
    return GW_FAIL;
  }
  if (stopping(run))
    return GW_FAIL;
  run->summary->emitted++;
  if (run->summary->emitted - run->rows_at_last_progress >=
      GW_RUN_PROGRESS_ROWS)
    notify_progress(run, 0);
  p = obs->payload;
  ctx = (struct gw_normalise_context){.catalogue = run->app->catalogue,
                                      .source_id = run->src->id,
                                      .plugin = run->plugin->desc->name,
                                      .fetched_at = p ? p->fetched_at : "",
                                      .payload_sha256 = p ? p->sha256 : "",
                                      .span_id = p ? p->span_id : "",
                                      .reject_opaque_periods =
                                          run->src->reject_opaque_periods};
  switch (normalise(&ctx, obs, &o, reason, sizeof reason)) {
  case GW_NORMALISE_UNMAPPED:
    run->summary->unmapped++;
    return GW_OK;
  case GW_NORMALISE_REJECTED:
    text_format(where, sizeof where, "%s row %llu", p ? p->url : "(no payload)",
                (unsigned long long)obs->position);
    run_note_rejection(run, where, reason);
    return GW_OK;
  case GW_NORMALISE_OK:
    break;
  }
  if (small_cells_apply(&run->small_cells, o.unit, &o, reason, sizeof reason) ==
      1) {
    run->summary->suppressed++;
    if (!run->suppression_rule[0])
      text_copy(run->suppression_rule, sizeof run->suppression_rule, reason);
  }
  if (store_run_stage(run->store_run, &o, err, sizeof err) != 0) {
    run_fail(run, "%s: %s", run->src->id, err);
    return GW_FAIL;
  }
  return GW_OK;
}

static const char *result_name(gw_result r) {
  return r == GW_OK ? "ok" : r == GW_RETRY ? "retry" : "fail";
}

static void log_parse(struct gw_run *run, int64_t start, gw_result outcome) {
  json_t *rec = span_record(run, "parse", run->span_id, start, clock_now_ms(),
                            outcome == GW_OK);
  json_t *samples = json_array();
  size_t i;
  if (!rec || !samples) {
    json_decref(samples);
    log_record(run, rec);
    return;
  }
  for (i = 0; i < run->rejects_kept; i++)
    json_array_append_new(samples, json_string(run->rejects[i]));
  json_object_del(rec, "parent_span_id");
  json_object_update_new(
      rec, json_pack("{s:I, s:I, s:I, s:I, s:o, s:I, s:s?, s:s, s:s?}", "pages",
                     (json_int_t)run->summary->pages, "emitted",
                     (json_int_t)run->summary->emitted, "unmapped",
                     (json_int_t)run->summary->unmapped, "rejected",
                     (json_int_t)run->summary->rejected, "rejections", samples,
                     "suppressed", (json_int_t)run->summary->suppressed,
                     "suppression_rule",
                     run->suppression_rule[0] ? run->suppression_rule : NULL,
                     "outcome", result_name(outcome), "error",
                     run->summary->error[0] ? run->summary->error : NULL));
  log_record(run, rec);
}

static void log_store(struct gw_run *run, int64_t start, int committed) {
  char span[GW_SPAN_ID_MAX];
  const struct gw_run_counts *c = &run->summary->store;
  json_t *rec;
  random_hex(8, span, sizeof span);
  rec = span_record(run, "store", span, start, clock_now_ms(), committed);
  if (rec)
    json_object_update_new(rec, json_pack("{s:I, s:I, s:I, s:I, s:s}", "staged",
                                          (json_int_t)c->staged, "inserted",
                                          (json_int_t)c->inserted, "revised",
                                          (json_int_t)c->revised, "unchanged",
                                          (json_int_t)c->unchanged, "outcome",
                                          committed ? "committed" : "aborted"));
  log_record(run, rec);
}

static int setup(struct gw_run *run) {
  char err[GW_CONFIG_ERR_MAX];
  struct gw_tls_settings tls;
  struct gw_transport_limits limits;
  const struct gw_source_config *src = run->src;
  struct gw_app *app = run->app;
  run->plugin = plugin_registry_find(app->plugins, src->plugin);
  if (!run->plugin) {
    run_fail(run,
             "%s: plugin \"%s\" is not loaded from %s (see `gateway "
             "plugins`)",
             src->id, src->plugin, app->cfg->plugin_dir);
    return -1;
  }
  err[0] = '\0';
  if (config_check_params(app->cfg, src, run->plugin->desc->config_keys, err,
                          sizeof err) > 0 ||
      plugin_config_new(app->cfg, src, run->plugin->desc->config_keys,
                        &run->plugin_config, err, sizeof err) != 0) {
    run_fail(run, "%s", err);
    return -1;
  }
  if ((run->replay
           ? text_copy(run->trace_id, sizeof run->trace_id,
                       run->replay->trace_id)
           : random_hex(16, run->trace_id, sizeof run->trace_id)) != 0 ||
      random_hex(8, run->span_id, sizeof run->span_id) != 0 ||
      text_format(run->spool_dir, sizeof run->spool_dir, "%s/spool",
                  app->cfg->data_dir) != 0 ||
      (!drop_folder_is_file_url(src->url) &&
       !url_https_origin(src->url, run->source_host, sizeof run->source_host,
                         &run->source_port))) {
    run_fail(run, "%s: cannot prepare the run (source url %s)", src->id,
             src->url);
    return -1;
  }
  text_copy(run->summary->run_id, sizeof run->summary->run_id, run->trace_id);
  run->small_cells.min_count = app->cfg->privacy_min_count;
  if (privacy_load_or_create_salt(app->cfg->data_dir, run->privacy.salt, err,
                                  sizeof err) != 0) {
    run_fail(run, "%s: privacy guard: %s", src->id, err);
    return -1;
  }
  /* The trust anchors and client identity are global; the profile and the
   * peer identity we expect belong to the source. */
  tls = app->cfg->tls;
  tls.profile = src->tls_profile;
  tls.expected_oin = src->expected_oin;
  tls.crl_file = src->crl_file;
  limits = src->limits;
  limits.proxy = src->proxy;
  /* A replay has no transport at all: it cannot reach the network. */
  if ((!run->replay &&
       transport_new(&tls, &limits, &run->transport, err, sizeof err) != 0) ||
      store_run_begin(app->store, src->id, run->trace_id, &run->store_run, err,
                      sizeof err) != 0) {
    run_fail(run, "%s: %s", src->id, err);
    return -1;
  }
  return 0;
}

/* One conditional GET of a page of the last committed run: 1 when it
 * answered 304 (its payload is kept in the spool as used), 0 otherwise. */
static int page_not_modified(struct gw_run *run,
                             const struct gw_manifest_page *page) {
  struct gw_fetch_request req = {.size = sizeof req,
                                 .url = page->url,
                                 .headers = (const char *const *)page->headers,
                                 .flags = page->flags};
  struct gw_transport_result *res;
  struct validators v;
  char span[GW_SPAN_ID_MAX], err[GW_ERR_MAX];
  int unchanged = 0;
  if (check_url(run, page->url) != 0)
    return 0;
  load_validators(run, page->url, page->flags, &v);
  if (!v.usable || !(res = gw_calloc(1, sizeof *res)))
    return 0;
  if (fetch_attempt(run, &req, &v, 1, span, res) == 0 &&
      res->outcome == GW_OK && res->not_modified) {
    run->summary->not_modified++;
    if (spool_touch(run->spool_dir, v.sha256, err, sizeof err) != 0)
      diag(GW_LOG_WARN, "%s: %s", run->src->id, err);
    unchanged = 1;
  }
  gw_free(res);
  return unchanged;
}

/* 1 when every page of the source's last committed run answered 304 and
 * nothing else that decides the stored result changed (run_manifest.h):
 * the store is current and the plugin need not run. Anything else, even
 * an error, means 0: the full run that follows judges it. */
static int source_unchanged(struct gw_run *run) {
  struct gw_manifest *saved = NULL;
  size_t i;
  int unchanged = 0;
  if (!run->manifest || run->manifest->unusable ||
      manifest_load(run->app, run->src->id, run->manifest->fingerprint,
                    &saved) != 1)
    return 0;
  for (i = 0; i < saved->count && !run->fatal && !stopping(run); i++) {
    if (!page_not_modified(run, &saved->pages[i]))
      break;
    notify_progress(run, 0);
  }
  unchanged = i == saved->count && !run->fatal;
  manifest_free(saved);
  return unchanged;
}

static void log_unchanged(struct gw_run *run, int64_t start) {
  json_t *parse =
      span_record(run, "parse", run->span_id, start, clock_now_ms(), 1);
  char span[GW_SPAN_ID_MAX];
  json_t *store;
  if (parse) {
    json_object_del(parse, "parent_span_id");
    json_object_update_new(
        parse, json_pack("{s:I, s:I, s:s, s:s}", "pages",
                         (json_int_t)run->summary->pages, "emitted",
                         (json_int_t)0, "outcome", "skipped", "reason",
                         "every page of the last committed run answered 304 "
                         "Not Modified; the stored data is current"));
  }
  if (log_record(run, parse) != 0)
    return;
  random_hex(8, span, sizeof span);
  store = span_record(run, "store", span, clock_now_ms(), clock_now_ms(), 1);
  if (store)
    json_object_update_new(
        store, json_pack("{s:I, s:I, s:I, s:I, s:s}", "staged", (json_int_t)0,
                         "inserted", (json_int_t)0, "revised", (json_int_t)0,
                         "unchanged", (json_int_t)0, "outcome", "unchanged"));
  log_record(run, store);
}

/* Before a full run the saved page list goes: a run killed after its
 * commit must not leave the list of an older run behind. */
static int prepare_manifest(struct gw_run *run) {
  char err[GW_ERR_MAX];
  if (run->replay)
    return 0;
  run->manifest = manifest_new();
  if (!run->manifest ||
      manifest_fingerprint(run->app, run->plugin->sha256,
                           run->manifest->fingerprint, err, sizeof err) != 0) {
    if (run->manifest)
      run->manifest->unusable = 1;
    diag(GW_LOG_WARN, "%s: %s; every page will be parsed", run->src->id,
         run->manifest ? err : "out of memory");
  }
  return 0;
}

static void drop_saved_manifest(struct gw_run *run) {
  char err[GW_ERR_MAX];
  if (run->manifest &&
      manifest_remove(run->app, run->src->id, err, sizeof err) != 0)
    run_fail(run, "%s: %s (a stale page list could hide a change)",
             run->src->id, err);
}

static void save_manifest(struct gw_run *run) {
  char err[GW_ERR_MAX];
  if (run->manifest && manifest_save(run->app, run->src->id, run->manifest, err,
                                     sizeof err) != 0)
    diag(GW_LOG_WARN, "%s: %s; the next run parses every page", run->src->id,
         err);
}

static gw_result call_plugin(struct gw_run *run) {
  const struct gw_plugin_descriptor *d = run->plugin->desc;
  void *ctx = NULL;
  gw_result r = d->init(host_api(), run->plugin_config, &ctx);
  if (r != GW_OK) {
    run_fail(run, "%s: plugin %s could not start (see messages above)",
             run->src->id, d->name);
    return r;
  }
  r = d->run(ctx, run);
  d->destroy(ctx);
  if (r != GW_OK && !run->summary->error[0] && run->last_fetch_error[0])
    run_fail(run, "%s", run->last_fetch_error);
  else if (r != GW_OK && !run->summary->error[0])
    run_fail(run, "%s: plugin %s ended with %s (see messages above)",
             run->src->id, d->name, result_name(r));
  return r;
}

/* Replay mode: compare, never commit. */
static void finish_replay(struct gw_run *run, gw_result outcome) {
  struct gw_replay_request *r = run->replay;
  char err[GW_ERR_MAX];
  if (outcome == GW_OK && !run->fatal &&
      store_run_diff(run->store_run, r->max_changes, r->on_change, r->user,
                     &r->diff, err, sizeof err) != 0)
    run_fail(run, "%s: %s", run->src->id, err);
  store_run_abort(run->store_run);
  run->store_run = NULL;
}

static void finish(struct gw_run *run, gw_result outcome, int64_t start) {
  char now[GW_TIME_MAX], err[GW_ERR_MAX];
  int64_t store_start = clock_now_ms();
  if (run->replay) {
    finish_replay(run, outcome);
    return;
  }
  log_parse(run, start, outcome);
  if (outcome == GW_OK && !run->fatal) {
    clock_now_rfc3339(now, sizeof now);
    if (store_run_commit(run->store_run, now, &run->summary->store, err,
                         sizeof err) != 0)
      run_fail(run, "%s: %s", run->src->id, err);
    run->store_run = NULL;
    log_store(run, store_start, !run->fatal);
  } else if (run->store_run) {
    store_run_abort(run->store_run);
    run->store_run = NULL;
    log_store(run, store_start, 0);
  }
}

static void record_history(struct gw_run *run, const char *started) {
  char ended[GW_TIME_MAX], err[GW_ERR_MAX];
  const struct gw_run_summary *s = run->summary;
  struct gw_run_record rec = {.run_id = s->run_id[0] ? s->run_id : "-",
                              .source_id = s->source_id,
                              .started_at = started,
                              .ended_at = ended,
                              .outcome = result_name(s->outcome),
                              .error = s->error[0] ? s->error : NULL,
                              .pages = s->pages,
                              .bytes = s->bytes,
                              .emitted = s->emitted,
                              .stored = s->store.inserted + s->store.revised,
                              .rejected = s->rejected,
                              .seconds = s->seconds,
                              .retries = s->retries};
  clock_now_rfc3339(ended, sizeof ended);
  if (run->app->store &&
      store_record_run(run->app->store, &rec, err, sizeof err) != 0)
    diag(GW_LOG_WARN, "%s: could not record run history: %s", s->source_id,
         err);
}

gw_result run_source(struct gw_app *app, const struct gw_source_config *src,
                     struct gw_run_summary *summary) {
  return run_source_observed(app, src, NULL, summary);
}

static gw_result run_any(struct gw_app *app, const struct gw_source_config *src,
                         const struct gw_run_observer *observer,
                         struct gw_replay_request *replay,
                         struct gw_run_summary *summary) {
  struct gw_run run;
  char started[GW_TIME_MAX];
  double t0 = clock_monotonic();
  int64_t start_ms = clock_now_ms();
  gw_result outcome = GW_FAIL;
  memset(&run, 0, sizeof run);
  memset(summary, 0, sizeof *summary);
  run.app = app;
  run.src = src;
  run.summary = summary;
  run.observer = observer;
  run.replay = replay;
  run.started = t0;
  text_copy(summary->source_id, sizeof summary->source_id, src->id);
  clock_now_rfc3339(started, sizeof started);
  if (!stopping(&run) && setup(&run) == 0 && prepare_manifest(&run) == 0) {
    if (source_unchanged(&run)) {
      outcome = GW_OK;
      store_run_abort(run.store_run); /* nothing was staged */
      run.store_run = NULL;
      log_unchanged(&run, start_ms);
    } else {
      drop_saved_manifest(&run);
      outcome = run.fatal ? GW_FAIL : call_plugin(&run);
      if (run.fatal)
        outcome = outcome == GW_OK ? GW_FAIL : outcome;
      finish(&run, outcome, start_ms);
      if (run.fatal && outcome == GW_OK)
        outcome = GW_FAIL;
      if (outcome == GW_OK)
        save_manifest(&run);
    }
    if (run.fatal && outcome == GW_OK)
      outcome = GW_FAIL;
  } else if (run.store_run) {
    store_run_abort(run.store_run);
  }
  summary->outcome = outcome;
  summary->seconds = clock_monotonic() - t0;
  if (!replay) /* the run history is the store's: a replay leaves it */
    record_history(&run, started);
  notify_progress(&run, 1);
  payload_free_all(&run);
  transport_free(run.transport);
  plugin_config_free(run.plugin_config);
  manifest_free(run.manifest);
  return outcome;
}

gw_result run_source_observed(struct gw_app *app,
                              const struct gw_source_config *src,
                              const struct gw_run_observer *observer,
                              struct gw_run_summary *summary) {
  return run_any(app, src, observer, NULL, summary);
}

gw_result run_source_replay(struct gw_app *app,
                            const struct gw_source_config *src,
                            struct gw_replay_request *replay,
                            struct gw_run_summary *summary) {
  return run_any(app, src, NULL, replay, summary);
}
