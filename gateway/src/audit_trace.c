/*
 * audit_trace.c - joining stored revisions with their exchange-log records
 * (contract in audit_trace.h).
 *
 * The log pass is built like `audit show`: a line becomes a candidate only
 * when it contains one of the quoted span ids, run ids or "export", and
 * only candidates are parsed. The records kept are the few that explain
 * the figure, so memory stays small however long the log.
 */
#define _GNU_SOURCE /* memmem (also in the BSDs and POSIX 2024) */
#include "audit_trace.h"
#include "audit_filter.h"
#include "digest.h"
#include "export_internal.h"
#include "gw_alloc.h"
#include "text.h"
#include "xlog_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define NEEDLE_MAX 72 /* a quoted SHA-256 */

enum spool_state { SPOOL_UNCHECKED = 0, SPOOL_ABSENT, SPOOL_OK, SPOOL_DAMAGED };

struct trace_revision {
  struct gw_revision rev;
  int64_t from_ms, to_ms; /* [valid_from, valid_to); INT64_MAX while current */
  json_t *fetches;        /* fetch records of the revision's span */
  json_t *run;            /* the run's other records */
  json_t *exports;        /* exports while this revision was current */
  json_t *prunes;         /* spool retention records that removed the
                             payload */
  enum spool_state spool;
  char spool_path[1024];
  char spool_digest[GW_SHA256_HEX_SIZE];
};

struct audit_trace {
  struct trace_revision *revs;
  size_t n, cap;
  char (*needles)[NEEDLE_MAX];
  size_t n_needles;
  char log_path[1024];
  uint64_t lines, torn, damaged, too_long;
};

struct audit_trace *audit_trace_new(void) {
  return gw_calloc(1, sizeof(struct audit_trace));
}

static void free_revision(struct trace_revision *r) {
  json_decref(r->fetches);
  json_decref(r->run);
  json_decref(r->exports);
  json_decref(r->prunes);
}

void audit_trace_free(struct audit_trace *t) {
  if (!t)
    return;
  for (size_t i = 0; i < t->n; i++)
    free_revision(&t->revs[i]);
  gw_free(t->revs);
  gw_free(t->needles);
  gw_free(t);
}

size_t audit_trace_revisions(const struct audit_trace *t) {
  return t->n;
}

static int add_needle(struct audit_trace *t, const char *value) {
  char needle[NEEDLE_MAX];
  if (!value[0] || text_format(needle, sizeof needle, "\"%s\"", value) != 0)
    return 0; /* nothing to look for (a missing id is a problem later) */
  for (size_t i = 0; i < t->n_needles; i++)
    if (strcmp(t->needles[i], needle) == 0)
      return 0;
  {
    char(*grown)[NEEDLE_MAX] =
        gw_realloc(t->needles, (t->n_needles + 1) * sizeof *grown);
    if (!grown)
      return -1;
    t->needles = grown;
  }
  text_copy(t->needles[t->n_needles++], NEEDLE_MAX, needle);
  return 0;
}

int audit_trace_add(const struct gw_revision *rev, void *trace) {
  struct audit_trace *t = trace;
  struct trace_revision *r;
  if (t->n == t->cap) {
    size_t ncap = t->cap ? t->cap * 2 : 4;
    struct trace_revision *grown = gw_realloc(t->revs, ncap * sizeof *grown);
    if (!grown)
      return -1;
    t->revs = grown;
    t->cap = ncap;
  }
  r = &t->revs[t->n];
  memset(r, 0, sizeof *r);
  r->rev = *rev;
  r->fetches = json_array();
  r->run = json_array();
  r->exports = json_array();
  r->prunes = json_array();
  if (!r->fetches || !r->run || !r->exports || !r->prunes) {
    free_revision(r);
    return -1;
  }
  /* Unparseable validity (a damaged store) keeps the window empty. */
  if (audit_time_parse_ms(rev->validity.valid_from,
                          strlen(rev->validity.valid_from), &r->from_ms) != 0)
    r->from_ms = INT64_MAX;
  if (!rev->validity.valid_to[0])
    r->to_ms = INT64_MAX;
  else if (audit_time_parse_ms(rev->validity.valid_to,
                               strlen(rev->validity.valid_to), &r->to_ms) != 0)
    r->to_ms = INT64_MIN;
  t->n++;
  if (add_needle(t, rev->obs.span_id) != 0 ||
      add_needle(t, rev->validity.run_id) != 0 ||
      add_needle(t, rev->obs.payload_sha256) != 0)
    return -1;
  return 0;
}

