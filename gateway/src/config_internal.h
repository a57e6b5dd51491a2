/*
 * config_internal.h - shared by the config modules (config.c,
 * config_report.c, config_secret.c, config_files.c, config_params.c).
 * Not part of any other module's contract.
 */
#ifndef GW_CONFIG_INTERNAL_H
#define GW_CONFIG_INTERNAL_H
#include <jansson.h>
#include <stddef.h>
#include "gateway/plugin.h"

#define CFG_PATH_MAX 512

/* Where a value is: as a JSON pointer (to find its line) and as the key
 * path shown to humans ("sources[1].tls_profile"). */
struct cfg_path {
  char ptr[CFG_PATH_MAX];
  char key[CFG_PATH_MAX];
};

void cfg_path_root(struct cfg_path *p);
void cfg_path_child(struct cfg_path *out, const struct cfg_path *parent,
                    const char *name);
void cfg_path_index(struct cfg_path *out, const struct cfg_path *parent,
                    size_t index);
/* "sources[1].params.token" -> both forms. */
void cfg_path_from_key(struct cfg_path *out, const char *key_path);

/* Collects error lines "<file>:<line>: <key>: <message>". */
struct cfg_report {
  const char *file; /* as shown; NULL prints "<config>" */
  const char *text; /* raw JSON for line lookup, or NULL */
  size_t text_len;
  char *buf;
  size_t size;
  size_t used;
  size_t start; /* where this report's own lines begin in buf */
  int count;
  int truncated;
  int oom; /* an allocation failed somewhere; the load fails */
};

/* append: keep what buf already holds and add lines after it. */
void cfg_report_init(struct cfg_report *r, const char *file, const char *text,
                     size_t text_len, char *buf, size_t size, int append);
void cfg_error(struct cfg_report *r, const struct cfg_path *at, const char *fmt,
               ...) GW_PRINTF_LIKE(3, 4);
void cfg_warn(const struct cfg_report *r, const struct cfg_path *at,
              const char *fmt, ...) GW_PRINTF_LIKE(3, 4);
void cfg_out_of_memory(struct cfg_report *r);
/* Orders this report's lines by line number (so they read top to bottom
 * like the file) and adds "(N more errors not shown)" when lines did not
 * fit. */
void cfg_report_finish(struct cfg_report *r);

/* "a string", "an integer", ... for "expected X, got Y" messages. */
const char *cfg_type_name(const json_t *value);
/* s as a double-quoted, escaped, length-capped string for messages. */
void cfg_quote(char *out, size_t size, const char *s);
/* The closest candidate within a small edit distance, or NULL. */
const char *cfg_suggest(const char *name, const char *const *candidates,
                        size_t count);
/* Reports every key of obj not in allowed (NULL-terminated), with a "did
 * you mean". Returns the number of unknown keys. */
int cfg_check_keys(struct cfg_report *r, const json_t *obj,
                   const struct cfg_path *at, const char *const *allowed);

/* Joins a relative path to dir (absolute paths are kept). Heap or NULL. */
char *cfg_resolve_path(const char *dir, const char *path);

/* Resolves "${ENV}" or {"file": path} to a heap string (gw_malloc), or
 * reports why not and returns NULL. dir: for relative secret files. */
char *cfg_secret_resolve(struct cfg_report *r, const char *dir,
                         const json_t *value, const struct cfg_path *at);
/* Overwrites and frees a secret. */
void cfg_secret_free(char *secret);

enum cfg_file_kind {
  CFG_FILE_PLAIN, /* must exist and be readable */
  CFG_FILE_CERT,  /* ... and hold a valid PEM certificate */
  CFG_FILE_CA,    /* ... and hold PEM certificates, not all expired */
  CFG_FILE_KEY    /* ... and not be readable by group/others (warning) */
};
void cfg_check_file(struct cfg_report *r, const struct cfg_path *at,
                    const char *path, enum cfg_file_kind kind);

#endif
