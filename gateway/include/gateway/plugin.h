/*
 * gateway/plugin.h - the ONLY header a source plugin includes.
 *
 * This is the binary contract between the gateway host and its source
 * plugins (DESIGN.md section 3). It is versioned and append-only:
 *
 *  - GW_PLUGIN_ABI_VERSION changes only when an existing member changes
 *    meaning or position. Adding members at the END of a struct does not
 *    change the ABI version; the `size` member tells the other side how
 *    much of the struct it may read.
 *  - The host refuses a plugin whose descriptor has a different ABI version
 *    or whose `size` is smaller than GW_PLUGIN_DESCRIPTOR_MIN_SIZE.
 *  - A plugin must check `host->size` before calling a host function that
 *    was added after the ABI version it was built against (see
 *    GW_HOST_HAS()).
 *
 * Plugins never open sockets or files. Every byte they see arrives through
 * host->fetch(), so the host can apply TLS policy, size caps, spooling and
 * exchange logging in one place (that is what lets an auditor trust the log).
 *
 * Ownership, in one place:
 *  - Everything the plugin passes to the host (URLs, headers, observations,
 *    messages) is copied by the host before the call returns; the plugin may
 *    reuse or free its buffers immediately.
 *  - A gw_payload handle returned by fetch() belongs to the host and stays
 *    valid until the run ends (run() returns). The plugin never frees it.
 *  - Strings returned by config getters belong to the host and stay valid
 *    until destroy() is called.
 *  - The context returned by init() belongs to the plugin until destroy().
 */
#ifndef GATEWAY_PLUGIN_H
#define GATEWAY_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GW_PLUGIN_ABI_VERSION 1u
/* The single symbol the loader looks up with dlsym(). */
#define GW_PLUGIN_ENTRY_SYMBOL "gw_plugin_entry"

#if defined(__GNUC__)
#define GW_PLUGIN_EXPORT __attribute__((visibility("default")))
#define GW_PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define GW_PLUGIN_EXPORT
#define GW_PRINTF_LIKE(fmt, args)
#endif

/* Tri-state result of every fallible plugin/host call (DESIGN 3).
 * RETRY: transient (network, 5xx, 429); the host may try the run again.
 * FAIL:  permanent (bad data, refused key); retrying would not help. */
typedef enum gw_result { GW_OK = 0, GW_RETRY = 1, GW_FAIL = 2 } gw_result;

/* Observation status (DESIGN 4). UNSET lets the host decide:
 * FINAL when a value is present, MISSING when it is not. */
typedef enum gw_status {
  GW_STATUS_UNSET = 0,
  GW_STATUS_FINAL,
  GW_STATUS_PROVISIONAL,
  GW_STATUS_REVISED,
  GW_STATUS_MISSING,
  GW_STATUS_NOT_YET_KNOWN,
  GW_STATUS_NOT_APPLICABLE,
  GW_STATUS_SUPPRESSED,
  GW_STATUS_IMPOSSIBLE
} gw_status;

/* Which part of an observation a raw row carries. StatLine health-monitor
 * tables deliver value, lower and upper 95% bound as three separate rows
 * (the Marges dimension), often pages apart; the host joins them in the
 * store, so plugins stream rows without holding the table in memory. */
typedef enum gw_component {
  GW_COMPONENT_VALUE = 0,
  GW_COMPONENT_CI_LOW = 1,
  GW_COMPONENT_CI_HIGH = 2
} gw_component;

typedef enum gw_log_level {
  GW_LOG_DEBUG = 0,
  GW_LOG_INFO = 1,
  GW_LOG_WARN = 2,
  GW_LOG_ERROR = 3
} gw_log_level;

/* Opaque handles owned by the host. */
struct gw_run;           /* one execution of one source */
struct gw_payload;       /* one fetched, spooled response body */
struct gw_plugin_config; /* the validated `params` of one source */

/* ---- Configuration keys as data ------------------------------------- */

