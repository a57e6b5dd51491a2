/*
 * cbs_odata_fake_host.h - a fake gateway host for the cbs_odata unit tests.
 *
 * Serves fixture files from disk the way tests/server/fixture_server.py
 * does (P?..$skip=N.. -> P.skipN.json, else P.json, {BASE} replaced), with
 * optional text replacements to make variants, records every observation,
 * rejection, log line and fetched URL, and watches how the plugin reads its
 * payloads. Included by several test files, so everything is static inline.
 */
#ifndef CBS_ODATA_FAKE_HOST_H
#define CBS_ODATA_FAKE_HOST_H

#include "cbs_odata.h"
#include "test_support.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FAKE_BASE "https://fixture.test"
#define FAKE_MAX 64

struct fake_obs {
  char dataset[32];
  char source_code[64];
  char area[32];
  char period[32];
  char bd_dim[4][32];
  char bd_member[4][64];
  size_t bd_count;
  gw_component component;
  int has_value;
  double value;
  gw_status status;
  char detail[64];
  int has_detail;
  uint64_t position;
  const struct gw_payload *payload;
};

struct gw_payload {
  char *data;
  size_t len;
  size_t pos;
  char url[1024];
  int finished;
};

struct fake_host {
  char root[1024];
  char url[512];
  json_t *params;
  /* text replacements applied to every served body */
  const char *replace_from[8];
  const char *replace_to[8];
  size_t replace_count;
  /* fetches of URLs containing this return fetch_result_override */
  const char *fetch_fail_match;
  gw_result fetch_fail_result;
  /* emit returns GW_FAIL once this many were accepted (0: never) */
  size_t emit_fail_after;
  /* serve TypedDataSet of repeat_path repeat_pages times (memory test) */
  const char *repeat_path;
  int repeat_pages;
  /* emit only counts (long runs) */
  int count_only;
  /* indicator_for answers for these (dataset, code) pairs */
  const char *mapped[32][2];
  size_t mapped_count;

  struct fake_obs *obs;
  size_t obs_count;
  size_t obs_cap;
  char *logs[4096];
  gw_log_level log_levels[4096];
  size_t log_count;
  char *rejects[4096];
  size_t reject_count;
  char *fetched[1024];
  size_t fetch_count;
  struct gw_payload *payloads[1024];
  size_t payload_count;
  size_t max_unfinished_at_fetch;
  struct gw_host_api api;
};

static struct fake_host *fake_g;

static inline char *fake_strdup(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(n + 1);
  if (out)
    memcpy(out, s, n + 1);
  return out;
}

