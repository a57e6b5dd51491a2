/*
 * fsutil.h - small file-system helpers shared by the store, spool, log and
 * feed writers.
 */
#ifndef GW_FSUTIL_H
#define GW_FSUTIL_H
#include <stddef.h>
#include <sys/types.h>

/* mkdir -p: create every missing component of dir with mode. 0, or -1 with
 * err naming the directory that could not be created and why. */
int fs_mkdirs(const char *dir, mode_t mode, char *err, size_t err_size);
/* mkdir -p of the directory part of a file path ("a/b/c.json" -> "a/b"). */
int fs_mkdirs_parent(const char *file_path, mode_t mode, char *err,
                     size_t err_size);

#endif
