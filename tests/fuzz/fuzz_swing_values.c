/*
 * fuzz_swing_values - libFuzzer harness for the swing_ods plugin.
 *
 * The input is one OData page, served by a minimal in-process host for
 * every request a run makes: the Variables list, the GeoItems of the level,
 * the Periods list and the Values pages. So the same bytes are read as
 * variable codes, area names, period codes and ValueStrings. Any nextLink
 * is answered with the input again (the pager's loop and max_pages guards);
 * a $skip walk too (its "ignored $skip" guard). The input's length picks
 * the mrp mode and whether areas are mapped by name.
 *
 * Invariants (abort on violation): an emitted value is finite; a row
 * without a value carries a status (never a silent 0); every emitted string
 * is readable. Also runs swing_page_parse on the input directly.
 * Seeds: tests/fuzz/corpus/swing_values (fixture pages).
 */
#include "swing_ods.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"
#include "period.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct gw_payload {
  const char *data;
  size_t len;
  size_t pos;
  char url[512];
};

static struct {
  const uint8_t *input;
  size_t input_len;
  int server_mrp;
  int by_name;
  struct gw_payload payloads[48];
  size_t used;
} fz;

#define BASE "https://fuzz.test/jiveservices/odata"

static gw_result fz_fetch(struct gw_run *run,
                          const struct gw_fetch_request *req,
                          struct gw_payload **out) {
  struct gw_payload *p;
  size_t n;
  (void)run;

  if (fz.used == sizeof fz.payloads / sizeof fz.payloads[0])
    return GW_FAIL;
  p = &fz.payloads[fz.used++];
  memset(p, 0, sizeof *p);
  p->data = (const char *)fz.input;
  p->len = fz.input_len;
  n = strlen(req->url);
  if (n >= sizeof p->url)
    n = sizeof p->url - 1;
  memcpy(p->url, req->url, n);
  *out = p;
  return GW_OK;
}

static ssize_t fz_read(struct gw_payload *p, void *buf, size_t len) {
  size_t n = p->len - p->pos;
  if (n > len)
    n = len;
  memcpy(buf, p->data + p->pos, n);
  p->pos += n;
  return (ssize_t)n;
}

static int fz_rewind(struct gw_payload *p) {
  p->pos = 0;
  return 0;
}

static const char *fz_url(const struct gw_payload *p) {
  return p->url;
}

static int fz_not_modified(const struct gw_payload *p) {
  (void)p;
  return 0;
}

static gw_result fz_emit(struct gw_run *run,
                         const struct gw_raw_observation *o) {
  volatile size_t sink = 0;
  (void)run;
  sink += strlen(o->dataset) + strlen(o->source_code) + strlen(o->area) +
          strlen(o->period);
  if (o->status_detail)
    sink += strlen(o->status_detail);
  (void)sink;
  if (o->has_value && !isfinite(o->value))
    abort();
  if (!o->has_value && (o->status == GW_STATUS_UNSET || o->value != 0.0))
    abort(); /* a non-number must become a status, never a figure */
  return GW_OK;
}

static void fz_reject(struct gw_run *run, const char *location,
                      const char *reason) {
  (void)run;
  if (strlen(location) + strlen(reason) == 0)
    abort();
}

static void fz_log(struct gw_run *run, gw_log_level level, const char *fmt, ...)
    GW_PRINTF_LIKE(3, 4);
static void fz_log(struct gw_run *run, gw_log_level level, const char *fmt,
                   ...) {
  char line[512];
  va_list ap;
  (void)run;
  (void)level;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
}

static const char *fz_string(const struct gw_plugin_config *c,
                             const char *key) {
  (void)c;
  if (strcmp(key, "url") == 0)
    return BASE;
  if (strcmp(key, "id") == 0)
    return "fuzz";
  if (strcmp(key, "dataset") == 0)
    return "swing";
  if (strcmp(key, "geo_level") == 0)
    return "gemeente";
  if (strcmp(key, "period_level") == 0)
    return "year";
  if (strcmp(key, "mrp") == 0)
    return fz.server_mrp ? "server" : "resolve";
  return NULL;
}

static int64_t fz_int(const struct gw_plugin_config *c, const char *key) {
  (void)c;
  (void)key;
  return 3; /* max_pages */
}

static int fz_bool(const struct gw_plugin_config *c, const char *key) {
  (void)c;
  if (strcmp(key, "map_by_name") == 0)
    return fz.by_name;
  return strcmp(key, "check_variables") == 0;
}

static size_t fz_count(const struct gw_plugin_config *c, const char *key) {
  (void)c;
  return strcmp(key, "names") == 0 || strcmp(key, "area_map") == 0 ? 1 : 0;
}

static int fz_entry(const struct gw_plugin_config *c, const char *key, size_t i,
                    const char **name, const char **value) {
  (void)c;
  *name = *value = NULL;
  if (i != 0)
    return -1;
  if (strcmp(key, "names") == 0) {
    *name = "Diemen";
    *value = "GM0384";
    return 0;
  }
  if (strcmp(key, "area_map") == 0) {
    *name = "384";
    *value = "GM0384";
    return 0;
  }
  return -1;
}

static int fz_number(const char *text, double *out) {
  return number_parse(text, out);
}

static int fz_period(const char *raw, char *out, size_t size) {
  gw_period_kind kind = period_normalise(raw, out, size);
  if (kind == GW_PERIOD_INVALID)
    return -1;
  return kind == GW_PERIOD_OPAQUE ? 0 : 1;
}

static const char *fz_indicator(struct gw_run *run, const char *dataset,
                                const char *code) {
  (void)run;
  (void)dataset;
  /* map about half the codes, so selection is exercised both ways */
  return strlen(code) % 2 == 0 ? "mapped" : NULL;
}

static long fz_status(struct gw_run *run) {
  (void)run;
  return fz.used == sizeof fz.payloads / sizeof fz.payloads[0] ? 404 : 200;
}

static const struct gw_host_api host = {
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
    .config_string = fz_string,
    .config_int = fz_int,
    .config_bool = fz_bool,
    .config_count = fz_count,
    .config_entry = fz_entry,
    .parse_number = fz_number,
    .normalise_period = fz_period,
    .indicator_for = fz_indicator,
    .last_http_status = fz_status,
};

static void parse_directly(const uint8_t *data, size_t size) {
  json_error_t error;
  json_t *root = json_loadb((const char *)data, size, 0, &error);
  json_t *values = NULL;
  const char *link = NULL;
  char err[160];

  if (!root)
    return;
  if (swing_page_parse(root, &values, &link, err, sizeof err) == 0) {
    if (!json_is_array(values))
      abort();
    if (link && !*link)
      abort();
  } else if (values || link || !err[0]) {
    abort();
  }
  json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  void *ctx = NULL;

  memset(&fz, 0, sizeof fz);
  fz.input = data;
  fz.input_len = size;
  fz.server_mrp = size % 2 == 1;
  fz.by_name = size % 3 == 0;
  parse_directly(data, size);
  if (swing_ods_init(&host, NULL, &ctx) != GW_OK)
    abort(); /* the fixed config is valid */
  (void)swing_ods_run(ctx, NULL);
  swing_ods_destroy(ctx);
  return 0;
}
