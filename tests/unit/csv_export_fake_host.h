/*
 * csv_export_fake_host.h - a fake gateway host for the csv_export unit
 * tests.
 *
 * Serves one payload per fetch: a fixture file, literal bytes, or rows
 * generated on the fly (the memory test: the body is never held). Reads
 * return at most read_chunk bytes, so tests can split every character,
 * CRLF and quote pair across reads. Records observations, rejections and
 * log lines. Everything is static inline: several test files include it.
 */
#ifndef CSV_EXPORT_FAKE_HOST_H
#define CSV_EXPORT_FAKE_HOST_H

#include "csv_export.h"
#include "test_support.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_FAKE_URL "https://fixture.test/export.csv"

struct csv_fake_obs {
  char dataset[32];
  char code[64];
  char area[32];
  char period[32];
  char bd_dim[4][32];
  char bd_member[4][64];
  size_t bd_count;
  gw_component component;
  int has_value;
  double value;
  gw_status status;
  int has_detail;
  char detail[64];
  uint64_t position;
};

struct gw_payload {
  const unsigned char *data;
  size_t len;
  size_t pos;
  /* generated body: header, then rows numbered 0..gen_rows-1 */
  uint64_t gen_rows;
  uint64_t gen_next;
  char gen_line[128];
  size_t gen_line_len;
  size_t gen_line_pos;
  int gen_header_done;
};

struct csv_fake_host {
  json_t *params;
  char url[512];
  unsigned char *body; /* owned */
  size_t body_len;
  uint64_t generate_rows; /* > 0: generated body instead of body */
  size_t read_chunk;      /* bytes per payload_read at most */
  int rewind_fails;
  int fetch_result; /* GW_OK unless set */
  int map_all;      /* indicator_for says yes to everything */
  const char *mapped[64];
  size_t mapped_count;
  int count_only;
  size_t emit_fail_after;

  struct gw_payload payload;
  size_t fetches;
  size_t rewinds;
  struct csv_fake_obs *obs;
  size_t obs_count;
  size_t obs_cap;
  char *logs[256];
  gw_log_level log_levels[256];
  size_t log_count;
  char *rejects[256];
  size_t reject_count;
  size_t total_rejects;
  struct gw_host_api api;
};

static struct csv_fake_host *csv_g;

static inline char *csv_fake_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *out = malloc(n);
  if (out)
    memcpy(out, s, n);
  return out;
}

static inline void csv_gen_line(struct gw_payload *p) {
  if (!p->gen_header_done) {
    snprintf(p->gen_line, sizeof p->gen_line,
             "\"period\";\"geolevel\";\"geoitem\";\"bbv_bijstand\"\r\n");
    p->gen_header_done = 1;
  } else {
    uint64_t i = p->gen_next++;
    snprintf(p->gen_line, sizeof p->gen_line,
             "\"%llu\";\"gemeente\";\"%llu\";%llu,%llu\r\n",
             (unsigned long long)(2000 + i % 20),
             (unsigned long long)(i % 9000 + 1), (unsigned long long)(i % 977),
             (unsigned long long)(i % 10));
  }
  p->gen_line_len = strlen(p->gen_line);
  p->gen_line_pos = 0;
}

static inline ssize_t csv_fake_read(struct gw_payload *p, void *buf,
                                    size_t len) {
  size_t n;
  if (len > csv_g->read_chunk)
    len = csv_g->read_chunk;
  if (p->gen_rows) {
    if (p->gen_line_pos == p->gen_line_len) {
      if (p->gen_header_done && p->gen_next == p->gen_rows)
        return 0;
      csv_gen_line(p);
    }
    n = p->gen_line_len - p->gen_line_pos;
    if (n > len)
      n = len;
    memcpy(buf, p->gen_line + p->gen_line_pos, n);
    p->gen_line_pos += n;
    return (ssize_t)n;
  }
  n = p->len - p->pos;
  if (n > len)
    n = len;
  memcpy(buf, p->data + p->pos, n);
  p->pos += n;
  return (ssize_t)n;
}

static inline int csv_fake_rewind(struct gw_payload *p) {
  csv_g->rewinds++;
  if (csv_g->rewind_fails)
    return -1;
  p->pos = 0;
  p->gen_next = 0;
  p->gen_header_done = 0;
  p->gen_line_len = p->gen_line_pos = 0;
  return 0;
}

