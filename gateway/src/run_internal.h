/*
 * run_internal.h - the state of one source run, shared by the files that
 * implement it: run.c (orchestration and fetch), host_api.c (the function
 * table plugins call) and payload.c (reading spooled bodies).
 */
#ifndef GW_RUN_INTERNAL_H
#define GW_RUN_INTERNAL_H
#include <stdio.h>
#include "plugin_config.h"
#include "privacy_guard.h"
#include "small_cells.h"
#include "run.h"
#include "transport.h"

#define GW_TRACE_ID_HEX 33 /* 16 bytes */
#define GW_REJECTS_KEPT 20 /* reasons kept for the log and the summary */

struct gw_payload {
  struct gw_run *run;
  FILE *file;
  char *url;
  char sha256[GW_SHA256_HEX_SIZE];
  char fetched_at[GW_TIME_MAX];
  char span_id[GW_SPAN_ID_MAX];
  int not_modified;
  struct gw_payload *next; /* the run owns a list of all its payloads */
};

struct gw_run {
  struct gw_privacy_settings privacy; /* salt for value hashes */
  struct gw_small_cell_rules small_cells;
  char suppression_rule[GW_SMALL_CELL_RULE_MAX]; /* first rule applied */
  struct gw_app *app;
  const struct gw_source_config *src;
  const struct gw_loaded_plugin *plugin;
  struct gw_plugin_config *plugin_config;
  struct gw_transport *transport;
  struct gw_store_run *store_run;
  struct gw_run_summary *summary;
  char trace_id[GW_TRACE_ID_HEX];
  char span_id[GW_SPAN_ID_MAX]; /* the run's root span */
  char spool_dir[GW_PATH_MAX];
  char source_host[256];
  int source_port;
  struct gw_payload *payloads;
  int fatal; /* a host-side failure: never commit */
  char rejects[GW_REJECTS_KEPT][256];
  size_t rejects_kept;
  long last_http_status; /* of the most recent fetch; 0 when none */
  /* A 4xx answer is the plugin's to judge (a year not yet published may be
   * skipped); kept so a plugin that just gives up still leaves a reason. */
  char last_fetch_error[GW_RUN_ERROR_MAX];
  const struct gw_run_observer *observer; /* may be NULL */
  double started;                         /* clock_monotonic() at start */
  uint64_t rows_at_last_progress;
  struct gw_replay_request *replay; /* NULL: a real run (see run.h) */
  struct gw_manifest *manifest;     /* pages fetched; NULL for a replay */
};

/* Records the first fatal error of the run (later ones are logged only). */
void run_fail(struct gw_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Counts a rejected row and keeps the first reasons. */
/* Redact URLs (credentials in userinfo and query) and the configured
 * secrets in text, in place; text is cut when the result does not fit. */
void run_redact_text(const struct gw_run *run, char *text, size_t size);
void run_note_rejection(struct gw_run *run, const char *where,
                        const char *reason);

gw_result run_fetch(struct gw_run *run, const struct gw_fetch_request *req,
                    struct gw_payload **out);
gw_result run_emit(struct gw_run *run, const struct gw_raw_observation *obs);

/* payload.c */
struct gw_payload *payload_open(struct gw_run *run, const char *path,
                                const char *url, const char *sha256,
                                const char *span_id, int not_modified);
void payload_free_all(struct gw_run *run);
ssize_t payload_read(struct gw_payload *p, void *buf, size_t len);
int payload_rewind(struct gw_payload *p);
const char *payload_url(const struct gw_payload *p);
int payload_not_modified(const struct gw_payload *p);

#endif