typedef enum gw_config_type {
  GW_CFG_STRING = 0, /* JSON string */
  GW_CFG_INT,        /* JSON integer */
  GW_CFG_BOOL,       /* JSON true/false */
  GW_CFG_STRING_MAP, /* JSON object whose values are all strings */
  GW_CFG_STRING_LIST /* JSON array of strings */
} gw_config_type;

#define GW_CFG_REQUIRED 0x1u /* the key must be present */
#define GW_CFG_SECRET 0x2u   /* must be "${ENV}" or {"file": ...}, never inline */

struct gw_config_key {
  const char *name;          /* key inside the source's "params" object */
  gw_config_type type;       /* expected JSON type */
  uint32_t flags;            /* GW_CFG_* flags */
  const char *default_value; /* textual default for scalars, or NULL */
  const char *help;          /* one line, shown by `gateway plugins -v` */
};
/* A key table ends with an entry whose name is NULL. */

/* ---- Fetching -------------------------------------------------------- */

#define GW_FETCH_NO_CONDITIONAL 0x1u /* do not send If-None-Match etc. */

struct gw_fetch_request {
  uint32_t size; /* sizeof(struct gw_fetch_request) as built */
  const char *url;
  /* NULL-terminated array of "Name: value" header lines, or NULL. Header
   * values that came from GW_CFG_SECRET keys are redacted by the host in
   * every log. */
  const char *const *headers;
  uint32_t flags; /* GW_FETCH_* */
};

/* ---- Observations ---------------------------------------------------- */

struct gw_breakdown_item {
  const char *dimension; /* e.g. "age" */
  const char *member;    /* e.g. "18+" */
};

/* One raw number as found in a source. The host trims codes, normalises
 * the period, resolves the indicator from (dataset, source_code) through
 * the catalogue, validates, and stores or rejects it. */
struct gw_raw_observation {
  uint32_t size;           /* sizeof(struct gw_raw_observation) as built */
  const char *dataset;     /* source table/dataset id, e.g. "50120NED" */
  const char *source_code; /* the figure's code at the source, e.g. the
                              topic stem "Eenzaam" or measure "M000123" */
  const char *indicator;   /* catalogue id if the plugin knows it, else NULL */
  const char *area;        /* raw area code; may be space padded */
  const char *period;      /* raw period code, e.g. "2022JJ00" */
  const struct gw_breakdown_item *breakdown;
  size_t breakdown_count;
  gw_component component;
  int has_value; /* 0: value is absent (null or a marker) */
  double value;
  gw_status status;
  const char *unit;           /* NULL: the catalogue's unit */
  const char *status_detail;  /* verbatim source marker, e.g. "." or
                                 "Voorlopig"; NULL when none */
  const struct gw_payload *payload; /* where the row came from (for messages
                                       and provenance); may be NULL */
  uint64_t position;          /* 1-based row number within that payload */
};

/* ---- The host function table ------------------------------------------
 * Append-only. Never reorder, never remove; new functions go at the end
 * and bump nothing but `size`. */
struct gw_host_api {
  uint32_t abi_version; /* GW_PLUGIN_ABI_VERSION of the host */
  uint32_t size;        /* sizeof(struct gw_host_api) in the host */

  /* Fetch a URL through the host transport (TLS policy, retries, size cap,
   * spool, conditional GET, exchange log). On GW_OK *out is a readable
   * payload (also when the server answered 304: the previous body is
   * served from the spool and gw_payload_not_modified() says so). */
  gw_result (*fetch)(struct gw_run *run, const struct gw_fetch_request *req,
                     struct gw_payload **out);

  /* Read up to len bytes of a payload body; returns bytes read, 0 at the
   * end, -1 on error. Suitable as a jansson json_load_callback source. */
  ssize_t (*payload_read)(struct gw_payload *payload, void *buf, size_t len);
  /* Start reading the payload from its first byte again. 0 on success. */
  int (*payload_rewind)(struct gw_payload *payload);
  const char *(*payload_url)(const struct gw_payload *payload);
  /* 1 when the server answered 304 Not Modified for this fetch. */
  int (*payload_not_modified)(const struct gw_payload *payload);

