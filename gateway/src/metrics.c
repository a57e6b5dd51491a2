/*
 * metrics.c - per-source run counters kept under one mutex and rendered
 * as Prometheus text (metrics.h, docs/metrics.md).
 *
 * Sources live in one array sorted by id, so lookups are a binary search
 * and the exposition is deterministic. Rendering copies the array under
 * the lock and formats the copy without it, so a scrape never holds up a
 * worker reporting a run.
 */
#include "metrics.h"
#include "gw_alloc.h"
#include "text.h"
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SOURCE_ID_SIZE sizeof(((struct gw_run_summary *)0)->source_id)
/* Each byte of an id escapes to at most two. */
#define LABEL_VALUE_SIZE (2 * SOURCE_ID_SIZE + 1)
#define LINE_SIZE (3 * SOURCE_ID_SIZE + 256)
#define NUMBER_SIZE 40
#define INITIAL_SOURCES 16
#define INITIAL_RENDER_BYTES 4096

enum outcome_index { OUTCOME_OK, OUTCOME_RETRY, OUTCOME_FAILED, OUTCOME_COUNT };
static const char *const outcome_names[OUTCOME_COUNT] = {"ok", "retry",
                                                         "failed"};

/* Upper bounds of gateway_run_duration_seconds; +Inf is implicit. Runs
 * last from a second (a 304) to an hour (a large paged dataset). */
static const double duration_bounds[] = {1, 5, 15, 60, 300, 900, 3600};
static const char *const duration_le[] = {"1",   "5",   "15",  "60",
                                          "300", "900", "3600"};
#define BOUND_COUNT (sizeof duration_bounds / sizeof duration_bounds[0])

struct source_entry {
  char id[SOURCE_ID_SIZE];
  uint64_t runs[OUTCOME_COUNT];
  uint64_t pages;
  uint64_t retries;
  uint64_t not_modified;
  uint64_t bytes;
  uint64_t emitted;
  uint64_t unmapped;
  uint64_t stored; /* inserted + revised */
  uint64_t rejected;
  uint64_t suppressed;
  /* Per bucket, not cumulative; [BOUND_COUNT] holds runs above the last
   * bound. Rendering accumulates. */
  uint64_t duration_buckets[BOUND_COUNT + 1];
  uint64_t duration_count;
  double duration_sum;
  uint64_t consecutive_failures;
  time_t last_run;
  time_t last_success;
  time_t next_run;
  int has_last_run;
  int has_last_success;
  int has_next_run; /* metrics_set_next_run() with 0 clears it */
  int running;
};

struct gw_metrics {
  pthread_mutex_t lock;
  time_t started_at;
  uint64_t reloads_ok;
  uint64_t reloads_failed;
  struct source_entry *sources; /* sorted by id */
  size_t count;
  size_t capacity;
};

/* ---- the source table (callers hold the lock) ------------------------ */

/* Index of id, or where it would go (*found 0). */
static size_t source_position(const struct gw_metrics *m, const char *id,
                              int *found) {
  size_t low = 0, high = m->count;
  *found = 0;
  while (low < high) {
    size_t mid = low + (high - low) / 2;
    int cmp = strcmp(m->sources[mid].id, id);
    if (cmp == 0) {
      *found = 1;
      return mid;
    }
    if (cmp < 0)
      low = mid + 1;
    else
      high = mid;
  }
  return low;
}

static int grow_sources(struct gw_metrics *m) {
  size_t capacity = m->capacity ? m->capacity * 2 : INITIAL_SOURCES;
  struct source_entry *grown;
  if (capacity > METRICS_MAX_SOURCES)
    capacity = METRICS_MAX_SOURCES;
  grown = gw_realloc(m->sources, capacity * sizeof *grown);
  if (!grown)
    return -1;
  m->sources = grown;
  m->capacity = capacity;
  return 0;
}

/* The entry for id, added when new; NULL when the id is unusable, the
 * table is full or memory ran out - metrics are best effort and never
 * stop a run. */
