/*
 * cbs_odata.h - internals of the CBS StatLine OData plugin (v3 and v4).
 *
 * The plugin streams a table page by page: metadata (topics, dimensions,
 * period status) is kept, data pages are parsed one at a time and released
 * before the next one is fetched.
 */
#ifndef CBS_ODATA_H
#define CBS_ODATA_H

#include <gateway/plugin.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- growable string (url_builder.c) ---------------------------------- */

struct cbs_buf {
  char *data; /* always NUL-terminated once anything was appended */
  size_t len;
  size_t cap;
};

int cbs_buf_append(struct cbs_buf *buf, const char *text);
int cbs_buf_append_len(struct cbs_buf *buf, const char *text, size_t len);
/* Percent-encode everything but RFC 3986 unreserved characters. */
int cbs_buf_append_encoded(struct cbs_buf *buf, const char *text);
int cbs_buf_printf(struct cbs_buf *buf, const char *fmt, ...)
    GW_PRINTF_LIKE(2, 3);
void cbs_buf_reset(struct cbs_buf *buf);
void cbs_buf_free(struct cbs_buf *buf);

/* 1 when both URLs have the same scheme, host and port (case-insensitive),
 * 0 otherwise (also when either is not an absolute http(s) URL). */
int cbs_same_origin(const char *a, const char *b);
/* Last non-empty path segment of url into a malloc'd string, or NULL. */
char *cbs_last_path_segment(const char *url);
/* Case-insensitive substring test. */
int cbs_contains_ci(const char *haystack, const char *needle);

/* ---- CBS markers and ValueAttribute (cbs_symbols.c) ------------------- */

struct cbs_symbol {
  char *marker;
  gw_status status;
};

struct cbs_symbols {
  struct cbs_symbol *items;
  size_t count;
  char **warned; /* markers already warned about in this run */
  size_t warned_count;
};

/* "missing", "suppressed", ... -> status; -1 when unknown. */
int cbs_status_from_name(const char *name, gw_status *out);
const char *cbs_status_name(gw_status status);
/* Defaults, then the `markers` config map on top. GW_FAIL (logged) when the
 * map names an unknown status. */
gw_result cbs_symbols_init(struct cbs_symbols *symbols,
                           const struct gw_host_api *host,
                           const struct gw_plugin_config *config);
/* 1 and *out when known (exact match first, then case-insensitive). */
int cbs_symbols_lookup(const struct cbs_symbols *symbols, const char *marker,
                       gw_status *out);
/* 1 the first time a marker is seen in this run (caller warns), else 0;
 * -1 on allocation failure. */
int cbs_symbols_first_warning(struct cbs_symbols *symbols, const char *marker);
void cbs_symbols_reset_warnings(struct cbs_symbols *symbols);
void cbs_symbols_free(struct cbs_symbols *symbols);

/* ---- dimension metadata (dimensions.c) -------------------------------- */

enum cbs_dim_role {
  CBS_DIM_PLAIN = 0, /* becomes a breakdown dimension */
  CBS_DIM_GEO,       /* the observation's area */
  CBS_DIM_TIME,      /* the observation's period */
  CBS_DIM_MARGES     /* value / lower / upper bound (gw_component) */
};

struct cbs_member {
  char *key; /* trimmed */
  char *title;
  char *status_text; /* periods only; verbatim, may be NULL */
  gw_status status;  /* from status_text; UNSET when final or unknown */
};

struct cbs_dimension {
  char *key; /* column / dimension identifier */
  enum cbs_dim_role role;
  const char *breakdown_name; /* PLAIN only; owned by config or static */
  struct cbs_member *members; /* sorted by key after cbs_dim_sort() */
  size_t member_count;
  size_t member_cap;
};

struct cbs_dimensions {
  struct cbs_dimension *items;
  size_t count;
};

/* Role from a v3 DataProperties Type / v4 Dimensions Kind; -1 when the
 * value does not describe a dimension (Topic, TopicGroup, ...). */
int cbs_dim_role_from_type(const char *type, const char *key,
                           enum cbs_dim_role *out);
int cbs_dims_add(struct cbs_dimensions *dims, const char *key,
                 enum cbs_dim_role role, const char *breakdown_name);
/* Add one member row of a dimension entity set. Field names differ
 * between v3 (Key) and v4 (Identifier). A row without a key is rejected
 * (GW_OK); GW_FAIL only when out of memory. Call cbs_dim_sort() after the
 * last row. */
