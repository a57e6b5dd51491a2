/*
 * run.h - one run of one source: the path config -> plugin -> host
 * transport -> normaliser -> store, with every exchange in the log.
 *
 * A run is atomic: observations are staged and committed in one store
 * transaction only when the plugin returns GW_OK and every log record
 * could be written; otherwise nothing is stored (and no HTTP validators
 * are remembered, so the next run fetches everything again).
 */
#ifndef GW_RUN_H
#define GW_RUN_H
#include <stdint.h>
#include "app.h"
#include "store.h"

#define GW_RUN_ERROR_MAX 1024

struct gw_run_summary {
  char source_id[64];
  char run_id[40];
  gw_result outcome;
  uint64_t pages;        /* payloads fetched (including 304s) */
  uint64_t not_modified; /* of which 304 */
  uint64_t retries;      /* fetch attempts beyond the first for a URL */
  uint64_t bytes;
  uint64_t emitted;           /* raw rows handed over by the plugin */
  uint64_t unmapped;          /* rows for codes the catalogue does not map */
  uint64_t rejected;          /* rows refused by the normaliser or plugin */
  uint64_t suppressed;        /* cells suppressed by small-cell rules */
  struct gw_run_counts store; /* inserted, revised, unchanged */
  double seconds;
  char error[GW_RUN_ERROR_MAX]; /* first fatal error, one line */
};

gw_result run_source(struct gw_app *app, const struct gw_source_config *src,
                     struct gw_run_summary *summary);

/* Watches a run as it happens (progress on a TTY, daemon metrics). The
 * callback runs on the thread running the source, after every fetch
 * attempt and every GW_RUN_PROGRESS_ROWS rows the plugin emits, and once
 * more when the run has ended; `live` is the summary being filled. */
#define GW_RUN_PROGRESS_ROWS 5000
struct gw_run_observer {
  void (*progress)(const struct gw_run_summary *live, double elapsed_s,
                   int finished, void *user);
  void *user;
};

/* run_source() with an observer (NULL: none). A stop request
 * (stop_request.h) makes the run fail with GW_STOPPED_MESSAGE and store
 * nothing. */
gw_result run_source_observed(struct gw_app *app,
                              const struct gw_source_config *src,
                              const struct gw_run_observer *observer,
                              struct gw_run_summary *summary);

/* ---- replay mode (replay.h) ---------------------------------------------
 * The source's plugin runs as in run_source(), but every fetch is answered
 * from the spool with the payload the original run got for that URL (its
 * SHA-256 checked first), and a URL the original run did not fetch fails
 * the replay: nothing goes to the network. The privacy guard still scans
 * each payload (a finding fails the replay; the payload stays where it
 * is). Instead of a commit the staged rows are compared with the store
 * (store_run_diff) and discarded. No span records, no run history: the
 * caller writes the one "replay" record under replay->trace_id, which
 * also becomes summary->run_id. */
struct gw_replay_plan;
struct gw_replay_request {
  char trace_id[33];           /* the replay's own trace id */
  struct gw_replay_plan *plan; /* what the original run fetched */
  size_t max_changes;          /* changes passed to on_change */
  store_change_cb on_change;   /* may be NULL */
  void *user;
  struct gw_store_diff diff; /* filled when the replay succeeded */
};
gw_result run_source_replay(struct gw_app *app,
                            const struct gw_source_config *src,
                            struct gw_replay_request *replay,
                            struct gw_run_summary *summary);

/* The host function table given to every plugin. */
const struct gw_host_api *host_api(void);

#endif
