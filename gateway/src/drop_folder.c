#include "drop_folder.h"
#include "gw_alloc.h"
#include "spool.h"
#include "text.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int drop_folder_is_file_url(const char *url) {
  return url && strncmp(url, "file://", 7) == 0;
}

static int fail(struct gw_transport_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct gw_transport_result *res, const char *fmt, ...) {
  va_list ap;
  res->outcome = GW_FAIL;
  va_start(ap, fmt);
  vsnprintf(res->error, sizeof res->error, fmt, ap);
  va_end(ap);
  return -1;
}

/* realpath of both, then a prefix test on a '/' boundary: symlinks and
 * ".." cannot lead out of the folder. */
static int resolve_inside(const char *path, const char *folder,
                          char resolved[PATH_MAX]) {
  char root[PATH_MAX];
  size_t n;
  if (!realpath(folder, root) || !realpath(path, resolved))
    return -1;
  n = strlen(root);
  if (strncmp(resolved, root, n) != 0 || (resolved[n] != '/' && n != 1))
    return -2;
  return 0;
}

static int copy_to_spool(int fd, const char *spool_dir, uint64_t max_bytes,
                         struct gw_transport_result *res) {
  struct gw_spool_writer *w = NULL;
  char buf[65536], err[GW_TRANSPORT_ERR_MAX];
  ssize_t n;
  if (spool_writer_begin(spool_dir, &w, err, sizeof err) != 0)
    return fail(res, "%s", err);
  while ((n = read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || spool_writer_write(w, buf, (size_t)n) != 0) {
      spool_writer_abort(w);
      return fail(res, "reading %s into the spool: %s", res->effective_url,
                  strerror(errno));
    }
    if (spool_writer_bytes(w) > max_bytes) {
      spool_writer_abort(w);
      return fail(res, "file exceeds the limit of %llu bytes (%s)",
                  (unsigned long long)max_bytes, res->effective_url);
    }
  }
  res->bytes = spool_writer_bytes(w);
  if (spool_writer_finish(w, res->payload_sha256, res->spool_path,
                          sizeof res->spool_path, err, sizeof err) != 0)
    return fail(res, "%s", err);
  return 0;
}

int drop_folder_fetch(const char *url, const char *drop_folder,
                      const char *spool_dir, const char *known_etag,
                      uint64_t max_bytes, struct gw_transport_result *res) {
  char resolved[PATH_MAX];
  struct stat st;
  int fd = -1, rc = -1, inside;
  memset(res, 0, sizeof *res);
  res->retry_after_s = -1;
  text_copy(res->effective_url, sizeof res->effective_url, url);
  if (!drop_folder_is_file_url(url) || url[7] != '/')
    return fail(res, "not a file:///absolute/path URL: %s", url);
  if (!drop_folder)
    return fail(res, "refusing %s: the source has no drop_folder", url);
  inside = resolve_inside(url + 7, drop_folder, resolved);
  if (inside == -1)
    return fail(res, "no such file %s (drop folder %s)", url + 7, drop_folder);
  if (inside == -2)
    return fail(res, "refusing %s: it resolves outside the drop folder %s", url,
                drop_folder);
  fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    fail(res, "cannot read %s: not a readable regular file", resolved);
    goto out;
  }
  text_format(res->etag, sizeof res->etag, "\"%llx-%llx.%09ld\"",
              (unsigned long long)st.st_size,
              (unsigned long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  if (known_etag && strcmp(known_etag, res->etag) == 0) {
    res->not_modified = 1;
    res->outcome = GW_OK;
    rc = 0;
    goto out;
  }
  if (copy_to_spool(fd, spool_dir, max_bytes, res) != 0)
    goto out;
  res->outcome = GW_OK;
  rc = 0;
out:
  if (fd >= 0)
    close(fd);
  return rc;
}