  /* Hand one raw observation to the host. GW_OK: accepted or rejected
   * (a rejection is counted and logged, not an error of the run).
   * GW_FAIL: the run must stop (store or log failure). */
  gw_result (*emit)(struct gw_run *run, const struct gw_raw_observation *obs);
  /* Report a unit of input the plugin could not use (a row, a column).
   * location: "row 17", "DataProperties[3]"; reason: what was expected. */
  void (*reject)(struct gw_run *run, const char *location, const char *reason);
  /* Diagnostics. run may be NULL (e.g. inside init()). */
  void (*log)(struct gw_run *run, gw_log_level level, const char *fmt, ...)
      GW_PRINTF_LIKE(3, 4);

  /* Configuration accessors (keys must be declared in the plugin's key
   * table; the generic keys "id" and "url" of the source are readable too).
   * Getters return the default when the key is absent. */
  const char *(*config_string)(const struct gw_plugin_config *cfg,
                               const char *key);
  int64_t (*config_int)(const struct gw_plugin_config *cfg, const char *key);
  int (*config_bool)(const struct gw_plugin_config *cfg, const char *key);
  /* Number of entries of a map/list key (0 when absent). */
  size_t (*config_count)(const struct gw_plugin_config *cfg, const char *key);
  /* Entry i of a map (name and value) or list (value only, *name NULL). */
  int (*config_entry)(const struct gw_plugin_config *cfg, const char *key,
                      size_t i, const char **name, const char **value);

  /* Helpers shared by all plugins so every source speaks the same dialect.
   * Parse a decimal number written with '.' or ',' (and optional thousands
   * separators when unambiguous). 0 on success, -1 when not a finite
   * number. */
  int (*parse_number)(const char *text, double *out);
  /* Normalise a source period code into out ("2022JJ00" -> "2022").
   * Returns 1 when recognised, 0 when kept verbatim, -1 when out is too
   * small or the code is empty/unprintable. */
  int (*normalise_period)(const char *raw, char *out, size_t out_size);
  /* Catalogue id mapped to (plugin, dataset, source_code), or NULL when the
   * catalogue has no such mapping (the plugin may skip the column). */
  const char *(*indicator_for)(struct gw_run *run, const char *dataset,
                               const char *source_code);

  /* Added after ABI 1 shipped: check GW_HOST_HAS(host, last_http_status).
   * HTTP status of the run's most recent fetch() (e.g. 401, 404), or 0 when
   * none has been answered (no fetch yet, refused before sending, network
   * failure). fetch() only says OK/RETRY/FAIL; this lets a plugin say what
   * a refusal means for its source ("API key refused", "no data at this
   * level"). */
  long (*last_http_status)(struct gw_run *run);
};

/* True when the host table is large enough to contain member `fn`. */
#define GW_HOST_HAS(host, fn)                                                \
  ((host)->size >= offsetof(struct gw_host_api, fn) + sizeof((host)->fn))

/* ---- The plugin descriptor -------------------------------------------- */

struct gw_plugin_descriptor {
  uint32_t abi_version; /* must equal the host's GW_PLUGIN_ABI_VERSION */
  uint32_t size;        /* sizeof(struct gw_plugin_descriptor) as built */
  const char *name;     /* matches "plugin" in a source's config */
  const char *version;  /* the plugin's own version, e.g. "1.0.0" */
  const char *description;
  const struct gw_config_key *config_keys; /* table ending in {NULL} */

  /* Create the plugin context for one configured source. The config has
   * already been checked against config_keys. */
  gw_result (*init)(const struct gw_host_api *host,
                    const struct gw_plugin_config *config, void **ctx_out);
  /* One run: fetch, parse, emit. */
  gw_result (*run)(void *ctx, struct gw_run *run);
  void (*destroy)(void *ctx);
};

#define GW_PLUGIN_DESCRIPTOR_MIN_SIZE                                        \
  (offsetof(struct gw_plugin_descriptor, destroy) +                          \
   sizeof(void (*)(void *)))

typedef const struct gw_plugin_descriptor *(*gw_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif /* GATEWAY_PLUGIN_H */
