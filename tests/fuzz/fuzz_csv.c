/*
 * fuzz_csv - libFuzzer harness for the csv_export plugin.
 *
 * The first input byte picks the configuration (layout, encoding,
 * delimiter, and how many bytes each payload_read returns, so chunk
 * boundaries land everywhere); the rest is the CSV file, served by a
 * minimal in-process host. Invariants checked beyond the sanitizers:
 *  - every emitted string is valid UTF-8 (whatever the input encoding),
 *  - a value is finite and only present without a marker status,
 *  - the plugin's heap peak is bounded by one chunk and one record,
 *  - every buffer of the run is released when run() returns.
 * Seeds: tests/fuzz/corpus/csv (the fixtures with a selector byte).
 */
#include "csv_export.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct gw_payload {
  const uint8_t *data;
  size_t len;
  size_t pos;
};

static struct {
  unsigned selector;
  size_t read_size;
  struct gw_payload payload;
} fz;

static int valid_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int need, i;
    if (*p < 0x80) {
      p++;
      continue;
    }
    if (*p >= 0xC2 && *p <= 0xDF)
      need = 1;
    else if (*p >= 0xE0 && *p <= 0xEF)
      need = 2;
    else if (*p >= 0xF0 && *p <= 0xF4)
      need = 3;
    else
      return 0;
    for (i = 1; i <= need; i++)
      if ((p[i] & 0xC0) != 0x80)
        return 0;
    p += need + 1;
  }
  return 1;
}

static void check_text(const char *s) {
  if (s && !valid_utf8(s))
    __builtin_trap();
}

static gw_result fz_fetch(struct gw_run *run,
                          const struct gw_fetch_request *req,
                          struct gw_payload **out) {
  (void)run;
  (void)req;
  fz.payload.pos = 0;
  *out = &fz.payload;
  return GW_OK;
}

static ssize_t fz_read(struct gw_payload *p, void *buf, size_t len) {
  size_t n = p->len - p->pos;
  if (n > len)
    n = len;
  if (n > fz.read_size)
    n = fz.read_size;
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
  return "https://fuzz.test/f.csv";
}

static int fz_not_modified(const struct gw_payload *p) {
  (void)p;
  return 0;
}

static gw_result fz_emit(struct gw_run *run,
                         const struct gw_raw_observation *o) {
  size_t i;
  (void)run;
  check_text(o->dataset);
  check_text(o->source_code);
  check_text(o->area);
  check_text(o->period);
  check_text(o->status_detail);
  for (i = 0; i < o->breakdown_count; i++) {
    check_text(o->breakdown[i].dimension);
    check_text(o->breakdown[i].member);
  }
  if (o->has_value && (!isfinite(o->value) || o->status != GW_STATUS_UNSET))
    __builtin_trap();
  if (!o->has_value && o->status == GW_STATUS_UNSET)
    __builtin_trap();
  return GW_OK;
}

static void fz_reject(struct gw_run *run, const char *location,
                      const char *reason) {
  (void)run;
  check_text(location);
  check_text(reason);
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
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
}

/* Configurations by the low two bits of the selector. */
static const char *const layouts[4][12] = {
    {"layout", "wide", "area_column", "a", "period_column", "p", NULL},
    {"layout", "long", "area_column", "a", "period_column", "p", "code_column",
     "c", "value_column", "v", NULL},
    {"layout", "periods", "area_column", "a", "code", "x", NULL},
    {"layout", "wide", "area_column", "a", "period", "2021", "area_prefix",
     "GM", NULL},
};

static const char *fz_string(const struct gw_plugin_config *c,
                             const char *key) {
  static const char *const encodings[] = {"auto", "utf-8", "windows-1252",
                                          "auto"};
  static const char *const delimiters[] = {"auto", ";", ",", "tab"};
  const char *const *kv = layouts[fz.selector & 3];
  size_t i;
  (void)c;
  if (strcmp(key, "url") == 0)
    return "https://fuzz.test/f.csv";
  if (strcmp(key, "dataset") == 0)
    return "fuzz";
  if (strcmp(key, "encoding") == 0)
    return encodings[(fz.selector >> 2) & 3];
  if (strcmp(key, "delimiter") == 0)
    return delimiters[(fz.selector >> 4) & 3];
  if ((fz.selector & 3) == 1 && strcmp(key, "lower_column") == 0)
    return "l";
  if ((fz.selector & 3) == 1 && strcmp(key, "upper_column") == 0)
    return "u";
  for (i = 0; kv[i]; i += 2)
    if (strcmp(kv[i], key) == 0)
      return kv[i + 1];
  return NULL;
}

static int64_t fz_int(const struct gw_plugin_config *c, const char *key) {
  (void)c;
  (void)key;
  return (fz.selector & 3) == 3 ? 2 : 0; /* header_row */
}

static int fz_bool(const struct gw_plugin_config *c, const char *key) {
  (void)c;
  (void)key;
  return 0;
}

static size_t fz_count(const struct gw_plugin_config *c, const char *key) {
  (void)c;
  if (strcmp(key, "breakdown_columns") == 0 || strcmp(key, "area_map") == 0 ||
      strcmp(key, "markers") == 0)
    return 1;
  return 0;
}

static int fz_entry(const struct gw_plugin_config *c, const char *key, size_t i,
                    const char **name, const char **value) {
  (void)c;
  (void)i;
  *name = *value = NULL;
  if (strcmp(key, "breakdown_columns") == 0) {
    *name = "age";
    *value = "b";
  } else if (strcmp(key, "area_map") == 0) {
    *name = "Diemen";
    *value = "GM0384";
  } else if (strcmp(key, "markers") == 0) {
    *name = "?";
    *value = "suppressed";
  }
  return *value ? 0 : -1;
}

static int fz_number(const char *text, double *out) {
  char *end;
  *out = strtod(text, &end);
  return *text && *end == '\0' && isfinite(*out) ? 0 : -1;
}

static int fz_period(const char *raw, char *out, size_t size) {
  size_t n = strlen(raw);
  if (size)
    out[0] = '\0';
  return n == 4 && raw[0] >= '1' && raw[0] <= '2' ? 1 : 0;
}

static const char *fz_indicator(struct gw_run *run, const char *dataset,
                                const char *code) {
  (void)run;
  (void)dataset;
  return code[0] != '_' ? "mapped" : NULL;
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
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const size_t read_sizes[] = {1, 3, 64, 1 << 20};
  void *ctx = NULL;
  size_t live_before;

  if (size < 1)
    return 0;
  memset(&fz, 0, sizeof fz);
  fz.selector = data[0];
  fz.read_size = read_sizes[(data[0] >> 6) & 3];
  fz.payload.data = data + 1;
  fz.payload.len = size - 1;
  if (csv_export_init(&host, NULL, &ctx) != GW_OK)
    abort(); /* every configuration above is valid */
  live_before = csv_export_live_bytes(ctx);
  csv_export_reset_peak(ctx);
  (void)csv_export_run(ctx, NULL);
  if (csv_export_peak_bytes(ctx) - live_before >
      CSVX_CHUNK_BYTES + 3 * (CSVX_MAX_RECORD_BYTES + 64) +
          3 * CSVX_MAX_FIELDS * sizeof(char *))
    __builtin_trap(); /* more than one chunk and one record */
  if (csv_export_live_bytes(ctx) != live_before)
    __builtin_trap(); /* a buffer of the run was not released */
  csv_export_destroy(ctx);
  return 0;
}
