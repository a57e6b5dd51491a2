/*
 * cells.c - a Values row's ValueString into value + status.
 *
 * Swing delivers the figure as a string. Whether the decimal mark is a
 * comma or a point, and how an absent figure is spelled, is not documented
 * ([?], see docs/plugins/swing_ods.md), so both marks are accepted (the
 * host's parse_number) and every non-number becomes a status, never 0:
 * the built-in markers follow how municipalities write their tables (NB,
 * n.n.b., N.v.t.) and the CBS legend (., x); params.markers overrides them.
 */
#include "swing_ods.h"

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
  const char *text;
  gw_status status;
} default_markers[] = {
    {"", GW_STATUS_MISSING},
    {"NB", GW_STATUS_MISSING}, /* "niet bekend" */
    {"-", GW_STATUS_MISSING},
    {".", GW_STATUS_MISSING},
    {"?", GW_STATUS_MISSING},
    {"x", GW_STATUS_SUPPRESSED}, /* secret, as in the CBS legend */
    {"n.n.b.", GW_STATUS_NOT_YET_KNOWN},
    {"N.v.t.", GW_STATUS_NOT_APPLICABLE},
};

int swing_status_from_name(const char *name, gw_status *out) {
  size_t i;

  for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
    if (strcasecmp(name, status_names[i].name) == 0) {
      *out = status_names[i].status;
      return 0;
    }
  }
  return -1;
}

static struct swing_marker *find_exact(const struct swing_markers *markers,
                                       const char *text) {
  size_t i;

  for (i = 0; i < markers->count; i++)
    if (strcmp(markers->items[i].text, text) == 0)
      return &markers->items[i];
  return NULL;
}

static int markers_set(struct swing_markers *markers, const char *text,
                       gw_status status) {
  struct swing_marker *found = find_exact(markers, text);
  struct swing_marker *grown;

  if (found) {
    found->status = status;
    return 0;
  }
  grown = realloc(markers->items, (markers->count + 1) * sizeof *grown);
  if (!grown)
    return -1;
  markers->items = grown;
  grown[markers->count].text = strdup(text);
  if (!grown[markers->count].text)
    return -1;
  grown[markers->count].status = status;
  markers->count++;
  return 0;
}

gw_result swing_markers_init(struct swing_markers *markers,
                             const struct gw_host_api *host,
                             const struct gw_plugin_config *config) {
  size_t i;
  size_t n = host->config_count(config, "markers");

  memset(markers, 0, sizeof *markers);
  for (i = 0; i < sizeof default_markers / sizeof default_markers[0]; i++)
    if (markers_set(markers, default_markers[i].text,
                    default_markers[i].status) != 0)
      goto oom;
  for (i = 0; i < n; i++) {
    const char *text = NULL;
    const char *name = NULL;
    gw_status status;
    if (host->config_entry(config, "markers", i, &text, &name) != 0 || !text ||
        !name || swing_status_from_name(name, &status) != 0 ||
        status == GW_STATUS_FINAL) {
      host->log(NULL, GW_LOG_ERROR,
                "swing_ods: params.markers[\"%s\"] is \"%s\"; expected one of "
                "missing, not_yet_known, not_applicable, suppressed, "
                "impossible, provisional, revised",
                text ? text : "?", name ? name : "");
      swing_markers_free(markers);
      return GW_FAIL;
    }
    if (markers_set(markers, text, status) != 0)
      goto oom;
  }
  return GW_OK;
oom:
  host->log(NULL, GW_LOG_ERROR, "swing_ods: out of memory (markers)");
  swing_markers_free(markers);
  return GW_FAIL;
}

int swing_markers_lookup(const struct swing_markers *markers, const char *text,
                         gw_status *out) {
  const struct swing_marker *found = find_exact(markers, text);
  size_t i;

  for (i = 0; !found && i < markers->count; i++)
    if (strcasecmp(markers->items[i].text, text) == 0)
      found = &markers->items[i];
  if (!found)
    return 0;
  *out = found->status;
  return 1;
}

/* 1 the first time text is seen in this run, 0 after, -1 out of memory. */
static int first_warning(struct swing_markers *markers, const char *text) {
  size_t i;
  char **grown;

  for (i = 0; i < markers->warned_count; i++)
    if (strcmp(markers->warned[i], text) == 0)
      return 0;
  if (markers->warned_count >= 64)
    return 0; /* enough said: a source full of prose is already reported */
  grown = realloc(markers->warned, (markers->warned_count + 1) * sizeof *grown);
  if (!grown)
    return -1;
  markers->warned = grown;
  grown[markers->warned_count] = strdup(text);
  if (!grown[markers->warned_count])
    return -1;
  markers->warned_count++;
  return 1;
}

void swing_markers_reset_warnings(struct swing_markers *markers) {
  size_t i;

  for (i = 0; i < markers->warned_count; i++)
    free(markers->warned[i]);
  free(markers->warned);
  markers->warned = NULL;
  markers->warned_count = 0;
}

void swing_markers_free(struct swing_markers *markers) {
  size_t i;

  for (i = 0; i < markers->count; i++)
    free(markers->items[i].text);
  free(markers->items);
  markers->items = NULL;
  markers->count = 0;
  swing_markers_reset_warnings(markers);
}

static void cell_from_text(struct swing_ctx *ctx, struct gw_run *run,
                           const char *text, struct swing_cell *out) {
  char trimmed[128];
  size_t len;
  const char *start = text;

  while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
    start++;
  len = strlen(start);
  while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t' ||
                     start[len - 1] == '\r' || start[len - 1] == '\n'))
    len--;
  if (len < sizeof trimmed) {
    memcpy(trimmed, start, len);
    trimmed[len] = '\0';
    if (len > 0 && ctx->host->parse_number(trimmed, &out->value) == 0) {
      out->has_value = 1;
      return;
    }
    out->value = 0.0;
    out->status_detail = len > 0 ? text : NULL;
    if (swing_markers_lookup(&ctx->markers, trimmed, &out->status))
      return;
  }
  /* Prose or an unknown marker: missing, with the text kept verbatim. */
  out->value = 0.0;
  out->status_detail = text;
  out->status = GW_STATUS_MISSING;
  out->unknown_marker = 1;
  if (first_warning(&ctx->markers, text) == 1)
    ctx->host->log(run, GW_LOG_WARN,
                   "swing_ods: ValueString \"%.80s\" is neither a number nor "
                   "a known marker: stored as missing with the text kept "
                   "(map it with params.markers); further occurrences are not "
                   "logged",
                   text);
}

void swing_cell_from_json(struct swing_ctx *ctx, struct gw_run *run,
                          const json_t *value, struct swing_cell *out) {
  memset(out, 0, sizeof *out);
  out->status = GW_STATUS_UNSET;
  if (json_is_string(value)) {
    cell_from_text(ctx, run, json_string_value(value), out);
  } else if (json_is_number(value)) {
    /* [?] not seen: a server that types the figure. Accept it. */
    out->has_value = 1;
    out->value = json_number_value(value);
  } else {
    out->status = GW_STATUS_MISSING; /* null or absent */
  }
}
