/*
 * provider_report_fake_host.h - a fake gateway host for the provider_report
 * unit tests.
 *
 * fetch() serves one body: a fixture file from tests/fixtures/provider (with
 * optional text replacements) or a body set by the test. payload_read()
 * hands out at most read_chunk bytes per call, so tests can split markup
 * across reads. Observations, log lines and the number of body reads are
 * recorded. Included by several test files, so everything is static inline.
 */
#ifndef PROVIDER_REPORT_FAKE_HOST_H
#define PROVIDER_REPORT_FAKE_HOST_H

#include "provider_report.h"
#include "test_support.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRF_BASE "https://provider.test/reports/"

struct prf_obs {
  char dataset[16];
  char source_code[16];
  char area[16];
  char period[16];
  char bd_dim[8][40];
  char bd_member[8][272];
  size_t bd_count;
  int has_value;
  double value;
  gw_status status;
  char detail[16];
  int has_detail;
  char unit[16];
  int has_unit;
  uint64_t position;
  const struct gw_payload *payload;
};

struct gw_payload {
  char *data;
  size_t len;
  size_t pos;
  char url[512];
  int rewinds;
};

struct prf_host {
  char url[512];
  char *body;      /* served by fetch (owned) */
  size_t body_len; /* 0: strlen(body) */
  json_t *params;
  size_t read_chunk;      /* 0: as much as asked */
  size_t emit_fail_after; /* emit returns GW_FAIL after this many (0: never) */
  const char *unmapped;   /* indicator_for says NULL for this code too */
  struct gw_payload *payload;
  struct prf_obs *obs;
  size_t obs_count;
  size_t obs_cap;
  char *logs[512];
  gw_log_level log_levels[512];
  size_t log_count;
  size_t reject_count;
  struct gw_host_api api;
};

static struct prf_host *prf_g;

static inline char *prf_strdup(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(n + 1);
  if (out)
    memcpy(out, s, n + 1);
  return out;
}

static inline gw_result prf_fetch(struct gw_run *run,
                                  const struct gw_fetch_request *req,
                                  struct gw_payload **out) {
  struct prf_host *h = prf_g;
  (void)run;
  if (!h->body || h->payload)
    return GW_FAIL;
  h->payload = calloc(1, sizeof *h->payload);
  if (!h->payload)
    return GW_FAIL;
  h->payload->data = h->body;
  h->payload->len = h->body_len ? h->body_len : strlen(h->body);
  snprintf(h->payload->url, sizeof h->payload->url, "%s", req->url);
  *out = h->payload;
  return GW_OK;
}

static inline ssize_t prf_payload_read(struct gw_payload *p, void *buf,
                                       size_t len) {
  size_t n = p->len - p->pos;
  if (n > len)
    n = len;
  if (prf_g->read_chunk && n > prf_g->read_chunk)
    n = prf_g->read_chunk;
  memcpy(buf, p->data + p->pos, n);
  p->pos += n;
  return (ssize_t)n;
}

static inline int prf_payload_rewind(struct gw_payload *p) {
  p->pos = 0;
  p->rewinds++;
  return 0;
}

static inline const char *prf_payload_url(const struct gw_payload *p) {
  return p->url;
}

static inline int prf_payload_not_modified(const struct gw_payload *p) {
  (void)p;
  return 0;
}

static inline void prf_copy(char *dst, size_t size, const char *src) {
  snprintf(dst, size, "%s", src ? src : "");
}

static inline gw_result prf_emit(struct gw_run *run,
                                 const struct gw_raw_observation *o) {
  struct prf_host *h = prf_g;
  struct prf_obs *r;
  size_t i;
  (void)run;
  if (h->obs_count == h->obs_cap) {
    size_t cap = h->obs_cap ? h->obs_cap * 2 : 64;
    struct prf_obs *grown = realloc(h->obs, cap * sizeof *grown);
    if (!grown)
      return GW_FAIL;
    h->obs = grown;
    h->obs_cap = cap;
  }
  r = &h->obs[h->obs_count++];
  memset(r, 0, sizeof *r);
  prf_copy(r->dataset, sizeof r->dataset, o->dataset);
  prf_copy(r->source_code, sizeof r->source_code, o->source_code);
  prf_copy(r->area, sizeof r->area, o->area);
  prf_copy(r->period, sizeof r->period, o->period);
  r->bd_count = o->breakdown_count;
  for (i = 0; i < o->breakdown_count && i < 8; i++) {
    prf_copy(r->bd_dim[i], sizeof r->bd_dim[i], o->breakdown[i].dimension);
    prf_copy(r->bd_member[i], sizeof r->bd_member[i], o->breakdown[i].member);
  }
  r->has_value = o->has_value;
  r->value = o->value;
  r->status = o->status;
  r->has_detail = o->status_detail != NULL;
  prf_copy(r->detail, sizeof r->detail, o->status_detail);
  r->has_unit = o->unit != NULL;
  prf_copy(r->unit, sizeof r->unit, o->unit);
  r->position = o->position;
  r->payload = o->payload;
  if (h->emit_fail_after && h->obs_count > h->emit_fail_after)
    return GW_FAIL;
  return GW_OK;
}

