/*
 * exchange_log.h - the auditor's exchange log (DESIGN 8), first version.
 *
 * Append-only JSON Lines. Every record gets "seq" (0, 1, 2, ... without
 * gaps), "time" (RFC 3339 UTC, ms) and "prev" (hex SHA-256 of the previous
 * record's exact line bytes without the newline; 64 zeros for the first),
 * then the caller's fields. The line is written with O_APPEND and fsync'ed
 * before xlog_append() returns: no log, no exchange. A caller that gets -1
 * must fail the exchange it was recording.
 *
 * Opening an existing log reads its last complete line to continue the
 * chain. A torn last line (no newline after a crash) is reported and the
 * log refuses appends until an operator runs `gateway audit verify`.
 *
 * Thread-safe: appends are serialised by an internal mutex.
 */
#ifndef GW_EXCHANGE_LOG_H
#define GW_EXCHANGE_LOG_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct gw_xlog;

/* 0 or -1 with a message in err. On 0, err is empty unless the log refuses
 * appends (torn or damaged last record): err then holds that warning, and
 * every xlog_append() fails with it until the operator has dealt with it. */
int xlog_open(const char *path, struct gw_xlog **out, char *err,
              size_t err_size);
void xlog_close(struct gw_xlog *log);

/* Appends record (a JSON object; seq/time/prev are added, the object is
 * left unchanged). 0 or -1 with a message in err. */
int xlog_append(struct gw_xlog *log, const json_t *record, char *err,
                size_t err_size);
uint64_t xlog_next_seq(const struct gw_xlog *log);

/* Verify the hash chain of a log file: every line parses, seq has no gaps,
 * every prev matches. Returns 0 when intact; -1 with err naming the first
 * broken line (1-based) and what is wrong. *records gets the count. */
int xlog_verify_file(const char *path, uint64_t *records, char *err,
                     size_t err_size);

/* Replace credentials in a URL before it is logged: query parameters
 * named like key/apikey/token/secret/password/sig and user:password@
 * become "REDACTED"; any of the extra secret strings found is too.
 * secrets is NULL-terminated (or NULL); strings shorter than 4 are ignored.
 * 0, or -1 (out set to "") when the result does not fit in out_size. */
int xlog_redact_url(const char *url, const char *const *secrets, char *out,
                    size_t out_size);

#endif
