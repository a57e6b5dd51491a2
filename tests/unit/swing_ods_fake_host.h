/*
 * swing_ods_fake_host.h - a fake gateway host for the swing_ods unit tests.
 *
 * Serves tests/fixtures/swing the way tests/server/fixture_server.py does
 * (percent-decoded path P, ?..$skip=N.. -> P.skipN.json, else P.json,
 * {BASE} replaced), answers a missing file with FAIL and HTTP status 404
 * and, when require_key is set, a request without "apikey: <key>" with
 * FAIL and 401 (last_http_status). Records observations, rejections, log
 * lines, fetched URLs and the headers sent. Everything is static inline.
 */
#ifndef SWING_ODS_FAKE_HOST_H
#define SWING_ODS_FAKE_HOST_H

#include "swing_ods.h"
#include "test_support.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SF_BASE "https://fixture.test"
#define SF_MAX 1024

struct sf_obs {
  char dataset[32];
  char code[64];
  char area[32];
  char period[32];
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
};

struct sf_host {
  char root[1024];
  char url[512];
  json_t *params;
  const char *replace_from[8];
  const char *replace_to[8];
  size_t replace_count;
  const char *require_key; /* 401 unless "apikey: <require_key>" is sent */
  const char *mapped[32];  /* codes indicator_for maps (any dataset) */
  size_t mapped_count;
  long status; /* of the last fetch */

  struct sf_obs *obs;
  size_t obs_count;
  size_t obs_cap;
  char *logs[SF_MAX];
  gw_log_level log_levels[SF_MAX];
  size_t log_count;
  char *rejects[SF_MAX];
  size_t reject_count;
  char *fetched[SF_MAX];
  char *sent_headers[SF_MAX]; /* the request's headers joined by '\n' */
  size_t fetch_count;
  struct gw_payload *payloads[SF_MAX];
  size_t payload_count;
  struct gw_host_api api;
};

static struct sf_host *sf_g;

static inline char *sf_strdup(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(n + 1);
  if (out)
    memcpy(out, s, n + 1);
  return out;
}

