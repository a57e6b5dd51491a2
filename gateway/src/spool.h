/*
 * spool.h - content-addressed payload spool: <data_dir>/spool/<sha256>.
 *
 * A payload is streamed into a temporary file in the spool directory while
 * its SHA-256 is computed, then fsync'ed and renamed to its digest, so a
 * spool file is always complete and its name proves its content. Writing
 * the same content twice keeps one file.
 *
 * Retention: a payload's modification time is "last used" - writing the
 * same content again, or answering a 304 from it (spool_touch), renews
 * it - so spool_prune() removes what no run has needed for N days. A
 * lock file (<spool>/.lock, flock) keeps a prune from removing a payload
 * between the moment a run renews it and the moment it opens it, also
 * across processes (a `gateway run` next to the daemon).
 */
#ifndef GW_SPOOL_H
#define GW_SPOOL_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "digest.h"

struct gw_spool_writer;

/* Creates dir (and parents) when missing. 0 or -1 (err). */
int spool_writer_begin(const char *spool_dir, struct gw_spool_writer **out,
                       char *err, size_t err_size);
int spool_writer_write(struct gw_spool_writer *w, const void *data, size_t len);
uint64_t spool_writer_bytes(const struct gw_spool_writer *w);
/* fsync + rename; fills sha and final path; frees w. 0 or -1 (err). */
int spool_writer_finish(struct gw_spool_writer *w, char sha[GW_SHA256_HEX_SIZE],
                        char *path, size_t path_size, char *err,
                        size_t err_size);
/* Removes the temporary file; frees w. */
void spool_writer_abort(struct gw_spool_writer *w);

/* Path of a spooled payload; 0, or -1 when it does not fit. */
int spool_path(const char *spool_dir, const char *sha, char *out,
               size_t out_size);

/* 1 when name is a spool file name: exactly 64 lower-case hex digits. */
int spool_is_payload_name(const char *name);

/* Marks a spooled payload as used now (its mtime), e.g. when a 304 answer
 * is served from it. 0, or -1 (err; errno ENOENT when it is gone). */
int spool_touch(const char *spool_dir, const char *sha, char *err,
                size_t err_size);

/* ---- retention ----------------------------------------------------------
 * spool_prune() removes regular files named like a payload whose mtime is
 * more than retention_days * 86400 s before now and whose digest is not in
 * keep (sorted with strcmp, e.g. the payloads HTTP validators point at: a
 * 304 must stay answerable). Anything else in the directory (temporary
 * files, the lock, sub-directories, symlinks, foreign names) is left alone.
 * retention_days <= 0 removes nothing.
 *
 * The candidates are passed to before_remove (may be NULL) while the spool
 * is locked and before anything is removed, so the caller can record them
 * first (no record, no removal): a non-zero return removes nothing and is
 * returned as -1. A file that cannot be removed is counted in failed, and
 * its reason kept in error; the others are still removed.
 */
struct gw_spool_candidate {
  char sha256[GW_SHA256_HEX_SIZE];
  uint64_t bytes;
  time_t mtime;
};

struct gw_spool_prune_result {
  uint64_t scanned; /* payload files looked at */
  uint64_t kept_referenced;
  uint64_t ignored; /* entries that are not payload files */
  uint64_t removed;
  uint64_t removed_bytes;
  uint64_t failed;
  char error[512]; /* first failure, "" when none */
};

typedef int (*spool_prune_cb)(const struct gw_spool_candidate *candidates,
                              size_t count, void *user);

/* 0 (also when the directory does not exist), or -1 with err when the
 * spool cannot be read or locked or before_remove refused. */
int spool_prune(const char *spool_dir, int64_t retention_days, time_t now,
                const char *const *keep, size_t keep_count,
                spool_prune_cb before_remove, void *user,
                struct gw_spool_prune_result *result, char *err,
                size_t err_size);

#endif
