/*
 * context.c - the plugin's configuration keys and its init/run/destroy.
 * plugin.c only wraps these in the exported descriptor, so unit tests and
 * fuzz harnesses can drive the plugin through the static library.
 */
#include "cbs_odata.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const struct gw_config_key cbs_odata_config_keys[] = {
    {"protocol", GW_CFG_STRING, 0, "auto",
     "v3, v4 or auto (auto: a URL containing /odata/v1/ is v4)"},
    {"filter", GW_CFG_STRING, 0, NULL,
     "OData $filter passed to the data request as is (URL-encoded)"},
    {"topics", GW_CFG_STRING_LIST, 0, NULL,
     "column stems (v3) or measure codes (v4); default: all mapped ones"},
    {"dataset", GW_CFG_STRING, 0, NULL,
     "dataset id for the catalogue; default: the URL's last path segment"},
    {"breakdown_names", GW_CFG_STRING_MAP, 0, NULL,
     "dimension key -> breakdown name (defaults Leeftijd=age, Geslacht=sex)"},
    {"max_pages", GW_CFG_INT, 0, "100000",
     "stop with an error after this many data pages (loop guard)"},
    {"markers", GW_CFG_STRING_MAP, 0, NULL,
     "cell symbol / ValueAttribute -> status, overriding the defaults"},
    {"typed", GW_CFG_BOOL, 0, "true",
     "v3: read TypedDataSet (true) or UntypedDataSet with CBS symbols"},
    {NULL, GW_CFG_STRING, 0, NULL, NULL},
};

static const struct {
  const char *key;
  const char *name;
} default_breakdown_names[] = {
    {"Leeftijd", "age"},
    {"Geslacht", "sex"},
};

const char *cbs_breakdown_name(const struct cbs_ctx *ctx, const char *key) {
  size_t n = ctx->host->config_count(ctx->config, "breakdown_names");
  size_t i;

  for (i = 0; i < n; i++) {
    const char *name = NULL;
    const char *value = NULL;
    if (ctx->host->config_entry(ctx->config, "breakdown_names", i, &name,
                                &value) == 0 &&
        name && value && strcmp(name, key) == 0)
      return value;
  }
  for (i = 0;
       i < sizeof default_breakdown_names / sizeof default_breakdown_names[0];
       i++)
    if (strcmp(default_breakdown_names[i].key, key) == 0)
      return default_breakdown_names[i].name;
  return NULL; /* the caller uses the dimension key itself */
}

size_t cbs_topic_count(const struct cbs_ctx *ctx) {
  return ctx->host->config_count(ctx->config, "topics");
}

const char *cbs_topic_at(const struct cbs_ctx *ctx, size_t i) {
  const char *name = NULL;
  const char *value = NULL;

  if (ctx->host->config_entry(ctx->config, "topics", i, &name, &value) != 0)
    return NULL;
  return value;
}

static void ctx_free(struct cbs_ctx *ctx) {
  if (!ctx)
    return;
  free(ctx->url);
  free(ctx->dataset);
  cbs_symbols_free(&ctx->symbols);
  free(ctx);
}

static gw_result set_url(struct cbs_ctx *ctx, const char *url) {
  size_t len;

  if (!url ||
      (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)) {
    ctx->host->log(NULL, GW_LOG_ERROR,
                   "cbs_odata: url \"%s\" must be an absolute https:// URL of "
                   "a table, e.g. https://opendata.cbs.nl/ODataFeed/odata/"
                   "84583NED",
                   url ? url : "(none)");
    return GW_FAIL;
  }
  if (strpbrk(url, "?#")) {
    ctx->host->log(NULL, GW_LOG_ERROR,
                   "cbs_odata: url \"%s\" must be the table root without a "
                   "query; use params.filter for $filter",
                   url);
    return GW_FAIL;
  }
  len = strlen(url);
  while (len > 0 && url[len - 1] == '/')
    len--;
  ctx->url = strndup(url, len);
  if (!ctx->url)
    return GW_FAIL;
  return GW_OK;
}

