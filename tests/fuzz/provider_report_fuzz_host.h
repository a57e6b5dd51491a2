/*
 * provider_report_fuzz_host.h - the minimal host behind the provider report
 * harnesses (fuzz_provider_xml.c, fuzz_provider_json.c): the input is the
 * payload; the plugin context is made once (the XSD is compiled once) and
 * every input is checked with the invariants below.
 *
 * Invariants: a report is emitted whole or not at all (any violation means
 * GW_FAIL and no observation); a GW_OK report has no violation; every
 * violation has text; every emitted observation carries the dataset "*", a
 * code, area and period, and either a finite value or a marker status.
 */
#ifndef PROVIDER_REPORT_FUZZ_HOST_H
#define PROVIDER_REPORT_FUZZ_HOST_H

#include "provider_report.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct gw_payload {
  const uint8_t *data;
  size_t len;
  size_t pos;
};

static size_t fz_emitted;

static ssize_t fz_read(struct gw_payload *p, void *buf, size_t len) {
  size_t n = p->len - p->pos;
  if (n > len)
    n = len;
  /* odd reads: markup split across reads is the guard's hard case */
  if (n > 7 && (p->pos & 1))
    n = 7;
  memcpy(buf, p->data + p->pos, n);
  p->pos += n;
  return (ssize_t)n;
}

static int fz_rewind(struct gw_payload *p) {
  p->pos = 0;
  return 0;
}

static const char *fz_url(const struct gw_payload *p) {
  (void)p;
  return "https://fuzz.test/report";
}

static int fz_not_modified(const struct gw_payload *p) {
  (void)p;
  return 0;
}

static gw_result fz_fetch(struct gw_run *run, const struct gw_fetch_request *r,
                          struct gw_payload **out) {
  (void)run;
  (void)r;
  (void)out;
  return GW_FAIL;
}

static gw_result fz_emit(struct gw_run *run,
                         const struct gw_raw_observation *o) {
  size_t i;
  (void)run;
  if (o->size != sizeof *o || strcmp(o->dataset, "*") != 0 ||
      !o->source_code[0] || !o->area[0] || !o->period[0] ||
      o->breakdown_count > PR_MAX_BREAKDOWN)
    abort();
  if (o->has_value ? !isfinite(o->value)
                   : (o->status != GW_STATUS_MISSING &&
                      o->status != GW_STATUS_NOT_YET_KNOWN &&
                      o->status != GW_STATUS_NOT_APPLICABLE) ||
                         !o->status_detail)
    abort();
  for (i = 0; i < o->breakdown_count; i++)
    if (!o->breakdown[i].dimension[0] || !o->breakdown[i].member)
      abort();
  fz_emitted++;
  return GW_OK;
}

static void fz_reject(struct gw_run *run, const char *l, const char *r) {
  (void)run;
  (void)l;
  (void)r;
}

static void fz_log(struct gw_run *run, gw_log_level level, const char *fmt, ...)
    GW_PRINTF_LIKE(3, 4);
static void fz_log(struct gw_run *run, gw_log_level level, const char *fmt,
                   ...) {
  char line[2048];
  va_list ap;
  (void)run;
  (void)level;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap); /* formats every argument */
  va_end(ap);
}

static const char *fz_config_string(const struct gw_plugin_config *c,
                                    const char *key) {
  (void)c;
  if (strcmp(key, "url") == 0)
    return "https://fuzz.test/report";
  if (strcmp(key, "municipality") == 0)
    return "GM0384";
  if (strcmp(key, "schema_dir") == 0)
    return NULL; /* the build's GW_DEFAULT_SCHEMA_DIR */
  return NULL;
}

static int64_t fz_config_int(const struct gw_plugin_config *c,
                             const char *key) {
  (void)c;
  if (strcmp(key, "max_errors") == 0)
    return 20;
  return 1 << 20; /* max_bytes */
}

static int fz_config_bool(const struct gw_plugin_config *c, const char *k) {
  (void)c;
  (void)k;
  return 0;
}

static size_t fz_config_count(const struct gw_plugin_config *c, const char *k) {
  (void)c;
  (void)k;
  return 0;
}

static int fz_config_entry(const struct gw_plugin_config *c, const char *k,
                           size_t i, const char **name, const char **value) {
  (void)c;
  (void)k;
  (void)i;
  *name = NULL;
  *value = NULL;
  return -1;
}

static int fz_parse_number(const char *text, double *out) {
  (void)text;
  *out = 0;
  return -1;
}

static int fz_normalise_period(const char *raw, char *out, size_t size) {
  (void)raw;
  if (size)
    out[0] = '\0';
  return 0;
}

static const char *fz_indicator_for(struct gw_run *run, const char *dataset,
                                    const char *code) {
  static const char *const codes[] = {"2.2.1", "2.3.1", "4.2.3", "5.1.3",
                                      "5.2.4", "5.2.8", "6.1.2", "6.1.3",
                                      "6.1.5", "6.1.6"};
  size_t i;
  (void)run;
  if (strcmp(dataset, "*") != 0)
    abort();
  for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (strcmp(codes[i], code) == 0)
      return "mapped";
  return NULL;
}

static const struct gw_host_api fz_host = {
    .abi_version = GW_PLUGIN_ABI_VERSION,
    .size = sizeof(struct gw_host_api),
    .fetch = fz_fetch,
    .payload_read = fz_read,
    .payload_rewind = fz_rewind,
    .payload_url = fz_url,
    .payload_not_modified = fz_not_modified,
    .emit = fz_emit,
    .reject = fz_reject,
    .log = fz_log,
    .config_string = fz_config_string,
    .config_int = fz_config_int,
    .config_bool = fz_config_bool,
    .config_count = fz_config_count,
    .config_entry = fz_config_entry,
    .parse_number = fz_parse_number,
    .normalise_period = fz_normalise_period,
    .indicator_for = fz_indicator_for,
};

static struct pr_ctx *fz_context(void) {
  static void *ctx;
  if (!ctx) {
    if (provider_report_init(&fz_host, NULL, &ctx) != GW_OK)
      abort();
    /* a fixed today keeps runs reproducible */
    memcpy(((struct pr_ctx *)ctx)->today_override, "2023-06-30", 11);
  }
  return ctx;
}

typedef gw_result (*fz_process_fn)(struct pr_ctx *, struct gw_run *,
                                   struct gw_payload *, struct pr_violations *);

static int fz_check(const uint8_t *data, size_t size, fz_process_fn process) {
  struct gw_payload payload = {data, size, 0};
  struct pr_violations violations;
  gw_result rc;
  size_t i;

  fz_emitted = 0;
  pr_violations_init(&violations, 20);
  rc = process(fz_context(), NULL, &payload, &violations);
  if (violations.total > 0 && (rc != GW_FAIL || fz_emitted != 0))
    abort(); /* refused reports must emit nothing */
  if (rc == GW_FAIL && fz_emitted != 0)
    abort(); /* the harness never fails an emit */
  if (violations.kept > violations.total || violations.kept > 20)
    abort();
  for (i = 0; i < violations.kept; i++)
    if (!violations.items[i].text || !violations.items[i].text[0])
      abort();
  pr_violations_sort(&violations);
  pr_violations_free(&violations);
  return 0;
}

#endif
