/*
 * provenance.h - where a stored figure came from and when it held: the
 * revision history of observations, read-only, for `gateway export
 * --with-provenance` (valid_from/valid_to of each exported revision) and
 * `gateway audit trace` (every revision of one figure).
 *
 * The store's public interface (store.h) returns observations without
 * their validity interval, so this file reads the store's database itself
 * over its own read-only connection (it never writes, and it works on a
 * copy of the database an auditor took away). It depends on the
 * observation table of store_schema.c; see docs/provenance.md for the
 * store query that would replace it.
 *
 * Ownership: rows passed to a callback are valid only during the call.
 * Functions return 0 on success and -1 with a message in err.
 */
#ifndef GW_PROVENANCE_H
#define GW_PROVENANCE_H
#include <stddef.h>

#include "observation.h"

#define GW_RUN_ID_MAX 33 /* 32 hex digits: the run's trace id */

struct gw_provenance;

/* When a revision held, and which run stored it. */
struct gw_validity {
  char valid_from[GW_TIME_MAX]; /* the commit time of the storing run */
  char valid_to[GW_TIME_MAX];   /* when the next revision replaced it;
                                   "" while it is current */
  char run_id[GW_RUN_ID_MAX];   /* == the trace_id of that run's records */
};

struct gw_revision {
  struct gw_observation obs; /* obs.revision is set */
  struct gw_validity validity;
};

/* Which figures: indicator, area and period always; breakdown (canonical
 * JSON, "{}" for none) and source_id NULL for any. */
struct gw_figure_key {
  const char *indicator, *area, *period, *breakdown, *source_id;
};

/* Opens the store database at db_path (<data_dir>/gateway.db) read-only.
 * Fails when it does not exist or has no observation history. */
int provenance_open(const char *db_path, struct gw_provenance **out, char *err,
                    size_t err_size);
void provenance_close(struct gw_provenance *p); /* NULL is fine */

/* The validity of obs's revision (its key, source_id and revision).
 * 0, 1 when the store has no such revision, -1 on error. */
int provenance_validity(struct gw_provenance *p,
                        const struct gw_observation *obs,
                        struct gw_validity *out, char *err, size_t err_size);

/* Every revision of the figures matching key, ordered by breakdown,
 * source_id and revision. cb returns non-zero to stop (the call then
 * returns that value). *count (may be NULL) gets the number of rows. */
typedef int (*provenance_cb)(const struct gw_revision *rev, void *user);
int provenance_history(struct gw_provenance *p, const struct gw_figure_key *key,
                       provenance_cb cb, void *user, size_t *count, char *err,
                       size_t err_size);

#endif
