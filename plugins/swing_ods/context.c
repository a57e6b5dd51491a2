/*
 * context.c - the plugin's configuration keys (as data) and its
 * init/run/destroy. plugin.c only wraps these in the exported descriptor,
 * so unit tests and fuzz harnesses drive the plugin through the library.
 */
#include "swing_ods.h"

#include <stdlib.h>
#include <string.h>

const struct gw_config_key swing_ods_config_keys[] = {
    {"dataset", GW_CFG_STRING, 0, "swing",
     "dataset id for catalogue lookups (mappings with dataset \"*\" match)"},
    {"apikey", GW_CFG_STRING, GW_CFG_SECRET, NULL,
     "API key sent as header `apikey:`; a secret (\"${ENV}\" or {\"file\": "
     "...}); leave out for an open instance"},
    {"variables", GW_CFG_STRING_LIST, 0, NULL,
     "Swing variable codes; default: every variable the catalogue maps"},
    {"geo_level", GW_CFG_STRING, 0, "gemeente",
     "GeoLevels('<level>'), e.g. gemeente, wijk, buurt"},
    {"period_level", GW_CFG_STRING, 0, "year", "PeriodLevels('<level>')"},
    {"periods", GW_CFG_STRING_LIST, 0, NULL,
     "periods to read, e.g. [\"2020\",\"2021\"]; default [\"mrp\"] (the most "
     "recent)"},
    {"mrp", GW_CFG_STRING, 0, "resolve",
     "how \"mrp\" is read: resolve (ask the newest period of the Periods "
     "list by name) or server (ask Periods('mrp'), label it with the newest)"},
    {"area_map", GW_CFG_STRING_MAP, 0, NULL,
     "ExternalCode -> CBS area code, e.g. {\"384\": \"GM0384\"}"},
    {"area_prefix", GW_CFG_STRING, 0, NULL,
     "prefix for a numeric ExternalCode; default from geo_level (gemeente GM, "
     "wijk WK, buurt BU, provincie PV) with CBS zero padding"},
    {"map_by_name", GW_CFG_BOOL, 0, "false",
     "read GeoLevels('<level>')/GeoItems and map areas by Name via "
     "params.names"},
    {"names", GW_CFG_STRING_MAP, 0, NULL,
     "GeoItems Name -> CBS area code (with map_by_name)"},
    {"markers", GW_CFG_STRING_MAP, 0, NULL,
     "ValueString text -> status (missing, suppressed, not_yet_known, ...), "
     "on top of the defaults"},
    {"check_variables", GW_CFG_BOOL, 0, "true",
     "walk the Variables list to check the variables exist (needed when "
     "params.variables is not set)"},
    {"max_pages", GW_CFG_INT, 0, "10000",
     "stop with an error after this many pages of one list (loop guard)"},
    {NULL, GW_CFG_STRING, 0, NULL, NULL},
};

static const struct {
  const char *level;
  const char *prefix;
} level_prefixes[] = {
    {"gemeente", "GM"},
    {"wijk", "WK"},
    {"buurt", "BU"},
    {"provincie", "PV"},
};

static const struct {
  const char *prefix;
  int digits;
} prefix_digits[] = {{"GM", 4}, {"WK", 6}, {"BU", 8}, {"PV", 2}};

size_t swing_list_count(const struct swing_ctx *ctx, const char *key) {
  return ctx->host->config_count(ctx->config, key);
}

const char *swing_list_at(const struct swing_ctx *ctx, const char *key,
                          size_t i) {
  const char *name = NULL;
  const char *value = NULL;

  if (ctx->host->config_entry(ctx->config, key, i, &name, &value) != 0)
    return NULL;
  return value;
}

const char *swing_map_get(const struct swing_ctx *ctx, const char *key,
                          const char *wanted) {
  size_t n = swing_list_count(ctx, key);
  size_t i;

  for (i = 0; i < n; i++) {
    const char *name = NULL;
    const char *value = NULL;
    if (ctx->host->config_entry(ctx->config, key, i, &name, &value) == 0 &&
        name && value && strcmp(name, wanted) == 0)
      return value;
  }
  return NULL;
}