static struct source_entry *source_entry_for(struct gw_metrics *m,
                                             const char *id) {
  size_t at;
  int found;
  if (!id || id[0] == '\0' || strnlen(id, SOURCE_ID_SIZE) == SOURCE_ID_SIZE)
    return NULL;
  at = source_position(m, id, &found);
  if (found)
    return &m->sources[at];
  if (m->count == METRICS_MAX_SOURCES)
    return NULL;
  if (m->count == m->capacity && grow_sources(m) != 0)
    return NULL;
  memmove(&m->sources[at + 1], &m->sources[at],
          (m->count - at) * sizeof m->sources[0]);
  memset(&m->sources[at], 0, sizeof m->sources[at]);
  memcpy(m->sources[at].id, id, strlen(id) + 1);
  m->count++;
  return &m->sources[at];
}

static enum outcome_index outcome_index_of(gw_result outcome) {
  if (outcome == GW_OK)
    return OUTCOME_OK;
  if (outcome == GW_RETRY)
    return OUTCOME_RETRY;
  return OUTCOME_FAILED;
}

static void observe_duration(struct source_entry *e, double seconds) {
  size_t bucket = 0;
  /* A clock step can make a run look negative; NaN would poison _sum. */
  if (!(seconds > 0))
    seconds = 0;
  while (bucket < BOUND_COUNT && seconds > duration_bounds[bucket])
    bucket++;
  e->duration_buckets[bucket]++;
  e->duration_count++;
  e->duration_sum += seconds;
}

static void record_run(struct source_entry *e, const struct gw_run_summary *s,
                       time_t ended_at) {
  enum outcome_index outcome = outcome_index_of(s->outcome);
  e->running = 0;
  e->runs[outcome]++;
  e->pages += s->pages;
  e->retries += s->retries;
  e->not_modified += s->not_modified;
  e->bytes += s->bytes;
  e->emitted += s->emitted;
  e->unmapped += s->unmapped;
  e->stored += s->store.inserted + s->store.revised;
  e->rejected += s->rejected;
  e->suppressed += s->suppressed;
  observe_duration(e, s->seconds);
  e->last_run = ended_at;
  e->has_last_run = 1;
  if (outcome == OUTCOME_OK) {
    e->last_success = ended_at;
    e->has_last_success = 1;
    e->consecutive_failures = 0;
  } else {
    e->consecutive_failures++;
  }
}

/* ---- public updates --------------------------------------------------- */

int metrics_new(struct gw_metrics **out) {
  struct gw_metrics *m = gw_calloc(1, sizeof *m);
  int rc = -1;
  *out = NULL;
  if (!m)
    goto out;
  if (pthread_mutex_init(&m->lock, NULL) != 0) {
    gw_free(m);
    goto out;
  }
  m->started_at = time(NULL);
  *out = m;
  rc = 0;
out:
  return rc;
}

void metrics_free(struct gw_metrics *m) {
  if (!m)
    return;
  pthread_mutex_destroy(&m->lock);
  gw_free(m->sources);
  gw_free(m);
}

void metrics_run_started(struct gw_metrics *m, const char *source_id) {
  struct source_entry *e;
  if (!m)
    return;
  pthread_mutex_lock(&m->lock);
  e = source_entry_for(m, source_id);
  if (e)
    e->running = 1;
  pthread_mutex_unlock(&m->lock);
}

void metrics_run_finished(struct gw_metrics *m, const struct gw_run_summary *s,
                          time_t ended_at) {
  struct source_entry *e;
  if (!m || !s)
    return;
  pthread_mutex_lock(&m->lock);
  e = source_entry_for(m, s->source_id);
  if (e)
    record_run(e, s, ended_at);
  pthread_mutex_unlock(&m->lock);
}

void metrics_set_next_run(struct gw_metrics *m, const char *source_id,
                          time_t next) {
  struct source_entry *e;
  if (!m)
    return;
  pthread_mutex_lock(&m->lock);
  e = source_entry_for(m, source_id);
  if (e) {
    e->next_run = next;
    e->has_next_run = next != 0;
  }
  pthread_mutex_unlock(&m->lock);
}