static inline void prf_reject(struct gw_run *run, const char *location,
                              const char *reason) {
  (void)run;
  (void)location;
  (void)reason;
  prf_g->reject_count++;
}

static inline void prf_log(struct gw_run *run, gw_log_level level,
                           const char *fmt, ...) GW_PRINTF_LIKE(3, 4);
static inline void prf_log(struct gw_run *run, gw_log_level level,
                           const char *fmt, ...) {
  struct prf_host *h = prf_g;
  char line[2048];
  va_list ap;
  (void)run;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (h->log_count < 512) {
    h->log_levels[h->log_count] = level;
    h->logs[h->log_count++] = prf_strdup(line);
  }
}

static inline const struct gw_config_key *prf_key(const char *key) {
  const struct gw_config_key *k;
  for (k = provider_report_config_keys; k->name; k++)
    if (strcmp(k->name, key) == 0)
      return k;
  return NULL;
}

static inline const char *prf_config_string(const struct gw_plugin_config *c,
                                            const char *key) {
  const struct gw_config_key *k = prf_key(key);
  const char *v;
  (void)c;
  if (strcmp(key, "url") == 0)
    return prf_g->url;
  if (strcmp(key, "id") == 0)
    return "test-provider";
  v = json_string_value(json_object_get(prf_g->params, key));
  return v ? v : (k ? k->default_value : NULL);
}

static inline int64_t prf_config_int(const struct gw_plugin_config *c,
                                     const char *key) {
  const struct gw_config_key *k = prf_key(key);
  json_t *v = json_object_get(prf_g->params, key);
  (void)c;
  if (json_is_integer(v))
    return json_integer_value(v);
  return k && k->default_value ? strtoll(k->default_value, NULL, 10) : 0;
}

static inline int prf_config_bool(const struct gw_plugin_config *c,
                                  const char *key) {
  (void)c;
  return json_is_true(json_object_get(prf_g->params, key));
}

static inline size_t prf_config_count(const struct gw_plugin_config *c,
                                      const char *key) {
  (void)c;
  (void)key;
  return 0;
}

static inline int prf_config_entry(const struct gw_plugin_config *c,
                                   const char *key, size_t i, const char **name,
                                   const char **value) {
  (void)c;
  (void)key;
  (void)i;
  *name = NULL;
  *value = NULL;
  return -1;
}

static inline int prf_parse_number(const char *text, double *out) {
  char *end;
  *out = strtod(text, &end);
  return *text && *end == '\0' && isfinite(*out) ? 0 : -1;
}

static inline int prf_normalise_period(const char *raw, char *out,
                                       size_t size) {
  snprintf(out, size, "%s", raw);
  return 0;
}

/* The provider_report mappings of the catalogue (dataset "*"). */
static inline const char *
prf_indicator_for(struct gw_run *run, const char *dataset, const char *code) {
  static const char *const codes[] = {"2.2.1", "2.3.1", "4.2.3", "5.1.3",
                                      "5.2.4", "5.2.8", "6.1.2", "6.1.3",
                                      "6.1.5", "6.1.6"};
  size_t i;
  (void)run;
  if (strcmp(dataset, "*") != 0)
    return NULL;
  if (prf_g->unmapped && strcmp(prf_g->unmapped, code) == 0)
    return NULL;
  for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (strcmp(codes[i], code) == 0)
      return "mapped";
  return NULL;
}

static inline struct prf_host *prf_new(void) {
  struct prf_host *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  snprintf(h->url, sizeof h->url, "%sreport", PRF_BASE);
  h->params = json_object();
  json_object_set_new(h->params, "schema_dir",
                      json_string(GW_TEST_SOURCE_DIR "/schemas"));
  h->api.abi_version = GW_PLUGIN_ABI_VERSION;
  h->api.size = sizeof h->api;
  h->api.fetch = prf_fetch;
  h->api.payload_read = prf_payload_read;
  h->api.payload_rewind = prf_payload_rewind;
  h->api.payload_url = prf_payload_url;
  h->api.payload_not_modified = prf_payload_not_modified;
  h->api.emit = prf_emit;
  h->api.reject = prf_reject;
  h->api.log = prf_log;
  h->api.config_string = prf_config_string;
  h->api.config_int = prf_config_int;
  h->api.config_bool = prf_config_bool;
  h->api.config_count = prf_config_count;
  h->api.config_entry = prf_config_entry;
  h->api.parse_number = prf_parse_number;
  h->api.normalise_period = prf_normalise_period;
  h->api.indicator_for = prf_indicator_for;
  prf_g = h;
  return h;
}