/* All occurrences of from replaced by to; takes ownership of text. */
static inline char *fake_replace(char *text, const char *from, const char *to) {
  size_t fl = strlen(from), tl = strlen(to), count = 0, len = strlen(text);
  const char *p;
  char *out, *w;

  if (fl == 0)
    return text;
  for (p = strstr(text, from); p; p = strstr(p + fl, from))
    count++;
  if (count == 0)
    return text;
  out = malloc(len + count * tl + 1);
  if (!out)
    return text;
  w = out;
  for (p = text;;) {
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
  free(text);
  return out;
}

static inline int fake_is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The memory test: page k of repeat_path is the first page again, with a
 * nextLink to page k+1 (none on the last). */
static inline char *fake_repeat_page(struct fake_host *h, const char *file,
                                     long skip) {
  char *body = ts_read_file(file, NULL);
  char *link;
  char next[512];

  if (!body)
    return NULL;
  link = strstr(body, ",\"odata.nextLink\"");
  if (!link)
    return body;
  *link = '\0';
  if (skip / 200 + 1 < h->repeat_pages)
    snprintf(next, sizeof next,
             ",\"odata.nextLink\":\"{BASE}%s?$format=json&$skip=%ld\"}\n",
             h->repeat_path, skip + 200);
  else
    snprintf(next, sizeof next, "}\n");
  {
    size_t a = strlen(body), b = strlen(next);
    char *out = malloc(a + b + 1);
    if (out) {
      memcpy(out, body, a);
      memcpy(out + a, next, b + 1);
    }
    free(body);
    return out;
  }
}

static inline char *fake_load(struct fake_host *h, const char *url) {
  const char *path, *query, *skip;
  char rel[1024], file[4096];
  long skip_n = -1;
  char *body = NULL;
  size_t i;

  if (strncmp(url, FAKE_BASE "/", strlen(FAKE_BASE) + 1) != 0)
    return NULL;
  path = url + strlen(FAKE_BASE);
  query = strchr(path, '?');
  snprintf(rel, sizeof rel, "%.*s",
           (int)(query ? (size_t)(query - path) : strlen(path)), path);
  skip = query ? strstr(query, "$skip=") : NULL;
  if (skip)
    skip_n = strtol(skip + 6, NULL, 10);
  if (h->repeat_path && strcmp(rel, h->repeat_path) == 0) {
    snprintf(file, sizeof file, "%s%s.json", h->root, rel);
    body = fake_repeat_page(h, file, skip_n < 0 ? 0 : skip_n);
  } else {
    if (skip_n >= 0)
      snprintf(file, sizeof file, "%s%s.skip%ld.json", h->root, rel, skip_n);
    else
      snprintf(file, sizeof file, "%s%s.json", h->root, rel);
    if (!fake_is_file(file))
      snprintf(file, sizeof file, "%s%s", h->root, rel);
    if (fake_is_file(file))
      body = ts_read_file(file, NULL);
  }
  if (!body)
    return NULL;
  body = fake_replace(body, "{BASE}", FAKE_BASE);
  for (i = 0; i < h->replace_count; i++)
    body = fake_replace(body, h->replace_from[i], h->replace_to[i]);
  return body;
}

static inline gw_result fake_fetch(struct gw_run *run,
                                   const struct gw_fetch_request *req,
                                   struct gw_payload **out) {
  struct fake_host *h = fake_g;
  struct gw_payload *p;
  size_t i, unfinished = 0;
  (void)run;

  for (i = 0; i < h->payload_count; i++)
    if (!h->payloads[i]->finished)
      unfinished++;
  if (unfinished > h->max_unfinished_at_fetch)
    h->max_unfinished_at_fetch = unfinished;
  if (h->fetch_count < 1024)
    h->fetched[h->fetch_count++] = fake_strdup(req->url);
  if (h->fetch_fail_match && strstr(req->url, h->fetch_fail_match))
    return h->fetch_fail_result;
  p = calloc(1, sizeof *p);
  if (!p)
    return GW_FAIL;
  p->data = fake_load(h, req->url);
  if (!p->data || h->payload_count >= 1024) {
    free(p->data);
    free(p);
    return GW_FAIL; /* like a 404 */
  }
  p->len = strlen(p->data);
  snprintf(p->url, sizeof p->url, "%s", req->url);
  h->payloads[h->payload_count++] = p;
  *out = p;
  return GW_OK;
}

static inline ssize_t fake_payload_read(struct gw_payload *p, void *buf,
                                        size_t len) {
  size_t n = p->len - p->pos;
  if (n > len)
    n = len;
  memcpy(buf, p->data + p->pos, n);
  p->pos += n;
  if (n == 0)
    p->finished = 1;
  return (ssize_t)n;
}

static inline int fake_payload_rewind(struct gw_payload *p) {
  p->pos = 0;
  return 0;
}

static inline const char *fake_payload_url(const struct gw_payload *p) {
  return p->url;
}

static inline int fake_payload_not_modified(const struct gw_payload *p) {
  (void)p;
  return 0;
}

static inline void fake_copy(char *dst, size_t size, const char *src) {
  snprintf(dst, size, "%s", src ? src : "");
}

static inline gw_result fake_emit(struct gw_run *run,
                                  const struct gw_raw_observation *o) {
  struct fake_host *h = fake_g;
  struct fake_obs *r;
  size_t i;
  (void)run;

  if (h->count_only) {
    h->obs_count++;
    return GW_OK;
  }
  if (h->obs_count == h->obs_cap) {
    size_t cap = h->obs_cap ? h->obs_cap * 2 : 256;
    struct fake_obs *grown = realloc(h->obs, cap * sizeof *grown);
    if (!grown)
      return GW_FAIL;
    h->obs = grown;
    h->obs_cap = cap;
  }
  r = &h->obs[h->obs_count++];
  memset(r, 0, sizeof *r);
  fake_copy(r->dataset, sizeof r->dataset, o->dataset);
  fake_copy(r->source_code, sizeof r->source_code, o->source_code);
  fake_copy(r->area, sizeof r->area, o->area);
  fake_copy(r->period, sizeof r->period, o->period);
  r->bd_count = o->breakdown_count;
  for (i = 0; i < o->breakdown_count && i < 4; i++) {
    fake_copy(r->bd_dim[i], sizeof r->bd_dim[i], o->breakdown[i].dimension);
    fake_copy(r->bd_member[i], sizeof r->bd_member[i], o->breakdown[i].member);
  }
  r->component = o->component;
  r->has_value = o->has_value;
  r->value = o->value;
  r->status = o->status;
  r->has_detail = o->status_detail != NULL;
  fake_copy(r->detail, sizeof r->detail, o->status_detail);
  r->position = o->position;
  r->payload = o->payload;
  if (h->emit_fail_after && h->obs_count > h->emit_fail_after)
    return GW_FAIL;
  return GW_OK;
}

static inline void fake_reject(struct gw_run *run, const char *location,
                               const char *reason) {
  struct fake_host *h = fake_g;
  char line[1024];
  (void)run;
  snprintf(line, sizeof line, "%s: %s", location, reason);
  if (h->reject_count < 4096)
    h->rejects[h->reject_count++] = fake_strdup(line);
}

static inline void fake_log(struct gw_run *run, gw_log_level level,
                            const char *fmt, ...) GW_PRINTF_LIKE(3, 4);
static inline void fake_log(struct gw_run *run, gw_log_level level,
                            const char *fmt, ...) {
  struct fake_host *h = fake_g;
  char line[4096];
  va_list ap;
  (void)run;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (h->log_count < 4096) {
    h->log_levels[h->log_count] = level;
    h->logs[h->log_count++] = fake_strdup(line);
  }
}

static inline const struct gw_config_key *fake_key(const char *key) {
  const struct gw_config_key *k;
  for (k = cbs_odata_config_keys; k->name; k++)
    if (strcmp(k->name, key) == 0)
      return k;
  return NULL;
}

static inline const char *fake_config_string(const struct gw_plugin_config *c,
                                             const char *key) {
  const struct gw_config_key *k = fake_key(key);
  const char *v;
  (void)c;
  if (strcmp(key, "url") == 0)
    return fake_g->url;
  if (strcmp(key, "id") == 0)
    return "test-source";
  v = json_string_value(json_object_get(fake_g->params, key));
  return v ? v : (k ? k->default_value : NULL);
}

static inline int64_t fake_config_int(const struct gw_plugin_config *c,
                                      const char *key) {
  const struct gw_config_key *k = fake_key(key);
  json_t *v = json_object_get(fake_g->params, key);
  (void)c;
  if (json_is_integer(v))
    return json_integer_value(v);
  return k && k->default_value ? strtoll(k->default_value, NULL, 10) : 0;
}

static inline int fake_config_bool(const struct gw_plugin_config *c,
                                   const char *key) {
  const struct gw_config_key *k = fake_key(key);
  json_t *v = json_object_get(fake_g->params, key);
  (void)c;
  if (json_is_boolean(v))
    return json_is_true(v);
  return k && k->default_value && strcmp(k->default_value, "true") == 0;
}

static inline size_t fake_config_count(const struct gw_plugin_config *c,
                                       const char *key) {
  json_t *v = json_object_get(fake_g->params, key);
  (void)c;
  return json_is_object(v) ? json_object_size(v) : json_array_size(v);
}

static inline int fake_config_entry(const struct gw_plugin_config *c,
                                    const char *key, size_t i,
                                    const char **name, const char **value) {
  json_t *v = json_object_get(fake_g->params, key);
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

static inline int fake_parse_number(const char *text, double *out) {
  char buf[64], *end;
  size_t i, n = strlen(text);
  if (n == 0 || n >= sizeof buf)
    return -1;
  for (i = 0; i <= n; i++)
    buf[i] = text[i] == ',' ? '.' : text[i];
  *out = strtod(buf, &end);
  return (*end == '\0' && isfinite(*out)) ? 0 : -1;
}

static inline int fake_normalise_period(const char *raw, char *out,
                                        size_t size) {
  snprintf(out, size, "%s", raw);
  return 0;
}

static inline const char *
fake_indicator_for(struct gw_run *run, const char *dataset, const char *code) {
  size_t i;
  (void)run;
  for (i = 0; i < fake_g->mapped_count; i++)
    if (strcmp(fake_g->mapped[i][0], dataset) == 0 &&
        strcmp(fake_g->mapped[i][1], code) == 0)
      return "mapped";
  return NULL;
}

static inline void fake_map(struct fake_host *h, const char *dataset,
                            const char *code) {
  h->mapped[h->mapped_count][0] = dataset;
  h->mapped[h->mapped_count][1] = code;
  h->mapped_count++;
}

/* The catalogue mappings of the brief (schemas/indicators.json). */
static inline void fake_map_demo(struct fake_host *h) {
  static const char *const social[] = {
      "BanenPer1000Inwoners", "NettoArbeidsparticipatie",
      "Bijstandsuitkeringen", "ReIntegratievoorzieningen",
      "WmoClienten",          "HuishoudensMetBijstand"};
  static const char *const rivm[] = {"ErvarenGezondheidGoedZeerGoed",
                                     "VoldoetAanBeweegrichtlijn",
                                     "Overgewicht",
                                     "Eenzaam",
                                     "PsychischeKlachten",
                                     "Roker",
                                     "ZwareDrinker"};
  static const char *const youth[] = {"M004521", "M004522", "M004523"};
  size_t i;
  for (i = 0; i < 6; i++)
    fake_map(h, "90001NED", social[i]);
  for (i = 0; i < 7; i++)
    fake_map(h, "50120NED", rivm[i]);
  for (i = 0; i < 3; i++)
    fake_map(h, "90002NED", youth[i]);
}

static inline struct fake_host *fake_new(const char *fixture_dir,
                                         const char *table_path) {
  struct fake_host *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  snprintf(h->root, sizeof h->root, "%s/%s", ts_source_dir(), fixture_dir);
  snprintf(h->url, sizeof h->url, "%s%s", FAKE_BASE, table_path);
  h->params = json_object();
  h->api.abi_version = GW_PLUGIN_ABI_VERSION;
  h->api.size = sizeof h->api;
  h->api.fetch = fake_fetch;
  h->api.payload_read = fake_payload_read;
  h->api.payload_rewind = fake_payload_rewind;
  h->api.payload_url = fake_payload_url;
  h->api.payload_not_modified = fake_payload_not_modified;
  h->api.emit = fake_emit;
  h->api.reject = fake_reject;
  h->api.log = fake_log;
  h->api.config_string = fake_config_string;
  h->api.config_int = fake_config_int;
  h->api.config_bool = fake_config_bool;
  h->api.config_count = fake_config_count;
  h->api.config_entry = fake_config_entry;
  h->api.parse_number = fake_parse_number;
  h->api.normalise_period = fake_normalise_period;
  h->api.indicator_for = fake_indicator_for;
  fake_g = h;
  return h;
}

static inline void fake_replace_text(struct fake_host *h, const char *from,
                                     const char *to) {
  h->replace_from[h->replace_count] = from;
  h->replace_to[h->replace_count] = to;
  h->replace_count++;
}

/* init + run + destroy; returns the run result (or init's failure). */
static inline gw_result fake_run(struct fake_host *h) {
  void *ctx = NULL;
  gw_result rc =
      cbs_odata_init(&h->api, (const struct gw_plugin_config *)h, &ctx);
  if (rc != GW_OK)
    return rc;
  rc = cbs_odata_run(ctx, (struct gw_run *)h);
  cbs_odata_destroy(ctx);
  return rc;
}

static inline void fake_free(struct fake_host *h) {
  size_t i;
  if (!h)
    return;
  for (i = 0; i < h->log_count; i++)
    free(h->logs[i]);
  for (i = 0; i < h->reject_count; i++)
    free(h->rejects[i]);
  for (i = 0; i < h->fetch_count; i++)
    free(h->fetched[i]);
  for (i = 0; i < h->payload_count; i++) {
    free(h->payloads[i]->data);
    free(h->payloads[i]);
  }
  free(h->obs);
  json_decref(h->params);
  if (fake_g == h)
    fake_g = NULL;
  free(h);
}

/* ---- queries for assertions ------------------------------------------- */

static inline size_t fake_count_code(const struct fake_host *h,
                                     const char *code) {
  size_t i, n = 0;
  for (i = 0; i < h->obs_count; i++)
    if (strcmp(h->obs[i].source_code, code) == 0)
      n++;
  return n;
}

static inline const struct fake_obs *
fake_find(const struct fake_host *h, const char *code, const char *area,
          const char *period, const char *bd_member, gw_component component) {
  size_t i;
  for (i = 0; i < h->obs_count; i++) {
    const struct fake_obs *o = &h->obs[i];
    if (strcmp(o->source_code, code) == 0 && strcmp(o->area, area) == 0 &&
        strcmp(o->period, period) == 0 && o->component == component &&
        (!bd_member ||
         (o->bd_count > 0 && strcmp(o->bd_member[0], bd_member) == 0)))
      return o;
  }
  return NULL;
}

/* Index of the first log line containing all of the given fragments, or
 * -1. */
static inline int fake_log_find(const struct fake_host *h, gw_log_level level,
                                const char *a, const char *b, const char *c) {
  size_t i;
  for (i = 0; i < h->log_count; i++)
    if (h->log_levels[i] == level && strstr(h->logs[i], a) &&
        (!b || strstr(h->logs[i], b)) && (!c || strstr(h->logs[i], c)))
      return (int)i;
  return -1;
}

static inline size_t fake_log_count(const struct fake_host *h,
                                    gw_log_level level, const char *a) {
  size_t i, n = 0;
  for (i = 0; i < h->log_count; i++)
    if (h->log_levels[i] == level && strstr(h->logs[i], a))
      n++;
  return n;
}

static inline int fake_fetched(const struct fake_host *h, const char *a,
                               const char *b) {
  size_t i;
  for (i = 0; i < h->fetch_count; i++)
    if (strstr(h->fetched[i], a) && (!b || strstr(h->fetched[i], b)))
      return (int)i;
  return -1;
}

static inline void fake_dump_logs(const struct fake_host *h) {
  size_t i;
  for (i = 0; i < h->log_count; i++)
    fprintf(stderr, "log[%d] %s\n", (int)h->log_levels[i], h->logs[i]);
  for (i = 0; i < h->reject_count && i < 20; i++)
    fprintf(stderr, "reject %s\n", h->rejects[i]);
}

#endif
