/*
 * config.c - the plugin's parameters: the key table the host validates
 * types against, and the checks types cannot express (which keys a layout
 * needs, marker statuses, delimiter and encoding names). Strings stay owned
 * by the host config (valid until destroy), so only the arrays are copied.
 */
#include "csv_export.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct gw_config_key csvx_config_keys[] = {
    {"dataset", GW_CFG_STRING, GW_CFG_REQUIRED, NULL,
     "catalogue dataset of the file, e.g. diemen_lokaal or ggd_monitor"},
    {"layout", GW_CFG_STRING, 0, "wide",
     "wide (a column per variable), long (code and value columns) or "
     "periods (a column per period)"},
    {"area_column", GW_CFG_STRING, GW_CFG_REQUIRED, NULL,
     "column with the area (code or name); the first row naming it is the "
     "header"},
    {"period_column", GW_CFG_STRING, 0, NULL,
     "wide/long: column with the period"},
    {"period", GW_CFG_STRING, 0, NULL,
     "wide/long: fixed period for every row (instead of period_column)"},
    {"code_column", GW_CFG_STRING, 0, NULL,
     "long/periods: column with the variable or indicator code"},
    {"code", GW_CFG_STRING, 0, NULL,
     "long/periods: fixed code for every row (instead of code_column)"},
    {"value_column", GW_CFG_STRING, 0, NULL, "long: column with the value"},
    {"lower_column", GW_CFG_STRING, 0, NULL,
     "long: column with the lower 95% bound"},
    {"upper_column", GW_CFG_STRING, 0, NULL,
     "long: column with the upper 95% bound"},
    {"breakdown_columns", GW_CFG_STRING_MAP, 0, NULL,
     "breakdown dimension -> column, e.g. {\"age\": \"leeftijd\"}"},
    {"value_columns", GW_CFG_STRING_LIST, 0, NULL,
     "wide: variable columns, periods: period columns; default: every "
     "other mapped (wide) or period-like (periods) column"},
    {"area_map", GW_CFG_STRING_MAP, 0, NULL,
     "area as written in the file -> area code, e.g. {\"Diemen\": "
     "\"GM0384\"}"},
    {"area_prefix", GW_CFG_STRING, 0, NULL,
     "prefix for numeric area codes, zero-padded (GM: 4 digits, WK: 6, BU: "
     "8), e.g. 384 -> GM0384"},
    {"code_map", GW_CFG_STRING_MAP, 0, NULL,
     "code as written in the file -> catalogue code"},
    {"markers", GW_CFG_STRING_MAP, 0, NULL,
     "cell text -> status (missing, not_yet_known, not_applicable, "
     "suppressed, impossible), added to the defaults"},
    {"delimiter", GW_CFG_STRING, 0, "auto",
     "auto (from the header), \";\", \",\" or \"tab\""},
    {"encoding", GW_CFG_STRING, 0, "auto",
     "auto (UTF-8 when valid, else windows-1252), utf-8 or windows-1252"},
    {"header_row", GW_CFG_INT, 0, "0",
     "line of the header (1-based); 0: the first row naming area_column"},
    {NULL, GW_CFG_STRING, 0, NULL, NULL},
};

static const struct csvx_marker default_markers[] = {
    {"NB", GW_STATUS_MISSING},
    {"n.n.b.", GW_STATUS_NOT_YET_KNOWN},
    {"N.v.t.", GW_STATUS_NOT_APPLICABLE},
    {".", GW_STATUS_MISSING},
    {"x", GW_STATUS_SUPPRESSED},
    {"-", GW_STATUS_MISSING},
    {"", GW_STATUS_MISSING},
};
#define DEFAULT_MARKERS (sizeof default_markers / sizeof default_markers[0])

static const struct {
  const char *name;
  gw_status status;
} status_names[] = {
    {"missing", GW_STATUS_MISSING},
    {"not_yet_known", GW_STATUS_NOT_YET_KNOWN},
    {"not_applicable", GW_STATUS_NOT_APPLICABLE},
    {"suppressed", GW_STATUS_SUPPRESSED},
    {"impossible", GW_STATUS_IMPOSSIBLE},
};

