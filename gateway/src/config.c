/*
 * config.c - load and validate the gateway configuration (DESIGN 11).
 *
 * The loader reports every problem it finds, not just the first, each as
 * "<file>:<line>: <key path>: <what is wrong>", so one `gateway check`
 * run shows the operator the whole list. Unknown keys are errors (a typo
 * must not silently fall back to a default). Plugin params are checked
 * later by config_check_params() against the plugin's key table, which
 * needs the plugin loaded.
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config_internal.h"
#include "cron.h"
#include "gw_alloc.h"
#include "json_locate.h"
#include "text.h"

#define CONFIG_FILE_MAX (1024 * 1024)
#define ID_MAX 64
#define OIN_LENGTH 20
#define HOST_MAX 253
#define QUOTED_MAX 200
#define TIMEOUT_MS_MAX 86400000 /* a day */
#define RETRY_ATTEMPTS_MAX 100
#define DEFAULT_DATA_DIR "gateway-data"
#define AUDIT_FILE_NAME "exchange.log"
#define QUARANTINE_DIR_NAME "quarantine"
#define MIN_COUNT_MAX 1000000
#define DAEMON_CONCURRENCY_MAX 64
#define DAEMON_CONCURRENCY_DEFAULT 2
#define DAEMON_JITTER_MAX 3600
#define DAEMON_JITTER_DEFAULT 30
#define AUDIT_CHECKPOINT_MAX 100000000
#define AUDIT_CHECKPOINT_DEFAULT 1000
#define AUDIT_CHECKPOINT_INTERVAL_DEFAULT 3600
#define AUDIT_ROTATE_MAX ((json_int_t)1 << 40)
#define AUDIT_ROTATE_DEFAULT ((json_int_t)256 * 1024 * 1024)
#define SPOOL_RETENTION_MAX 36500
#define SPOOL_RETENTION_DEFAULT 90
#define AUDIT_ORIGIN_DEFAULT "indicator-gateway/exchange-log"
#define SERVE_RATE_DEFAULT 10
#define SERVE_RATE_MAX 100000
#define SERVE_BURST_DEFAULT 20
#define SERVE_BURST_MAX 1000000
#define SERVE_CONNECTIONS_DEFAULT 256
#define SERVE_CONNECTIONS_MAX 65536
#define SERVE_TIMEOUT_DEFAULT 30
#define SERVE_TIMEOUT_MAX 3600
#define SERVE_CACHE_SECONDS_DEFAULT 300
#define SERVE_CACHE_SECONDS_MAX 86400
#define SERVE_CACHE_BYTES_DEFAULT ((json_int_t)64 * 1024 * 1024)
#define SERVE_CACHE_BYTES_MAX ((json_int_t)1 << 34)
#define INLINE_SECRET_ERROR                                                    \
  "secrets must not be written inline; use \"${ENV}\" or {\"file\": ...}"

struct loader {
  struct gw_config *cfg;
  struct cfg_report *r;
};

/* ---- small typed getters -------------------------------------------
 * Each returns 1 when the key is present and valid, 0 when it is absent,
 * -1 when it is present but wrong (already reported). */

static void type_error(struct loader *L, const struct cfg_path *at,
                       const char *expected, const json_t *got) {
  cfg_error(L->r, at, "expected %s, got %s", expected, cfg_type_name(got));
}

static int get_string(struct loader *L, const json_t *obj,
                      const struct cfg_path *parent, const char *name,
                      const char **out) {
  const json_t *v = json_object_get(obj, name);
  struct cfg_path at;
  if (!v)
    return 0;
  cfg_path_child(&at, parent, name);
  if (!json_is_string(v)) {
    type_error(L, &at, "a string", v);
    return -1;
  }
  if (json_string_length(v) == 0) {
    cfg_error(L->r, &at, "must not be empty");
    return -1;
  }
  *out = json_string_value(v);
  return 1;
}

static int replace(struct loader *L, char **dst, char *value) {
  if (!value) {
    cfg_out_of_memory(L->r);
    return -1;
  }
  gw_free(*dst);
  *dst = value;
  return 1;
}

static int set_string(struct loader *L, const json_t *obj,
                      const struct cfg_path *parent, const char *name,
                      char **dst) {
  const char *v;
  int rc = get_string(L, obj, parent, name, &v);
  return rc == 1 ? replace(L, dst, gw_strdup(v)) : rc;
}

/* A file or directory path, resolved against the config's directory. */
static int set_path(struct loader *L, const json_t *obj,
                    const struct cfg_path *parent, const char *name,
                    char **dst) {
  const char *v;
  int rc = get_string(L, obj, parent, name, &v);
  return rc == 1 ? replace(L, dst, cfg_resolve_path(L->cfg->dir, v)) : rc;
}

static int get_bool(struct loader *L, const json_t *obj,
                    const struct cfg_path *parent, const char *name, int *out) {
  const json_t *v = json_object_get(obj, name);
  struct cfg_path at;
  if (!v)
    return 0;
  cfg_path_child(&at, parent, name);
  if (!json_is_boolean(v)) {
    type_error(L, &at, "a boolean (true or false)", v);
    return -1;
  }
  *out = json_is_true(v);
  return 1;
}

/* An integer in [min, max]; what names the range in messages ("a positive
 * integer", "an integer (0 turns it off)"). */
static int get_integer_in(struct loader *L, const json_t *obj,
                          const struct cfg_path *parent, const char *name,
                          json_int_t min, json_int_t max, const char *what,
                          json_int_t *out) {
  const json_t *v = json_object_get(obj, name);
  struct cfg_path at;
  if (!v)
    return 0;
  cfg_path_child(&at, parent, name);
  if (!json_is_integer(v)) {
    type_error(L, &at, what, v);
    return -1;
  }
  if (json_integer_value(v) < min || json_integer_value(v) > max) {
    if (min > 0)
      cfg_error(L->r, &at, "expected a positive integer up to %lld, got %lld",
                (long long)max, (long long)json_integer_value(v));
    else
      cfg_error(L->r, &at, "expected an integer from 0 (off) to %lld, got %lld",
                (long long)max, (long long)json_integer_value(v));
    return -1;
  }
  *out = json_integer_value(v);
  return 1;
}

static int get_positive(struct loader *L, const json_t *obj,
                        const struct cfg_path *parent, const char *name,
                        json_int_t max, json_int_t *out) {
  return get_integer_in(L, obj, parent, name, 1, max, "a positive integer",
                        out);
}

static int get_non_negative(struct loader *L, const json_t *obj,
                            const struct cfg_path *parent, const char *name,
                            json_int_t max, json_int_t *out) {
  return get_integer_in(L, obj, parent, name, 0, max,
                        "an integer (0 turns it off)", out);
}

static int get_enum(struct loader *L, const json_t *obj,
                    const struct cfg_path *parent, const char *name,
                    const char *const *names, int *index) {
  const char *v;
  struct cfg_path at;
  char list[256] = "";
  char quoted[QUOTED_MAX];
  int rc = get_string(L, obj, parent, name, &v);
  if (rc != 1)
    return rc;
  for (int i = 0; names[i]; i++) {
    if (strcmp(names[i], v) == 0) {
      *index = i;
      return 1;
    }
    if (i > 0)
      (void)text_append(list, sizeof list, ", ");
    (void)text_append(list, sizeof list, names[i]);
  }
  cfg_path_child(&at, parent, name);
  cfg_quote(quoted, sizeof quoted, v);
  cfg_error(L->r, &at, "expected one of %s, got %s", list, quoted);
  return -1;
}

static int get_typed(struct loader *L, const json_t *obj,
                     const struct cfg_path *parent, const char *name,
                     json_type type, const char *expected, const json_t **out) {
  const json_t *v = json_object_get(obj, name);
  struct cfg_path at;
  if (!v)
    return 0;
  if (json_typeof(v) != type) {
    cfg_path_child(&at, parent, name);
    type_error(L, &at, expected, v);
    return -1;
  }
  *out = v;
  return 1;
}

static void missing(struct loader *L, const struct cfg_path *at,
                    const char *name, const char *what) {
  cfg_error(L->r, at, "missing required key \"%s\" (%s)", name, what);
}

static void free_list(char **list) {
  for (size_t i = 0; list && list[i]; i++)
    gw_free(list[i]);
  gw_free(list);
}

/* For a list still being built, which may have NULL holes. */
static void free_partial_list(char **list, size_t n) {
  for (size_t i = 0; i < n; i++)
    gw_free(list[i]);
  gw_free(list);
}

/* A non-empty array of non-empty strings; valid(item) may reject items
 * (it may also rewrite them in place, e.g. to lower case). */
