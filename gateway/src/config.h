/*
 * config.h - the gateway configuration (DESIGN 11), loaded from JSON.
 *
 * Every error names the file, the line and the key:
 *   "gateway.json:14: sources[1].tls_profile: expected one of public,
 *    digikoppeling, got \"none\""
 * Unknown keys are errors. Secrets (tls.client_key, audit.signing_key, and
 * plugin keys flagged GW_CFG_SECRET) must be written as "${ENV_NAME}" or
 * {"file": "/path"}; an inline secret is an error. Relative paths are
 * resolved against the directory of the config file.
 *
 * The config owns all its strings until config_free().
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "gateway/plugin.h"
#include "export.h"
#include "retry.h"
#include "transport.h"

#define GW_CONFIG_ERR_MAX 8192

struct gw_source_config {
  char *id;
  char *plugin;
  char *url;
  char *schedule; /* 5-field cron, or NULL */
  gw_tls_profile tls_profile;
  char *expected_oin;   /* digikoppeling profile */
  char **allowed_hosts; /* NULL-terminated; the url's host is
                           always allowed */
  struct gw_transport_limits limits;
  int reject_opaque_periods; /* "unknown_periods": "keep"|"reject" */
  json_t *params;            /* borrowed from root; checked against the
                                plugin's key table by config_check_params */
  int line;                  /* line of the source object */
  char *drop_folder;         /* absolute directory a file:// url must lie in, or
                                NULL: only https */
  char *proxy; /* added (additive), "proxy": NULL = environment (HTTPS_PROXY,
                  NO_PROXY); "" = no proxy ("" or "none" in the file);
                  else "http[s]://host:port" */
  /* Added by the retry policy (additive), "retry" object: */
  struct gw_retry_policy retry;
  /* Added for the digikoppeling profile (additive): PEM CRLs of the peer's
   * CAs (absolute path); required with, and only allowed with,
   * tls_profile digikoppeling. */
  char *crl_file;
};

struct gw_export_config {
  char *name; /* feed name, default from the file name */
  char *path;
  struct gw_export_options options;
  char **indicators; /* NULL-terminated filter or NULL */
  char **areas;      /* NULL-terminated filter or NULL */
};

/* "daemon" object: how `gateway daemon` schedules sources. */
struct gw_daemon_config {
  int max_concurrent;   /* sources running at once, default 2 */
  int jitter_seconds;   /* stable per-source delay 0..N after the cron time,
                           default 30; 0 turns it off */
  int catch_up;         /* a run missed while the daemon was down runs once at
                           start-up; default true */
  char *timezone;       /* IANA zone the cron fields are read in, or NULL for
                           CRON_DEFAULT_TZ (Europe/Amsterdam) */
  char *metrics_listen; /* loopback "host:port" for /metrics and /healthz,
                           or NULL: no endpoint */
  int serve;            /* also run the feed server ("serve" object) on the
                           daemon's loop; default false */
};

/* The exchange log's checkpoints and segments (docs/audit.md). */
struct gw_audit_config {
  char *origin;                  /* first line of every checkpoint; default
                                    "indicator-gateway/exchange-log" */
  char *checkpoint_file;         /* signed checkpoints, one note after another,
                                    to copy off the machine; default
                                    <audit path>.checkpoints */
  int64_t checkpoint_every;      /* records between checkpoints, default 1000 */
  int64_t checkpoint_interval_s; /* or seconds, default 3600 */
  int64_t rotate_bytes; /* start a new segment beyond this size, default
                           268435456; 0: never by size */
  int rotate_daily;     /* also start a new segment each UTC day */
  char **verify_keys;   /* NULL-terminated paths of trusted verifier key
                           files (old keys after a rotation), or NULL */
};

/* The rest of the "serve" object (listen, cert_file and key_file are the
 * flat serve_* fields below): how `gateway serve` authenticates clients,
 * limits them and caches its answers (docs/api.md). */
