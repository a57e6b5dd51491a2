/*
 * fuzz_cbs_odata_page - libFuzzer harness for the cbs_odata plugin.
 *
 * The input is one data page (TypedDataSet/UntypedDataSet for v3,
 * Observations for v4) served by a minimal in-process host after fixed,
 * valid metadata. Inputs mentioning "@odata.context" run the v4 flow, the
 * others v3 (typed for even lengths, untyped for odd ones). Any nextLink in
 * the page is answered with the same input again, so the pager's loop and
 * max_pages guards are exercised too. Seeds: tests/fuzz/corpus/cbs_odata_page.
 */
#include "cbs_odata.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
  int v4;
  int typed;
  struct gw_payload payloads[64];
  size_t used;
} fz;

#define BASE "https://fuzz.test"

static const char v3_root[] =
    "{\"value\":[{\"name\":\"DataProperties\"},{\"name\":\"TypedDataSet\"},"
    "{\"name\":\"UntypedDataSet\"},{\"name\":\"Perioden\"},"
    "{\"name\":\"Leeftijd\"},{\"name\":\"Marges\"}]}";
static const char v3_properties[] =
    "{\"value\":["
    "{\"Type\":\"GeoDetail\",\"Key\":\"WijkenEnBuurten\"},"
    "{\"Type\":\"TimeDimension\",\"Key\":\"Perioden\"},"
    "{\"Type\":\"Dimension\",\"Key\":\"Leeftijd\"},"
    "{\"Type\":\"Dimension\",\"Key\":\"Marges\"},"
    "{\"Type\":\"Topic\",\"Key\":\"Gemeentenaam_1\",\"Datatype\":\"String\"},"
    "{\"Type\":\"Topic\",\"Key\":\"Eenzaam_27\",\"Datatype\":\"Double\"},"
    "{\"Type\":\"Topic\",\"Key\":\"Roker_11\",\"Datatype\":\"Double\"}]}";
static const char v3_periods[] =
    "{\"value\":[{\"Key\":\"2020JJ00\",\"Title\":\"2020\",\"Status\":"
    "\"Definitief\"},{\"Key\":\"2022JJ00\",\"Title\":\"2022\",\"Status\":"
    "\"Voorlopig\"}]}";
static const char v3_ages[] =
    "{\"value\":[{\"Key\":\"20300\",\"Title\":\"18 jaar of ouder\"},"
    "{\"Key\":\"53115\",\"Title\":\"18 tot 65 jaar\"}]}";
static const char v3_marges[] =
    "{\"value\":[{\"Key\":\"MW00000\",\"Title\":\"Waarde\"}]}";
static const char v4_root[] =
    "{\"value\":[{\"name\":\"Observations\"},{\"name\":\"MeasureCodes\"},"
    "{\"name\":\"Dimensions\"},{\"name\":\"PeriodenCodes\"}]}";
static const char v4_measures[] =
    "{\"value\":[{\"Identifier\":\"M004521\",\"DataType\":\"Float\"},"
    "{\"Identifier\":\"M004522\"}]}";
static const char v4_dimensions[] =
    "{\"value\":[{\"Identifier\":\"RegioS\",\"Kind\":\"GeoDimension\"},"
    "{\"Identifier\":\"Perioden\",\"Kind\":\"TimeDimension\"}]}";
static const char v4_periods[] =
    "{\"value\":[{\"Identifier\":\"2020JJ00\",\"Status\":\"Definitief\"},"
    "{\"Identifier\":\"2022JJ00\",\"Status\":\"Voorlopig\"}]}";

static const char *metadata_for(const char *url) {
  if (strstr(url, "/DataProperties"))
    return v3_properties;
  if (strstr(url, "/Perioden?"))
    return v3_periods;
  if (strstr(url, "/Leeftijd?"))
    return v3_ages;
  if (strstr(url, "/Marges?"))
    return v3_marges;
  if (strstr(url, "/MeasureCodes"))
    return v4_measures;
  if (strstr(url, "/Dimensions"))
    return v4_dimensions;
  if (strstr(url, "/PeriodenCodes"))
    return v4_periods;
  if (strstr(url, "/T?$format=json") ||
      strcmp(url, BASE "/odata/v1/CBS/T") == 0)
    return fz.v4 ? v4_root : v3_root;
  return NULL;
}

static gw_result fz_fetch(struct gw_run *run,
                          const struct gw_fetch_request *req,
                          struct gw_payload **out) {
  struct gw_payload *p;
  const char *body = metadata_for(req->url);
  (void)run;

  if (fz.used == sizeof fz.payloads / sizeof fz.payloads[0])
    return GW_FAIL;
  p = &fz.payloads[fz.used++];
  memset(p, 0, sizeof *p);
  if (body) {
    p->data = body;
    p->len = strlen(body);
  } else {
    p->data = (const char *)fz.input;
    p->len = fz.input_len;
  }
  strncpy(p->url, req->url, sizeof p->url - 1);
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
  size_t i;
  volatile size_t sink = 0;
  (void)run;
  /* touch every string so ASan sees dangling pointers */
  sink += strlen(o->dataset) + strlen(o->source_code) + strlen(o->area) +
          strlen(o->period);
  for (i = 0; i < o->breakdown_count; i++)
    sink += strlen(o->breakdown[i].dimension) + strlen(o->breakdown[i].member);
  if (o->status_detail)
    sink += strlen(o->status_detail);
  (void)sink;
  return GW_OK;
}

static void fz_reject(struct gw_run *run, const char *location,
                      const char *reason) {
  (void)run;
  (void)location;
  (void)reason;
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
    return fz.v4 ? BASE "/odata/v1/CBS/T" : BASE "/ODataFeed/odata/T";
  if (strcmp(key, "protocol") == 0)
    return "auto";
  return NULL;
}

static int64_t fz_int(const struct gw_plugin_config *c, const char *key) {
  (void)c;
  (void)key;
  return 3; /* max_pages */
}

static int fz_bool(const struct gw_plugin_config *c, const char *key) {
  (void)c;
  (void)key;
  return fz.typed;
}

static size_t fz_count(const struct gw_plugin_config *c, const char *key) {
  (void)c;
  (void)key;
  return 0;
}

static int fz_entry(const struct gw_plugin_config *c, const char *key, size_t i,
                    const char **name, const char **value) {
  (void)c;
  (void)key;
  (void)i;
  *name = *value = NULL;
  return -1;
}

static int fz_number(const char *text, double *out) {
  char *end;
  *out = strtod(text, &end);
  return *text && *end == '\0' ? 0 : -1;
}

static int fz_period(const char *raw, char *out, size_t size) {
  (void)raw;
  if (size)
    out[0] = '\0';
  return 0;
}

static const char *fz_indicator(struct gw_run *run, const char *dataset,
                                const char *code) {
  (void)run;
  (void)dataset;
  (void)code;
  return "mapped";
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

static int contains(const uint8_t *data, size_t size, const char *needle) {
  size_t n = strlen(needle);
  size_t i;
  for (i = 0; i + n <= size; i++)
    if (memcmp(data + i, needle, n) == 0)
      return 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  void *ctx = NULL;

  memset(&fz, 0, sizeof fz);
  fz.input = data;
  fz.input_len = size;
  fz.v4 = contains(data, size, "@odata.context");
  fz.typed = size % 2 == 0;
  if (cbs_odata_init(&host, NULL, &ctx) != GW_OK)
    abort(); /* the fixed config is valid */
  (void)cbs_odata_run(ctx, NULL);
  cbs_odata_destroy(ctx);
  return 0;
}
