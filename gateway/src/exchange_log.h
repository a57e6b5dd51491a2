/*
 * exchange_log.h - the auditor's exchange log (DESIGN 8,
 * docs/exchange-log.md).
 *
 * Append-only JSON Lines. Every record gets "seq" (0, 1, 2, ... without
 * gaps), "time" (RFC 3339 UTC, ms) and "prev" (hex SHA-256 of the previous
 * record's exact line bytes without the newline; 64 zeros for the first),
 * then the caller's fields. The line is written with O_APPEND and fsync'ed
 * before xlog_append() returns: no log, no exchange. A caller that gets -1
 * must fail the exchange it was recording.
 *
 * Over the same line bytes the log keeps an RFC 6962 Merkle tree
 * (merkle.h) and appends checkpoint records: {"event":"checkpoint",
 * "size":N,"root":...,"origin":...,"key_id":...,"note":...} whose note is
 * a C2SP checkpoint (signed_note.h) for the first N records, signed with
 * the configured Ed25519 key (unsigned without one). A checkpoint is
 * written every checkpoint_every records or checkpoint_interval_s seconds,
 * before a segment is closed and when a handle that appended is closed;
 * each note is also appended to the checkpoint file, to be copied off the
 * machine.
 *
 * Segments: when the active file would grow beyond rotate_bytes, or (with
 * rotate_daily) before the first record of a new UTC day, it is closed
 * with a checkpoint and renamed to "<path>.NNNNNN" (000001 first); seq,
 * prev and the tree continue in the new, empty "<path>". A log is read as
 * <path>.000001, <path>.000002, ..., then <path>.
 *
 * Processes sharing a log take turns with flock() on "<path>.lock" and
 * each continues from what is on disk. Opening streams every segment to
 * rebuild the tree. A torn last line (no newline after a crash) is
 * reported and the log refuses appends until an operator runs `gateway
 * audit verify --seal-torn`.
 *
 * Thread-safe: appends are serialised by an internal mutex.
 */
#ifndef GW_EXCHANGE_LOG_H
#define GW_EXCHANGE_LOG_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define XLOG_DEFAULT_ORIGIN "indicator-gateway/exchange-log"
#define XLOG_DEFAULT_CHECKPOINT_EVERY 1000
#define XLOG_DEFAULT_CHECKPOINT_INTERVAL_S 3600
/* Records are small (a few hundred bytes); anything near this is a bug or
 * a damaged file, and refusing it keeps memory bounded. */
#define XLOG_MAX_LINE_BYTES ((size_t)1 << 20)

struct gw_xlog;

/* How a log is written; zero (or NULL for the whole struct) means the
 * default. Strings are copied by xlog_open_with(). */
struct gw_xlog_options {
  const char *origin;            /* checkpoint origin and key name;
                                    XLOG_DEFAULT_ORIGIN */
  const char *checkpoint_file;   /* notes are appended here too; NULL: none */
  uint64_t checkpoint_every;     /* records; XLOG_DEFAULT_CHECKPOINT_EVERY */
  int64_t checkpoint_interval_s; /* XLOG_DEFAULT_CHECKPOINT_INTERVAL_S */
  uint64_t rotate_bytes;         /* 0: never by size */
  int rotate_daily;
  const char *signing_key; /* 64 hex digits (Ed25519 seed), or NULL:
                              unsigned checkpoints */
  int no_sync;             /* benchmarks and tests only: skip fdatasync */
};

/* 0 or -1 with a message in err. On 0, err is empty unless the log refuses
 * appends (torn or damaged last record): err then holds that warning, and
 * every xlog_append() fails with it until the operator has dealt with it.
 * A signing key that is not 64 hex digits fails the open with an error
 * naming audit.signing_key. */
int xlog_open_with(const char *path, const struct gw_xlog_options *opts,
                   struct gw_xlog **out, char *err, size_t err_size);
/* xlog_open_with(path, NULL, ...): default options, no checkpoint file,
 * unsigned checkpoints, no rotation. */
int xlog_open(const char *path, struct gw_xlog **out, char *err,
              size_t err_size);
/* Writes the closing checkpoint when this handle appended records since
 * its last one (a failure is reported on stderr), then frees the log. */
void xlog_close(struct gw_xlog *log);

/* Appends record (a JSON object; seq/time/prev are added, the object is
 * left unchanged; "event" "checkpoint" and "torn_tail" are the log's
 * own). 0 or -1 with a message in err. 0 means the record is on disk,
 * even when a checkpoint due after it could not be written (that is
 * reported on stderr). */
int xlog_append(struct gw_xlog *log, const json_t *record, char *err,
                size_t err_size);
/* Writes a checkpoint now if records were appended since the last one
 * (e.g. from a timer). 0 or -1 with a message in err. */
int xlog_checkpoint(struct gw_xlog *log, char *err, size_t err_size);
uint64_t xlog_next_seq(const struct gw_xlog *log);
/* Closed segments ("<path>.NNNNNN") this handle knows of. */
unsigned xlog_segments(const struct gw_xlog *log);

/* "<path>.<n as 6 digits>". 0 or -1 when it does not fit. */
int xlog_segment_path(const char *path, unsigned n, char *out, size_t out_size);
/* Number of closed segments of the log at path: <path>.000001 ... without
 * a gap. */
unsigned xlog_segment_count(const char *path);

/* Verify a log (all its segments) without trusted keys: the chain, the
 * sequence and every checkpoint's root; signatures are not checked.
 * Returns 0 when intact; -1 with err naming the first broken record.
 * *records gets the count. `gateway audit verify` uses xlog_verify()
 * (xlog_verify.h) with the trusted keys instead. */
int xlog_verify_file(const char *path, uint64_t *records, char *err,
                     size_t err_size);

/* Moves a torn last line (bytes after the last newline of the active
 * file) to "<path>.torn-<UTC time>", cuts the file back to its last
 * newline and appends a {"event":"torn_tail","bytes":...,"sha256":...,
 * "moved_to":...} record, so nothing is dropped silently. 1 when sealed
 * (moved_to gets the file's path), 0 when there was nothing torn, -1 with
 * err. The caller verifies the rest of the log first. */
int xlog_seal_torn(const char *path, const struct gw_xlog_options *opts,
                   char *moved_to, size_t moved_to_size, char *err,
                   size_t err_size);

/* Replace credentials in a URL before it is logged: query parameters
 * named like key/apikey/token/secret/password/sig and user:password@
 * become "REDACTED"; any of the extra secret strings found is too.
 * secrets is NULL-terminated (or NULL); strings shorter than 4 are ignored.
 * 0, or -1 (out set to "") when the result does not fit in out_size. */
int xlog_redact_url(const char *url, const char *const *secrets, char *out,
                    size_t out_size);

/* The same for free text (an error message, a plugin's log line): every
 * http(s) URL in it is redacted as above and every secret string removed.
 * Text longer than XLOG_REDACT_TEXT_MAX or out_size is cut between pieces,
 * never inside a URL or a secret. 0, or -1 when something was cut. */
#define XLOG_REDACT_TEXT_MAX 4096
int xlog_redact_text(const char *text, const char *const *secrets, char *out,
                     size_t out_size);

#endif
