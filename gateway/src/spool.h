/*
 * spool.h - content-addressed payload spool: <data_dir>/spool/<sha256>.
 *
 * A payload is streamed into a temporary file in the spool directory while
 * its SHA-256 is computed, then fsync'ed and renamed to its digest, so a
 * spool file is always complete and its name proves its content. Writing
 * the same content twice keeps one file.
 */
#ifndef GW_SPOOL_H
#define GW_SPOOL_H
#include <stddef.h>
#include <stdint.h>
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

#endif