static int set_string_list(struct loader *L, const json_t *obj,
                           const struct cfg_path *parent, const char *name,
                           int (*valid)(char *item), const char *what,
                           char ***dst) {
  const json_t *arr;
  struct cfg_path at;
  char **list;
  int ok = 1;
  size_t n;
  int rc =
      get_typed(L, obj, parent, name, JSON_ARRAY, "an array of strings", &arr);
  if (rc != 1)
    return rc;
  cfg_path_child(&at, parent, name);
  n = json_array_size(arr);
  if (n == 0) {
    cfg_error(L->r, &at, "empty list; leave the key out instead");
    return -1;
  }
  list = gw_calloc(n + 1, sizeof *list);
  if (!list) {
    cfg_out_of_memory(L->r);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    const json_t *item = json_array_get(arr, i);
    struct cfg_path item_at;
    char quoted[QUOTED_MAX];
    cfg_path_index(&item_at, &at, i);
    if (!json_is_string(item) || json_string_length(item) == 0) {
      cfg_error(L->r, &item_at, "expected a non-empty string, got %s",
                json_is_string(item) ? "an empty string" : cfg_type_name(item));
      ok = 0;
      continue;
    }
    list[i] = gw_strdup(json_string_value(item));
    if (!list[i]) {
      cfg_out_of_memory(L->r);
      free_partial_list(list, n);
      return -1;
    }
    if (valid && !valid(list[i])) {
      cfg_quote(quoted, sizeof quoted, json_string_value(item));
      cfg_error(L->r, &item_at, "expected %s, got %s", what, quoted);
      ok = 0;
    }
  }
  if (!ok) {
    free_partial_list(list, n);
    return -1;
  }
  free_list(*dst);
  *dst = list;
  return 1;
}

/* ---- value rules -------------------------------------------------------- */

