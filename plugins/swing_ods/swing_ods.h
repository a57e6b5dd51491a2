/*
 * swing_ods.h - internals of the Swing Open Data Service plugin (OData v4
 * JSON behind waarstaatjegemeente.nl and other Swing/Jive instances).
 *
 * A run walks the Variables list (to check the requested variables exist,
 * or to pick the ones the catalogue maps), optionally reads the GeoItems of
 * the level to map areas by name, then for every variable and period pages
 * through .../Periods('<p>')/Values and emits one observation per row.
 * One page is in memory at a time; what is kept across pages is bounded by
 * the configuration (variables, area and name maps), not by the source.
 */
#ifndef SWING_ODS_H
#define SWING_ODS_H

#include <gateway/plugin.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---- growable string (buf.c) ------------------------------------------ */

struct swing_buf {
  char *data; /* NUL-terminated once anything was appended */
  size_t len;
  size_t cap;
};

int swing_buf_append(struct swing_buf *buf, const char *text);
int swing_buf_printf(struct swing_buf *buf, const char *fmt, ...)
    GW_PRINTF_LIKE(2, 3);
/* An OData string key literal without its quotes: ' doubled, everything
 * but RFC 3986 unreserved characters percent-encoded. */
int swing_buf_append_key(struct swing_buf *buf, const char *key);
void swing_buf_reset(struct swing_buf *buf);
void swing_buf_free(struct swing_buf *buf);
/* 1 when both URLs have the same scheme, host and port. */
int swing_same_origin(const char *a, const char *b);
/* "host[:port]" of an absolute URL into out (empty when none). */
void swing_url_host(const char *url, char *out, size_t size);

/* ---- value strings and markers (cells.c) ------------------------------- */

struct swing_marker {
  char *text;
  gw_status status;
};

struct swing_markers {
  struct swing_marker *items;
  size_t count;
  char **warned; /* unknown texts already warned about in this run */
  size_t warned_count;
};

/* "missing", "suppressed", ... -> status; -1 when unknown. */
int swing_status_from_name(const char *name, gw_status *out);
/* The built-in markers, then params.markers on top. GW_FAIL (logged) when
 * the map names an unknown status. */
gw_result swing_markers_init(struct swing_markers *markers,
                             const struct gw_host_api *host,
                             const struct gw_plugin_config *config);
/* 1 and *out when known (exact match first, then case-insensitive). */
int swing_markers_lookup(const struct swing_markers *markers, const char *text,
                         gw_status *out);
void swing_markers_reset_warnings(struct swing_markers *markers);
void swing_markers_free(struct swing_markers *markers);

struct swing_cell {
  int has_value;
  double value;
  gw_status status;          /* UNSET when has_value */
  const char *status_detail; /* the source text verbatim, or NULL */
  int unknown_marker;        /* 1: text neither a number nor a marker */
};

struct swing_ctx;

/* ValueString (a JSON string; a number or null are accepted too) -> cell.
 * Never produces a value for text that is not a number: empty, markers and
 * other text become statuses. */
void swing_cell_from_json(struct swing_ctx *ctx, struct gw_run *run,
                          const json_t *value, struct swing_cell *out);

/* ---- areas (areas.c) --------------------------------------------------- */

struct swing_area_pair {
  char *external; /* ExternalCode as the source writes it */
  char *cbs;      /* CBS code, e.g. GM0384 */
};

struct swing_areas {
  struct swing_area_pair *by_name; /* from GeoItems via params.names */
  size_t count;
  size_t cap;
};

/* Remember ExternalCode -> CBS code learnt from a GeoItems row. */
int swing_areas_add(struct swing_areas *areas, const char *external,
                    const char *cbs);
void swing_areas_free(struct swing_areas *areas);
/* ExternalCode -> CBS code into out: params.area_map, the names learnt from
 * GeoItems, a code already in CBS form (GM0384), "<level>_<n>", or a number
 * with the level's prefix and zero padding. 0, or -1 with why in reason. */
int swing_area_for(const struct swing_ctx *ctx, const char *external, char *out,
                   size_t size, char *reason, size_t reason_size);

/* ---- fetching and paging (pager.c) ------------------------------------- */

/* What a request is for, so a refusal can be told in the source's terms. */
struct swing_what {
  const char *variable; /* NULL for lists not tied to a variable */
  const char *period;   /* NULL unless a Values request */
  int values;           /* 1: a Values (or Periods) request: 404 = no data */
};

struct swing_row_ref {
  const struct gw_payload *payload;
  uint64_t page;     /* 1-based */
  uint64_t position; /* 1-based within the page */
};

/* GW_OK: keep going; otherwise stop with it. */
typedef gw_result (*swing_row_fn)(void *state, struct gw_run *run,
                                  const json_t *row,
                                  const struct swing_row_ref *ref);

enum swing_paging {
  SWING_PAGE_NEXTLINK = 0, /* follow @odata.nextLink only */
  SWING_PAGE_SKIP = 1      /* and, without one, $skip until an empty page */
};

/* Walk a list from first_url, one page at a time. */
gw_result swing_page_through(struct swing_ctx *ctx, struct gw_run *run,
                             const char *first_url, enum swing_paging paging,
                             const struct swing_what *what, swing_row_fn fn,
                             void *state);
/* Parse one page body (also the fuzz entry): the "value" array and the
 * nextLink (NULL when none) of a document. 0, or -1 with why in err. */
int swing_page_parse(json_t *root, json_t **values, const char **next_link,
                     char *err, size_t err_size);
/* Object member as a string, or NULL. */
const char *swing_json_string(const json_t *object, const char *key);
/* A list row's code: ExternalCode, else Code. NULL when neither. */
const char *swing_row_code(const json_t *row);

/* ---- the plugin context (context.c) ------------------------------------ */

enum swing_mrp_mode {
  SWING_MRP_RESOLVE = 0, /* ask Periods('<newest listed>')/Values */
  SWING_MRP_SERVER = 1   /* ask Periods('mrp')/Values, label the newest */
};

struct swing_ctx {
  const struct gw_host_api *host;
  const struct gw_plugin_config *config;
  const char *source_id;
  char *base; /* ODS root without trailing slash */
  char host_name[256];
  const char *dataset;
  const char *geo_level;
  const char *period_level;
  char area_prefix[16];
  int area_digits; /* zero padding of a numeric ExternalCode; 0: none */
  int map_by_name;
  int check_variables;
  enum swing_mrp_mode mrp_mode;
  int64_t max_pages;
  char *apikey_header; /* "apikey: <key>" or NULL */
  const char *headers[3];
  struct swing_markers markers;
  struct swing_areas areas;
};

size_t swing_list_count(const struct swing_ctx *ctx, const char *key);
const char *swing_list_at(const struct swing_ctx *ctx, const char *key,
                          size_t i);
/* Value of a map key entry whose name equals name, or NULL. */
const char *swing_map_get(const struct swing_ctx *ctx, const char *key,
                          const char *name);

/* ---- the flow (flow.c) ------------------------------------------------- */

gw_result swing_run_all(struct swing_ctx *ctx, struct gw_run *run);

/* ---- entry points (context.c), wrapped by plugin.c --------------------- */

extern const struct gw_config_key swing_ods_config_keys[];
gw_result swing_ods_init(const struct gw_host_api *host,
                         const struct gw_plugin_config *config, void **ctx_out);
gw_result swing_ods_run(void *ctx, struct gw_run *run);
void swing_ods_destroy(void *ctx);

#endif /* SWING_ODS_H */