/* ---- the log pass ------------------------------------------------------- */

static int is_candidate(const struct audit_trace *t, const char *text,
                        size_t len) {
  if (memmem(text, len, "\"export\"", 8))
    return 1;
  for (size_t i = 0; i < t->n_needles; i++)
    if (memmem(text, len, t->needles[i], strlen(t->needles[i])))
      return 1;
  return 0;
}

static const char *str_member(const json_t *rec, const char *key) {
  const char *s = json_string_value(json_object_get(rec, key));
  return s ? s : "";
}

/* A record with where it sits (segment and line), for an auditor to look
 * it up; the record itself stays as logged. */
static json_t *entry_of(json_t *rec, const struct gw_xlog_line *line) {
  return json_pack("{s:s, s:I, s:O}", "segment", line->segment, "line",
                   (json_int_t)line->line_no, "record", rec);
}

/* The members of an export record that say what was published. */
static json_t *export_summary(const json_t *entry) {
  static const char *const keys[] = {"seq",        "time",  "feed",
                                     "format",     "count", "payload_sha256",
                                     "destination"};
  const json_t *rec = json_object_get(entry, "record");
  json_t *out =
      json_pack("{s:O, s:O}", "segment", json_object_get(entry, "segment"),
                "line", json_object_get(entry, "line"));
  for (size_t i = 0; out && i < sizeof keys / sizeof keys[0]; i++) {
    json_t *v = json_object_get(rec, keys[i]);
    if (v && json_object_set(out, keys[i], v) != 0) {
      json_decref(out);
      return NULL;
    }
  }
  return out;
}

/* 1 when a spool retention record lists sha among the payloads it
 * removed. */
static int prunes_payload(const json_t *rec, const char *sha) {
  const json_t *list = json_object_get(rec, "payloads"), *v;
  size_t i;
  if (strcmp(str_member(rec, "event"), "prune") != 0 || !sha[0])
    return 0;
  json_array_foreach(list, i, v) {
    if (json_is_string(v) && strcmp(json_string_value(v), sha) == 0)
      return 1;
  }
  return 0;
}

static int attach(struct audit_trace *t, json_t *entry) {
  const json_t *rec = json_object_get(entry, "record");
  const char *event = str_member(rec, "event");
  const char *span = str_member(rec, "span_id");
  const char *trace = str_member(rec, "trace_id");
  int is_fetch = strcmp(event, "fetch") == 0;
  int is_export = strcmp(event, "export") == 0 &&
                  strcmp(str_member(rec, "outcome"), "ok") == 0;
  int64_t when = 0;
  const char *time = str_member(rec, "time");
  if (is_export && audit_time_parse_ms(time, strlen(time), &when) != 0)
    is_export = 0;
  for (size_t i = 0; i < t->n; i++) {
    struct trace_revision *r = &t->revs[i];
    if (is_fetch && span[0] && strcmp(span, r->rev.obs.span_id) == 0) {
      if (json_array_append(r->fetches, entry) != 0)
        return -1;
    } else if (!is_fetch && trace[0] &&
               strcmp(trace, r->rev.validity.run_id) == 0) {
      if (json_array_append(r->run, entry) != 0)
        return -1;
    }
    if (prunes_payload(rec, r->rev.obs.payload_sha256) &&
        json_array_append(r->prunes, entry) != 0)
      return -1;
    if (is_export && when >= r->from_ms && when < r->to_ms) {
      json_t *summary = export_summary(entry);
      if (!summary || json_array_append_new(r->exports, summary) != 0)
        return -1;
    }
  }
  return 0;
}

static int scan_line(struct audit_trace *t, const struct gw_xlog_line *line,
                     char *err, size_t err_size) {
  json_t *rec, *entry;
  int rc;
  t->lines++;
  if (line->kind == XLOG_LINE_TORN) {
    t->torn++;
    return 0;
  }
  if (line->kind == XLOG_LINE_TOO_LONG) {
    t->too_long++;
    return 0;
  }
  if (!is_candidate(t, line->text, line->len))
    return 0;
  rec = json_loadb(line->text, line->len, 0, NULL);
  if (!json_is_object(rec)) {
    json_decref(rec);
    t->damaged++;
    return 0;
  }
  entry = entry_of(rec, line);
  rc = !entry || attach(t, entry) != 0 ? -1 : 0;
  json_decref(entry);
  json_decref(rec);
  if (rc != 0)
    text_copy(err, err_size, "audit trace: out of memory");
  return rc;
}