/* [a-z0-9][a-z0-9_-]{0,63}: safe in file names, URLs and log lines. */
static int id_valid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > ID_MAX ||
      !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!(islower(c) || isdigit(c) || c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

static int oin_valid(const char *s) {
  if (strlen(s) != OIN_LENGTH)
    return 0;
  for (const char *p = s; *p; p++)
    if (!isdigit((unsigned char)*p))
      return 0;
  return 1;
}

/* A DNS name or IPv4 address (lower-cased in place), or "[IPv6]". */
static int host_valid(char *s) {
  size_t n = strlen(s);
  size_t label = 0;
  if (n == 0 || n > HOST_MAX)
    return 0;
  if (s[0] == '[') {
    if (n < 3 || s[n - 1] != ']')
      return 0;
    for (size_t i = 1; i + 1 < n; i++)
      if (!(isxdigit((unsigned char)s[i]) || s[i] == ':' || s[i] == '.'))
        return 0;
    for (size_t i = 0; i < n; i++)
      s[i] = (char)tolower((unsigned char)s[i]);
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    s[i] = (char)tolower(c);
    if (c == '.') {
      if (label == 0)
        return 0;
      label = 0;
    } else if (isalnum(c) || (c == '-' && label > 0)) {
      label++;
    } else {
      return 0;
    }
  }
  return label > 0;
}

/* scheme ":" rest, e.g. "https://..." or "urn:...": an identifier a
 * register of processing activities can resolve. */
static int uri_valid(const char *s) {
  const char *p = s;
  if (!isalpha((unsigned char)*p))
    return 0;
  while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
    p++;
  if (*p != ':' || !p[1])
    return 0;
  for (; *p; p++)
    if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
      return 0;
  return 1;
}

/* "sha256//<base64 of 32 bytes>" entries separated by ';' (libcurl's
 * CURLOPT_PINNEDPUBLICKEY hash form). */
static int pins_valid(const char *s) {
  static const char prefix[] = "sha256//";
  const size_t b64_len = 44;
  while (*s) {
    size_t n = 0;
    if (strncmp(s, prefix, sizeof prefix - 1) != 0)
      return 0;
    s += sizeof prefix - 1;
    while (s[n] && s[n] != ';') {
      unsigned char c = (unsigned char)s[n];
      if (!(isalnum(c) || c == '+' || c == '/' || c == '='))
        return 0;
      n++;
    }
    if (n != b64_len)
      return 0;
    s += n;
    if (*s == ';')
      s++;
  }
  return 1;
}

/* "host:port" or "[v6]:port" with port 1..65535. */
static int listen_valid(const char *s) {
  const char *colon = strrchr(s, ':');
  int64_t port;
  if (!colon || colon == s)
    return 0;
  if (s[0] == '[' && colon[-1] != ']')
    return 0;
  if (text_parse_int64(colon + 1, &port) != 0 || port < 1 || port > 65535)
    return 0;
  return 1;
}

static int looks_like_pem(const char *s) {
  return strstr(s, "-----BEGIN") != NULL;
}

/* ---- secrets ------------------------------------------------------------ */

static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;

void config_secrets_lock(void) {
  (void)pthread_mutex_lock(&secrets_lock);
}

void config_secrets_unlock(void) {
  (void)pthread_mutex_unlock(&secrets_lock);
}

/* Takes ownership of secret; an identical value is kept once so repeated
 * resolution (one per run in the daemon) does not grow the list. Runs of
 * other sources may be redacting with the list meanwhile, hence the lock. */
static const char *keep_secret(struct gw_config *cfg, char *secret) {
  size_t n = 0;
  char **grown;
  const char *kept = secret;
  config_secrets_lock();
  for (; cfg->secrets && cfg->secrets[n]; n++) {
    if (strcmp(cfg->secrets[n], secret) == 0) {
      cfg_secret_free(secret);
      kept = cfg->secrets[n];
      goto out;
    }
  }
  grown = gw_realloc(cfg->secrets, (n + 2) * sizeof *grown);
  if (!grown) {
    cfg_secret_free(secret);
    kept = NULL;
    goto out;
  }
  grown[n] = secret;
  grown[n + 1] = NULL;
  cfg->secrets = grown;
out:
  config_secrets_unlock();
  return kept;
}

/* ---- sections ----------------------------------------------------------- */

/* tls.client_key is the PATH of a key file, so a plain path is fine; what
 * must never appear is the PEM key itself. "${ENV}" may name the path
 * (systemd credentials, container mounts); {"file": path} is accepted as
 * the explicit spelling. */
static void load_client_key(struct loader *L, const json_t *tls,
                            const struct cfg_path *parent) {
  static const char *const file_keys[] = {"file", NULL};
  const json_t *v = json_object_get(tls, "client_key");
  struct cfg_path at;
  char *resolved = NULL;
  const char *path = NULL;
  char *abs;
  if (!v)
    return;
  cfg_path_child(&at, parent, "client_key");
  if (json_is_object(v)) {
    if (cfg_check_keys(L->r, v, &at, file_keys) > 0 ||
        get_string(L, v, &at, "file", &path) < 0)
      return;
    if (!path) {
      missing(L, &at, "file", "the path of the private key file");
      return;
    }
  } else if (json_is_string(v)) {
    const char *s = json_string_value(v);
    if (looks_like_pem(s)) {
      cfg_error(L->r, &at, INLINE_SECRET_ERROR);
      return;
    }
    if (s[0] == '$' && s[1] == '{') {
      resolved = cfg_secret_resolve(L->r, L->cfg->dir, v, &at);
      if (!resolved)
        return;
      if (looks_like_pem(resolved)) {
        cfg_error(L->r, &at,
                  "the environment variable holds PEM content; "
                  "expected the path of the key file");
        goto out;
      }
      path = resolved;
    } else if (get_string(L, tls, parent, "client_key", &path) < 0) {
      return;
    }
  } else {
    type_error(L, &at, "a path string or {\"file\": path}", v);
    return;
  }
  abs = cfg_resolve_path(L->cfg->dir, path);
  if (!abs) {
    cfg_out_of_memory(L->r);
    goto out;
  }
  gw_free((char *)L->cfg->tls.client_key);
  L->cfg->tls.client_key = abs;
out:
  gw_free(resolved);
}

static void load_tls(struct loader *L, const json_t *root,
                     const struct cfg_path *root_at) {
  static const char *const keys[] = {"ca_file",       "client_cert",
                                     "client_key",    "min_version",
                                     "pinned_pubkey", NULL};
  static const char *const versions[] = {"1.2", "1.3", NULL};
  struct gw_tls_settings *tls = &L->cfg->tls;
  const json_t *obj;
  struct cfg_path at;
  char *s;
  int version;
  if (get_typed(L, root, root_at, "tls", JSON_OBJECT, "an object", &obj) != 1)
    return;
  cfg_path_child(&at, root_at, "tls");
  cfg_check_keys(L->r, obj, &at, keys);
  s = NULL;
  if (set_path(L, obj, &at, "ca_file", &s) == 1)
    tls->ca_file = s;
  s = NULL;
  if (set_path(L, obj, &at, "client_cert", &s) == 1)
    tls->client_cert = s;
  load_client_key(L, obj, &at);
  if (get_enum(L, obj, &at, "min_version", versions, &version) == 1)
    tls->min_tls_minor = version == 0 ? 2 : 3;
  s = NULL;
  if (set_string(L, obj, &at, "pinned_pubkey", &s) == 1) {
    tls->pinned_pubkey = s;
    if (!pins_valid(s)) {
      struct cfg_path pin_at;
      cfg_path_child(&pin_at, &at, "pinned_pubkey");
      cfg_error(L->r, &pin_at,
                "expected \"sha256//<base64 SHA-256 of the public key>\" "
                "entries separated by ';'");
    }
  }
  if (json_object_get(obj, "client_cert") &&
      !json_object_get(obj, "client_key"))
    missing(L, &at, "client_key", "client_cert needs its private key");
  if (json_object_get(obj, "client_key") &&
      !json_object_get(obj, "client_cert"))
    missing(L, &at, "client_cert", "client_key needs its certificate");
}

static void load_audit(struct loader *L, const json_t *root,
                       const struct cfg_path *root_at) {
  static const char *const keys[] = {"path",
                                     "signing_key",
                                     "processing_activity_id",
                                     "origin",
                                     "checkpoint_file",
                                     "checkpoint_every",
                                     "checkpoint_interval_s",
                                     "rotate_bytes",
                                     "rotate_daily",
                                     "verify_keys",
                                     NULL};
  struct gw_audit_config *a = &L->cfg->audit;
  const json_t *obj;
  const json_t *key;
  struct cfg_path at;
  json_int_t n;
  if (get_typed(L, root, root_at, "audit", JSON_OBJECT, "an object", &obj) != 1)
    return;
  cfg_path_child(&at, root_at, "audit");
  cfg_check_keys(L->r, obj, &at, keys);
  set_path(L, obj, &at, "path", &L->cfg->audit_path);
  set_string(L, obj, &at, "origin", &a->origin);
  set_path(L, obj, &at, "checkpoint_file", &a->checkpoint_file);
  if (get_positive(L, obj, &at, "checkpoint_every", AUDIT_CHECKPOINT_MAX, &n) ==
      1)
    a->checkpoint_every = n;
  if (get_positive(L, obj, &at, "checkpoint_interval_s", TIMEOUT_MS_MAX / 1000,
                   &n) == 1)
    a->checkpoint_interval_s = n;
  if (get_non_negative(L, obj, &at, "rotate_bytes", AUDIT_ROTATE_MAX, &n) == 1)
    a->rotate_bytes = n;
  get_bool(L, obj, &at, "rotate_daily", &a->rotate_daily);
  if (set_string_list(L, obj, &at, "verify_keys", NULL, "a key file path",
                      &a->verify_keys) == 1)
    for (size_t i = 0; a->verify_keys[i]; i++)
      replace(L, &a->verify_keys[i],
              cfg_resolve_path(L->cfg->dir, a->verify_keys[i]));
  if (set_string(L, obj, &at, "processing_activity_id",
                 &L->cfg->processing_activity_id) == 1 &&
      !uri_valid(L->cfg->processing_activity_id)) {
    struct cfg_path id_at;
    cfg_path_child(&id_at, &at, "processing_activity_id");
    cfg_error(L->r, &id_at,
              "expected a URI such as \"https://...\" or "
              "\"urn:...\" naming the processing activity");
  }
  key = json_object_get(obj, "signing_key");
  if (key) {
    struct cfg_path key_at;
    char *secret;
    cfg_path_child(&key_at, &at, "signing_key");
    secret = cfg_secret_resolve(L->r, L->cfg->dir, key, &key_at);
    if (!secret)
      return;
    L->cfg->audit_signing_key = gw_strdup(secret);
    if (!L->cfg->audit_signing_key) {
      cfg_secret_free(secret);
      cfg_out_of_memory(L->r);
    } else if (!keep_secret(L->cfg, secret)) {
      cfg_out_of_memory(L->r);
    }
  }
}

static void load_limits(struct loader *L, const json_t *src,
                        const struct cfg_path *src_at,
                        struct gw_transport_limits *limits) {
  static const char *const keys[] = {"connect_timeout_ms", "total_timeout_ms",
                                     "low_speed_bytes",    "low_speed_seconds",
                                     "max_bytes",          NULL};
  const json_t *obj;
  struct cfg_path at;
  json_int_t v;
  if (get_typed(L, src, src_at, "limits", JSON_OBJECT, "an object", &obj) != 1)
    return;
  cfg_path_child(&at, src_at, "limits");
  cfg_check_keys(L->r, obj, &at, keys);
  if (get_positive(L, obj, &at, "connect_timeout_ms", TIMEOUT_MS_MAX, &v) == 1)
    limits->connect_timeout_ms = (long)v;
  if (get_positive(L, obj, &at, "total_timeout_ms", TIMEOUT_MS_MAX, &v) == 1)
    limits->total_timeout_ms = (long)v;
  if (get_positive(L, obj, &at, "low_speed_bytes", INT32_MAX, &v) == 1)
    limits->low_speed_bytes = (long)v;
  if (get_positive(L, obj, &at, "low_speed_seconds", TIMEOUT_MS_MAX / 1000,
                   &v) == 1)
    limits->low_speed_seconds = (long)v;
  if (get_positive(L, obj, &at, "max_bytes", INT64_MAX, &v) == 1)
    limits->max_bytes = (uint64_t)v;
}

/* The scheduler's own parser, so `gateway check` refuses exactly what the
 * daemon would, naming the cron field and what it expected. */
static void check_schedule(struct loader *L, const struct cfg_path *src_at,
                           const char *schedule) {
  static const char prefix[] = "cron: ";
  struct gw_cron parsed;
  struct cfg_path key_at;
  char why[CRON_ERR_MAX];
  char quoted[QUOTED_MAX];
  if (cron_parse(schedule, &parsed, why, sizeof why) == 0)
    return;
  cfg_path_child(&key_at, src_at, "schedule");
  cfg_quote(quoted, sizeof quoted, schedule);
  cfg_error(L->r, &key_at, "%s in %s",
            strncmp(why, prefix, sizeof prefix - 1) == 0
                ? why + sizeof prefix - 1
                : why,
            quoted);
}

static void load_retry(struct loader *L, const json_t *src,
                       const struct cfg_path *src_at,
                       struct gw_retry_policy *retry) {
  static const char *const keys[] = {"base_ms", "cap_ms", "max_attempts",
                                     "max_age_s", NULL};
  const json_t *obj;
  struct cfg_path at;
  json_int_t v;
  if (get_typed(L, src, src_at, "retry", JSON_OBJECT, "an object", &obj) != 1)
    return;
  cfg_path_child(&at, src_at, "retry");
  cfg_check_keys(L->r, obj, &at, keys);
  if (get_positive(L, obj, &at, "base_ms", TIMEOUT_MS_MAX, &v) == 1)
    retry->base_ms = (long)v;
  if (get_positive(L, obj, &at, "cap_ms", TIMEOUT_MS_MAX, &v) == 1)
    retry->cap_ms = (long)v;
  if (get_positive(L, obj, &at, "max_attempts", RETRY_ATTEMPTS_MAX, &v) == 1)
    retry->max_attempts = (int)v;
  if (get_positive(L, obj, &at, "max_age_s", TIMEOUT_MS_MAX / 1000, &v) == 1)
    retry->max_age_ms = (long)v * 1000;
  if (retry->cap_ms < retry->base_ms) {
    struct cfg_path cap_at;
    cfg_path_child(&cap_at, &at, "cap_ms");
    cfg_error(L->r, &cap_at,
              "expected at least base_ms (%ld), got %ld: the cap bounds the "
              "growing wait",
              retry->base_ms, retry->cap_ms);
  }
}

static void load_source_identity(struct loader *L, const json_t *obj,
                                 const struct cfg_path *at, size_t index) {
  struct gw_source_config *src = &L->cfg->sources[index];
  struct cfg_path key_at;
  char quoted[QUOTED_MAX];
  int rc = set_string(L, obj, at, "id", &src->id);
  cfg_path_child(&key_at, at, "id");
  if (rc == 0)
    missing(L, at, "id", "a unique name such as \"cbs-sociaal-domein\"");
  if (rc == 1 && !id_valid(src->id)) {
    cfg_quote(quoted, sizeof quoted, src->id);
    cfg_error(L->r, &key_at,
              "expected 1 to 64 lower-case letters, digits, '_' or '-' "
              "(starting with a letter or digit), got %s",
              quoted);
  } else if (rc == 1) {
    for (size_t j = 0; j < index; j++) {
      if (L->cfg->sources[j].id && strcmp(L->cfg->sources[j].id, src->id) == 0)
        cfg_error(L->r, &key_at,
                  "duplicate source id \"%s\"; already used by sources[%zu] "
                  "(line %d)",
                  src->id, j, L->cfg->sources[j].line);
    }
  }
  rc = set_string(L, obj, at, "plugin", &src->plugin);
  if (rc == 0)
    missing(L, at, "plugin", "the plugin name, e.g. \"cbs_odata\"");
  if (rc == 1 && !id_valid(src->plugin)) {
    cfg_path_child(&key_at, at, "plugin");
    cfg_quote(quoted, sizeof quoted, src->plugin);
    cfg_error(L->r, &key_at,
              "expected a plugin name of lower-case letters, digits, '_' or "
              "'-', got %s",
              quoted);
  }
  rc = set_string(L, obj, at, "url", &src->url);
  if (rc == 0)
    missing(L, at, "url", "the https:// address of the source");
  /* file:// is checked against drop_folder once that key is read. */
  if (rc == 1 && !url_https_origin(src->url, NULL, 0, NULL) &&
      strncmp(src->url, "file://", 7) != 0) {
    cfg_path_child(&key_at, at, "url");
    cfg_quote(quoted, sizeof quoted, src->url);
    cfg_error(L->r, &key_at,
              "expected an absolute https:// URL with a host, got %s", quoted);
  }
}

/* crl_file belongs to the digikoppeling profile (revocation is always
 * checked there, so it is required) and means nothing elsewhere. */
static void load_source_crl(struct loader *L, const json_t *obj,
                            const struct cfg_path *at,
                            struct gw_source_config *src, int profile_rc) {
  struct cfg_path key_at;
  cfg_path_child(&key_at, at, "crl_file");
  if (set_path(L, obj, at, "crl_file", &src->crl_file) == 1) {
    if (profile_rc >= 0 && src->tls_profile != GW_TLS_DIGIKOPPELING)
      cfg_error(L->r, &key_at,
                "only used with \"tls_profile\": \"digikoppeling\"; remove "
                "it or set the profile");
  } else if (src->tls_profile == GW_TLS_DIGIKOPPELING &&
             !json_object_get(obj, "crl_file")) {
    missing(L, at, "crl_file",
            "PEM file with the CRLs of the PKIoverheid CAs, required with "
            "tls_profile \"digikoppeling\"");
  }
}

/* The trust anchor and our certificate are the global "tls" keys (loaded
 * before the sources); the digikoppeling profile has no fallback for
 * them, so their absence is this source's error. */
static void check_digikoppeling_trust(struct loader *L,
                                      const struct cfg_path *at) {
  const struct gw_tls_settings *tls = &L->cfg->tls;
  struct cfg_path key_at;
  cfg_path_child(&key_at, at, "tls_profile");
  if (!tls->ca_file)
    cfg_error(L->r, &key_at,
              "\"digikoppeling\" needs \"tls.ca_file\" (the PKIoverheid "
              "root): this profile never trusts the system store");
  if (!tls->client_cert)
    cfg_error(L->r, &key_at,
              "\"digikoppeling\" needs \"tls.client_cert\" and "
              "\"tls.client_key\": mutual TLS is mandatory");
}

static void load_source_tls(struct loader *L, const json_t *obj,
                            const struct cfg_path *at,
                            struct gw_source_config *src) {
  static const char *const profiles[] = {"public", "digikoppeling", NULL};
  struct cfg_path key_at;
  char quoted[QUOTED_MAX];
  int profile = 0;
  int rc = get_enum(L, obj, at, "tls_profile", profiles, &profile);
  src->tls_profile = profile == 1 ? GW_TLS_DIGIKOPPELING : GW_TLS_PUBLIC;
  cfg_path_child(&key_at, at, "expected_oin");
  if (set_string(L, obj, at, "expected_oin", &src->expected_oin) == 1) {
    if (!oin_valid(src->expected_oin)) {
      cfg_quote(quoted, sizeof quoted, src->expected_oin);
      cfg_error(L->r, &key_at, "expected an OIN of 20 digits, got %s", quoted);
    } else if (rc >= 0 && src->tls_profile != GW_TLS_DIGIKOPPELING) {
      cfg_error(L->r, &key_at,
                "only used with \"tls_profile\": \"digikoppeling\"; remove "
                "it or set the profile");
    }
  } else if (src->tls_profile == GW_TLS_DIGIKOPPELING &&
             !json_object_get(obj, "expected_oin")) {
    missing(L, at, "expected_oin",
            "the peer's 20-digit OIN, required with tls_profile "
            "\"digikoppeling\"");
  }
  load_source_crl(L, obj, at, src, rc);
  if (rc >= 0 && src->tls_profile == GW_TLS_DIGIKOPPELING)
    check_digikoppeling_trust(L, at);
}

/* A file:// source reads from an explicit drop folder only: the url must
 * name a file inside drop_folder, so a config typo cannot expose /etc. */
static void check_file_url(struct loader *L, const struct cfg_path *at,
                           const struct gw_source_config *src) {
  struct cfg_path key_at;
  char quoted[QUOTED_MAX];
  const char *path;
  size_t n;
  if (!src->url || strncmp(src->url, "file://", 7) != 0)
    return;
  cfg_path_child(&key_at, at, "url");
  cfg_quote(quoted, sizeof quoted, src->url);
  path = src->url + 7;
  if (!src->drop_folder) {
    cfg_error(L->r, &key_at,
              "file:// URLs need \"drop_folder\" (the directory the files "
              "are delivered to), got %s",
              quoted);
    return;
  }
  n = strlen(src->drop_folder);
  while (n > 1 && src->drop_folder[n - 1] == '/')
    n--;
  if (path[0] != '/' || strncmp(path, src->drop_folder, n) != 0 ||
      path[n] != '/' || strstr(path, "/../") || text_ends_with(path, "/..")) {
    cfg_error(L->r, &key_at,
              "expected file:///<path inside drop_folder %s>, got %s",
              src->drop_folder, quoted);
  }
}

/* "http://proxy.gemeente.local:8080" -> 1. A port is required: without
 * one libcurl silently uses 1080, which is never what a steward meant.
 * Credentials in the URL are refused: the value would end up in logs. */
static int proxy_url_valid(const char *url) {
  char host[HOST_MAX + 1];
  char port_text[8];
  const char *p, *colon, *end;
  int64_t port;
  if (strncmp(url, "http://", 7) == 0)
    p = url + 7;
  else if (strncmp(url, "https://", 8) == 0)
    p = url + 8;
  else
    return 0;
  end = p + strcspn(p, "/");
  if (*end && strcmp(end, "/") != 0)
    return 0;
  colon = p[0] == '[' ? strstr(p, "]:") : strchr(p, ':');
  if (colon && p[0] == '[')
    colon++;
  if (!colon || colon >= end || memchr(p, '@', (size_t)(end - p)) ||
      (size_t)(colon - p) > HOST_MAX ||
      (size_t)(end - colon - 1) >= sizeof port_text)
    return 0;
  memcpy(host, p, (size_t)(colon - p));
  host[colon - p] = '\0';
  memcpy(port_text, colon + 1, (size_t)(end - colon - 1));
  port_text[end - colon - 1] = '\0';
  if (!host_valid(host) || text_parse_int64(port_text, &port) != 0 ||
      port < 1 || port > 65535)
    return 0;
  return 1;
}

static void load_proxy(struct loader *L, const json_t *obj,
                       const struct cfg_path *at,
                       struct gw_source_config *src) {
  struct cfg_path key_at;
  char quoted[QUOTED_MAX];
  const json_t *v = json_object_get(obj, "proxy");
  if (json_is_string(v) && json_string_length(v) == 0) {
    /* "" is a valid "no proxy", which set_string would refuse as empty */
    replace(L, &src->proxy, gw_strdup(""));
    return;
  }
  if (set_string(L, obj, at, "proxy", &src->proxy) != 1)
    return;
  if (strcmp(src->proxy, "none") == 0)
    src->proxy[0] = '\0';
  if (src->proxy[0] == '\0' || proxy_url_valid(src->proxy))
    return;
  cfg_path_child(&key_at, at, "proxy");
  cfg_quote(quoted, sizeof quoted, src->proxy);
  cfg_error(L->r, &key_at,
            "expected \"http://host:port\" or \"https://host:port\" (no "
            "user:password), or \"none\" to bypass any proxy, got %s",
            quoted);
}

static void load_source(struct loader *L, const json_t *obj,
                        const struct cfg_path *at, size_t index) {
  static const char *const keys[] = {
      "id",          "plugin",          "url",      "schedule",
      "tls_profile", "expected_oin",    "crl_file", "allowed_hosts",
      "limits",      "unknown_periods", "params",   "drop_folder",
      "proxy",       "retry",           NULL};
  static const char *const period_modes[] = {"keep", "reject", NULL};
  struct gw_source_config *src = &L->cfg->sources[index];
  const json_t *params;
  int mode;
  src->line = json_locate_line(L->r->text, L->r->text_len, at->ptr);
  transport_default_limits(&src->limits);
  retry_default_policy(&src->retry);
  src->allowed_hosts = gw_calloc(1, sizeof *src->allowed_hosts);
  if (!src->allowed_hosts) {
    cfg_out_of_memory(L->r);
    return;
  }
  if (!json_is_object(obj)) {
    type_error(L, at, "an object", obj);
    return;
  }
  cfg_check_keys(L->r, obj, at, keys);
  load_source_identity(L, obj, at, index);
  if (set_string(L, obj, at, "schedule", &src->schedule) == 1)
    check_schedule(L, at, src->schedule);
  load_source_tls(L, obj, at, src);
  set_string_list(L, obj, at, "allowed_hosts", host_valid, "a host name",
                  &src->allowed_hosts);
  load_limits(L, obj, at, &src->limits);
  load_retry(L, obj, at, &src->retry);
  if (get_enum(L, obj, at, "unknown_periods", period_modes, &mode) == 1)
    src->reject_opaque_periods = mode == 1;
  if (get_typed(L, obj, at, "params", JSON_OBJECT, "an object", &params) == 1)
    src->params = (json_t *)params;
  set_path(L, obj, at, "drop_folder", &src->drop_folder);
  check_file_url(L, at, src);
  load_proxy(L, obj, at, src);
}

static void load_sources(struct loader *L, const json_t *root,
                         const struct cfg_path *root_at) {
  const json_t *arr;
  struct cfg_path at;
  size_t n;
  if (get_typed(L, root, root_at, "sources", JSON_ARRAY,
                "an array of source objects", &arr) != 1)
    return;
  cfg_path_child(&at, root_at, "sources");
  n = json_array_size(arr);
  if (n == 0)
    return;
  L->cfg->sources = gw_calloc(n, sizeof *L->cfg->sources);
  if (!L->cfg->sources) {
    cfg_out_of_memory(L->r);
    return;
  }
  L->cfg->source_count = n;
  for (size_t i = 0; i < n && !L->r->oom; i++) {
    struct cfg_path item_at;
    cfg_path_index(&item_at, &at, i);
    load_source(L, json_array_get(arr, i), &item_at, i);
  }
}

/* "feeds/indicators.csv" -> "indicators" */
static char *name_from_path(const char *path) {
  const char *base = strrchr(path, '/');
  const char *dot;
  base = base ? base + 1 : path;
  dot = strrchr(base, '.');
  if (!dot || dot == base)
    return gw_strdup(base);
  return gw_strndup(base, (size_t)(dot - base));
}

static void load_csv_options(struct loader *L, const json_t *obj,
                             const struct cfg_path *at,
                             struct gw_export_options *opt) {
  static const char *const keys[] = {"delimiter", "decimal_comma", "bom", NULL};
  static const char *const delimiters[] = {";", ",", "\t", NULL};
  const json_t *csv;
  struct cfg_path csv_at;
  int index;
  if (get_typed(L, obj, at, "csv", JSON_OBJECT, "an object", &csv) != 1)
    return;
  cfg_path_child(&csv_at, at, "csv");
  if (opt->format != GW_FORMAT_CSV) {
    cfg_error(L->r, &csv_at, "csv options apply only to \"format\": \"csv\"");
    return;
  }
  cfg_check_keys(L->r, csv, &csv_at, keys);
  if (get_enum(L, csv, &csv_at, "delimiter", delimiters, &index) == 1)
    opt->csv_delimiter = delimiters[index][0];
  get_bool(L, csv, &csv_at, "decimal_comma", &opt->csv_decimal_comma);
  get_bool(L, csv, &csv_at, "bom", &opt->csv_bom);
}

static void load_export(struct loader *L, const json_t *obj,
                        const struct cfg_path *at, size_t index) {
  static const char *const keys[] = {"format",     "path",  "name",
                                     "indicators", "areas", "with_provenance",
                                     "csv",        NULL};
  static const char *const formats[] = {"json", "xml", "csv", NULL};
  struct gw_export_config *exp = &L->cfg->exports[index];
  struct cfg_path key_at;
  int format = -1;
  int rc;
  export_default_options(&exp->options);
  if (!json_is_object(obj)) {
    type_error(L, at, "an object", obj);
    return;
  }
  cfg_check_keys(L->r, obj, at, keys);
  rc = get_enum(L, obj, at, "format", formats, &format);
  if (rc == 0)
    missing(L, at, "format", "one of json, xml, csv");
  if (rc == 1 &&
      export_format_from_name(formats[format], &exp->options.format) != 0) {
    cfg_path_child(&key_at, at, "format");
    cfg_error(L->r, &key_at, "format \"%s\" is not built in", formats[format]);
  }
  rc = set_path(L, obj, at, "path", &exp->path);
  if (rc == 0)
    missing(L, at, "path", "the file the feed is written to");
  if (rc == 1) {
    for (size_t j = 0; j < index; j++) {
      if (L->cfg->exports[j].path &&
          strcmp(L->cfg->exports[j].path, exp->path) == 0) {
        cfg_path_child(&key_at, at, "path");
        cfg_error(L->r, &key_at, "same file as exports[%zu]: %s", j, exp->path);
      }
    }
  }
  if (set_string(L, obj, at, "name", &exp->name) == 0 && exp->path &&
      replace(L, &exp->name, name_from_path(exp->path)) < 0)
    return;
  exp->options.feed_name = exp->name;
  set_string_list(L, obj, at, "indicators", NULL, NULL, &exp->indicators);
  set_string_list(L, obj, at, "areas", NULL, NULL, &exp->areas);
  get_bool(L, obj, at, "with_provenance", &exp->options.with_provenance);
  load_csv_options(L, obj, at, &exp->options);
}

static void load_exports(struct loader *L, const json_t *root,
                         const struct cfg_path *root_at) {
  const json_t *arr;
  struct cfg_path at;
  size_t n;
  if (get_typed(L, root, root_at, "exports", JSON_ARRAY,
                "an array of export objects", &arr) != 1)
    return;
  cfg_path_child(&at, root_at, "exports");
  n = json_array_size(arr);
  if (n == 0)
    return;
  L->cfg->exports = gw_calloc(n, sizeof *L->cfg->exports);
  if (!L->cfg->exports) {
    cfg_out_of_memory(L->r);
    return;
  }
  L->cfg->export_count = n;
  for (size_t i = 0; i < n && !L->r->oom; i++) {
    struct cfg_path item_at;
    cfg_path_index(&item_at, &at, i);
    load_export(L, json_array_get(arr, i), &item_at, i);
  }
}

/* Port 0 asks for a free port (`gateway serve --port-file` tells which):
 * for tests and for running next to another instance. */
static int serve_listen_valid(const char *s) {
  size_t n = strlen(s);
  if (n > 2 && strcmp(s + n - 2, ":0") == 0 && s[0] != ':')
    return 1;
  return listen_valid(s);
}

/* "rate_limit": {"requests_per_second": 10, "burst": 20}, per client. */
static void load_serve_rate(struct loader *L, const json_t *obj,
                            const struct cfg_path *at) {
  static const char *const keys[] = {"requests_per_second", "burst", NULL};
  struct gw_serve_config *sv = &L->cfg->serve;
  const json_t *rate;
  struct cfg_path rate_at;
  json_int_t n;
  if (get_typed(L, obj, at, "rate_limit", JSON_OBJECT, "an object", &rate) != 1)
    return;
  cfg_path_child(&rate_at, at, "rate_limit");
  cfg_check_keys(L->r, rate, &rate_at, keys);
  if (get_non_negative(L, rate, &rate_at, "requests_per_second", SERVE_RATE_MAX,
                       &n) == 1)
    sv->rate_per_second = n;
  if (get_positive(L, rate, &rate_at, "burst", SERVE_BURST_MAX, &n) == 1)
    sv->rate_burst = n;
}

/* Client certificates are only worth matching when they were verified
 * against a CA we chose: a subject or OIN can be copied into any
 * self-signed certificate. */
static void check_serve_auth(struct loader *L, const struct cfg_path *at) {
  const struct gw_serve_config *sv = &L->cfg->serve;
  struct cfg_path key_at;
  if (sv->client_ca_file)
    return;
  if (sv->clients_file) {
    cfg_path_child(&key_at, at, "clients");
    cfg_error(L->r, &key_at,
              "certificate clients need \"client_ca_file\" (the CA their "
              "certificates must chain to)");
  }
  if (sv->require_client_cert) {
    cfg_path_child(&key_at, at, "require_client_cert");
    cfg_error(L->r, &key_at, "needs \"client_ca_file\"");
  }
}

static void load_serve_limits(struct loader *L, const json_t *obj,
                              const struct cfg_path *at) {
  struct gw_serve_config *sv = &L->cfg->serve;
  json_int_t n;
  if (get_positive(L, obj, at, "max_connections", SERVE_CONNECTIONS_MAX, &n) ==
      1)
    sv->max_connections = n;
  if (get_positive(L, obj, at, "timeout_seconds", SERVE_TIMEOUT_MAX, &n) == 1)
    sv->timeout_seconds = n;
  if (get_non_negative(L, obj, at, "cache_seconds", SERVE_CACHE_SECONDS_MAX,
                       &n) == 1)
    sv->cache_seconds = n;
  if (get_non_negative(L, obj, at, "cache_max_bytes", SERVE_CACHE_BYTES_MAX,
                       &n) == 1)
    sv->cache_max_bytes = n;
}

static void load_serve(struct loader *L, const json_t *root,
                       const struct cfg_path *root_at) {
  static const char *const keys[] = {"listen",
                                     "cert_file",
                                     "key_file",
                                     "client_ca_file",
                                     "require_client_cert",
                                     "clients",
                                     "tokens_file",
                                     "rate_limit",
                                     "max_connections",
                                     "timeout_seconds",
                                     "cache_seconds",
                                     "cache_max_bytes",
                                     NULL};
  struct gw_serve_config *sv = &L->cfg->serve;
  const json_t *obj;
  const char *key_file;
  struct cfg_path at, key_at;
  if (get_typed(L, root, root_at, "serve", JSON_OBJECT, "an object", &obj) != 1)
    return;
  cfg_path_child(&at, root_at, "serve");
  cfg_check_keys(L->r, obj, &at, keys);
  if (set_string(L, obj, &at, "listen", &L->cfg->serve_listen) == 1 &&
      !serve_listen_valid(L->cfg->serve_listen)) {
    cfg_path_child(&key_at, &at, "listen");
    cfg_error(L->r, &key_at,
              "expected \"host:port\" such as \"127.0.0.1:8443\"");
  }
  set_path(L, obj, &at, "cert_file", &L->cfg->serve_cert_file);
  if (get_string(L, obj, &at, "key_file", &key_file) == 1) {
    cfg_path_child(&key_at, &at, "key_file");
    if (looks_like_pem(key_file))
      cfg_error(L->r, &key_at, INLINE_SECRET_ERROR);
    else
      set_path(L, obj, &at, "key_file", &L->cfg->serve_key_file);
  }
  set_path(L, obj, &at, "client_ca_file", &sv->client_ca_file);
  get_bool(L, obj, &at, "require_client_cert", &sv->require_client_cert);
  set_path(L, obj, &at, "clients", &sv->clients_file);
  set_path(L, obj, &at, "tokens_file", &sv->tokens_file);
  load_serve_rate(L, obj, &at);
  load_serve_limits(L, obj, &at);
  check_serve_auth(L, &at);
}

/* "privacy": {"min_count": 5, "quarantine_dir": "..."}. min_count is a
 * threshold agreed with the data owner; 0 (the default) switches the
 * small-cell rule off. */
static void load_privacy(struct loader *L, const json_t *root,
                         const struct cfg_path *root_at) {
  static const char *const keys[] = {"min_count", "quarantine_dir", NULL};
  const json_t *obj;
  const json_t *v;
  struct cfg_path at, key_at;
  if (get_typed(L, root, root_at, "privacy", JSON_OBJECT, "an object", &obj) !=
      1)
    return;
  cfg_path_child(&at, root_at, "privacy");
  cfg_check_keys(L->r, obj, &at, keys);
  v = json_object_get(obj, "min_count");
  if (v) {
    cfg_path_child(&key_at, &at, "min_count");
    if (!json_is_integer(v))
      type_error(L, &key_at, "an integer (0 switches the rule off)", v);
    else if (json_integer_value(v) < 0 || json_integer_value(v) > MIN_COUNT_MAX)
      cfg_error(L->r, &key_at,
                "expected an integer from 0 (off) to %d, got %lld",
                MIN_COUNT_MAX, (long long)json_integer_value(v));
    else
      L->cfg->privacy_min_count = (int64_t)json_integer_value(v);
  }
  set_path(L, obj, &at, "quarantine_dir", &L->cfg->privacy_quarantine_dir);
}

/* The endpoint has no authentication, so it must not be reachable from
 * the network: only loopback addresses are accepted. */
static int loopback_listen(const char *s) {
  return strncmp(s, "127.", 4) == 0 || strncmp(s, "localhost:", 10) == 0 ||
         strncmp(s, "[::1]:", 6) == 0;
}

static void load_daemon_timezone(struct loader *L, const json_t *obj,
                                 const struct cfg_path *at) {
  struct cfg_path key_at;
  struct tm probe;
  char quoted[QUOTED_MAX];
  if (set_string(L, obj, at, "timezone", &L->cfg->daemon.timezone) != 1)
    return;
  if (cron_local_time(time(NULL), L->cfg->daemon.timezone, &probe) == 0)
    return;
  cfg_path_child(&key_at, at, "timezone");
  cfg_quote(quoted, sizeof quoted, L->cfg->daemon.timezone);
  cfg_error(L->r, &key_at,
            "unknown time zone %s: expected an IANA name such as "
            "\"Europe/Amsterdam\" (see /usr/share/zoneinfo)",
            quoted);
}

/* "spool": {"retention_days": 90}: payloads older than that (and no
 * longer needed for a conditional GET) are pruned after runs. */
static void load_spool(struct loader *L, const json_t *root,
                       const struct cfg_path *root_at) {
  static const char *const keys[] = {"retention_days", NULL};
  const json_t *obj;
  struct cfg_path at;
  json_int_t n;
  if (get_typed(L, root, root_at, "spool", JSON_OBJECT, "an object", &obj) != 1)
    return;
  cfg_path_child(&at, root_at, "spool");
  cfg_check_keys(L->r, obj, &at, keys);
  if (get_non_negative(L, obj, &at, "retention_days", SPOOL_RETENTION_MAX,
                       &n) == 1)
    L->cfg->spool_retention_days = n;
}

/* "daemon": {"max_concurrent": 2, "jitter_seconds": 30, "catch_up": true,
 * "timezone": "Europe/Amsterdam", "metrics_listen": "127.0.0.1:9464"} */
static void load_daemon(struct loader *L, const json_t *root,
                        const struct cfg_path *root_at) {
  static const char *const keys[] = {
      "max_concurrent", "jitter_seconds", "catch_up", "timezone",
      "metrics_listen", "serve",          NULL};
  struct gw_daemon_config *d = &L->cfg->daemon;
  const json_t *obj, *v;
  struct cfg_path at, key_at;
  json_int_t n;
  if (get_typed(L, root, root_at, "daemon", JSON_OBJECT, "an object", &obj) !=
      1)
    return;
  cfg_path_child(&at, root_at, "daemon");
  cfg_check_keys(L->r, obj, &at, keys);
  if (get_positive(L, obj, &at, "max_concurrent", DAEMON_CONCURRENCY_MAX, &n) ==
      1)
    d->max_concurrent = (int)n;
  v = json_object_get(obj, "jitter_seconds");
  if (v) {
    cfg_path_child(&key_at, &at, "jitter_seconds");
    if (!json_is_integer(v))
      type_error(L, &key_at, "an integer (0 turns jitter off)", v);
    else if (json_integer_value(v) < 0 ||
             json_integer_value(v) > DAEMON_JITTER_MAX)
      cfg_error(L->r, &key_at,
                "expected an integer from 0 (off) to %d seconds, got %lld",
                DAEMON_JITTER_MAX, (long long)json_integer_value(v));
    else
      d->jitter_seconds = (int)json_integer_value(v);
  }
  get_bool(L, obj, &at, "catch_up", &d->catch_up);
  if (get_bool(L, obj, &at, "serve", &d->serve) == 1 && d->serve &&
      !json_object_get(root, "serve")) {
    cfg_path_child(&key_at, &at, "serve");
    cfg_error(L->r, &key_at,
              "true needs a \"serve\" object (listen, cert_file, key_file) "
              "for the feed server");
  }
  load_daemon_timezone(L, obj, &at);
  if (set_string(L, obj, &at, "metrics_listen", &d->metrics_listen) == 1 &&
      (!listen_valid(d->metrics_listen) ||
       !loopback_listen(d->metrics_listen))) {
    cfg_path_child(&key_at, &at, "metrics_listen");
    cfg_error(L->r, &key_at,
              "expected a loopback \"host:port\" such as \"127.0.0.1:9464\" "
              "(the endpoint has no authentication, so it never listens on "
              "the network)");
  }
}

static void check_source_crl_files(struct loader *L) {
  const struct gw_config *cfg = L->cfg;
  struct cfg_path at, src_at;
  for (size_t i = 0; i < cfg->source_count; i++) {
    if (!cfg->sources[i].crl_file)
      continue;
    cfg_path_from_key(&at, "sources");
    cfg_path_index(&src_at, &at, i);
    cfg_path_child(&at, &src_at, "crl_file");
    cfg_check_file(L->r, &at, cfg->sources[i].crl_file, CFG_FILE_PLAIN);
  }
}

static void check_referenced_files(struct loader *L) {
  const struct gw_config *cfg = L->cfg;
  struct cfg_path at;
  cfg_path_from_key(&at, "catalogue");
  cfg_check_file(L->r, &at, cfg->catalogue, CFG_FILE_PLAIN);
  cfg_path_from_key(&at, "tls.ca_file");
  cfg_check_file(L->r, &at, cfg->tls.ca_file, CFG_FILE_CA);
  cfg_path_from_key(&at, "tls.client_cert");
  cfg_check_file(L->r, &at, cfg->tls.client_cert, CFG_FILE_CERT);
  cfg_path_from_key(&at, "tls.client_key");
  cfg_check_file(L->r, &at, cfg->tls.client_key, CFG_FILE_KEY);
  cfg_path_from_key(&at, "serve.cert_file");
  cfg_check_file(L->r, &at, cfg->serve_cert_file, CFG_FILE_CERT);
  cfg_path_from_key(&at, "serve.key_file");
  cfg_check_file(L->r, &at, cfg->serve_key_file, CFG_FILE_KEY);
  cfg_path_from_key(&at, "serve.client_ca_file");
  cfg_check_file(L->r, &at, cfg->serve.client_ca_file, CFG_FILE_CA);
  cfg_path_from_key(&at, "serve.clients");
  cfg_check_file(L->r, &at, cfg->serve.clients_file, CFG_FILE_PLAIN);
  cfg_path_from_key(&at, "serve.tokens_file");
  cfg_check_file(L->r, &at, cfg->serve.tokens_file, CFG_FILE_PLAIN);
  cfg_path_from_key(&at, "targets");
  cfg_check_file(L->r, &at, cfg->targets, CFG_FILE_PLAIN);
  check_source_crl_files(L);
}

/* The checkpoints sit next to the log by default, and every checkpoint
 * names its log (C2SP: the origin line). */
static int audit_checkpoint_default(struct gw_config *cfg) {
  char path[4096];
  if (!cfg->audit.origin &&
      !(cfg->audit.origin = gw_strdup(AUDIT_ORIGIN_DEFAULT)))
    return -1;
  if (cfg->audit.checkpoint_file || !cfg->audit_path)
    return 0;
  if (text_format(path, sizeof path, "%s.checkpoints", cfg->audit_path) != 0)
    return -1;
  cfg->audit.checkpoint_file = gw_strdup(path);
  return cfg->audit.checkpoint_file ? 0 : -1;
}

static void load_document(struct loader *L, int check_files) {
  static const char *const keys[] = {
      "$schema", "data_dir", "plugin_dir", "catalogue", "tls",
      "audit",   "sources",  "exports",    "serve",     "targets",
      "privacy", "daemon",   "spool",      NULL};
  struct gw_config *cfg = L->cfg;
  const json_t *root = cfg->root;
  const char *ignored;
  struct cfg_path at;
  cfg_path_root(&at);
  cfg_check_keys(L->r, root, &at, keys);
  get_string(L, root, &at, "$schema", &ignored);
  if (set_path(L, root, &at, "data_dir", &cfg->data_dir) == 1) {
    /* the default audit log and quarantine follow data_dir */
    gw_free(cfg->audit_path);
    cfg->audit_path = NULL;
    gw_free(cfg->privacy_quarantine_dir);
    cfg->privacy_quarantine_dir = NULL;
  }
  set_path(L, root, &at, "plugin_dir", &cfg->plugin_dir);
  set_path(L, root, &at, "catalogue", &cfg->catalogue);
  load_tls(L, root, &at);
  load_audit(L, root, &at);
  load_sources(L, root, &at);
  load_exports(L, root, &at);
  load_serve(L, root, &at);
  set_path(L, root, &at, "targets", &cfg->targets);
  load_privacy(L, root, &at);
  load_daemon(L, root, &at);
  load_spool(L, root, &at);
  if (!cfg->audit_path && cfg->data_dir &&
      !(cfg->audit_path = cfg_resolve_path(cfg->data_dir, AUDIT_FILE_NAME)))
    cfg_out_of_memory(L->r);
  if (!cfg->privacy_quarantine_dir && cfg->data_dir &&
      !(cfg->privacy_quarantine_dir =
            cfg_resolve_path(cfg->data_dir, QUARANTINE_DIR_NAME)))
    cfg_out_of_memory(L->r);
  if (!L->r->oom && audit_checkpoint_default(cfg) != 0)
    cfg_out_of_memory(L->r);
  if (check_files && !L->r->oom)
    check_referenced_files(L);
}

/* ---- lifecycle ---------------------------------------------------------- */

/* Directory of path, made absolute when possible so that a daemon that
 * changes directory keeps finding its files. */
static char *directory_of(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir;
  char *real;
  if (!slash)
    dir = gw_strdup(".");
  else if (slash == path)
    dir = gw_strdup("/");
  else
    dir = gw_strndup(path, (size_t)(slash - path));
  if (!dir)
    return NULL;
  real = realpath(dir, NULL);
  if (real) {
    gw_free(dir);
    dir = gw_strdup(real);
    free(real); /* from libc, not gw_alloc */
  }
  return dir;
}

/* Fills the defaults that do not depend on the file's content. */
static int init_defaults(struct gw_config *cfg, const char *dir) {
  cfg->dir = gw_strdup(dir);
  cfg->data_dir = cfg_resolve_path(dir, DEFAULT_DATA_DIR);
  cfg->plugin_dir = gw_strdup(GW_DEFAULT_PLUGIN_DIR);
  cfg->catalogue = gw_strdup(GW_DEFAULT_SCHEMA_DIR "/indicators.json");
  cfg->audit_path =
      cfg->data_dir ? cfg_resolve_path(cfg->data_dir, AUDIT_FILE_NAME) : NULL;
  cfg->privacy_quarantine_dir =
      cfg->data_dir ? cfg_resolve_path(cfg->data_dir, QUARANTINE_DIR_NAME)
                    : NULL;
  cfg->secrets = gw_calloc(1, sizeof *cfg->secrets);
  cfg->tls.profile = GW_TLS_PUBLIC;
  cfg->tls.min_tls_minor = 2;
  cfg->daemon.max_concurrent = DAEMON_CONCURRENCY_DEFAULT;
  cfg->daemon.jitter_seconds = DAEMON_JITTER_DEFAULT;
  cfg->daemon.catch_up = 1;
  cfg->audit.checkpoint_every = AUDIT_CHECKPOINT_DEFAULT;
  cfg->audit.checkpoint_interval_s = AUDIT_CHECKPOINT_INTERVAL_DEFAULT;
  cfg->audit.rotate_bytes = AUDIT_ROTATE_DEFAULT;
  cfg->spool_retention_days = SPOOL_RETENTION_DEFAULT;
  cfg->serve.rate_per_second = SERVE_RATE_DEFAULT;
  cfg->serve.rate_burst = SERVE_BURST_DEFAULT;
  cfg->serve.max_connections = SERVE_CONNECTIONS_DEFAULT;
  cfg->serve.timeout_seconds = SERVE_TIMEOUT_DEFAULT;
  cfg->serve.cache_seconds = SERVE_CACHE_SECONDS_DEFAULT;
  cfg->serve.cache_max_bytes = SERVE_CACHE_BYTES_DEFAULT;
  if (!cfg->dir || !cfg->data_dir || !cfg->plugin_dir || !cfg->catalogue ||
      !cfg->audit_path || !cfg->privacy_quarantine_dir || !cfg->secrets)
    return -1;
  return 0;
}

static int read_file(const char *path, char **text, size_t *len, char *err,
                     size_t err_size) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t used = 0;
  int rc = -1;
  if (!f) {
    text_format(err, err_size, "%s: cannot open the config file: %s", path,
                strerror(errno));
    return -1;
  }
  buf = gw_malloc(CONFIG_FILE_MAX + 1);
  if (!buf) {
    text_format(err, err_size, "%s: out of memory reading the config", path);
    goto out;
  }
  used = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
  if (ferror(f)) {
    text_format(err, err_size, "%s: cannot read the config file: %s", path,
                strerror(errno));
    goto out;
  }
  if (used > CONFIG_FILE_MAX) {
    text_format(err, err_size,
                "%s: larger than %d bytes; is this really the config file?",
                path, CONFIG_FILE_MAX);
    goto out;
  }
  buf[used] = '\0';
  if (memchr(buf, '\0', used)) {
    text_format(err, err_size, "%s: contains a NUL byte; expected JSON text",
                path);
    goto out;
  }
  *text = buf;
  *len = used;
  buf = NULL;
  rc = 0;
out:
  gw_free(buf);
  fclose(f);
  return rc;
}