static gw_result set_protocol(struct cbs_ctx *ctx, const char *protocol) {
  if (!protocol || strcmp(protocol, "auto") == 0) {
    ctx->protocol = cbs_contains_ci(ctx->url, "/odata/v1/") ? CBS_PROTOCOL_V4
                                                            : CBS_PROTOCOL_V3;
  } else if (strcmp(protocol, "v3") == 0) {
    ctx->protocol = CBS_PROTOCOL_V3;
  } else if (strcmp(protocol, "v4") == 0) {
    ctx->protocol = CBS_PROTOCOL_V4;
  } else {
    ctx->host->log(NULL, GW_LOG_ERROR,
                   "cbs_odata: params.protocol is \"%s\"; expected \"v3\", "
                   "\"v4\" or \"auto\"",
                   protocol);
    return GW_FAIL;
  }
  return GW_OK;
}

static gw_result set_dataset(struct cbs_ctx *ctx, const char *dataset) {
  ctx->dataset =
      dataset && *dataset ? strdup(dataset) : cbs_last_path_segment(ctx->url);
  if (!ctx->dataset) {
    ctx->host->log(NULL, GW_LOG_ERROR,
                   "cbs_odata: cannot tell the dataset id from url \"%s\"; "
                   "set params.dataset",
                   ctx->url);
    return GW_FAIL;
  }
  return GW_OK;
}

static gw_result check_lists(struct cbs_ctx *ctx) {
  size_t i;
  size_t n = cbs_topic_count(ctx);

  for (i = 0; i < n; i++) {
    const char *topic = cbs_topic_at(ctx, i);
    if (!topic || !*topic) {
      ctx->host->log(NULL, GW_LOG_ERROR,
                     "cbs_odata: params.topics[%zu] is empty; expected a "
                     "column stem or measure code",
                     i);
      return GW_FAIL;
    }
  }
  n = ctx->host->config_count(ctx->config, "breakdown_names");
  for (i = 0; i < n; i++) {
    const char *name = NULL;
    const char *value = NULL;
    if (ctx->host->config_entry(ctx->config, "breakdown_names", i, &name,
                                &value) != 0 ||
        !name || !value || !*value) {
      ctx->host->log(NULL, GW_LOG_ERROR,
                     "cbs_odata: params.breakdown_names entry %zu must map a "
                     "dimension key to a non-empty name",
                     i);
      return GW_FAIL;
    }
  }
  return GW_OK;
}

gw_result cbs_odata_init(const struct gw_host_api *host,
                         const struct gw_plugin_config *config,
                         void **ctx_out) {
  struct cbs_ctx *ctx = calloc(1, sizeof *ctx);
  gw_result rc = GW_FAIL;
  const char *filter;

  *ctx_out = NULL;
  if (!GW_HOST_HAS(host, indicator_for)) {
    free(ctx);
    return GW_FAIL; /* a host older than ABI 1 cannot even log */
  }
  if (!ctx) {
    host->log(NULL, GW_LOG_ERROR, "cbs_odata: out of memory");
    return GW_FAIL;
  }
  ctx->host = host;
  ctx->config = config;
  if ((rc = set_url(ctx, host->config_string(config, "url"))) != GW_OK ||
      (rc = set_protocol(ctx, host->config_string(config, "protocol"))) !=
          GW_OK ||
      (rc = set_dataset(ctx, host->config_string(config, "dataset"))) !=
          GW_OK ||
      (rc = check_lists(ctx)) != GW_OK ||
      (rc = cbs_symbols_init(&ctx->symbols, host, config)) != GW_OK)
    goto out;
  filter = host->config_string(config, "filter");
  ctx->filter = filter && *filter ? filter : NULL;
  ctx->max_pages = host->config_int(config, "max_pages");
  ctx->typed = host->config_bool(config, "typed");
  if (ctx->max_pages < 1) {
    host->log(NULL, GW_LOG_ERROR,
              "cbs_odata: params.max_pages is %lld; expected at least 1",
              (long long)ctx->max_pages);
    rc = GW_FAIL;
    goto out;
  }
  *ctx_out = ctx;
  ctx = NULL;
  rc = GW_OK;
out:
  ctx_free(ctx);
  return rc;
}

gw_result cbs_odata_run(void *opaque, struct gw_run *run) {
  struct cbs_ctx *ctx = opaque;
  gw_result rc;

  cbs_symbols_reset_warnings(&ctx->symbols);
  rc = ctx->protocol == CBS_PROTOCOL_V4 ? cbs_v4_run(ctx, run)
                                        : cbs_v3_run(ctx, run);
  cbs_symbols_reset_warnings(&ctx->symbols);
  return rc;
}

void cbs_odata_destroy(void *opaque) {
  ctx_free(opaque);
}