static inline const char *csv_fake_payload_url(const struct gw_payload *p) {
  (void)p;
  return csv_g->url;
}

static inline int csv_fake_not_modified(const struct gw_payload *p) {
  (void)p;
  return 0;
}

static inline gw_result csv_fake_fetch(struct gw_run *run,
                                       const struct gw_fetch_request *req,
                                       struct gw_payload **out) {
  struct csv_fake_host *h = csv_g;
  (void)run;
  h->fetches++;
  if (strcmp(req->url, h->url) != 0 || h->fetch_result != GW_OK)
    return h->fetch_result != GW_OK ? (gw_result)h->fetch_result : GW_FAIL;
  memset(&h->payload, 0, sizeof h->payload);
  h->payload.data = h->body;
  h->payload.len = h->body_len;
  h->payload.gen_rows = h->generate_rows;
  *out = &h->payload;
  return GW_OK;
}

static inline void csv_copy(char *dst, size_t size, const char *src) {
  snprintf(dst, size, "%s", src ? src : "");
}

static inline gw_result csv_fake_emit(struct gw_run *run,
                                      const struct gw_raw_observation *o) {
  struct csv_fake_host *h = csv_g;
  struct csv_fake_obs *r;
  size_t i;
  (void)run;
  if (h->count_only) {
    h->obs_count++;
    return GW_OK;
  }
  if (h->obs_count == h->obs_cap) {
    size_t cap = h->obs_cap ? h->obs_cap * 2 : 64;
    struct csv_fake_obs *grown = realloc(h->obs, cap * sizeof *grown);
    if (!grown)
      return GW_FAIL;
    h->obs = grown;
    h->obs_cap = cap;
  }
  r = &h->obs[h->obs_count++];
  memset(r, 0, sizeof *r);
  csv_copy(r->dataset, sizeof r->dataset, o->dataset);
  csv_copy(r->code, sizeof r->code, o->source_code);
  csv_copy(r->area, sizeof r->area, o->area);
  csv_copy(r->period, sizeof r->period, o->period);
  r->bd_count = o->breakdown_count;
  for (i = 0; i < o->breakdown_count && i < 4; i++) {
    csv_copy(r->bd_dim[i], sizeof r->bd_dim[i], o->breakdown[i].dimension);
    csv_copy(r->bd_member[i], sizeof r->bd_member[i], o->breakdown[i].member);
  }
  r->component = o->component;
  r->has_value = o->has_value;
  r->value = o->value;
  r->status = o->status;
  r->has_detail = o->status_detail != NULL;
  csv_copy(r->detail, sizeof r->detail, o->status_detail);
  r->position = o->position;
  if (h->emit_fail_after && h->obs_count >= h->emit_fail_after)
    return GW_FAIL;
  return GW_OK;
}

static inline void csv_fake_reject(struct gw_run *run, const char *location,
                                   const char *reason) {
  struct csv_fake_host *h = csv_g;
  char line[2048];
  (void)run;
  h->total_rejects++;
  snprintf(line, sizeof line, "%s: %s", location, reason);
  if (h->reject_count < 256)
    h->rejects[h->reject_count++] = csv_fake_strdup(line);
}

static inline void csv_fake_log(struct gw_run *run, gw_log_level level,
                                const char *fmt, ...) GW_PRINTF_LIKE(3, 4);
static inline void csv_fake_log(struct gw_run *run, gw_log_level level,
                                const char *fmt, ...) {
  struct csv_fake_host *h = csv_g;
  char line[4096];
  va_list ap;
  (void)run;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (h->log_count < 256) {
    h->log_levels[h->log_count] = level;
    h->logs[h->log_count++] = csv_fake_strdup(line);
  }
}

static inline const struct gw_config_key *csv_fake_key(const char *key) {
  const struct gw_config_key *k;
  for (k = csvx_config_keys; k->name; k++)
    if (strcmp(k->name, key) == 0)
      return k;
  return NULL;
}

static inline const char *csv_fake_string(const struct gw_plugin_config *c,
                                          const char *key) {
  const struct gw_config_key *k = csv_fake_key(key);
  const char *v;
  (void)c;
  if (strcmp(key, "url") == 0)
    return csv_g->url;
  v = json_string_value(json_object_get(csv_g->params, key));
  return v ? v : (k ? k->default_value : NULL);
}