static int parse_json(struct gw_config *cfg, size_t len, char *err,
                      size_t err_size) {
  json_error_t jerr;
  cfg->root = json_loadb(cfg->text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!cfg->root) {
    text_format(err, err_size, "%s:%d:%d: invalid JSON: %s", cfg->path,
                jerr.line, jerr.column, jerr.text);
    return -1;
  }
  if (!json_is_object(cfg->root)) {
    text_format(err, err_size,
                "%s:%d: expected a JSON object {...} at the top level, got %s",
                cfg->path, json_locate_line(cfg->text, len, ""),
                cfg_type_name(cfg->root));
    return -1;
  }
  return 0;
}

int config_load(const char *path, int check_files, struct gw_config **out,
                char *err, size_t err_size) {
  struct gw_config *cfg = NULL;
  struct cfg_report report;
  struct loader L;
  char *dir = NULL;
  size_t len = 0;
  int rc = -1;
  *out = NULL;
  if (err_size > 0)
    err[0] = '\0';
  cfg = gw_calloc(1, sizeof *cfg);
  if (!cfg || !(cfg->path = gw_strdup(path)) || !(dir = directory_of(path)) ||
      init_defaults(cfg, dir) != 0) {
    text_format(err, err_size, "%s: out of memory loading the config", path);
    goto out;
  }
  if (read_file(path, &cfg->text, &len, err, err_size) != 0 ||
      parse_json(cfg, len, err, err_size) != 0)
    goto out;
  cfg_report_init(&report, path, cfg->text, len, err, err_size, 0);
  L.cfg = cfg;
  L.r = &report;
  load_document(&L, check_files);
  cfg_report_finish(&report);
  if (report.count > 0)
    goto out;
  *out = cfg;
  cfg = NULL;
  rc = 0;
out:
  gw_free(dir);
  config_free(cfg);
  return rc;
}

