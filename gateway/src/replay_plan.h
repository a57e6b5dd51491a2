/*
 * replay_plan.h - what a past run fetched, read back from the exchange log
 * for `gateway replay` (replay.h).
 *
 * The records of the run's trace give its source and plugin, and for every
 * request the URL (as logged, secrets redacted) and the SHA-256 of the
 * payload it got - also for a 304, which reused an earlier payload. The
 * plugin_load record before the run gives the plugin binary's SHA-256 at
 * the time. The log is streamed, record by record, so its size does not
 * matter for memory; only the run's own requests are kept.
 *
 * Ownership: a plan owns all its strings; replay_plan_free() releases
 * them.
 */
#ifndef GW_REPLAY_PLAN_H
#define GW_REPLAY_PLAN_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "digest.h"
#include "observation.h"

#define GW_REPLAY_TRACE_HEX 33 /* 16 bytes of trace id and a NUL */

/* One request of the original run as the plugin made it: the final
 * attempt (a retried URL appears once, with how its last attempt ended). */
struct gw_replay_fetch {
  char *url;                       /* as logged: secrets redacted */
  char sha256[GW_SHA256_HEX_SIZE]; /* "" when the request failed */
  char span_id[GW_SPAN_ID_MAX];
  long http_status;
  int attempt;
  int ok;           /* outcome "ok" */
  int not_modified; /* a 304 answered from an earlier payload */
  int served;       /* handed to the replaying plugin already */
  char *error;      /* the recorded error of a failed request, or NULL */
};

struct gw_replay_plan {
  char trace_id[GW_REPLAY_TRACE_HEX];
  char source_id[GW_ID_MAX];
  char plugin[GW_ID_MAX];
  char plugin_sha256[GW_SHA256_HEX_SIZE]; /* "" when no plugin_load record */
  char started_at[GW_TIME_MAX];           /* time of its first record */
  char store_outcome[16]; /* "committed", "aborted" or "" (no record) */
  uint64_t stored_inserted, stored_revised, stored_unchanged; /* its store
                                                                 record */
  struct gw_replay_fetch *fetches;
  size_t count, cap;
  size_t cursor;          /* where the next lookup starts */
  uint64_t lines_skipped; /* torn, over-long or unparsable log lines */
};

/* 1 when text is a trace id as the gateway writes them (32 lower-case hex
 * digits). */
int replay_is_trace_id(const char *text);

/* Reads the exchange log at log_path - its rotated segments
 * <log_path>.NNNNNN in order, then the file itself (xlog_reader.h) -
 * streaming, for the records of trace_id. 0 when found, 1 when the log has no
 * record of that trace, -1 on error (err). plan is initialised by the call. */
int replay_plan_load(const char *log_path, const char *trace_id,
                     struct gw_replay_plan *plan, char *err, size_t err_size);
void replay_plan_free(struct gw_replay_plan *plan);

/* The original run's next request for url (redacted as the log has it):
 * requests are matched in order, so a URL fetched twice gets its two
 * answers in turn (and the last one after that). NULL when the original
 * run never asked for url. */
struct gw_replay_fetch *replay_plan_take(struct gw_replay_plan *plan,
                                         const char *redacted_url);

/* Reads stream to its end and checks that its SHA-256 is sha256, then
 * rewinds it; *bytes gets the size. 0, or -1 (err says what differs). */
int replay_verify_stream(FILE *stream, const char *sha256, uint64_t *bytes,
                         char *err, size_t err_size);

#endif