static inline int64_t csv_fake_int(const struct gw_plugin_config *c,
                                   const char *key) {
  const struct gw_config_key *k = csv_fake_key(key);
  json_t *v = json_object_get(csv_g->params, key);
  (void)c;
  if (json_is_integer(v))
    return json_integer_value(v);
  return k && k->default_value ? strtoll(k->default_value, NULL, 10) : 0;
}

static inline int csv_fake_bool(const struct gw_plugin_config *c,
                                const char *key) {
  (void)c;
  return json_is_true(json_object_get(csv_g->params, key));
}

static inline size_t csv_fake_count(const struct gw_plugin_config *c,
                                    const char *key) {
  json_t *v = json_object_get(csv_g->params, key);
  (void)c;
  return json_is_object(v) ? json_object_size(v) : json_array_size(v);
}

static inline int csv_fake_entry(const struct gw_plugin_config *c,
                                 const char *key, size_t i, const char **name,
                                 const char **value) {
  json_t *v = json_object_get(csv_g->params, key);
  (void)c;
  *name = NULL;
  *value = NULL;
  if (json_is_array(v)) {
    *value = json_string_value(json_array_get(v, i));
    return *value ? 0 : -1;
  }
  if (json_is_object(v)) {
    void *it = json_object_iter(v);
    while (it && i-- > 0)
      it = json_object_iter_next(v, it);
    if (!it)
      return -1;
    *name = json_object_iter_key(it);
    *value = json_string_value(json_object_iter_value(it));
    return *value ? 0 : -1;
  }
  return -1;
}

/* Decimal comma or point; no thousands separators (the real host's
 * number_parse has its own tests). */
static inline int csv_fake_number(const char *text, double *out) {
  char buf[64], *end;
  size_t i, n = strlen(text);
  if (n == 0 || n >= sizeof buf)
    return -1;
  for (i = 0; i <= n; i++)
    buf[i] = text[i] == ',' ? '.' : text[i];
  *out = strtod(buf, &end);
  return (*end == '\0' && isfinite(*out)) ? 0 : -1;
}

/* Years ("2021") and StatLine years ("2021JJ00") are recognised. */
static inline int csv_fake_period(const char *raw, char *out, size_t size) {
  size_t n = strlen(raw), i;
  snprintf(out, size, "%s", raw);
  if (n != 4 && !(n == 8 && strcmp(raw + 4, "JJ00") == 0))
    return 0;
  for (i = 0; i < 4; i++)
    if (raw[i] < '0' || raw[i] > '9')
      return 0;
  return 1;
}

static inline const char *
csv_fake_indicator(struct gw_run *run, const char *dataset, const char *code) {
  size_t i;
  (void)run;
  (void)dataset;
  if (csv_g->map_all)
    return "mapped";
  for (i = 0; i < csv_g->mapped_count; i++)
    if (strcmp(csv_g->mapped[i], code) == 0)
      return "mapped";
  return NULL;
}

static inline struct csv_fake_host *csv_fake_new(void) {
  struct csv_fake_host *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  snprintf(h->url, sizeof h->url, "%s", CSV_FAKE_URL);
  h->params = json_object();
  h->read_chunk = 4096;
  h->map_all = 1;
  h->api.abi_version = GW_PLUGIN_ABI_VERSION;
  h->api.size = sizeof h->api;
  h->api.fetch = csv_fake_fetch;
  h->api.payload_read = csv_fake_read;
  h->api.payload_rewind = csv_fake_rewind;
  h->api.payload_url = csv_fake_payload_url;
  h->api.payload_not_modified = csv_fake_not_modified;
  h->api.emit = csv_fake_emit;
  h->api.reject = csv_fake_reject;
  h->api.log = csv_fake_log;
  h->api.config_string = csv_fake_string;
  h->api.config_int = csv_fake_int;
  h->api.config_bool = csv_fake_bool;
  h->api.config_count = csv_fake_count;
  h->api.config_entry = csv_fake_entry;
  h->api.parse_number = csv_fake_number;
  h->api.normalise_period = csv_fake_period;
  h->api.indicator_for = csv_fake_indicator;
  csv_g = h;
  return h;
}