int config_default(struct gw_config **out, char *err, size_t err_size) {
  struct gw_config *cfg = gw_calloc(1, sizeof *cfg);
  char cwd[4096];
  *out = NULL;
  if (!getcwd(cwd, sizeof cwd))
    text_copy(cwd, sizeof cwd, ".");
  if (!cfg || init_defaults(cfg, cwd) != 0 ||
      audit_checkpoint_default(cfg) != 0) {
    text_copy(err, err_size, "out of memory building the default config");
    config_free(cfg);
    return -1;
  }
  *out = cfg;
  return 0;
}

static void free_source(struct gw_source_config *src) {
  gw_free(src->id);
  gw_free(src->plugin);
  gw_free(src->url);
  gw_free(src->schedule);
  gw_free(src->expected_oin);
  gw_free(src->crl_file);
  free_list(src->allowed_hosts);
  gw_free(src->drop_folder);
  gw_free(src->proxy);
}

static void free_export(struct gw_export_config *exp) {
  gw_free(exp->name);
  gw_free(exp->path);
  free_list(exp->indicators);
  free_list(exp->areas);
}

void config_free(struct gw_config *cfg) {
  if (!cfg)
    return;
  for (size_t i = 0; i < cfg->source_count; i++)
    free_source(&cfg->sources[i]);
  gw_free(cfg->sources);
  for (size_t i = 0; i < cfg->export_count; i++)
    free_export(&cfg->exports[i]);
  gw_free(cfg->exports);
  for (size_t i = 0; cfg->secrets && cfg->secrets[i]; i++)
    cfg_secret_free(cfg->secrets[i]);
  gw_free(cfg->secrets);
  cfg_secret_free(cfg->audit_signing_key);
  /* the tls strings are const for the transport but owned here */
  gw_free((char *)cfg->tls.ca_file);
  gw_free((char *)cfg->tls.client_cert);
  gw_free((char *)cfg->tls.client_key);
  gw_free((char *)cfg->tls.pinned_pubkey);
  gw_free((char *)cfg->tls.expected_oin);
  gw_free(cfg->path);
  gw_free(cfg->dir);
  gw_free(cfg->data_dir);
  gw_free(cfg->plugin_dir);
  gw_free(cfg->catalogue);
  gw_free(cfg->audit_path);
  gw_free(cfg->processing_activity_id);
  gw_free(cfg->targets);
  gw_free(cfg->serve_listen);
  gw_free(cfg->serve_cert_file);
  gw_free(cfg->serve_key_file);
  gw_free(cfg->serve.client_ca_file);
  gw_free(cfg->serve.clients_file);
  gw_free(cfg->serve.tokens_file);
  gw_free(cfg->privacy_quarantine_dir);
  gw_free(cfg->daemon.timezone);
  gw_free(cfg->audit.origin);
  gw_free(cfg->audit.checkpoint_file);
  free_list(cfg->audit.verify_keys);
  gw_free(cfg->daemon.metrics_listen);
  json_decref(cfg->root);
  gw_free(cfg->text);
  gw_free(cfg);
}