int audit_trace_scan_log(struct audit_trace *t, const char *log_path, char *err,
                         size_t err_size) {
  struct gw_xlog_reader *reader = NULL;
  struct gw_xlog_line line;
  int step, rc = -1;
  text_copy(t->log_path, sizeof t->log_path, log_path);
  if (xlog_reader_open(log_path, &reader, err, err_size) != 0)
    goto out;
  while ((step = xlog_reader_next(reader, &line, err, err_size)) == 1)
    if (scan_line(t, &line, err, err_size) != 0)
      goto out;
  if (step < 0)
    goto out;
  rc = 0;
out:
  xlog_reader_close(reader);
  return rc;
}

void audit_trace_check_spool(struct audit_trace *t, const char *spool_dir) {
  for (size_t i = 0; i < t->n; i++) {
    struct trace_revision *r = &t->revs[i];
    struct stat st;
    if (!r->rev.obs.payload_sha256[0] ||
        text_format(r->spool_path, sizeof r->spool_path, "%s/%s", spool_dir,
                    r->rev.obs.payload_sha256) != 0)
      continue;
    if (stat(r->spool_path, &st) != 0 || !S_ISREG(st.st_mode)) {
      r->spool = SPOOL_ABSENT;
      continue;
    }
    r->spool = sha256_file_hex(r->spool_path, r->spool_digest, NULL) == 0 &&
                       strcmp(r->spool_digest, r->rev.obs.payload_sha256) == 0
                   ? SPOOL_OK
                   : SPOOL_DAMAGED;
  }
}

/* ---- the document ------------------------------------------------------- */

/* The problems of one revision, and the count over the whole trace. */
struct problems {
  json_t *list;
  size_t *count;
  int failed;
};

static void problem(struct problems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct problems *p, const char *fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  /* Truncating a long message is acceptable; vsnprintf terminates it. */
  (void)vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (json_array_append_new(p->list, json_string(text)) != 0)
    p->failed = 1;
  (*p->count)++;
}

static json_t *number_or_null(int present, double v) {
  char text[EXPORT_NUMBER_MAX];
  if (!present || export_number_text(v, text, sizeof text) != 0)
    return json_null();
  return json_real(v);
}

/* The fetch that delivered the payload: the last successful attempt of
 * the span (earlier attempts may have failed and been retried). */
static json_t *delivering_fetch(const struct trace_revision *r) {
  json_t *best = NULL, *entry;
  size_t i;
  json_array_foreach(r->fetches, i, entry) {
    if (!best || strcmp(str_member(json_object_get(entry, "record"), "outcome"),
                        "ok") == 0)
      best = entry;
  }
  return best;
}

static void check_chain(const struct audit_trace *t,
                        const struct trace_revision *r, json_t *fetch,
                        struct problems *p) {
  const struct gw_observation *o = &r->rev.obs;
  int has_store = 0;
  size_t i;
  json_t *entry;
  if (!o->span_id[0])
    problem(p,
            "revision %ld: the store names no fetch span (stored by a "
            "gateway without provenance)",
            o->revision);
  else if (!fetch)
    problem(p,
            "revision %ld: the exchange log %s has no fetch record with "
            "span_id %s: the segment holding it was rotated away or removed, "
            "or the log was tampered with (run `gateway audit verify`)",
            o->revision, t->log_path, o->span_id);
  else if (strcmp(
               str_member(json_object_get(fetch, "record"), "payload_sha256"),
               o->payload_sha256) != 0)
    problem(p,
            "revision %ld: the fetch record's payload_sha256 %s differs from "
            "the store's %s",
            o->revision,
            str_member(json_object_get(fetch, "record"), "payload_sha256"),
            o->payload_sha256);
  json_array_foreach(r->run, i, entry) {
    if (strcmp(str_member(json_object_get(entry, "record"), "event"),
               "store") == 0)
      has_store = 1;
  }
  if (!has_store)
    problem(p,
            "revision %ld: the exchange log has no store record of run %s "
            "(rotated away, removed or tampered with)",
            o->revision, r->rev.validity.run_id);
  if (r->spool == SPOOL_DAMAGED)
    problem(p,
            "revision %ld: the spooled payload %s does not hash to its name "
            "(%s): it was changed after it was stored",
            o->revision, r->spool_path, r->spool_digest);
}