struct gw_serve_config {
  char *client_ca_file;    /* client certificates must chain to this CA;
                              NULL: no certificates are asked for */
  int require_client_cert; /* refuse the handshake without a certificate
                              (default false: the answer is a 401 body) */
  char *clients_file;      /* allow-list of certificate clients (JSON), or
                              NULL */
  char *tokens_file;       /* bearer tokens, stored as SHA-256, or NULL */
  int64_t rate_per_second; /* "rate_limit": per client, default 10; 0 off */
  int64_t rate_burst;      /* bucket size, default 20 */
  int64_t max_connections; /* open connections at once, default 256 */
  int64_t timeout_seconds; /* idle/stalled connection, default 30 */
  int64_t cache_seconds;   /* Cache-Control max-age, default 300; 0: no-cache */
  int64_t cache_max_bytes; /* rendered answers kept in memory, default 64 MiB;
                              0 turns the cache off */
};

struct gw_config {
  char *path;     /* the file as given */
  char *dir;      /* its directory, for relative paths */
  char *data_dir; /* store, spool, state */
  char *plugin_dir;
  char *catalogue;            /* path to indicators.json */
  struct gw_tls_settings tls; /* strings owned by the config */
  char *audit_path;           /* exchange log file */
  char *processing_activity_id;
  struct gw_source_config *sources;
  size_t source_count;
  struct gw_export_config *exports;
  size_t export_count;
  char **secrets; /* resolved secret values, NULL-terminated, for
                     redaction in logs */
  json_t *root;   /* the parsed document */
  char *text;     /* the raw file, for locating lines */
  /* Added by the config module (additive): */
  char *audit_signing_key; /* resolved secret (also in secrets), or NULL */
  char *targets;           /* path of the targets file, or NULL */
  char *serve_listen;      /* "host:port" for `gateway serve`, or NULL */
  char *serve_cert_file;   /* server certificate (PEM path), or NULL */
  char *serve_key_file;    /* server private key (PEM path), or NULL */
  /* Added by the privacy guard (additive), "privacy" object: */
  int64_t privacy_min_count;    /* counts 0 < v < this are suppressed; 0 off */
  char *privacy_quarantine_dir; /* refused payloads; <data_dir>/quarantine */
  /* Added by the daemon (additive), "daemon" object: */
  struct gw_daemon_config daemon;
  /* Added for auditors (additive), more of the "audit" object: */
  struct gw_audit_config audit;
  /* "spool" object: how long fetched payloads are kept for replay. */
  int64_t spool_retention_days; /* default 90; 0 keeps them forever */
  /* Added by the feed server (additive), more of the "serve" object: */
  struct gw_serve_config serve;
};

/* Load and validate everything that does not need plugins. Returns 0, or
 * -1 with one error per line in err. check_files: also check that
 * referenced files (CA, certificates, catalogue) exist and are readable. */
int config_load(const char *path, int check_files, struct gw_config **out,
                char *err, size_t err_size);
void config_free(struct gw_config *cfg);

/* Defaults used when no config file exists: data under ./gateway-data,
 * built-in plugin and schema directories, no sources. */
int config_default(struct gw_config **out, char *err, size_t err_size);

const struct gw_source_config *config_find_source(const struct gw_config *cfg,
                                                  const char *id);

/* Check one source's params against a plugin's key table: unknown keys
 * (with "did you mean"), wrong types, missing required keys, inline
 * secrets. Appends errors to err; returns the number of errors. */
int config_check_params(const struct gw_config *cfg,
                        const struct gw_source_config *src,
                        const struct gw_config_key *keys, char *err,
                        size_t err_size);

/* Resolve a secret value ("${ENV}" or {"file": path}) to its text; the
 * result is owned by the config (and added to cfg->secrets). NULL on error
 * with err set. */
const char *config_resolve_secret(struct gw_config *cfg, const json_t *value,
                                  const char *key_path, char *err,
                                  size_t err_size);

/* cfg->secrets grows when a secret file changes between runs while runs of
 * other sources redact URLs with it: readers hold this process-wide lock. */
void config_secrets_lock(void);
void config_secrets_unlock(void);
/* Line (1-based) of the value at a JSON-pointer-like path such as
 * "/sources/1/params/table" in the raw text, or 0 when not found. */
int config_line_of(const struct gw_config *cfg, const char *path);

#endif
