/*
 * atomic_file.h - publish a file so readers only ever see the old or the
 * new complete version: write to a temporary file in the same directory,
 * fflush + fsync, rename over the target, fsync the directory.
 */
#ifndef GW_ATOMIC_FILE_H
#define GW_ATOMIC_FILE_H
#include <stddef.h>
#include <stdio.h>

struct gw_atomic_file;

/* Opens a temporary sibling of path for writing. 0 or -1 (err). */
int atomic_file_open(const char *path, struct gw_atomic_file **out, char *err,
                     size_t err_size);
FILE *atomic_file_stream(struct gw_atomic_file *f);
/* Flush, fsync, rename, fsync dir; frees f. 0 or -1 (err; target untouched). */
int atomic_file_commit(struct gw_atomic_file *f, char *err, size_t err_size);
/* Remove the temporary file; the target is untouched; frees f. */
void atomic_file_abort(struct gw_atomic_file *f);

#endif