gw_status csvx_status_from_name(const char *name) {
  size_t i;
  for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
    if (strcmp(status_names[i].name, name) == 0)
      return status_names[i].status;
  return GW_STATUS_UNSET;
}

gw_status csvx_marker_status(const struct csvx_config *cfg, const char *text) {
  size_t i;
  /* configured markers come first, so they override the defaults */
  for (i = 0; i < cfg->marker_count; i++)
    if (csvx_same_name(cfg->markers[i].text, text))
      return cfg->markers[i].status;
  return GW_STATUS_UNSET;
}

void csvx_marker_list(const struct csvx_config *cfg, char *out, size_t size) {
  size_t i, used = 0;

  if (size == 0)
    return;
  out[0] = '\0';
  for (i = 0; i < cfg->marker_count && used < size; i++) {
    int n = snprintf(out + used, size - used, "%s%s", i ? ", " : "",
                     *cfg->markers[i].text ? cfg->markers[i].text : "empty");
    if (n < 0)
      break;
    used += (size_t)n;
  }
}

static gw_result bad(const struct gw_host_api *host, const char *fmt, ...)
    GW_PRINTF_LIKE(2, 3);
static gw_result bad(const struct gw_host_api *host, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  host->log(NULL, GW_LOG_ERROR, "csv_export: %s", msg);
  return GW_FAIL;
}

static const char *opt_string(const struct gw_host_api *host,
                              const struct gw_plugin_config *config,
                              const char *key) {
  const char *v = host->config_string(config, key);
  return v && *v ? v : NULL;
}

/* Copies a map or list param into an array of pairs (list: .to only). */
static gw_result load_pairs(const struct gw_host_api *host,
                            const struct gw_plugin_config *config,
                            const char *key, struct csvx_mem *mem,
                            struct csvx_pair **out, size_t *count) {
  size_t i, n = host->config_count(config, key);

  *out = NULL;
  *count = 0;
  if (n == 0)
    return GW_OK;
  *out = csvx_zalloc(mem, n * sizeof **out);
  if (!*out)
    return bad(host, "out of memory");
  for (i = 0; i < n; i++) {
    const char *name = NULL, *value = NULL;
    if (host->config_entry(config, key, i, &name, &value) != 0 || !value)
      return bad(host, "params.%s entry %zu cannot be read", key, i);
    (*out)[i].from = name;
    (*out)[i].to = value;
  }
  *count = n;
  return GW_OK;
}

static gw_result load_markers(struct csvx_config *cfg,
                              const struct gw_host_api *host,
                              const struct gw_plugin_config *config,
                              struct csvx_mem *mem) {
  struct csvx_pair *pairs = NULL;
  size_t n = 0, i;
  gw_result rc = load_pairs(host, config, "markers", mem, &pairs, &n);

  if (rc != GW_OK)
    goto out;
  cfg->markers = csvx_zalloc(mem, (n + DEFAULT_MARKERS) * sizeof *cfg->markers);
  if (!cfg->markers) {
    rc = bad(host, "out of memory");
    goto out;
  }
  for (i = 0; i < n; i++) {
    gw_status st = csvx_status_from_name(pairs[i].to);
    if (st == GW_STATUS_UNSET) {
      rc = bad(host,
               "params.markers[\"%s\"] is \"%s\"; expected missing, "
               "not_yet_known, not_applicable, suppressed or impossible",
               pairs[i].from, pairs[i].to);
      goto out;
    }
    cfg->markers[cfg->marker_count].text = pairs[i].from;
    cfg->markers[cfg->marker_count++].status = st;
  }
  for (i = 0; i < DEFAULT_MARKERS; i++)
    cfg->markers[cfg->marker_count++] = default_markers[i];
out:
  csvx_free(mem, pairs);
  return rc;
}