static void ctx_free(struct swing_ctx *ctx) {
  if (!ctx)
    return;
  free(ctx->base);
  if (ctx->apikey_header) {
    /* the key should not linger in freed memory */
    memset(ctx->apikey_header, 0, strlen(ctx->apikey_header));
    free(ctx->apikey_header);
  }
  swing_markers_free(&ctx->markers);
  swing_areas_free(&ctx->areas);
  free(ctx);
}

static gw_result set_base(struct swing_ctx *ctx, const char *url) {
  size_t len;

  if (!url || strncmp(url, "https://", 8) != 0 || strpbrk(url, "?#")) {
    ctx->host->log(NULL, GW_LOG_ERROR,
                   "swing_ods: source url \"%s\" must be the https:// root of "
                   "the Open Data Service without a query, e.g. "
                   "https://swing.eu/jiveservices/odata",
                   url ? url : "(none)");
    return GW_FAIL;
  }
  len = strlen(url);
  while (len > 0 && url[len - 1] == '/')
    len--;
  ctx->base = strndup(url, len);
  if (!ctx->base) {
    ctx->host->log(NULL, GW_LOG_ERROR, "swing_ods: out of memory");
    return GW_FAIL;
  }
  swing_url_host(ctx->base, ctx->host_name, sizeof ctx->host_name);
  return GW_OK;
}

static gw_result set_apikey(struct swing_ctx *ctx, const char *key) {
  size_t n = 0;

  ctx->headers[n++] = "Accept: application/json";
  if (key && *key) {
    size_t len = strlen(key);
    if (strpbrk(key, "\r\n")) {
      ctx->host->log(NULL, GW_LOG_ERROR,
                     "swing_ods: params.apikey contains a line break; check "
                     "the secret (its value is not shown)");
      return GW_FAIL;
    }
    ctx->apikey_header = malloc(len + sizeof "apikey: ");
    if (!ctx->apikey_header) {
      ctx->host->log(NULL, GW_LOG_ERROR, "swing_ods: out of memory");
      return GW_FAIL;
    }
    memcpy(ctx->apikey_header, "apikey: ", 8);
    memcpy(ctx->apikey_header + 8, key, len + 1);
    ctx->headers[n++] = ctx->apikey_header;
  }
  ctx->headers[n] = NULL;
  return GW_OK;
}

static gw_result set_area_rules(struct swing_ctx *ctx) {
  const char *prefix = ctx->host->config_string(ctx->config, "area_prefix");
  size_t i;

  if (!prefix || !*prefix) {
    prefix = "";
    for (i = 0; i < sizeof level_prefixes / sizeof level_prefixes[0]; i++)
      if (strcmp(level_prefixes[i].level, ctx->geo_level) == 0)
        prefix = level_prefixes[i].prefix;
  }
  if (strlen(prefix) >= sizeof ctx->area_prefix) {
    ctx->host->log(NULL, GW_LOG_ERROR,
                   "swing_ods: params.area_prefix \"%s\" is too long (at most "
                   "%zu characters)",
                   prefix, sizeof ctx->area_prefix - 1);
    return GW_FAIL;
  }
  memcpy(ctx->area_prefix, prefix, strlen(prefix) + 1);
  for (i = 0; i < sizeof prefix_digits / sizeof prefix_digits[0]; i++)
    if (strcmp(prefix_digits[i].prefix, ctx->area_prefix) == 0)
      ctx->area_digits = prefix_digits[i].digits;
  return GW_OK;
}

static gw_result check_list(struct swing_ctx *ctx, const char *key,
                            const char *expected) {
  size_t n = swing_list_count(ctx, key);
  size_t i;

  for (i = 0; i < n; i++) {
    const char *value = swing_list_at(ctx, key, i);
    if (!value || !*value) {
      ctx->host->log(NULL, GW_LOG_ERROR,
                     "swing_ods: params.%s[%zu] is empty; expected %s", key, i,
                     expected);
      return GW_FAIL;
    }
  }
  return GW_OK;
}