gw_result cbs_dim_add_member(struct cbs_dimension *dim, const json_t *row,
                             const char *key_field,
                             const struct gw_host_api *host, struct gw_run *run,
                             const char *where);
void cbs_dim_sort(struct cbs_dimension *dim);
/* Member by key; padded and unpadded spellings match. NULL when absent. */
const struct cbs_member *cbs_dim_find(const struct cbs_dimension *dim,
                                      const char *key);
/* Period Status text -> status; *known 0 for texts we do not recognise. */
gw_status cbs_period_status(const char *text, int *known);
/* Marges key -> component; -1 for keys other than the three CBS ones. */
int cbs_marges_component(const char *key, gw_component *out);
void cbs_dims_free(struct cbs_dimensions *dims);

/* ---- the plugin context (context.c) ----------------------------------- */

enum cbs_protocol { CBS_PROTOCOL_V3 = 3, CBS_PROTOCOL_V4 = 4 };

struct cbs_ctx {
  const struct gw_host_api *host;
  const struct gw_plugin_config *config;
  char *url;     /* table root, no trailing slash, no query */
  char *dataset; /* config `dataset` or the URL's last segment */
  enum cbs_protocol protocol;
  const char *filter; /* NULL or the raw OData $filter */
  int64_t max_pages;
  int typed;
  struct cbs_symbols symbols;
};

/* Breakdown dimension name for a dimension key (config map, then the
 * built-in defaults, then the key itself). */
const char *cbs_breakdown_name(const struct cbs_ctx *ctx, const char *key);
/* 1 when params.topics is set. */
size_t cbs_topic_count(const struct cbs_ctx *ctx);
const char *cbs_topic_at(const struct cbs_ctx *ctx, size_t i);

/* ---- fetching and parsing one document (page_reader.c) ---------------- */

struct cbs_doc {
  json_t *root;
  struct gw_payload *payload;
  const char *url; /* the payload's URL (host-owned) */
};

/* Fetch url and parse the body as one JSON object. Errors are logged with
 * the URL (and line/column for parse errors). */
gw_result cbs_fetch_doc(struct cbs_ctx *ctx, struct gw_run *run,
                        const char *url, struct cbs_doc *out);
/* The document's "value" array, or NULL after logging an error. */
json_t *cbs_doc_values(struct cbs_ctx *ctx, struct gw_run *run,
                       const struct cbs_doc *doc);
void cbs_doc_release(struct cbs_doc *doc);
/* Fetch a metadata document and return its value array (doc keeps it). */
gw_result cbs_fetch_values(struct cbs_ctx *ctx, struct gw_run *run,
                           const char *url, struct cbs_doc *doc,
                           json_t **values);
/* Object member as a string, or NULL. */
const char *cbs_json_string(const json_t *object, const char *key);

/* ---- paging (pager.c) ------------------------------------------------- */

struct cbs_row_ref {
  const struct gw_payload *payload;
  uint64_t page;     /* 1-based */
  uint64_t position; /* 1-based row within the page */
};

/* GW_OK: keep going (row used or rejected); otherwise stop with it. */
typedef gw_result (*cbs_row_fn)(void *state, struct gw_run *run,
                                const json_t *row,
                                const struct cbs_row_ref *ref);

struct cbs_paging_stats {
  uint64_t pages;
  uint64_t rows;
};

/* Fetch first_url, call fn for every row, follow next_link_key until it is
 * absent. One page is in memory at a time. */
gw_result cbs_page_through(struct cbs_ctx *ctx, struct gw_run *run,
                           const char *first_url, const char *next_link_key,
                           cbs_row_fn fn, void *state,
                           struct cbs_paging_stats *stats);

struct cbs_cell;

/* ---- figures to read (topics.c) --------------------------------------- */

struct cbs_topic {
  char *column; /* v3 column key ("Eenzaam_27") or v4 measure code */
  char *code;   /* source_code: the column's stem, or the measure code */
  int numeric;  /* 0 for String topics (Gemeentenaam_1, ...) */
};

struct cbs_topics {
  struct cbs_topic *items;
  size_t count;
  size_t cap;
};