/* All occurrences of from replaced by to; takes ownership of text. */
static inline char *sf_replace(char *text, const char *from, const char *to) {
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

static inline int sf_is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static inline void sf_percent_decode(char *s) {
  char *w = s;
  for (; *s; s++) {
    if (s[0] == '%' && isxdigit((unsigned char)s[1]) &&
        isxdigit((unsigned char)s[2])) {
      char hex[3] = {s[1], s[2], 0};
      *w++ = (char)strtol(hex, NULL, 16);
      s += 2;
    } else {
      *w++ = *s;
    }
  }
  *w = '\0';
}

static inline char *sf_load(struct sf_host *h, const char *url) {
  const char *path, *query, *skip;
  char rel[1024], file[4096];
  char *body = NULL;
  size_t i;

  if (strncmp(url, SF_BASE "/", strlen(SF_BASE) + 1) != 0)
    return NULL;
  path = url + strlen(SF_BASE);
  query = strchr(path, '?');
  snprintf(rel, sizeof rel, "%.*s",
           (int)(query ? (size_t)(query - path) : strlen(path)), path);
  sf_percent_decode(rel);
  skip = query ? strstr(query, "$skip=") : NULL;
  if (skip)
    snprintf(file, sizeof file, "%s%s.skip%ld.json", h->root, rel,
             strtol(skip + 6, NULL, 10));
  else
    snprintf(file, sizeof file, "%s%s.json", h->root, rel);
  if (!sf_is_file(file))
    snprintf(file, sizeof file, "%s%s", h->root, rel);
  if (sf_is_file(file))
    body = ts_read_file(file, NULL);
  if (!body)
    return NULL;
  body = sf_replace(body, "{BASE}", SF_BASE);
  for (i = 0; i < h->replace_count; i++)
    body = sf_replace(body, h->replace_from[i], h->replace_to[i]);
  return body;
}

static inline char *sf_join_headers(const char *const *headers) {
  size_t len = 1, i;
  char *out, *w;
  for (i = 0; headers && headers[i]; i++)
    len += strlen(headers[i]) + 1;
  out = calloc(1, len);
  for (i = 0, w = out; out && headers && headers[i]; i++) {
    size_t n = strlen(headers[i]);
    memcpy(w, headers[i], n);
    w[n] = '\n';
    w += n + 1;
  }
  return out;
}

static inline int sf_has_header(const char *const *headers, const char *line) {
  size_t i;
  for (i = 0; headers && headers[i]; i++)
    if (strcmp(headers[i], line) == 0)
      return 1;
  return 0;
}

static inline gw_result sf_fetch(struct gw_run *run,
                                 const struct gw_fetch_request *req,
                                 struct gw_payload **out) {
  struct sf_host *h = sf_g;
  struct gw_payload *p;
  (void)run;

  *out = NULL;
  h->status = 0;
  if (h->fetch_count < SF_MAX) {
    h->fetched[h->fetch_count] = sf_strdup(req->url);
    h->sent_headers[h->fetch_count] = sf_join_headers(req->headers);
    h->fetch_count++;
  }
  if (h->require_key) {
    char line[256];
    snprintf(line, sizeof line, "apikey: %s", h->require_key);
    if (!sf_has_header(req->headers, line)) {
      h->status = 401;
      return GW_FAIL;
    }
  }
  p = calloc(1, sizeof *p);
  if (!p)
    return GW_FAIL;
  p->data = sf_load(h, req->url);
  if (!p->data || h->payload_count >= SF_MAX) {
    free(p->data);
    free(p);
    h->status = 404;
    return GW_FAIL;
  }
  h->status = 200;
  p->len = strlen(p->data);
  snprintf(p->url, sizeof p->url, "%s", req->url);
  h->payloads[h->payload_count++] = p;
  *out = p;
  return GW_OK;
}

static inline long sf_last_http_status(struct gw_run *run) {
  (void)run;
  return sf_g->status;
}

static inline ssize_t sf_payload_read(struct gw_payload *p, void *buf,
                                      size_t len) {
  size_t n = p->len - p->pos;
  if (n > len)
    n = len;
  memcpy(buf, p->data + p->pos, n);
  p->pos += n;
  return (ssize_t)n;
}

static inline int sf_payload_rewind(struct gw_payload *p) {
  p->pos = 0;
  return 0;
}

static inline const char *sf_payload_url(const struct gw_payload *p) {
  return p->url;
}

static inline int sf_payload_not_modified(const struct gw_payload *p) {
  (void)p;
  return 0;
}

static inline void sf_copy(char *dst, size_t size, const char *src) {
  snprintf(dst, size, "%s", src ? src : "");
}

static inline gw_result sf_emit(struct gw_run *run,
                                const struct gw_raw_observation *o) {
  struct sf_host *h = sf_g;
  struct sf_obs *r;
  (void)run;

  if (h->obs_count == h->obs_cap) {
    size_t cap = h->obs_cap ? h->obs_cap * 2 : 256;
    struct sf_obs *grown = realloc(h->obs, cap * sizeof *grown);
    if (!grown)
      return GW_FAIL;
    h->obs = grown;
    h->obs_cap = cap;
  }
  r = &h->obs[h->obs_count++];
  memset(r, 0, sizeof *r);
  sf_copy(r->dataset, sizeof r->dataset, o->dataset);
  sf_copy(r->code, sizeof r->code, o->source_code);
  sf_copy(r->area, sizeof r->area, o->area);
  sf_copy(r->period, sizeof r->period, o->period);
  r->has_value = o->has_value;
  r->value = o->value;
  r->status = o->status;
  r->has_detail = o->status_detail != NULL;
  sf_copy(r->detail, sizeof r->detail, o->status_detail);
  r->position = o->position;
  r->payload = o->payload;
  return GW_OK;
}

static inline void sf_reject(struct gw_run *run, const char *location,
                             const char *reason) {
  struct sf_host *h = sf_g;
  char line[1024];
  (void)run;
  snprintf(line, sizeof line, "%s: %s", location, reason);
  if (h->reject_count < SF_MAX)
    h->rejects[h->reject_count++] = sf_strdup(line);
}

static inline void sf_log(struct gw_run *run, gw_log_level level,
                          const char *fmt, ...) GW_PRINTF_LIKE(3, 4);
static inline void sf_log(struct gw_run *run, gw_log_level level,
                          const char *fmt, ...) {
  struct sf_host *h = sf_g;
  char line[4096];
  va_list ap;
  (void)run;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (h->log_count < SF_MAX) {
    h->log_levels[h->log_count] = level;
    h->logs[h->log_count++] = sf_strdup(line);
  }
}

static inline const struct gw_config_key *sf_key(const char *key) {
  const struct gw_config_key *k;
  for (k = swing_ods_config_keys; k->name; k++)
    if (strcmp(k->name, key) == 0)
      return k;
  return NULL;
}

static inline const char *sf_config_string(const struct gw_plugin_config *c,
                                           const char *key) {
  const struct gw_config_key *k = sf_key(key);
  const char *v;
  (void)c;
  if (strcmp(key, "url") == 0)
    return sf_g->url;
  if (strcmp(key, "id") == 0)
    return "test-source";
  v = json_string_value(json_object_get(sf_g->params, key));
  return v ? v : (k ? k->default_value : NULL);
}

static inline int64_t sf_config_int(const struct gw_plugin_config *c,
                                    const char *key) {
  const struct gw_config_key *k = sf_key(key);
  json_t *v = json_object_get(sf_g->params, key);
  (void)c;
  if (json_is_integer(v))
    return json_integer_value(v);
  return k && k->default_value ? strtoll(k->default_value, NULL, 10) : 0;
}

static inline int sf_config_bool(const struct gw_plugin_config *c,
                                 const char *key) {
  const struct gw_config_key *k = sf_key(key);
  json_t *v = json_object_get(sf_g->params, key);
  (void)c;
  if (json_is_boolean(v))
    return json_is_true(v);
  return k && k->default_value && strcmp(k->default_value, "true") == 0;
}

static inline size_t sf_config_count(const struct gw_plugin_config *c,
                                     const char *key) {
  json_t *v = json_object_get(sf_g->params, key);
  (void)c;
  return json_is_object(v) ? json_object_size(v) : json_array_size(v);
}

static inline int sf_config_entry(const struct gw_plugin_config *c,
                                  const char *key, size_t i, const char **name,
                                  const char **value) {
  json_t *v = json_object_get(sf_g->params, key);
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

/* Like the host: '.' or ',' as the decimal mark, nothing else. */
static inline int sf_parse_number(const char *text, double *out) {
  char buf[64], *end;
  size_t i, n = strlen(text);
  if (n == 0 || n >= sizeof buf)
    return -1;
  for (i = 0; i <= n; i++)
    buf[i] = text[i] == ',' ? '.' : text[i];
  if (!isdigit((unsigned char)buf[0]) && buf[0] != '-')
    return -1;
  *out = strtod(buf, &end);
  return (*end == '\0' && isfinite(*out)) ? 0 : -1;
}

static inline int sf_normalise_period(const char *raw, char *out, size_t size) {
  snprintf(out, size, "%s", raw);
  return 0;
}

static inline const char *
sf_indicator_for(struct gw_run *run, const char *dataset, const char *code) {
  size_t i;
  (void)run;
  (void)dataset;
  for (i = 0; i < sf_g->mapped_count; i++)
    if (strcmp(sf_g->mapped[i], code) == 0)
      return "mapped";
  return NULL;
}

/* The 13 BBV variables the catalogue maps (issue 3 contract). */
static const char *const sf_bbv[13] = {"bbv_banen_per_1000",
                                       "bbv_netto_arbeidsparticipatie",
                                       "bbv_bijstand_per_10000",
                                       "bbv_reintegratie_per_10000",
                                       "bbv_wmo_maatwerk_per_10000",
                                       "bbv_jongeren_delict",
                                       "bbv_kinderen_uitkeringsgezin",
                                       "bbv_melding_kindermishandeling",
                                       "bbv_achterstandsleerlingen",
                                       "bbv_werkloze_jongeren",
                                       "bbv_jeugdhulp",
                                       "bbv_jeugdbescherming",
                                       "bbv_jeugdreclassering"};

static inline void sf_map_bbv(struct sf_host *h) {
  size_t i;
  for (i = 0; i < 13; i++)
    h->mapped[h->mapped_count++] = sf_bbv[i];
}

/* instance: "" for the main instance, "/gmcodes" for the GM-code one. */
static inline struct sf_host *sf_new(const char *instance) {
  struct sf_host *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  snprintf(h->root, sizeof h->root, "%s/tests/fixtures/swing", ts_source_dir());
  snprintf(h->url, sizeof h->url, "%s%s/jiveservices/odata", SF_BASE, instance);
  h->params = json_object();
  h->api.abi_version = GW_PLUGIN_ABI_VERSION;
  h->api.size = sizeof h->api;
  h->api.fetch = sf_fetch;
  h->api.payload_read = sf_payload_read;
  h->api.payload_rewind = sf_payload_rewind;
  h->api.payload_url = sf_payload_url;
  h->api.payload_not_modified = sf_payload_not_modified;
  h->api.emit = sf_emit;
  h->api.reject = sf_reject;
  h->api.log = sf_log;
  h->api.config_string = sf_config_string;
  h->api.config_int = sf_config_int;
  h->api.config_bool = sf_config_bool;
  h->api.config_count = sf_config_count;
  h->api.config_entry = sf_config_entry;
  h->api.parse_number = sf_parse_number;
  h->api.normalise_period = sf_normalise_period;
  h->api.indicator_for = sf_indicator_for;
  h->api.last_http_status = sf_last_http_status;
  sf_g = h;
  return h;
}

static inline void sf_replace_text(struct sf_host *h, const char *from,
                                   const char *to) {
  h->replace_from[h->replace_count] = from;
  h->replace_to[h->replace_count] = to;
  h->replace_count++;
}

/* params.<key> = list of strings (NULL-terminated varargs). */
static inline void sf_set_list(struct sf_host *h, const char *key, ...) {
  json_t *list = json_array();
  const char *item;
  va_list ap;
  va_start(ap, key);
  while ((item = va_arg(ap, const char *)) != NULL)
    json_array_append_new(list, json_string(item));
  va_end(ap);
  json_object_set_new(h->params, key, list);
}

static inline gw_result sf_run(struct sf_host *h) {
  void *ctx = NULL;
  gw_result rc =
      swing_ods_init(&h->api, (const struct gw_plugin_config *)h, &ctx);
  if (rc != GW_OK)
    return rc;
  rc = swing_ods_run(ctx, (struct gw_run *)h);
  swing_ods_destroy(ctx);
  return rc;
}

static inline void sf_free(struct sf_host *h) {
  size_t i;
  if (!h)
    return;
  for (i = 0; i < h->log_count; i++)
    free(h->logs[i]);
  for (i = 0; i < h->reject_count; i++)
    free(h->rejects[i]);
  for (i = 0; i < h->fetch_count; i++) {
    free(h->fetched[i]);
    free(h->sent_headers[i]);
  }
  for (i = 0; i < h->payload_count; i++) {
    free(h->payloads[i]->data);
    free(h->payloads[i]);
  }
  free(h->obs);
  json_decref(h->params);
  if (sf_g == h)
    sf_g = NULL;
  free(h);
}

/* ---- queries for assertions ------------------------------------------- */

static inline const struct sf_obs *sf_find(const struct sf_host *h,
                                           const char *code, const char *area,
                                           const char *period) {
  size_t i;
  for (i = 0; i < h->obs_count; i++) {
    const struct sf_obs *o = &h->obs[i];
    if (strcmp(o->code, code) == 0 && strcmp(o->area, area) == 0 &&
        strcmp(o->period, period) == 0)
      return o;
  }
  return NULL;
}

static inline size_t sf_count(const struct sf_host *h, const char *code,
                              const char *period) {
  size_t i, n = 0;
  for (i = 0; i < h->obs_count; i++)
    if ((!code || strcmp(h->obs[i].code, code) == 0) &&
        (!period || strcmp(h->obs[i].period, period) == 0))
      n++;
  return n;
}

/* Index of the first log line at level containing a and b, or -1. */
static inline int sf_log_find(const struct sf_host *h, gw_log_level level,
                              const char *a, const char *b) {
  size_t i;
  for (i = 0; i < h->log_count; i++)
    if (h->log_levels[i] == level && strstr(h->logs[i], a) &&
        (!b || strstr(h->logs[i], b)))
      return (int)i;
  return -1;
}

/* Index of the first fetched URL containing a and b, or -1. */
static inline int sf_fetched(const struct sf_host *h, const char *a,
                             const char *b) {
  size_t i;
  for (i = 0; i < h->fetch_count; i++)
    if (strstr(h->fetched[i], a) && (!b || strstr(h->fetched[i], b)))
      return (int)i;
  return -1;
}

static inline void sf_dump(const struct sf_host *h) {
  size_t i;
  for (i = 0; i < h->log_count; i++)
    fprintf(stderr, "log[%d] %s\n", (int)h->log_levels[i], h->logs[i]);
  for (i = 0; i < h->reject_count && i < 20; i++)
    fprintf(stderr, "reject %s\n", h->rejects[i]);
  for (i = 0; i < h->fetch_count && i < 20; i++)
    fprintf(stderr, "fetch %s\n", h->fetched[i]);
}

#endif