void metrics_config_reload(struct gw_metrics *m, int ok) {
  if (!m)
    return;
  pthread_mutex_lock(&m->lock);
  if (ok)
    m->reloads_ok++;
  else
    m->reloads_failed++;
  pthread_mutex_unlock(&m->lock);
}

/* ---- rendering -------------------------------------------------------- */

/* A growing text buffer; the first failure sticks, so writers need not
 * check every append and the caller checks once at the end. */
struct text_out {
  char *data;
  size_t len;
  size_t cap;
  int failed;
};

static void out_append(struct text_out *o, const char *s) {
  size_t n = strlen(s);
  if (o->failed)
    return;
  if (o->len + n + 1 > o->cap) {
    size_t cap = o->cap ? o->cap : INITIAL_RENDER_BYTES;
    char *grown;
    while (o->len + n + 1 > cap)
      cap *= 2;
    grown = gw_realloc(o->data, cap);
    if (!grown) {
      o->failed = 1;
      return;
    }
    o->data = grown;
    o->cap = cap;
  }
  memcpy(o->data + o->len, s, n + 1);
  o->len += n;
}

/* Label values escape backslash, double quote and line feed (text
 * format 0.0.4); out has room for every byte doubled. */
static void escape_label_value(const char *in, char *out, size_t size) {
  size_t w = 0;
  for (; *in && w + 2 < size; in++) {
    if (*in == '\\' || *in == '"') {
      out[w++] = '\\';
      out[w++] = *in;
    } else if (*in == '\n') {
      out[w++] = '\\';
      out[w++] = 'n';
    } else {
      out[w++] = *in;
    }
  }
  out[w] = '\0';
}

/* The shortest of %.15g / %.17g that reads back as the same double, so
 * 2.5 stays "2.5" while odd sums keep full precision. */
static void format_double(double v, char *out, size_t size) {
  if (text_format(out, size, "%.15g", v) == 0 && strtod(out, NULL) == v)
    return;
  if (text_format(out, size, "%.17g", v) != 0)
    text_copy(out, size, "NaN");
}

static void write_family(struct text_out *o, const char *name, const char *type,
                         const char *help) {
  char line[LINE_SIZE];
  if (text_format(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                  name, type) != 0) {
    o->failed = 1;
    return;
  }
  out_append(o, line);
}

/* name{labels} value; labels already escaped, "" for none. */
static void write_sample(struct text_out *o, const char *name,
                         const char *labels, const char *value) {
  char line[LINE_SIZE];
  if (text_format(line, sizeof line, "%s%s%s%s %s\n", name,
                  labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
                  value) != 0) {
    o->failed = 1;
    return;
  }
  out_append(o, line);
}

static void write_u64(struct text_out *o, const char *name, const char *labels,
                      uint64_t value) {
  char number[NUMBER_SIZE];
  if (text_format(number, sizeof number, "%" PRIu64, value) != 0) {
    o->failed = 1;
    return;
  }
  write_sample(o, name, labels, number);
}

static void write_time(struct text_out *o, const char *name, const char *labels,
                       time_t value) {
  char number[NUMBER_SIZE];
  if (text_format(number, sizeof number, "%lld", (long long)value) != 0) {
    o->failed = 1;
    return;
  }
  write_sample(o, name, labels, number);
}

/* source="<escaped id>" */
static void source_label(struct text_out *o, const struct source_entry *e,
                         char *out, size_t size) {
  char escaped[LABEL_VALUE_SIZE];
  escape_label_value(e->id, escaped, sizeof escaped);
  if (text_format(out, size, "source=\"%s\"", escaped) != 0)
    o->failed = 1;
}

/* What render works on: a copy taken under the lock. */
struct snapshot {
  time_t started_at;
  uint64_t reloads_ok;
  uint64_t reloads_failed;
  struct source_entry *sources;
  size_t count;
};

static int take_snapshot(struct gw_metrics *m, struct snapshot *snap) {
  int rc = -1;
  memset(snap, 0, sizeof *snap);
  pthread_mutex_lock(&m->lock);
  snap->started_at = m->started_at;
  snap->reloads_ok = m->reloads_ok;
  snap->reloads_failed = m->reloads_failed;
  if (m->count > 0) {
    snap->sources = gw_malloc(m->count * sizeof *snap->sources);
    if (!snap->sources)
      goto out;
    memcpy(snap->sources, m->sources, m->count * sizeof *snap->sources);
  }
  snap->count = m->count;
  rc = 0;
out:
  pthread_mutex_unlock(&m->lock);
  return rc;
}