const struct gw_source_config *config_find_source(const struct gw_config *cfg,
                                                  const char *id) {
  if (!cfg || !id)
    return NULL;
  for (size_t i = 0; i < cfg->source_count; i++)
    if (cfg->sources[i].id && strcmp(cfg->sources[i].id, id) == 0)
      return &cfg->sources[i];
  return NULL;
}

int config_line_of(const struct gw_config *cfg, const char *path) {
  if (!cfg || !cfg->text)
    return 0;
  return json_locate_line(cfg->text, strlen(cfg->text), path);
}

/* ---- secrets and plugin params ----------------------------------------- */

/* Callers may name a source by id ("sources[cbs].params.token"); the
 * pointer needs its index. */
static void locate_key_path(const struct gw_config *cfg, const char *key_path,
                            struct cfg_path *at) {
  char rewritten[CFG_PATH_MAX];
  const char *lb = strchr(key_path, '[');
  const char *rb = lb ? strchr(lb, ']') : NULL;
  cfg_path_from_key(at, key_path);
  if (strncmp(key_path, "sources[", 8) != 0 || !rb ||
      isdigit((unsigned char)lb[1])) {
    return;
  }
  for (size_t i = 0; i < cfg->source_count; i++) {
    const char *id = cfg->sources[i].id;
    if (id && strlen(id) == (size_t)(rb - lb - 1) &&
        strncmp(id, lb + 1, strlen(id)) == 0) {
      struct cfg_path indexed;
      if (text_format(rewritten, sizeof rewritten, "sources[%zu]%s", i,
                      rb + 1) != 0)
        return;
      cfg_path_from_key(&indexed, rewritten);
      text_copy(at->ptr, sizeof at->ptr, indexed.ptr);
      text_copy(at->key, sizeof at->key, key_path);
      return;
    }
  }
}