/* All occurrences of from replaced by to in the body. */
static inline void prf_replace(struct prf_host *h, const char *from,
                               const char *to) {
  size_t fl = strlen(from), tl = strlen(to), count = 0;
  const char *p;
  char *out, *w;

  for (p = strstr(h->body, from); p; p = strstr(p + fl, from))
    count++;
  if (count == 0)
    return;
  out = malloc(strlen(h->body) + count * tl + 1);
  if (!out)
    return;
  w = out;
  for (p = h->body;;) {
    const char *hit = strstr(p, from);
    if (!hit) {
      memcpy(w, p, strlen(p) + 1);
      break;
    }
    memcpy(w, p, (size_t)(hit - p));
    w += hit - p;
    memcpy(w, to, tl);
    w += tl;
    p = hit + fl;
  }
  free(h->body);
  h->body = out;
}

static inline void prf_set_body(struct prf_host *h, const char *body) {
  free(h->body);
  h->body = prf_strdup(body);
  h->body_len = 0;
}

/* A body that may contain NUL bytes. */
static inline void prf_set_bytes(struct prf_host *h, const void *data,
                                 size_t len) {
  free(h->body);
  h->body = malloc(len + 1);
  if (!h->body)
    return;
  memcpy(h->body, data, len);
  h->body[len] = '\0';
  h->body_len = len;
}

/* The body of tests/fixtures/provider/<name>. */
static inline int prf_load_fixture(struct prf_host *h, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/fixtures/provider/%s", ts_source_dir(),
           name);
  free(h->body);
  h->body = ts_read_file(path, NULL);
  snprintf(h->url, sizeof h->url, "%s%s", PRF_BASE, name);
  return h->body ? 0 : -1;
}

/* init + run + destroy; returns the run result (or init's failure). The
 * hook, when set, adjusts the context between init and run. */
static inline gw_result prf_run_with(struct prf_host *h,
                                     void (*hook)(struct pr_ctx *)) {
  void *ctx = NULL;
  gw_result rc =
      provider_report_init(&h->api, (const struct gw_plugin_config *)h, &ctx);
  if (rc != GW_OK)
    return rc;
  if (hook)
    hook(ctx);
  rc = provider_report_run(ctx, (struct gw_run *)h);
  provider_report_destroy(ctx);
  return rc;
}

static inline gw_result prf_run(struct prf_host *h) {
  return prf_run_with(h, NULL);
}

static inline void prf_free(struct prf_host *h) {
  size_t i;
  if (!h)
    return;
  for (i = 0; i < h->log_count; i++)
    free(h->logs[i]);
  free(h->payload);
  free(h->body);
  free(h->obs);
  json_decref(h->params);
  if (prf_g == h)
    prf_g = NULL;
  free(h);
}

/* ---- queries for assertions ------------------------------------------- */

static inline const struct prf_obs *prf_find(const struct prf_host *h,
                                             const char *code, const char *area,
                                             const char *period,
                                             const char *bd_member) {
  size_t i;
  for (i = 0; i < h->obs_count; i++) {
    const struct prf_obs *o = &h->obs[i];
    if (strcmp(o->source_code, code) == 0 && strcmp(o->area, area) == 0 &&
        strcmp(o->period, period) == 0 &&
        (!bd_member ||
         (o->bd_count > 0 && strcmp(o->bd_member[0], bd_member) == 0)))
      return o;
  }
  return NULL;
}

/* Index of the first log line of that level containing all fragments. */
static inline int prf_log_find(const struct prf_host *h, gw_log_level level,
                               const char *a, const char *b, const char *c) {
  size_t i;
  for (i = 0; i < h->log_count; i++)
    if (h->log_levels[i] == level && strstr(h->logs[i], a) &&
        (!b || strstr(h->logs[i], b)) && (!c || strstr(h->logs[i], c)))
      return (int)i;
  return -1;
}

static inline size_t prf_log_count(const struct prf_host *h,
                                   gw_log_level level) {
  size_t i, n = 0;
  for (i = 0; i < h->log_count; i++)
    n += h->log_levels[i] == level;
  return n;
}

static inline void prf_dump_logs(const struct prf_host *h) {
  size_t i;
  for (i = 0; i < h->log_count; i++)
    fprintf(stderr, "log[%d] %s\n", (int)h->log_levels[i], h->logs[i]);
}

#endif
