/*
 * run_manifest.c - the pages of a source's last committed run (see
 * run_manifest.h for when a manifest is trusted and when it is dropped).
 */
#include "run_manifest.h"
#include "app.h"
#include "atomic_file.h"
#include "fsutil.h"
#include "gw_alloc.h"
#include "text.h"
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#define MANIFEST_FORMAT 1

struct gw_manifest *manifest_new(void) {
  return gw_calloc(1, sizeof(struct gw_manifest));
}

static void free_headers(char **headers) {
  for (size_t i = 0; headers && headers[i]; i++)
    gw_free(headers[i]);
  gw_free(headers);
}

static char **copy_headers(const char *const *headers, int *failed) {
  size_t n = 0, i;
  char **copy;
  *failed = 0;
  while (headers && headers[n])
    n++;
  if (n == 0)
    return NULL;
  if (!(copy = gw_calloc(n + 1, sizeof *copy))) {
    *failed = 1;
    return NULL;
  }
  for (i = 0; i < n; i++) {
    if (!(copy[i] = gw_strdup(headers[i]))) {
      free_headers(copy);
      *failed = 1;
      return NULL;
    }
  }
  return copy;
}

void manifest_free(struct gw_manifest *m) {
  if (!m)
    return;
  for (size_t i = 0; i < m->count; i++) {
    gw_free(m->pages[i].url);
    free_headers(m->pages[i].headers);
  }
  gw_free(m->pages);
  gw_free(m);
}

static int known_page(const struct gw_manifest *m, const char *url,
                      uint32_t flags) {
  for (size_t i = 0; i < m->count; i++) {
    if (m->pages[i].flags == flags && strcmp(m->pages[i].url, url) == 0)
      return 1;
  }
  return 0;
}

static int grow(struct gw_manifest *m) {
  size_t capacity = m->capacity ? m->capacity * 2 : 16;
  struct gw_manifest_page *pages =
      gw_realloc(m->pages, capacity * sizeof *pages);
  if (!pages)
    return -1;
  m->pages = pages;
  m->capacity = capacity;
  return 0;
}

int manifest_note(struct gw_manifest *m, const char *url, uint32_t flags,
                  const char *const *headers, int has_secret) {
  char *copy = NULL, **header_copy = NULL;
  int failed = 0;
  if (has_secret)
    m->unusable = 1;
  if (m->unusable || known_page(m, url, flags))
    return 0;
  if ((m->count == m->capacity && grow(m) != 0) || !(copy = gw_strdup(url)) ||
      ((header_copy = copy_headers(headers, &failed)), failed)) {
    gw_free(copy);
    m->unusable = 1;
    return -1;
  }
  m->pages[m->count].url = copy;
  m->pages[m->count].headers = header_copy;
  m->pages[m->count].flags = flags;
  m->count++;
  return 0;
}

/* One labelled input of the fingerprint; a missing file counts as empty
 * (a config from built-in defaults has no file). */
static int hash_file_into(struct gw_sha256 *st, const char *label,
                          const char *path) {
  char hex[GW_SHA256_HEX_SIZE] = "";
  if (path && sha256_file_hex(path, hex, NULL) != 0)
    return -1;
  return sha256_update(st, label, strlen(label) + 1) != 0 ||
                 sha256_update(st, hex, strlen(hex) + 1) != 0
             ? -1
             : 0;
}

static int hash_text_into(struct gw_sha256 *st, const char *text) {
  const char *s = text ? text : "";
  return sha256_update(st, s, strlen(s) + 1);
}

int manifest_fingerprint(const struct gw_app *app, const char *plugin_sha256,
                         char out[GW_SHA256_HEX_SIZE], char *err,
                         size_t err_size) {
  struct gw_sha256 *st = sha256_begin();
  if (!st || hash_text_into(st, "gateway " GW_VERSION " manifest 1") != 0 ||
      hash_text_into(st, plugin_sha256) != 0 ||
      hash_file_into(st, "config", app->cfg->path) != 0 ||
      hash_file_into(st, "catalogue", app->cfg->catalogue) != 0) {
    sha256_abort(st);
    text_copy(err, err_size,
              "cannot fingerprint the config, catalogue and plugin");
    return -1;
  }
  if (sha256_finish_hex(st, out) != 0) {
    text_copy(err, err_size, "cannot fingerprint the run's inputs");
    return -1;
  }
  return 0;
}

static int manifest_path(const struct gw_app *app, const char *source_id,
                         char *path, size_t size) {
  return text_format(path, size, "%s/state/%s.pages.json", app->cfg->data_dir,
                     source_id);
}

#define MANIFEST_HEADERS_MAX 16