static gw_result load_value_columns(struct csvx_config *cfg,
                                    const struct gw_host_api *host,
                                    const struct gw_plugin_config *config,
                                    struct csvx_mem *mem) {
  struct csvx_pair *pairs = NULL;
  size_t n = 0, i;
  gw_result rc = load_pairs(host, config, "value_columns", mem, &pairs, &n);

  if (rc != GW_OK || n == 0)
    goto out;
  cfg->value_columns = csvx_zalloc(mem, n * sizeof *cfg->value_columns);
  if (!cfg->value_columns) {
    rc = bad(host, "out of memory");
    goto out;
  }
  for (i = 0; i < n; i++) {
    if (!*pairs[i].to) {
      rc = bad(host, "params.value_columns[%zu] is empty", i);
      goto out;
    }
    cfg->value_columns[i] = pairs[i].to;
  }
  cfg->value_column_count = n;
out:
  csvx_free(mem, pairs);
  return rc;
}

static gw_result load_breakdowns(struct csvx_config *cfg,
                                 const struct gw_host_api *host,
                                 const struct gw_plugin_config *config,
                                 struct csvx_mem *mem) {
  struct csvx_pair *pairs = NULL;
  size_t n = 0, i;
  gw_result rc = load_pairs(host, config, "breakdown_columns", mem, &pairs, &n);

  if (rc != GW_OK)
    goto out;
  if (n > CSVX_MAX_BREAKDOWNS) {
    rc = bad(host, "params.breakdown_columns has %zu entries; at most %u", n,
             CSVX_MAX_BREAKDOWNS);
    goto out;
  }
  for (i = 0; i < n; i++) {
    if (!pairs[i].from || !*pairs[i].from || !*pairs[i].to) {
      rc = bad(host,
               "params.breakdown_columns entry %zu must map a dimension "
               "name to a column name, e.g. {\"age\": \"leeftijd\"}",
               i);
      goto out;
    }
    cfg->breakdown[i] = pairs[i];
  }
  cfg->breakdown_count = n;
out:
  csvx_free(mem, pairs);
  return rc;
}

static gw_result parse_choices(struct csvx_config *cfg,
                               const struct gw_host_api *host,
                               const struct gw_plugin_config *config) {
  const char *layout = opt_string(host, config, "layout");
  const char *delimiter = opt_string(host, config, "delimiter");
  const char *encoding = opt_string(host, config, "encoding");

  if (!layout || strcmp(layout, "wide") == 0)
    cfg->layout = CSVX_LAYOUT_WIDE;
  else if (strcmp(layout, "long") == 0)
    cfg->layout = CSVX_LAYOUT_LONG;
  else if (strcmp(layout, "periods") == 0)
    cfg->layout = CSVX_LAYOUT_PERIODS;
  else
    return bad(host,
               "params.layout is \"%s\"; expected \"wide\", \"long\" "
               "or \"periods\"",
               layout);
  if (!delimiter || strcmp(delimiter, "auto") == 0)
    cfg->delimiter = 0;
  else if (strcmp(delimiter, ";") == 0 || strcmp(delimiter, ",") == 0 ||
           strcmp(delimiter, "\t") == 0)
    cfg->delimiter = delimiter[0];
  else if (strcmp(delimiter, "tab") == 0)
    cfg->delimiter = '\t';
  else
    return bad(host,
               "params.delimiter is \"%s\"; expected \"auto\", \";\", "
               "\",\" or \"tab\"",
               delimiter);
  if (!encoding || strcmp(encoding, "auto") == 0)
    cfg->encoding = CSVX_ENC_AUTO;
  else if (csvx_same_name(encoding, "utf-8") ||
           csvx_same_name(encoding, "utf8"))
    cfg->encoding = CSVX_ENC_UTF8;
  else if (csvx_same_name(encoding, "windows-1252") ||
           csvx_same_name(encoding, "cp1252"))
    cfg->encoding = CSVX_ENC_CP1252;
  else
    return bad(host,
               "params.encoding is \"%s\"; expected \"auto\", "
               "\"utf-8\" or \"windows-1252\"",
               encoding);
  cfg->header_row = host->config_int(config, "header_row");
  if (cfg->header_row < 0)
    return bad(host,
               "params.header_row is %lld; expected 0 (detect) or a "
               "line number",
               (long long)cfg->header_row);
  return GW_OK;
}

