/*
 * run_manifest.h - the pages of a source's last committed run, so an
 * unchanged source can be recognised by conditional GETs alone.
 *
 * A normal run notes every page it fetched (in order). When the run's
 * store commit succeeded, the list is saved as
 * <data_dir>/state/<source id>.pages.json with a fingerprint of what else
 * decides the stored result: the gateway version, the config file, the
 * catalogue and the plugin binary. The next run of the source loads it;
 * when the fingerprint still matches and every page answers 304 Not
 * Modified, the stored data is current and the plugin is not run at all.
 *
 * The saved file is removed before any full run starts, so a run killed
 * between its commit and the save leaves no manifest (the next run is a
 * full one) rather than a manifest of an older run. The plugin's request
 * headers (Accept, say) are kept with each page, so the probe asks exactly
 * as the plugin did; a run where one of them carries a configured secret
 * (an API key) never saves a manifest, so no secret is written to disk.
 *
 * Ownership: a gw_manifest and its strings belong to the caller of
 * manifest_new()/manifest_load() and are freed by manifest_free().
 */
#ifndef GW_RUN_MANIFEST_H
#define GW_RUN_MANIFEST_H
#include "digest.h"
#include <stddef.h>
#include <stdint.h>

struct gw_app;
struct gw_source_config;

struct gw_manifest_page {
  char *url;
  char **headers; /* NULL-terminated "Name: value" lines, or NULL */
  uint32_t flags; /* the plugin's gw_fetch_request flags */
};

struct gw_manifest {
  char fingerprint[GW_SHA256_HEX_SIZE];
  struct gw_manifest_page *pages;
  size_t count, capacity;
  int unusable; /* a header carried a secret, or memory ran out */
};

/* An empty manifest, or NULL when out of memory. */
struct gw_manifest *manifest_new(void);
void manifest_free(struct gw_manifest *m);

/* Note one fetched page with the plugin's headers (copied). A repeated
 * URL is kept once. has_secret makes the manifest unusable. 0, or -1 when
 * out of memory (the manifest becomes unusable, the run goes on). */
int manifest_note(struct gw_manifest *m, const char *url, uint32_t flags,
                  const char *const *headers, int has_secret);

/* What decides the stored result besides the pages. 0 or -1 (err). */
int manifest_fingerprint(const struct gw_app *app, const char *plugin_sha256,
                         char out[GW_SHA256_HEX_SIZE], char *err,
                         size_t err_size);

/* 1 with *out when a manifest with this fingerprint is saved for the
 * source, 0 when there is none (or it is stale or unreadable: a full run
 * follows either way), -1 when out of memory. */
int manifest_load(const struct gw_app *app, const char *source_id,
                  const char *fingerprint, struct gw_manifest **out);

/* Atomically replace the saved manifest. 0 or -1 (err). */
int manifest_save(const struct gw_app *app, const char *source_id,
                  const struct gw_manifest *m, char *err, size_t err_size);

/* Remove the saved manifest; a missing one is fine. 0 or -1 (err). */
int manifest_remove(const struct gw_app *app, const char *source_id, char *err,
                    size_t err_size);

#endif