static int add_page(struct gw_manifest *m, const json_t *page) {
  const char *url = json_string_value(json_object_get(page, "url"));
  const char *headers[MANIFEST_HEADERS_MAX + 1];
  json_t *flags = json_object_get(page, "flags");
  json_t *list = json_object_get(page, "headers"), *h;
  size_t i;
  if (!url || !json_is_integer(flags) || json_integer_value(flags) < 0 ||
      json_integer_value(flags) > UINT32_MAX || !json_is_array(list) ||
      json_array_size(list) > MANIFEST_HEADERS_MAX)
    return 1; /* not ours: ignore the whole file */
  json_array_foreach(list, i, h) {
    if (!(headers[i] = json_string_value(h)))
      return 1;
  }
  headers[json_array_size(list)] = NULL;
  return manifest_note(m, url, (uint32_t)json_integer_value(flags), headers, 0);
}

int manifest_load(const struct gw_app *app, const char *source_id,
                  const char *fingerprint, struct gw_manifest **out) {
  char path[4096];
  json_t *root = NULL, *pages, *page;
  struct gw_manifest *m = NULL;
  size_t i;
  int rc = 0;
  *out = NULL;
  if (manifest_path(app, source_id, path, sizeof path) != 0 ||
      !(root = json_load_file(path, JSON_REJECT_DUPLICATES, NULL)))
    goto out;
  pages = json_object_get(root, "pages");
  if (json_integer_value(json_object_get(root, "format")) != MANIFEST_FORMAT ||
      !json_is_string(json_object_get(root, "fingerprint")) ||
      strcmp(json_string_value(json_object_get(root, "fingerprint")),
             fingerprint) != 0 ||
      !json_is_array(pages) || json_array_size(pages) == 0)
    goto out;
  if (!(m = manifest_new())) {
    rc = -1;
    goto out;
  }
  json_array_foreach(pages, i, page) {
    int added = add_page(m, page);
    if (added != 0) {
      rc = added < 0 ? -1 : 0;
      goto out;
    }
  }
  text_copy(m->fingerprint, sizeof m->fingerprint, fingerprint);
  *out = m;
  m = NULL;
  rc = 1;
out:
  manifest_free(m);
  json_decref(root);
  return rc;
}

static json_t *headers_json(char **headers) {
  json_t *list = json_array();
  for (size_t i = 0; list && headers && headers[i]; i++) {
    if (json_array_append_new(list, json_string(headers[i])) != 0) {
      json_decref(list);
      return NULL;
    }
  }
  return list;
}

static json_t *manifest_json(const struct gw_manifest *m) {
  json_t *pages = json_array(), *root;
  for (size_t i = 0; pages && i < m->count; i++) {
    const struct gw_manifest_page *p = &m->pages[i];
    json_t *headers = headers_json(p->headers);
    /* "o" takes the reference: json_pack frees headers on failure too. */
    if (!headers ||
        json_array_append_new(pages, json_pack("{s:s, s:I, s:o}", "url", p->url,
                                               "flags", (json_int_t)p->flags,
                                               "headers", headers)) != 0) {
      json_decref(pages);
      return NULL;
    }
  }
  if (!pages)
    return NULL;
  root = json_pack("{s:i, s:s, s:o}", "format", MANIFEST_FORMAT, "fingerprint",
                   m->fingerprint, "pages", pages);
  return root;
}

int manifest_save(const struct gw_app *app, const char *source_id,
                  const struct gw_manifest *m, char *err, size_t err_size) {
  char path[4096];
  struct gw_atomic_file *f = NULL;
  json_t *root = NULL;
  int rc = -1;
  if (m->unusable || m->count == 0)
    return manifest_remove(app, source_id, err, err_size);
  if (manifest_path(app, source_id, path, sizeof path) != 0) {
    text_copy(err, err_size, "manifest path too long");
    goto out;
  }
  if (fs_mkdirs_parent(path, 0750, err, err_size) != 0 ||
      atomic_file_open(path, &f, err, err_size) != 0)
    goto out;
  if (!(root = manifest_json(m)) ||
      json_dumpf(root, atomic_file_stream(f), JSON_COMPACT) != 0) {
    text_format(err, err_size, "%s: cannot write the page list", path);
    atomic_file_abort(f);
    goto out;
  }
  rc = atomic_file_commit(f, err, err_size);
out:
  json_decref(root);
  return rc;
}

int manifest_remove(const struct gw_app *app, const char *source_id, char *err,
                    size_t err_size) {
  char path[4096];
  if (manifest_path(app, source_id, path, sizeof path) != 0) {
    text_copy(err, err_size, "manifest path too long");
    return -1;
  }
  if (unlink(path) != 0 && errno != ENOENT) {
    text_format(err, err_size, "%s: cannot remove: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}