/* "Eenzaam_27" -> "Eenzaam"; keys without a `_<digits>` suffix unchanged. */
char *cbs_topic_stem(const char *key);
/* code NULL: the column's stem. 0 or -1 (out of memory). */
int cbs_topics_add(struct cbs_topics *topics, const char *column,
                   const char *code, int numeric);
/* params.topics, or every numeric candidate the catalogue maps. what names
 * the metadata document for messages ("DataProperties", "MeasureCodes"). */
gw_result cbs_topics_select(struct cbs_ctx *ctx, struct gw_run *run,
                            const struct cbs_topics *all, const char *what,
                            struct cbs_topics *selected);
void cbs_topics_free(struct cbs_topics *topics);

/* ---- dimension entity sets through the pager (metadata.c) ------------- */

/* Load every member of dim from url (paged). key_field: "Key" (v3) or
 * "Identifier" (v4). */
gw_result cbs_load_dimension(struct cbs_ctx *ctx, struct gw_run *run,
                             struct cbs_dimension *dim, const char *url,
                             const char *key_field, const char *next_key);
/* The service document / root lists entity set names; GW_FAIL (logged)
 * unless every name in `required` (NULL-terminated) is present. */
gw_result cbs_check_entity_sets(struct cbs_ctx *ctx, struct gw_run *run,
                                const char *url, const char *const *required,
                                const char *expectation);

/* ---- observations shared by v3 and v4 (emit.c) ------------------------ */

/* Where a row's coordinates came from; breakdown has room for every
 * dimension. */
struct cbs_row_keys {
  const char *area;
  const char *period;
  const struct cbs_member *period_member; /* NULL when not in metadata */
  gw_component component;
  struct gw_breakdown_item *breakdown;
  size_t breakdown_count;
};

/* Read the dimension columns of one row. 0: ok; -1: rejected (reported). */
int cbs_row_keys_read(struct cbs_ctx *ctx, struct gw_run *run,
                      const struct cbs_dimensions *dims, const json_t *row,
                      const char *where, struct cbs_row_keys *out);
/* Emit one raw observation. */
gw_result cbs_emit_cell(struct cbs_ctx *ctx, struct gw_run *run,
                        const struct cbs_row_keys *keys,
                        const char *source_code, const struct cbs_cell *cell,
                        const struct cbs_row_ref *ref);
/* "page P row R" into buf. */
void cbs_row_location(const struct cbs_row_ref *ref, char *buf, size_t size);
/* Exactly one GEO and one TIME dimension (extra ones become breakdowns);
 * GW_FAIL (logged) when either is missing. */
gw_result cbs_dims_check(struct cbs_ctx *ctx, struct gw_run *run,
                         struct cbs_dimensions *dims, const char *what);

struct cbs_cell {
  int has_value;
  double value;
  gw_status status;
  const char *status_detail; /* borrowed or detail_buf, or NULL */
  int usable;                /* 0: not a value we can interpret */
  char detail_buf[64];       /* trimmed marker text */
};

/* A cell that holds a string: a number, or a CBS marker. */
void cbs_cell_from_text(struct cbs_ctx *ctx, struct gw_run *run,
                        const char *text, struct cbs_cell *out);
/* A JSON cell of a typed table: number, null, or a string as above. */
void cbs_cell_from_json(struct cbs_ctx *ctx, struct gw_run *run,
                        const json_t *cell, struct cbs_cell *out);
/* Apply the period status (provisional) to a cell without its own. */
void cbs_cell_apply_period(struct cbs_cell *cell,
                           const struct cbs_member *period);
/* Log the first occurrence of an unknown marker/attribute. */
void cbs_warn_unknown_marker(struct cbs_ctx *ctx, struct gw_run *run,
                             const char *what, const char *marker);

/* ---- protocol flows --------------------------------------------------- */

gw_result cbs_v3_run(struct cbs_ctx *ctx, struct gw_run *run);
gw_result cbs_v4_run(struct cbs_ctx *ctx, struct gw_run *run);

/* ---- the plugin entry points (context.c), wrapped by plugin.c --------- */

extern const struct gw_config_key cbs_odata_config_keys[];
gw_result cbs_odata_init(const struct gw_host_api *host,
                         const struct gw_plugin_config *config, void **ctx_out);
gw_result cbs_odata_run(void *ctx, struct gw_run *run);
void cbs_odata_destroy(void *ctx);

#endif /* CBS_ODATA_H */