const char *config_resolve_secret(struct gw_config *cfg, const json_t *value,
                                  const char *key_path, char *err,
                                  size_t err_size) {
  struct cfg_report report;
  struct cfg_path at;
  char *secret;
  const char *kept;
  locate_key_path(cfg, key_path ? key_path : "", &at);
  cfg_report_init(&report, cfg->path, cfg->text,
                  cfg->text ? strlen(cfg->text) : 0, err, err_size, 0);
  secret = cfg_secret_resolve(&report, cfg->dir, value, &at);
  if (!secret)
    return NULL;
  kept = keep_secret(cfg, secret);
  if (!kept)
    text_format(err, err_size, "%s: out of memory keeping a secret",
                key_path ? key_path : "secret");
  return kept;
}

static const char *params_type_name(gw_config_type type) {
  switch (type) {
  case GW_CFG_STRING:
    return "a string";
  case GW_CFG_INT:
    return "an integer";
  case GW_CFG_BOOL:
    return "a boolean (true or false)";
  case GW_CFG_STRING_MAP:
    return "an object whose values are strings";
  case GW_CFG_STRING_LIST:
    return "an array of strings";
  }
  return "a known type";
}

/* For maps and lists every member must be a string. */
static void check_param_members(struct cfg_report *r, const json_t *value,
                                const struct cfg_path *at) {
  struct cfg_path item_at;
  if (json_is_object(value)) {
    const char *name;
    json_t *item;
    json_object_foreach((json_t *)value, name, item) {
      if (json_is_string(item))
        continue;
      cfg_path_child(&item_at, at, name);
      cfg_error(r, &item_at, "expected a string, got %s", cfg_type_name(item));
    }
  } else {
    size_t i;
    json_t *item;
    json_array_foreach(value, i, item) {
      if (json_is_string(item))
        continue;
      cfg_path_index(&item_at, at, i);
      cfg_error(r, &item_at, "expected a string, got %s", cfg_type_name(item));
    }
  }
}

