/*
 * replay.h - `gateway replay RUN_ID`: parse the payloads a past run fetched
 * once more, from the spool and without any network access, with the
 * source's current plugin and configuration, and show what that would
 * change in the store - without changing it (docs/replay.md).
 *
 * What the original run fetched is read from the exchange log
 * (replay_plan.h); the run itself is run.c's replay mode.
 *
 * Ownership: the report is a JSON object owned by the caller
 * (json_decref).
 */
#ifndef GW_REPLAY_H
#define GW_REPLAY_H
#include <stddef.h>
#include "app.h"

#define GW_REPLAY_SHOW_DEFAULT 20
#define GW_REPLAY_SHOW_MAX 1000

/* The whole replay of run_id with app (catalogue, store, exchange log and
 * plugins open), up to `show` changes listed. Always returns a report
 * (NULL only when out of memory) with "outcome" "ok" or "failed" and the
 * reason in "error", and appends one "replay" record to the exchange log;
 * a replay whose record cannot be written has failed. */
json_t *replay_run(struct gw_app *app, const char *run_id, size_t show);

#endif
