/*
 * replay_plan.c - reading a past run back from the exchange log (see
 * replay_plan.h).
 *
 * The log is read with xlog_reader.h, all segments oldest first. Most
 * lines belong to other runs, so a line is only parsed when its text
 * mentions the trace id or a plugin_load.
 */
#include "replay_plan.h"
#include "gw_alloc.h"
#include "text.h"
#include "xlog_reader.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define VERIFY_CHUNK 65536

struct plugin_seen {
  char name[GW_ID_MAX];
  char sha256[GW_SHA256_HEX_SIZE];
};

/* State of one pass over the log. */
struct reader {
  struct gw_replay_plan *plan;
  struct plugin_seen *plugins; /* latest plugin_load per plugin, so far */
  size_t plugin_count;
  int found;       /* a record of the trace was seen */
  int run_records; /* of which records only a source run writes */
  char first_event[32];
  char err[512];
};

int replay_is_trace_id(const char *text) {
  size_t i;
  for (i = 0; i < GW_REPLAY_TRACE_HEX - 1; i++) {
    char c = text[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return 0;
  }
  return text[i] == '\0';
}

static const char *member_string(const json_t *rec, const char *key) {
  const char *s = json_string_value(json_object_get(rec, key));
  return s ? s : "";
}

static uint64_t member_count(const json_t *rec, const char *key) {
  json_int_t v = json_integer_value(json_object_get(rec, key));
  return v > 0 ? (uint64_t)v : 0;
}

/* ---- plugin_load records ------------------------------------------------ */

static int remember_plugin(struct reader *r, const json_t *rec) {
  const char *name = member_string(rec, "plugin");
  const char *sha = member_string(rec, "plugin_sha256");
  struct plugin_seen *grown;
  size_t i;
  for (i = 0; i < r->plugin_count; i++)
    if (strcmp(r->plugins[i].name, name) == 0)
      break;
  if (i == r->plugin_count) {
    grown = gw_realloc(r->plugins, (r->plugin_count + 1) * sizeof *grown);
    if (!grown) {
      text_copy(r->err, sizeof r->err, "out of memory reading the log");
      return -1;
    }
    r->plugins = grown;
    r->plugin_count++;
    text_copy(r->plugins[i].name, sizeof r->plugins[i].name, name);
  }
  text_copy(r->plugins[i].sha256, sizeof r->plugins[i].sha256, sha);
  return 0;
}

static const char *plugin_sha(const struct reader *r, const char *name) {
  for (size_t i = 0; i < r->plugin_count; i++)
    if (strcmp(r->plugins[i].name, name) == 0)
      return r->plugins[i].sha256;
  return "";
}

/* ---- the run's records ----------------------------------------------------
 */

static struct gw_replay_fetch *new_fetch(struct gw_replay_plan *plan) {
  struct gw_replay_fetch *grown;
  if (plan->count == plan->cap) {
    size_t cap = plan->cap ? plan->cap * 2 : 16;
    grown = gw_realloc(plan->fetches, cap * sizeof *grown);
    if (!grown)
      return NULL;
    plan->fetches = grown;
    plan->cap = cap;
  }
  grown = &plan->fetches[plan->count++];
  memset(grown, 0, sizeof *grown);
  return grown;
}

static void clear_fetch(struct gw_replay_fetch *f) {
  gw_free(f->url);
  gw_free(f->error);
  memset(f, 0, sizeof *f);
}

/* A retried request logs one record per attempt; only the last attempt
 * says how the request ended, so it replaces the one before. */
static struct gw_replay_fetch *slot_for(struct gw_replay_plan *plan,
                                        const char *url, int attempt) {
  struct gw_replay_fetch *last =
      plan->count ? &plan->fetches[plan->count - 1] : NULL;
  if (attempt > 1 && last && last->attempt == attempt - 1 &&
      strcmp(last->url, url) == 0) {
    clear_fetch(last);
    return last;
  }
  return new_fetch(plan);
}

static int add_fetch(struct reader *r, const json_t *rec) {
  const char *url = member_string(rec, "url");
  const char *sha = member_string(rec, "payload_sha256");
  const char *outcome = member_string(rec, "outcome");
  const char *error = json_string_value(json_object_get(rec, "error"));
  int attempt = (int)json_integer_value(json_object_get(rec, "attempt"));
  struct gw_replay_fetch *f = slot_for(r->plan, url, attempt);
  if (!f || !(f->url = gw_strdup(url)) ||
      (error && !(f->error = gw_strdup(error)))) {
    text_copy(r->err, sizeof r->err, "out of memory reading the log");
    return -1;
  }
  f->attempt = attempt;
  f->http_status =
      (long)json_integer_value(json_object_get(rec, "http_status"));
  f->not_modified = json_is_true(json_object_get(rec, "not_modified"));
  f->ok = strcmp(outcome, "ok") == 0 && strlen(sha) == GW_SHA256_HEX_SIZE - 1;
  if (f->ok)
    text_copy(f->sha256, sizeof f->sha256, sha);
  text_copy(f->span_id, sizeof f->span_id, member_string(rec, "span_id"));
  return 0;
}

static int is_run_event(const char *event) {
  static const char *const events[] = {"fetch", "parse", "store", "refuse",
                                       NULL};
  for (size_t i = 0; events[i]; i++)
    if (strcmp(event, events[i]) == 0)
      return 1;
  return 0;
}

static int take_record(struct reader *r, const json_t *rec) {
  struct gw_replay_plan *plan = r->plan;
  const char *event = member_string(rec, "event");
  if (!r->found) {
    r->found = 1;
    text_copy(r->first_event, sizeof r->first_event, event);
    text_copy(plan->started_at, sizeof plan->started_at,
              member_string(rec, "time"));
  }
  if (!plan->source_id[0])
    text_copy(plan->source_id, sizeof plan->source_id,
              member_string(rec, "source"));
  if (!plan->plugin[0] && member_string(rec, "plugin")[0]) {
    text_copy(plan->plugin, sizeof plan->plugin, member_string(rec, "plugin"));
    text_copy(plan->plugin_sha256, sizeof plan->plugin_sha256,
              plugin_sha(r, plan->plugin));
  }
  if (!is_run_event(event))
    return 0;
  r->run_records++;
  if (strcmp(event, "fetch") == 0)
    return add_fetch(r, rec);
  if (strcmp(event, "store") == 0) {
    text_copy(plan->store_outcome, sizeof plan->store_outcome,
              member_string(rec, "outcome"));
    plan->stored_inserted = member_count(rec, "inserted");
    plan->stored_revised = member_count(rec, "revised");
    plan->stored_unchanged = member_count(rec, "unchanged");
  }
  return 0;
}

/* ---- reading the log -------------------------------------------------- */

static int take_line(struct reader *r, const struct gw_xlog_line *line) {
  const char *trace = r->plan->trace_id;
  json_t *rec;
  const char *event, *rec_trace;
  int rc = 0;
  if (line->kind != XLOG_LINE_RECORD) {
    r->plan->lines_skipped++; /* torn or over-long: no record to read */
    return 0;
  }
  if (!strstr(line->text, trace) &&
      (r->found || !strstr(line->text, "\"plugin_load\"")))
    return 0;
  rec = json_loadb(line->text, line->len, 0, NULL);
  if (!json_is_object(rec)) {
    r->plan->lines_skipped++;
    json_decref(rec);
    return 0;
  }
  event = member_string(rec, "event");
  rec_trace = member_string(rec, "trace_id");
  if (strcmp(rec_trace, trace) == 0)
    rc = take_record(r, rec);
  else if (!r->found && strcmp(event, "plugin_load") == 0)
    rc = remember_plugin(r, rec);
  json_decref(rec);
  return rc;
}

static int read_log(struct reader *r, const char *log_path) {
  struct gw_xlog_reader *xr = NULL;
  struct gw_xlog_line line;
  int step, rc = -1;
  if (xlog_reader_open(log_path, &xr, r->err, sizeof r->err) != 0)
    goto out;
  while ((step = xlog_reader_next(xr, &line, r->err, sizeof r->err)) == 1) {
    if (take_line(r, &line) != 0)
      goto out;
  }
  if (step < 0)
    goto out;
  rc = 0;
out:
  xlog_reader_close(xr);
  return rc;
}

int replay_plan_load(const char *log_path, const char *trace_id,
                     struct gw_replay_plan *plan, char *err, size_t err_size) {
  struct reader r;
  int rc = -1;
  memset(plan, 0, sizeof *plan);
  memset(&r, 0, sizeof r);
  r.plan = plan;
  if (!replay_is_trace_id(trace_id)) {
    text_format(err, err_size, "'%.80s' is not a run id (32 hex digits)",
                trace_id);
    goto out;
  }
  text_copy(plan->trace_id, sizeof plan->trace_id, trace_id);
  if (read_log(&r, log_path) != 0) {
    text_copy(err, err_size, r.err);
    goto out;
  }
  if (!r.found) {
    text_format(err, err_size, "the exchange log %s has no record of run %s",
                log_path, trace_id);
    rc = 1;
    goto out;
  }
  if (r.run_records == 0 || !plan->source_id[0]) {
    text_format(err, err_size,
                "%s is the trace of a '%s' record, not of a source run",
                trace_id, r.first_event);
    goto out;
  }
  rc = 0;
out:
  gw_free(r.plugins);
  return rc;
}

void replay_plan_free(struct gw_replay_plan *plan) {
  if (!plan)
    return;
  for (size_t i = 0; i < plan->count; i++)
    clear_fetch(&plan->fetches[i]);
  gw_free(plan->fetches);
  plan->fetches = NULL;
  plan->count = plan->cap = 0;
}

struct gw_replay_fetch *replay_plan_take(struct gw_replay_plan *plan,
                                         const char *redacted_url) {
  size_t i, k;
  /* A plugin asks in the order it asked before: start where the last
   * answer was found, so a paged source costs one pass, not n^2. */
  for (i = 0; i < plan->count; i++) {
    k = (plan->cursor + i) % plan->count;
    if (!plan->fetches[k].served &&
        strcmp(plan->fetches[k].url, redacted_url) == 0) {
      plan->fetches[k].served = 1;
      plan->cursor = k + 1;
      return &plan->fetches[k];
    }
  }
  for (k = plan->count; k-- > 0;)
    if (strcmp(plan->fetches[k].url, redacted_url) == 0)
      return &plan->fetches[k];
  return NULL;
}

int replay_verify_stream(FILE *stream, const char *sha256, uint64_t *bytes,
                         char *err, size_t err_size) {
  struct gw_sha256 *st = sha256_begin();
  char *buf = gw_malloc(VERIFY_CHUNK), hex[GW_SHA256_HEX_SIZE];
  size_t n;
  int rc = -1;
  *bytes = 0;
  if (!st || !buf) {
    text_copy(err, err_size, "out of memory checking a payload");
    goto out;
  }
  while ((n = fread(buf, 1, VERIFY_CHUNK, stream)) > 0) {
    if (sha256_update(st, buf, n) != 0) {
      text_copy(err, err_size, "cannot compute SHA-256");
      goto out;
    }
    *bytes += n;
  }
  if (ferror(stream)) {
    text_format(err, err_size, "cannot read payload %s", sha256);
    goto out;
  }
  if (sha256_finish_hex(st, hex) != 0) {
    st = NULL;
    text_copy(err, err_size, "cannot compute SHA-256");
    goto out;
  }
  st = NULL;
  if (strcmp(hex, sha256) != 0) {
    text_format(err, err_size,
                "the spool file named %s holds content with SHA-256 %s (it "
                "was altered)",
                sha256, hex);
    goto out;
  }
  clearerr(stream);
  if (fseek(stream, 0, SEEK_SET) != 0) {
    text_format(err, err_size, "cannot rewind payload %s", sha256);
    goto out;
  }
  rc = 0;
out:
  sha256_abort(st);
  gw_free(buf);
  return rc;
}
