/*
 * spool_retention.h - the spool's retention policy applied after runs:
 * payloads no run has used for spool.retention_days days are removed,
 * except those an HTTP validator points at (a 304 must stay answerable),
 * and every removal is recorded in the exchange log first.
 *
 * The record ("event": "prune") is written only when something is due for
 * removal, so a daemon that runs every few minutes does not fill the log
 * with empty prunes. No record, no removal: when the log refuses the
 * record, nothing is removed. docs/replay.md describes it for operators.
 */
#ifndef GW_SPOOL_RETENTION_H
#define GW_SPOOL_RETENTION_H
#include "app.h"
#include "spool.h"

/* At most this many payload digests are listed in one prune record; the
 * counts always cover all of them. */
#define GW_PRUNE_LISTED_MAX 256

/* Prunes <data_dir>/spool by app->cfg->spool_retention_days (0: nothing).
 * app needs its store and exchange log. Reports problems itself (diag);
 * 0, or -1 when the spool could not be pruned or not completely - never a
 * reason to fail the run it follows. result may be NULL. */
int spool_retention_prune(struct gw_app *app,
                          struct gw_spool_prune_result *result);

#endif