static void render_process(struct text_out *o, const struct snapshot *snap) {
  write_family(o, "gateway_up", "gauge",
               "1 while the gateway daemon is serving metrics.");
  write_sample(o, "gateway_up", "", "1");
  write_family(o, "gateway_build_info", "gauge",
               "Gateway version; the value is always 1.");
  write_sample(o, "gateway_build_info", "version=\"" GW_VERSION "\"", "1");
  write_family(o, "gateway_start_time_seconds", "gauge",
               "Unix time the daemon started.");
  write_time(o, "gateway_start_time_seconds", "", snap->started_at);
  write_family(o, "gateway_config_reloads_total", "counter",
               "Configuration reloads by result (failed: the old "
               "configuration stayed in force).");
  write_u64(o, "gateway_config_reloads_total", "result=\"ok\"",
            snap->reloads_ok);
  write_u64(o, "gateway_config_reloads_total", "result=\"failed\"",
            snap->reloads_failed);
}

static void render_runs(struct text_out *o, const struct snapshot *snap) {
  char labels[LINE_SIZE];
  char source[LINE_SIZE];
  size_t i, k;
  write_family(o, "gateway_runs_total", "counter",
               "Finished runs per source by outcome (retry: failed, will be "
               "tried again; failed: failed for good).");
  for (i = 0; i < snap->count; i++) {
    source_label(o, &snap->sources[i], source, sizeof source);
    for (k = 0; k < OUTCOME_COUNT; k++) {
      if (text_format(labels, sizeof labels, "%s,outcome=\"%s\"", source,
                      outcome_names[k]) != 0)
        o->failed = 1;
      write_u64(o, "gateway_runs_total", labels, snap->sources[i].runs[k]);
    }
  }
}

/* Per-source counters that are a plain sum over finished runs. */
static const struct counter_family {
  const char *name;
  const char *help;
  size_t offset; /* of a uint64_t in struct source_entry */
} counter_families[] = {
    {"gateway_fetches_total",
     "Payloads fetched by finished runs, 304 responses included.",
     offsetof(struct source_entry, pages)},
    {"gateway_fetch_retries_total",
     "Fetch attempts beyond the first for a URL.",
     offsetof(struct source_entry, retries)},
    {"gateway_not_modified_total", "Fetches answered 304 Not Modified.",
     offsetof(struct source_entry, not_modified)},
    {"gateway_bytes_fetched_total", "Payload bytes fetched.",
     offsetof(struct source_entry, bytes)},
    {"gateway_rows_emitted_total", "Raw rows handed over by the plugin.",
     offsetof(struct source_entry, emitted)},
    {"gateway_rows_unmapped_total",
     "Rows for codes the catalogue does not map.",
     offsetof(struct source_entry, unmapped)},
    {"gateway_observations_stored_total",
     "Observations stored as new or revised (unchanged ones not counted).",
     offsetof(struct source_entry, stored)},
    {"gateway_observations_rejected_total",
     "Rows refused by the normaliser or the plugin.",
     offsetof(struct source_entry, rejected)},
    {"gateway_observations_suppressed_total",
     "Cells suppressed by the small-cell rule.",
     offsetof(struct source_entry, suppressed)},
};

static void render_counters(struct text_out *o, const struct snapshot *snap) {
  char source[LINE_SIZE];
  size_t f, i;
  for (f = 0; f < sizeof counter_families / sizeof counter_families[0]; f++) {
    const struct counter_family *cf = &counter_families[f];
    write_family(o, cf->name, "counter", cf->help);
    for (i = 0; i < snap->count; i++) {
      const struct source_entry *e = &snap->sources[i];
      uint64_t value;
      memcpy(&value, (const char *)e + cf->offset, sizeof value);
      source_label(o, e, source, sizeof source);
      write_u64(o, cf->name, source, value);
    }
  }
}