/* Which of the column keys each layout needs or forbids. */
static gw_result check_layout(const struct csvx_config *cfg,
                              const struct gw_host_api *host) {
  int long_layout = cfg->layout == CSVX_LAYOUT_LONG;
  int periods = cfg->layout == CSVX_LAYOUT_PERIODS;

  if (periods && (cfg->period_column || cfg->period_fixed))
    return bad(host, "layout \"periods\" takes the periods from the header; "
                     "remove params.period_column / params.period");
  if (!periods && !cfg->period_column == !cfg->period_fixed)
    return bad(host, "set exactly one of params.period_column (the column "
                     "with the period) and params.period (a fixed period)");
  if ((long_layout || periods) && !cfg->code_column == !cfg->code_fixed)
    return bad(host,
               "layout \"%s\" needs exactly one of params.code_column "
               "and params.code",
               long_layout ? "long" : "periods");
  if (!long_layout && !periods && (cfg->code_column || cfg->code_fixed))
    return bad(host, "layout \"wide\" takes the codes from the header; "
                     "remove params.code_column / params.code");
  if (long_layout && !cfg->value_column)
    return bad(host, "layout \"long\" needs params.value_column");
  if (!long_layout &&
      (cfg->value_column || cfg->lower_column || cfg->upper_column))
    return bad(host, "params.value_column, lower_column and upper_column "
                     "belong to layout \"long\"; use value_columns for the "
                     "value columns of a wide table");
  if (long_layout && cfg->value_column_count)
    return bad(host, "params.value_columns does not apply to layout "
                     "\"long\" (use value_column)");
  return GW_OK;
}

gw_result csvx_config_load(struct csvx_config *cfg,
                           const struct gw_host_api *host,
                           const struct gw_plugin_config *config,
                           struct csvx_mem *mem) {
  gw_result rc;

  memset(cfg, 0, sizeof *cfg);
  cfg->url = opt_string(host, config, "url");
  cfg->dataset = opt_string(host, config, "dataset");
  cfg->area_column = opt_string(host, config, "area_column");
  cfg->period_column = opt_string(host, config, "period_column");
  cfg->period_fixed = opt_string(host, config, "period");
  cfg->code_column = opt_string(host, config, "code_column");
  cfg->code_fixed = opt_string(host, config, "code");
  cfg->value_column = opt_string(host, config, "value_column");
  cfg->lower_column = opt_string(host, config, "lower_column");
  cfg->upper_column = opt_string(host, config, "upper_column");
  cfg->area_prefix = opt_string(host, config, "area_prefix");
  if (!cfg->url)
    return bad(host, "the source has no url (https://... or file:///...)");
  if (!cfg->dataset)
    return bad(host, "params.dataset is required (the catalogue dataset, "
                     "e.g. \"diemen_lokaal\")");
  if (!cfg->area_column)
    return bad(host, "params.area_column is required (the column with the "
                     "area code or name)");
  if ((rc = parse_choices(cfg, host, config)) != GW_OK ||
      (rc = load_markers(cfg, host, config, mem)) != GW_OK ||
      (rc = load_value_columns(cfg, host, config, mem)) != GW_OK ||
      (rc = load_breakdowns(cfg, host, config, mem)) != GW_OK ||
      (rc = load_pairs(host, config, "area_map", mem, &cfg->area_map,
                       &cfg->area_map_count)) != GW_OK ||
      (rc = load_pairs(host, config, "code_map", mem, &cfg->code_map,
                       &cfg->code_map_count)) != GW_OK)
    return rc;
  return check_layout(cfg, host);
}

void csvx_config_free(struct csvx_config *cfg, struct csvx_mem *mem) {
  csvx_free(mem, cfg->markers);
  csvx_free(mem, (void *)cfg->value_columns);
  csvx_free(mem, cfg->area_map);
  csvx_free(mem, cfg->code_map);
  memset(cfg, 0, sizeof *cfg);
}