static void check_param(struct cfg_report *r, const struct gw_config *cfg,
                        const json_t *value, const struct gw_config_key *key,
                        const struct cfg_path *at) {
  int ok;
  if (key->flags & GW_CFG_SECRET) {
    /* resolve now so a missing variable or file shows up in `check` */
    cfg_secret_free(cfg_secret_resolve(r, cfg->dir, value, at));
    return;
  }
  switch (key->type) {
  case GW_CFG_STRING:
    ok = json_is_string(value);
    break;
  case GW_CFG_INT:
    ok = json_is_integer(value);
    break;
  case GW_CFG_BOOL:
    ok = json_is_boolean(value);
    break;
  case GW_CFG_STRING_MAP:
    ok = json_is_object(value);
    break;
  case GW_CFG_STRING_LIST:
    ok = json_is_array(value);
    break;
  default:
    ok = 0;
    break;
  }
  if (!ok) {
    cfg_error(r, at, "expected %s, got %s", params_type_name(key->type),
              cfg_type_name(value));
    return;
  }
  if (key->type == GW_CFG_STRING_MAP || key->type == GW_CFG_STRING_LIST)
    check_param_members(r, value, at);
}

static size_t source_index(const struct gw_config *cfg,
                           const struct gw_source_config *src) {
  for (size_t i = 0; i < cfg->source_count; i++)
    if (&cfg->sources[i] == src || (src->id && cfg->sources[i].id &&
                                    strcmp(src->id, cfg->sources[i].id) == 0))
      return i;
  return 0;
}

int config_check_params(const struct gw_config *cfg,
                        const struct gw_source_config *src,
                        const struct gw_config_key *keys, char *err,
                        size_t err_size) {
  struct cfg_report report;
  struct cfg_path src_at, params_at;
  const char **names = NULL;
  size_t n = 0;
  cfg_report_init(&report, cfg->path, cfg->text,
                  cfg->text ? strlen(cfg->text) : 0, err, err_size, 1);
  cfg_path_root(&src_at);
  cfg_path_child(&src_at, &src_at, "sources");
  cfg_path_index(&src_at, &src_at, source_index(cfg, src));
  cfg_path_child(&params_at, &src_at, "params");
  if (src->params && !json_is_object(src->params))
    return 0; /* reported by config_load */
  while (keys && keys[n].name)
    n++;
  names = gw_calloc(n + 1, sizeof *names);
  if (!names) {
    cfg_out_of_memory(&report);
    goto out;
  }
  for (size_t i = 0; i < n; i++)
    names[i] = keys[i].name;
  if (src->params)
    cfg_check_keys(&report, src->params, &params_at, names);
  for (size_t i = 0; i < n; i++) {
    const json_t *value =
        src->params ? json_object_get(src->params, keys[i].name) : NULL;
    struct cfg_path at;
    if (!value) {
      if (keys[i].flags & GW_CFG_REQUIRED)
        cfg_error(&report, src->params ? &params_at : &src_at,
                  "missing required key \"%s%s\"%s%s%s",
                  src->params ? "" : "params.", keys[i].name,
                  keys[i].help ? " (" : "", keys[i].help ? keys[i].help : "",
                  keys[i].help ? ")" : "");
      continue;
    }
    cfg_path_child(&at, &params_at, keys[i].name);
    check_param(&report, cfg, value, &keys[i], &at);
  }
out:
  gw_free(names);
  cfg_report_finish(&report);
  return report.count;
}