static gw_result check_params(struct swing_ctx *ctx) {
  const char *mrp = ctx->host->config_string(ctx->config, "mrp");

  if (!ctx->geo_level || !*ctx->geo_level || !ctx->period_level ||
      !*ctx->period_level || !ctx->dataset || !*ctx->dataset) {
    ctx->host->log(NULL, GW_LOG_ERROR,
                   "swing_ods: params.geo_level, params.period_level and "
                   "params.dataset must not be empty");
    return GW_FAIL;
  }
  if (!mrp || strcmp(mrp, "resolve") == 0)
    ctx->mrp_mode = SWING_MRP_RESOLVE;
  else if (strcmp(mrp, "server") == 0)
    ctx->mrp_mode = SWING_MRP_SERVER;
  else {
    ctx->host->log(NULL, GW_LOG_ERROR,
                   "swing_ods: params.mrp is \"%s\"; expected \"resolve\" or "
                   "\"server\"",
                   mrp);
    return GW_FAIL;
  }
  if (ctx->max_pages < 1) {
    ctx->host->log(NULL, GW_LOG_ERROR,
                   "swing_ods: params.max_pages is %lld; expected at least 1",
                   (long long)ctx->max_pages);
    return GW_FAIL;
  }
  if (!ctx->check_variables && swing_list_count(ctx, "variables") == 0) {
    ctx->host->log(NULL, GW_LOG_ERROR,
                   "swing_ods: params.check_variables is false, so "
                   "params.variables must list the variables to read");
    return GW_FAIL;
  }
  if (ctx->map_by_name && swing_list_count(ctx, "names") == 0) {
    ctx->host->log(NULL, GW_LOG_ERROR,
                   "swing_ods: params.map_by_name is true but params.names is "
                   "empty; give GeoItems Name -> CBS code, e.g. {\"Diemen\": "
                   "\"GM0384\"}");
    return GW_FAIL;
  }
  if (check_list(ctx, "variables", "a Swing variable code") != GW_OK ||
      check_list(ctx, "periods", "a period such as \"2021\" or \"mrp\"") !=
          GW_OK ||
      check_list(ctx, "area_map", "a CBS area code such as \"GM0384\"") !=
          GW_OK ||
      check_list(ctx, "names", "a CBS area code such as \"GM0384\"") != GW_OK)
    return GW_FAIL;
  return GW_OK;
}

gw_result swing_ods_init(const struct gw_host_api *host,
                         const struct gw_plugin_config *config,
                         void **ctx_out) {
  struct swing_ctx *ctx;
  gw_result rc = GW_FAIL;

  *ctx_out = NULL;
  if (!GW_HOST_HAS(host, indicator_for))
    return GW_FAIL; /* a host older than ABI 1 cannot even log */
  ctx = calloc(1, sizeof *ctx);
  if (!ctx) {
    host->log(NULL, GW_LOG_ERROR, "swing_ods: out of memory");
    return GW_FAIL;
  }
  ctx->host = host;
  ctx->config = config;
  ctx->source_id = host->config_string(config, "id");
  if (!ctx->source_id)
    ctx->source_id = "?";
  ctx->dataset = host->config_string(config, "dataset");
  ctx->geo_level = host->config_string(config, "geo_level");
  ctx->period_level = host->config_string(config, "period_level");
  ctx->map_by_name = host->config_bool(config, "map_by_name");
  ctx->check_variables = host->config_bool(config, "check_variables");
  ctx->max_pages = host->config_int(config, "max_pages");
  if ((rc = set_base(ctx, host->config_string(config, "url"))) != GW_OK ||
      (rc = check_params(ctx)) != GW_OK ||
      (rc = set_area_rules(ctx)) != GW_OK ||
      (rc = set_apikey(ctx, host->config_string(config, "apikey"))) != GW_OK ||
      (rc = swing_markers_init(&ctx->markers, host, config)) != GW_OK)
    goto out;
  *ctx_out = ctx;
  ctx = NULL;
  rc = GW_OK;
out:
  ctx_free(ctx);
  return rc;
}

gw_result swing_ods_run(void *opaque, struct gw_run *run) {
  struct swing_ctx *ctx = opaque;
  gw_result rc;

  swing_markers_reset_warnings(&ctx->markers);
  swing_areas_free(&ctx->areas);
  rc = swing_run_all(ctx, run);
  swing_markers_reset_warnings(&ctx->markers);
  return rc;
}

void swing_ods_destroy(void *opaque) {
  ctx_free(opaque);
}
