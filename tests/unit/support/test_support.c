/* nftw() is an XSI extension. */
#define _XOPEN_SOURCE 700
#include "test_support.h"
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ts_source_dir(void) {
  const char *d = getenv("GW_SOURCE_DIR");
  return d ? d : GW_TEST_SOURCE_DIR;
}

const char *ts_build_dir(void) {
  const char *d = getenv("GW_BUILD_DIR");
  return d ? d : GW_TEST_BUILD_DIR;
}

const char *ts_mkdtemp(void) {
  static char buf[256];
  snprintf(buf, sizeof buf, "/tmp/gw-test-XXXXXX");
  return mkdtemp(buf);
}

const char *ts_path(const char *dir, const char *name) {
  static char ring[8][4096];
  static int next;
  char *out = ring[next];
  next = (next + 1) % 8;
  snprintf(out, sizeof ring[0], "%s/%s", dir, name);
  return out;
}

char *ts_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long size;
  if (!f)
    return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0)
    goto out;
  buf = malloc((size_t)size + 1);
  if (!buf)
    goto out;
  if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    buf = NULL;
    goto out;
  }
  buf[size] = '\0';
  if (len)
    *len = (size_t)size;
out:
  fclose(f);
  return buf;
}

int ts_write_file(const char *path, const char *content) {
  FILE *f = fopen(path, "wb");
  int rc = -1;
  if (!f)
    return -1;
  if (fwrite(content, 1, strlen(content), f) == strlen(content))
    rc = 0;
  if (fclose(f) != 0)
    rc = -1;
  return rc;
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void ts_rm_rf(const char *path) {
  if (path && strncmp(path, "/tmp/", 5) == 0)
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