static json_t *spool_json(const struct trace_revision *r) {
  static const char *const states[] = {"unchecked", "absent", "verified",
                                       "damaged"};
  return json_pack("{s:s, s:s, s:O}", "path", r->spool_path, "state",
                   states[r->spool], "prune_records", r->prunes);
}

static json_t *revision_json(const struct audit_trace *t,
                             const struct trace_revision *r, size_t *count) {
  const struct gw_observation *o = &r->rev.obs;
  const struct gw_validity *v = &r->rev.validity;
  json_t *fetch = delivering_fetch(r), *list = json_array(), *out;
  struct problems mine = {list, count, 0};
  if (!list)
    return NULL;
  check_chain(t, r, fetch, &mine);
  out = json_pack(
      "{s:I, s:o, s:s, s:s, s:o, s:o, s:s, s:s?, s:s, s:s, s:s, s:s, s:O?, "
      "s:O, s:o, s:O, s:O, s:o}",
      "revision", (json_int_t)o->revision, "value",
      number_or_null(o->has_value, o->value), "unit", o->unit, "status",
      status_name(o->status), "ci_low",
      number_or_null(o->has_ci_low, o->ci_low), "ci_high",
      number_or_null(o->has_ci_high, o->ci_high), "valid_from", v->valid_from,
      "valid_to", v->valid_to[0] ? v->valid_to : NULL, "run_id", v->run_id,
      "span_id", o->span_id, "payload_sha256", o->payload_sha256, "fetched_at",
      o->fetched_at, "fetch", fetch, "fetch_records", r->fetches, "spool",
      spool_json(r), "run_records", r->run, "exports", r->exports, "problems",
      list);
  if (mine.failed) {
    json_decref(out);
    return NULL;
  }
  return out;
}

static json_t *figure_json(const struct trace_revision *first) {
  const struct gw_observation *o = &first->rev.obs;
  json_t *breakdown =
      json_loads(o->breakdown[0] ? o->breakdown : "{}", 0, NULL);
  return json_pack(
      "{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:[]}", "indicator",
      o->indicator, "area", o->area, "period", o->period, "breakdown",
      breakdown ? breakdown : json_object(), "source", o->source_id, "plugin",
      o->plugin, "dataset", o->dataset, "source_code", o->source_code,
      "area_level", area_level_name(o->area_level), "revisions");
}

static int same_figure(const struct trace_revision *a,
                       const struct trace_revision *b) {
  return strcmp(a->rev.obs.breakdown, b->rev.obs.breakdown) == 0 &&
         strcmp(a->rev.obs.source_id, b->rev.obs.source_id) == 0;
}

json_t *audit_trace_document(const struct audit_trace *t, size_t *problems) {
  size_t count = 0;
  json_t *doc, *figures = json_array(), *figure = NULL;
  doc = json_pack("{s:s, s:{s:I, s:I, s:I, s:I}, s:b, s:O}", "log", t->log_path,
                  "log_lines", "read", (json_int_t)t->lines, "torn",
                  (json_int_t)t->torn, "damaged", (json_int_t)t->damaged,
                  "too_long", (json_int_t)t->too_long, "complete", 0, "figures",
                  figures);
  if (!doc || !figures)
    goto fail;
  for (size_t i = 0; i < t->n; i++) {
    json_t *rev;
    if (i == 0 || !same_figure(&t->revs[i - 1], &t->revs[i])) {
      figure = figure_json(&t->revs[i]);
      if (!figure || json_array_append_new(figures, figure) != 0)
        goto fail;
    }
    rev = revision_json(t, &t->revs[i], &count);
    if (!rev ||
        json_array_append_new(json_object_get(figure, "revisions"), rev) != 0)
      goto fail;
  }
  if (json_object_set_new(doc, "complete", json_boolean(count == 0)) != 0)
    goto fail;
  json_decref(figures);
  if (problems)
    *problems = count;
  return doc;
fail:
  json_decref(figures);
  json_decref(doc);
  return NULL;
}