static inline void csv_fake_body(struct csv_fake_host *h, const void *data,
                                 size_t len) {
  free(h->body);
  h->body = malloc(len ? len : 1);
  if (h->body)
    memcpy(h->body, data, len);
  h->body_len = h->body ? len : 0;
}

static inline void csv_fake_text(struct csv_fake_host *h, const char *text) {
  csv_fake_body(h, text, strlen(text));
}

/* Loads tests/fixtures/csv/<name>. */
static inline int csv_fake_fixture(struct csv_fake_host *h, const char *name) {
  char path[2048];
  size_t len = 0;
  char *data;
  snprintf(path, sizeof path, "%s/tests/fixtures/csv/%s", ts_source_dir(),
           name);
  data = ts_read_file(path, &len);
  if (!data)
    return -1;
  csv_fake_body(h, data, len);
  free(data);
  return 0;
}

static inline void csv_fake_param(struct csv_fake_host *h, const char *key,
                                  const char *value) {
  json_object_set_new(h->params, key, json_string(value));
}

/* init + run + destroy; returns the run result (or init's failure). */
static inline gw_result csv_fake_run(struct csv_fake_host *h) {
  void *ctx = NULL;
  gw_result rc =
      csv_export_init(&h->api, (const struct gw_plugin_config *)h, &ctx);
  if (rc != GW_OK)
    return rc;
  rc = csv_export_run(ctx, (struct gw_run *)h);
  csv_export_destroy(ctx);
  return rc;
}

static inline void csv_fake_reset_results(struct csv_fake_host *h) {
  size_t i;
  for (i = 0; i < h->log_count; i++)
    free(h->logs[i]);
  for (i = 0; i < h->reject_count; i++)
    free(h->rejects[i]);
  h->log_count = h->reject_count = h->total_rejects = 0;
  h->obs_count = 0;
}

static inline void csv_fake_free(struct csv_fake_host *h) {
  if (!h)
    return;
  csv_fake_reset_results(h);
  free(h->obs);
  free(h->body);
  json_decref(h->params);
  if (csv_g == h)
    csv_g = NULL;
  free(h);
}

/* ---- queries ------------------------------------------------------------ */

static inline const struct csv_fake_obs *
csv_find(const struct csv_fake_host *h, const char *code, const char *area,
         const char *period, const char *member, gw_component component) {
  size_t i;
  for (i = 0; i < h->obs_count; i++) {
    const struct csv_fake_obs *o = &h->obs[i];
    if (strcmp(o->code, code) == 0 && strcmp(o->area, area) == 0 &&
        strcmp(o->period, period) == 0 && o->component == component &&
        (member ? (o->bd_count > 0 && strcmp(o->bd_member[0], member) == 0)
                : o->bd_count == 0))
      return o;
  }
  return NULL;
}

static inline size_t csv_count(const struct csv_fake_host *h,
                               const char *code) {
  size_t i, n = 0;
  for (i = 0; i < h->obs_count; i++)
    if (!code || strcmp(h->obs[i].code, code) == 0)
      n++;
  return n;
}

/* Index of the first log line of level containing a (and b), or -1. */
static inline int csv_log_find(const struct csv_fake_host *h,
                               gw_log_level level, const char *a,
                               const char *b) {
  size_t i;
  for (i = 0; i < h->log_count; i++)
    if (h->log_levels[i] == level && strstr(h->logs[i], a) &&
        (!b || strstr(h->logs[i], b)))
      return (int)i;
  return -1;
}

static inline int csv_reject_find(const struct csv_fake_host *h, const char *a,
                                  const char *b) {
  size_t i;
  for (i = 0; i < h->reject_count; i++)
    if (strstr(h->rejects[i], a) && (!b || strstr(h->rejects[i], b)))
      return (int)i;
  return -1;
}

static inline void csv_dump(const struct csv_fake_host *h) {
  size_t i;
  for (i = 0; i < h->log_count; i++)
    fprintf(stderr, "log[%d] %s\n", (int)h->log_levels[i], h->logs[i]);
  for (i = 0; i < h->reject_count && i < 20; i++)
    fprintf(stderr, "reject %s\n", h->rejects[i]);
}

#endif
