#include "fsutil.h"
#include "gw_alloc.h"
#include "text.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int make_one(const char *dir, mode_t mode, char *err, size_t err_size) {
  if (mkdir(dir, mode) == 0 || errno == EEXIST)
    return 0;
  text_format(err, err_size, "cannot create directory %s: %s", dir,
              strerror(errno));
  return -1;
}

int fs_mkdirs(const char *dir, mode_t mode, char *err, size_t err_size) {
  char *copy = gw_strdup(dir);
  char *p;
  int rc = -1;
  if (!copy) {
    text_format(err, err_size, "out of memory creating %s", dir);
    return -1;
  }
  for (p = copy + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (make_one(copy, mode, err, err_size) != 0)
      goto out;
    *p = '/';
  }
  rc = copy[0] ? make_one(copy, mode, err, err_size) : 0;
out:
  gw_free(copy);
  return rc;
}

int fs_mkdirs_parent(const char *file_path, mode_t mode, char *err,
                     size_t err_size) {
  char *copy = gw_strdup(file_path);
  char *slash;
  int rc = 0;
  if (!copy) {
    text_format(err, err_size, "out of memory creating the directory of %s",
                file_path);
    return -1;
  }
  slash = strrchr(copy, '/');
  if (slash && slash != copy) {
    *slash = '\0';
    rc = fs_mkdirs(copy, mode, err, err_size);
  }
  gw_free(copy);
  return rc;
}
