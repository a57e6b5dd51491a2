/*
 * feed_status.h - the status sidecar of a published feed,
 * "<feed path>.status.json" (schemas/feed-status.schema.json).
 *
 * A failed run leaves the last good feed published untouched; the sidecar
 * tells consumers how old that feed is (generated_at, age_seconds) and
 * whether it is stale (a source failed since its last success), with the
 * latest run of every configured source. It is rewritten on every publish,
 * also when the feed itself is not, so checked_at says when the gateway
 * last looked. It is metadata about a file we publish, not an exchange, so
 * it does not go into the exchange log.
 */
#ifndef GW_FEED_STATUS_H
#define GW_FEED_STATUS_H
#include <stddef.h>
#include "app.h"

#define FEED_STATUS_SUFFIX ".status.json"
#define FEED_STATUS_SCHEMA "feed-status.schema.json"

/* Rewrites the sidecar of export e atomically, describing the file now at
 * e->path (its own generated_at for JSON and XML, its modification time
 * for CSV) and the latest run of each source in app->cfg, read from
 * app->store. Returns 0; 1 when no file is published at e->path (then
 * there is nothing to describe and an old sidecar is left alone); -1 with
 * err. */
int feed_status_write(struct gw_app *app, const struct gw_export_config *e,
                      char *err, size_t err_size);

#endif
