/*
 * test_support.h - helpers shared by the Criterion unit tests.
 */
#ifndef GW_TEST_SUPPORT_H
#define GW_TEST_SUPPORT_H
#include <stddef.h>

/* Source tree root (GW_SOURCE_DIR from ctest, else the configured one). */
const char *ts_source_dir(void);
/* Build tree root (GW_BUILD_DIR, else the configured one). */
const char *ts_build_dir(void);
/* Fresh empty temporary directory; removed by ts_rm_rf(). Returns a static
 * buffer valid until the next call. */
const char *ts_mkdtemp(void);
/* Path join into a static ring of buffers (valid for a few calls). */
const char *ts_path(const char *dir, const char *name);
/* Whole file as a NUL-terminated heap string (free()); NULL on error. */
char *ts_read_file(const char *path, size_t *len);
/* Write a string to a file; 0 or -1. */
int ts_write_file(const char *path, const char *content);
/* rm -rf (for temp dirs only). */
void ts_rm_rf(const char *path);

#endif
