/*
 * store.h - the observation store (DESIGN 6), behind a narrow interface so a
 * PostgreSQL backend can replace the embedded SQLite one later.
 *
 * Observations are keyed by (indicator, area, period, breakdown, source_id)
 * and carry a revision history: each stored row has valid_from/valid_to, so
 * the state at any past moment can be read back (as-of exports).
 *
 * A source run writes nothing visible until it commits:
 *   store_run_begin()  -> a staging area private to the run
 *   store_run_stage()  -> one raw component row (value, ci_low or ci_high);
 *                         the store joins the three components per key at
 *                         commit, so plugins never hold a table in memory
 *   store_run_stage_validator() -> ETag/Last-Modified for a URL, persisted
 *                         only with the run, so a failed run never makes
 *                         the next one believe the source is unchanged
 *   store_run_commit() -> one transaction: new keys inserted, changed
 *                         figures get a new revision, identical ones none
 *   store_run_abort()  -> staging discarded, nothing changed
 *
 * Ownership: the store copies everything it is given. Rows passed to a
 * query callback are valid only during the callback.
 * All functions return 0 on success and -1 on failure with a message in
 * err (which names the operation and SQLite's reason).
 */
#ifndef GW_STORE_H
#define GW_STORE_H
#include <stddef.h>
#include <stdint.h>
#include "observation.h"

struct gw_store;
struct gw_store_run;

#define GW_ERR_MAX 512

int store_open(const char *path, struct gw_store **out, char *err,
               size_t err_size);
void store_close(struct gw_store *store);

/* ---- runs ------------------------------------------------------------- */
struct gw_run_counts {
  uint64_t staged;    /* component rows staged */
  uint64_t inserted;  /* new keys */
  uint64_t revised;   /* keys whose figure changed: new revision */
  uint64_t unchanged; /* keys identical to the current revision */
};

int store_run_begin(struct gw_store *store, const char *source_id,
                    const char *run_id, struct gw_store_run **out, char *err,
                    size_t err_size);
int store_run_stage(struct gw_store_run *run, const struct gw_observation *obs,
                    char *err, size_t err_size);
int store_run_stage_validator(struct gw_store_run *run, const char *url,
                              const char *etag, const char *last_modified,
                              const char *payload_sha256, char *err,
                              size_t err_size);
/* commit_time: RFC 3339 UTC, becomes valid_from of new revisions. Frees
 * the run handle whether or not the commit succeeded. */
int store_run_commit(struct gw_store_run *run, const char *commit_time,
                     struct gw_run_counts *counts, char *err, size_t err_size);
void store_run_abort(struct gw_store_run *run); /* frees the handle */

/* ---- dry run (replay) ----------------------------------------------------
 * store_run_diff() compares a staged run with the current store exactly as
 * store_run_commit() would (same join of components, same comparison of
 * value, status, bounds and unit) and writes nothing to the database: the
 * comparison lives in the run's private TEMP tables inside a read
 * transaction that is rolled back. Afterwards the run can only be aborted
 * (store_run_commit() refuses it); the caller still calls
 * store_run_abort().
 *
 * cb (may be NULL) gets the first max_changes keys that would change, in
 * key order; `before` is the current revision (NULL for a new key) and
 * `after` what the run staged, both valid only during the call. A non-zero
 * return stops the listing (the counts are complete regardless). */
struct gw_store_diff {
  uint64_t staged;         /* component rows staged */
  uint64_t would_insert;   /* keys the store does not have yet */
  uint64_t would_revise;   /* keys whose current figure differs */
  uint64_t unchanged;      /* keys identical to the current revision */
  uint64_t not_reproduced; /* current keys of this source the run did not
                              stage; a commit would keep them as they are */
};
struct gw_store_change {
  const struct gw_observation *before; /* NULL: would be inserted */
  const struct gw_observation *after;
};
typedef int (*store_change_cb)(const struct gw_store_change *change,
                               void *user);
int store_run_diff(struct gw_store_run *run, size_t max_changes,
                   store_change_cb cb, void *user, struct gw_store_diff *diff,
                   char *err, size_t err_size);

/* ---- HTTP validators (conditional GET) ---------------------------------
 * Returns 0 and fills the buffers ("" when the server sent none), 1 when
 * the URL is unknown, -1 on error. */
int store_get_validator(struct gw_store *store, const char *url, char *etag,
                        size_t etag_size, char *last_modified, size_t lm_size,
                        char *payload_sha256, size_t sha_size, char *err,
                        size_t err_size);
/* Every distinct payload SHA-256 a validator points at (the spool must
 * keep those to answer a 304), in ascending order. A non-zero return of cb
 * stops the listing and is returned. */
typedef int (*store_sha_cb)(const char *payload_sha256, void *user);
int store_validator_payloads(struct gw_store *store, store_sha_cb cb,
                             void *user, char *err, size_t err_size);

/* ---- run history (for status) ------------------------------------------
 * One record per run. outcome is "ok" for a successful run; any other
 * outcome except "running" counts as a failure. */
struct gw_run_record {
  const char *run_id, *source_id, *started_at, *ended_at, *outcome, *error;
  uint64_t pages, bytes, emitted, stored, rejected;
  /* Added for status (additive). */
  double seconds;   /* duration of the run */
  uint64_t retries; /* fetch attempts beyond the first */
  /* Filled by store_latest_runs() only; store_record_run() ignores them. */
  uint64_t consecutive_failures; /* failed runs since the last ok one */
  const char *last_success_at;   /* NULL: never */
};
int store_record_run(struct gw_store *store, const struct gw_run_record *rec,
                     char *err, size_t err_size);
typedef int (*store_run_cb)(const struct gw_run_record *rec, void *user);
/* Latest run per source, ordered by source id, with the failures since the
 * source's last ok run and when that run started. Runs recorded by a
 * gateway before schema version 2 have retries 0 and the seconds between
 * their start and end. */
int store_latest_runs(struct gw_store *store, store_run_cb cb, void *user,
                      char *err, size_t err_size);

/* ---- queries ------------------------------------------------------------ */
struct gw_query {
  const char *const *indicators; /* NULL-terminated list or NULL = all */
  const char *const *areas;      /* NULL-terminated list or NULL = all */
  const char *period_from;       /* inclusive, normalised form, or NULL */
  const char *period_to;         /* inclusive, or NULL */
  const char *as_of;             /* RFC 3339 UTC or NULL = current */
};
/* Called once per observation in (indicator, area, period, breakdown,
 * source_id) order; return non-zero to stop (the query then returns that
 * value). */
typedef int (*store_obs_cb)(const struct gw_observation *obs, void *user);
int store_query(struct gw_store *store, const struct gw_query *query,
                store_obs_cb cb, void *user, char *err, size_t err_size);
/* Number of observations a query would return. */
int store_count(struct gw_store *store, const struct gw_query *query,
                uint64_t *count, char *err, size_t err_size);
/* *changed = 1 when a commit after `since` (RFC 3339 UTC with milliseconds,
 * the store's time form) made an observation current or closed one, else
 * 0: whether a file published at `since` still shows the current state. */
int store_changed_since(struct gw_store *store, const char *since, int *changed,
                        char *err, size_t err_size);

#endif
