/*
 * cbs_symbols.c - CBS cell markers (UntypedDataSet strings such as "." or
 * "x") and v4 ValueAttribute codes, mapped to gw_status. The built-in table
 * is a best reading of the CBS legend; the v4 code list is unconfirmed, so
 * the `markers` config map can override or extend every entry.
 */
#include "cbs_odata.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
  const char *name;
  gw_status status;
} status_names[] = {
    {"final", GW_STATUS_FINAL},
    {"provisional", GW_STATUS_PROVISIONAL},
    {"revised", GW_STATUS_REVISED},
    {"missing", GW_STATUS_MISSING},
    {"not_yet_known", GW_STATUS_NOT_YET_KNOWN},
    {"not_applicable", GW_STATUS_NOT_APPLICABLE},
    {"suppressed", GW_STATUS_SUPPRESSED},
    {"impossible", GW_STATUS_IMPOSSIBLE},
};

static const struct {
  const char *marker;
  gw_status status;
} default_markers[] = {
    /* StatLine symbol legend (UntypedDataSet cells) */
    {"", GW_STATUS_IMPOSSIBLE}, /* blank: cannot occur on logical grounds */
    {".", GW_STATUS_MISSING},   /* unknown, unreliable or secret */
    {"x", GW_STATUS_SUPPRESSED},
    {"*", GW_STATUS_PROVISIONAL},
    {"**", GW_STATUS_PROVISIONAL}, /* revised provisional */
    {"NB", GW_STATUS_MISSING},
    {"n.n.b.", GW_STATUS_NOT_YET_KNOWN},
    {"N.v.t.", GW_STATUS_NOT_APPLICABLE},
    /* v4 ValueAttribute (code list unconfirmed, see docs) */
    {"Impossible", GW_STATUS_IMPOSSIBLE},
    {"Confidential", GW_STATUS_SUPPRESSED},
    {"Secret", GW_STATUS_SUPPRESSED},
    {"Unknown", GW_STATUS_MISSING},
    {"Missing", GW_STATUS_MISSING},
    {"NotAvailable", GW_STATUS_MISSING},
    {"Provisional", GW_STATUS_PROVISIONAL},
};

int cbs_status_from_name(const char *name, gw_status *out) {
  size_t i;

  for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
    if (strcasecmp(name, status_names[i].name) == 0) {
      *out = status_names[i].status;
      return 0;
    }
  }
  return -1;
}

const char *cbs_status_name(gw_status status) {
  size_t i;

  for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
    if (status_names[i].status == status)
      return status_names[i].name;
  return "unset";
}

static struct cbs_symbol *find_exact(const struct cbs_symbols *symbols,
                                     const char *marker) {
  size_t i;

  for (i = 0; i < symbols->count; i++)
    if (strcmp(symbols->items[i].marker, marker) == 0)
      return &symbols->items[i];
  return NULL;
}

static int symbols_set(struct cbs_symbols *symbols, const char *marker,
                       gw_status status) {
  struct cbs_symbol *existing = find_exact(symbols, marker);
  struct cbs_symbol *grown;
  char *copy;

  if (existing) {
    existing->status = status;
    return 0;
  }
  copy = strdup(marker);
  if (!copy)
    return -1;
  grown = realloc(symbols->items, (symbols->count + 1) * sizeof *grown);
  if (!grown) {
    free(copy);
    return -1;
  }
  symbols->items = grown;
  symbols->items[symbols->count].marker = copy;
  symbols->items[symbols->count].status = status;
  symbols->count++;
  return 0;
}

gw_result cbs_symbols_init(struct cbs_symbols *symbols,
                           const struct gw_host_api *host,
                           const struct gw_plugin_config *config) {
  size_t i;
  size_t n = host->config_count(config, "markers");

  for (i = 0; i < sizeof default_markers / sizeof default_markers[0]; i++) {
    if (symbols_set(symbols, default_markers[i].marker,
                    default_markers[i].status) != 0)
      goto oom;
  }
  for (i = 0; i < n; i++) {
    const char *marker = NULL;
    const char *status_name = NULL;
    gw_status status;

    if (host->config_entry(config, "markers", i, &marker, &status_name) != 0 ||
        !marker || !status_name) {
      host->log(NULL, GW_LOG_ERROR,
                "cbs_odata: params.markers entry %zu is "
                "not a \"marker\": \"status\" pair",
                i);
      return GW_FAIL;
    }
    if (cbs_status_from_name(status_name, &status) != 0) {
      host->log(NULL, GW_LOG_ERROR,
                "cbs_odata: params.markers[\"%s\"] = \"%s\" is not a status "
                "(expected final, provisional, revised, missing, "
                "not_yet_known, not_applicable, suppressed or impossible)",
                marker, status_name);
      return GW_FAIL;
    }
    if (symbols_set(symbols, marker, status) != 0)
      goto oom;
  }
  return GW_OK;
oom:
  host->log(NULL, GW_LOG_ERROR, "cbs_odata: out of memory for markers");
  return GW_FAIL;
}

int cbs_symbols_lookup(const struct cbs_symbols *symbols, const char *marker,
                       gw_status *out) {
  const struct cbs_symbol *hit = find_exact(symbols, marker);
  size_t i;

  for (i = 0; !hit && i < symbols->count; i++)
    if (strcasecmp(symbols->items[i].marker, marker) == 0)
      hit = &symbols->items[i];
  if (!hit)
    return 0;
  *out = hit->status;
  return 1;
}

int cbs_symbols_first_warning(struct cbs_symbols *symbols, const char *marker) {
  char **grown;
  char *copy;
  size_t i;

  for (i = 0; i < symbols->warned_count; i++)
    if (strcmp(symbols->warned[i], marker) == 0)
      return 0;
  /* A hostile source could send endless distinct markers: stop
   * remembering (and warning) after a few dozen. */
  if (symbols->warned_count >= 64)
    return 0;
  copy = strdup(marker);
  if (!copy)
    return -1;
  grown = realloc(symbols->warned, (symbols->warned_count + 1) * sizeof *grown);
  if (!grown) {
    free(copy);
    return -1;
  }
  symbols->warned = grown;
  symbols->warned[symbols->warned_count++] = copy;
  return 1;
}

void cbs_symbols_reset_warnings(struct cbs_symbols *symbols) {
  size_t i;

  for (i = 0; i < symbols->warned_count; i++)
    free(symbols->warned[i]);
  free(symbols->warned);
  symbols->warned = NULL;
  symbols->warned_count = 0;
}

void cbs_symbols_free(struct cbs_symbols *symbols) {
  size_t i;

  for (i = 0; i < symbols->count; i++)
    free(symbols->items[i].marker);
  free(symbols->items);
  symbols->items = NULL;
  symbols->count = 0;
  cbs_symbols_reset_warnings(symbols);
}