static void render_duration(struct text_out *o, const struct snapshot *snap) {
  static const char name[] = "gateway_run_duration_seconds";
  char source[LINE_SIZE];
  char labels[LINE_SIZE];
  char number[NUMBER_SIZE];
  size_t i, b;
  write_family(o, name, "histogram", "Wall-clock duration of finished runs.");
  for (i = 0; i < snap->count; i++) {
    const struct source_entry *e = &snap->sources[i];
    uint64_t cumulative = 0;
    source_label(o, e, source, sizeof source);
    for (b = 0; b <= BOUND_COUNT; b++) {
      cumulative += e->duration_buckets[b];
      if (text_format(labels, sizeof labels, "%s,le=\"%s\"", source,
                      b < BOUND_COUNT ? duration_le[b] : "+Inf") != 0)
        o->failed = 1;
      write_u64(o, "gateway_run_duration_seconds_bucket", labels, cumulative);
    }
    format_double(e->duration_sum, number, sizeof number);
    write_sample(o, "gateway_run_duration_seconds_sum", source, number);
    write_u64(o, "gateway_run_duration_seconds_count", source,
              e->duration_count);
  }
}

/* A per-source timestamp gauge; sources for which `has` says never get
 * no sample (an absent series, rather than a misleading 1970). */
static void write_time_family(struct text_out *o, const struct snapshot *snap,
                              const char *name, const char *help,
                              size_t time_offset, size_t has_offset) {
  char source[LINE_SIZE];
  size_t i;
  write_family(o, name, "gauge", help);
  for (i = 0; i < snap->count; i++) {
    const struct source_entry *e = &snap->sources[i];
    time_t when;
    int has;
    memcpy(&when, (const char *)e + time_offset, sizeof when);
    memcpy(&has, (const char *)e + has_offset, sizeof has);
    if (!has)
      continue;
    source_label(o, e, source, sizeof source);
    write_time(o, name, source, when);
  }
}

static void render_gauges(struct text_out *o, const struct snapshot *snap) {
  char source[LINE_SIZE];
  size_t i;
  write_time_family(o, snap, "gateway_last_run_timestamp_seconds",
                    "Unix time the last run ended, whatever its outcome.",
                    offsetof(struct source_entry, last_run),
                    offsetof(struct source_entry, has_last_run));
  write_time_family(o, snap, "gateway_last_success_timestamp_seconds",
                    "Unix time the last successful run ended.",
                    offsetof(struct source_entry, last_success),
                    offsetof(struct source_entry, has_last_success));
  write_family(o, "gateway_consecutive_failures", "gauge",
               "Runs in a row that did not succeed; 0 after a success.");
  for (i = 0; i < snap->count; i++) {
    source_label(o, &snap->sources[i], source, sizeof source);
    write_u64(o, "gateway_consecutive_failures", source,
              snap->sources[i].consecutive_failures);
  }
  write_family(o, "gateway_running", "gauge",
               "1 while a run of the source is in progress.");
  for (i = 0; i < snap->count; i++) {
    source_label(o, &snap->sources[i], source, sizeof source);
    write_u64(o, "gateway_running", source, (uint64_t)snap->sources[i].running);
  }
  write_time_family(o, snap, "gateway_next_run_timestamp_seconds",
                    "Unix time of the next scheduled run.",
                    offsetof(struct source_entry, next_run),
                    offsetof(struct source_entry, has_next_run));
}

int metrics_render(struct gw_metrics *m, time_t now, char **text, size_t *len) {
  struct snapshot snap = {0};
  struct text_out o = {0};
  int rc = -1;
  (void)now;
  *text = NULL;
  *len = 0;
  if (!m || take_snapshot(m, &snap) != 0)
    goto out;
  render_process(&o, &snap);
  render_runs(&o, &snap);
  render_counters(&o, &snap);
  render_duration(&o, &snap);
  render_gauges(&o, &snap);
  if (o.failed)
    goto out;
  *text = o.data;
  *len = o.len;
  o.data = NULL;
  rc = 0;
out:
  gw_free(o.data);
  gw_free(snap.sources);
  return rc;
}
