/*
 * audit_trace.h - the chain behind published figures, for `gateway audit
 * trace`: each stored revision (provenance.h) joined with the
 * exchange-log records that explain it, found in one pass over the log:
 *
 *   fetch     the fetch record whose span_id the revision carries (URL,
 *             HTTP status, TLS version, peer certificate, payload digest),
 *             and whether that payload is still in the spool, intact;
 *   run       the other records of the storing run's trace (parse, store)
 *   exports   the successful export records written while the revision
 *             was the current one (from valid_from up to valid_to).
 *
 * Whatever the chain lacks is a problem named in the result (a fetch
 * record missing from the log, a digest that differs between log, store
 * and spool); `audit trace` exits 1 when there is any.
 *
 * Ownership: audit_trace_document() returns a new reference the caller
 * decrefs; everything else is owned by the trace and freed by
 * audit_trace_free().
 */
#ifndef GW_AUDIT_TRACE_H
#define GW_AUDIT_TRACE_H
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "provenance.h"

struct audit_trace;

struct audit_trace *audit_trace_new(void); /* NULL when out of memory */
void audit_trace_free(struct audit_trace *t);

/* Adds one revision; revisions of one figure (breakdown and source) must
 * come together in revision order, as provenance_history() gives them.
 * 0 or -1 (out of memory). Usable as a provenance_cb. */
int audit_trace_add(const struct gw_revision *rev, void *trace);
size_t audit_trace_revisions(const struct audit_trace *t);

/* Reads the log at log_path (all segments) once and attaches the records
 * of each revision. 0, or -1 with err when the log cannot be read. */
int audit_trace_scan_log(struct audit_trace *t, const char *log_path, char *err,
                         size_t err_size);

/* Looks each revision's payload up in spool_dir (<data_dir>/spool) and
 * checks its SHA-256. */
void audit_trace_check_spool(struct audit_trace *t, const char *spool_dir);

/* The result as a JSON document (docs/provenance.md); NULL when out of
 * memory. *problems (may be NULL) gets the number of problems found. */
json_t *audit_trace_document(const struct audit_trace *t, size_t *problems);

/* The document as text for a person. */
void audit_trace_print(FILE *out, const json_t *doc);

#endif
