/*
 * feeds.h - publishing the configured exports (the "exports" of the
 * config) after runs, each written atomically and recorded in the
 * exchange log with its SHA-256, with a status sidecar telling consumers
 * its age and whether its sources are failing.
 */
#ifndef GW_FEEDS_H
#define GW_FEEDS_H
#include <jansson.h>
#include "app.h"

/* Publish every configured export. changed=0 skips feeds whose file
 * already exists and is not older than the store's last commit, so a failed
 * or unchanged run leaves the published files untouched, while a feed that
 * a killed run never rewrote is caught up. Every feed's status sidecar
 * ("<path>.status.json", see feed_status.h) is rewritten either way. Appends
 * one object per feed to report (may be NULL). Returns the number of feeds that
 * failed (the feed or its sidecar could not be written). */
int feeds_publish(struct gw_app *app, int changed, json_t *report);

/* Log one export to the exchange log (used by `gateway export` too).
 * destination: a path or "stdout". 0 or -1 (err). */
int feeds_log_export(struct gw_app *app, const char *name, const char *format,
                     const char *destination, uint64_t count,
                     const char *sha256, uint64_t bytes, int64_t start_ms,
                     const char *error, char *err, size_t err_size);

#endif
