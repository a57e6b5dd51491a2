/*
 * spool.c - content-addressed payload spool (see spool.h).
 *
 * The temporary file lives in the spool directory itself so the final
 * rename never crosses a file system and is atomic: a reader either sees
 * no <sha> file or a complete one whose name is its digest.
 */
#include "spool.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gw_alloc.h"
#include "text.h"

#define SPOOL_DIR_MODE 0750
#define SPOOL_TMP_TEMPLATE ".tmp-XXXXXX"

struct gw_spool_writer {
  char *dir;
  char *tmp_path;
  FILE *stream;
  struct gw_sha256 *sha;
  uint64_t bytes;
};

/* mkdir -p with the spool's mode. */
static int make_dirs(const char *path, char *err, size_t err_size) {
  return fs_mkdirs(path, SPOOL_DIR_MODE, err, err_size);
}

/* Makes a completed rename durable: without this a crash can lose the
 * directory entry even though the file data was fsync'ed. */
static int fsync_dir(const char *dir, char *err, size_t err_size) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  int rc = -1;
  if (fd < 0) {
    text_format(err, err_size, "cannot open spool directory %s: %s", dir,
                strerror(errno));
    goto out;
  }
  if (fsync(fd) != 0) {
    text_format(err, err_size, "cannot fsync spool directory %s: %s", dir,
                strerror(errno));
    goto out;
  }
  rc = 0;
out:
  if (fd >= 0)
    close(fd);
  return rc;
}

static void writer_free(struct gw_spool_writer *w) {
  if (!w)
    return;
  if (w->stream)
    fclose(w->stream);
  if (w->sha)
    sha256_abort(w->sha);
  gw_free(w->tmp_path);
  gw_free(w->dir);
  gw_free(w);
}

static int open_temp_file(struct gw_spool_writer *w, char *err,
                          size_t err_size) {
  size_t len = strlen(w->dir) + 1 + sizeof SPOOL_TMP_TEMPLATE;
  int fd;
  w->tmp_path = gw_malloc(len);
  if (!w->tmp_path) {
    text_format(err, err_size, "out of memory opening a spool file in %s",
                w->dir);
    return -1;
  }
  if (text_format(w->tmp_path, len, "%s/%s", w->dir, SPOOL_TMP_TEMPLATE) != 0) {
    text_format(err, err_size, "spool path too long: %s", w->dir);
    return -1;
  }
  fd = mkstemp(w->tmp_path);
  if (fd < 0) {
    text_format(err, err_size, "cannot create a temporary file in %s: %s",
                w->dir, strerror(errno));
    gw_free(w->tmp_path);
    w->tmp_path = NULL; /* nothing to unlink */
    return -1;
  }
  w->stream = fdopen(fd, "wb");
  if (!w->stream) {
    text_format(err, err_size, "cannot open %s for writing: %s", w->tmp_path,
                strerror(errno));
    close(fd);
    unlink(w->tmp_path);
    return -1;
  }
  return 0;
}

int spool_writer_begin(const char *spool_dir, struct gw_spool_writer **out,
                       char *err, size_t err_size) {
  struct gw_spool_writer *w = NULL;
  int rc = -1;
  *out = NULL;
  if (!spool_dir || !*spool_dir) {
    text_copy(err, err_size, "no spool directory configured");
    goto out;
  }
  if (make_dirs(spool_dir, err, err_size) != 0)
    goto out;
  w = gw_calloc(1, sizeof *w);
  if (!w || !(w->dir = gw_strdup(spool_dir))) {
    text_format(err, err_size, "out of memory opening a spool file in %s",
                spool_dir);
    goto out;
  }
  w->sha = sha256_begin();
  if (!w->sha) {
    text_copy(err, err_size, "cannot start a SHA-256 digest");
    goto out;
  }
  if (open_temp_file(w, err, err_size) != 0)
    goto out;
  *out = w;
  w = NULL;
  rc = 0;
out:
  if (w && w->tmp_path && w->stream)
    unlink(w->tmp_path);
  writer_free(w);
  return rc;
}

int spool_writer_write(struct gw_spool_writer *w, const void *data,
                       size_t len) {
  if (len == 0)
    return 0;
  errno = 0;
  if (fwrite(data, 1, len, w->stream) != len) {
    if (errno == 0)
      errno = EIO;
    return -1;
  }
  if (sha256_update(w->sha, data, len) != 0) {
    errno = ENOMEM;
    return -1;
  }
  w->bytes += len;
  return 0;
}

uint64_t spool_writer_bytes(const struct gw_spool_writer *w) {
  return w->bytes;
}

/* Data first, then the name: fsync before rename so the digest-named file
 * is never observed with missing content after a crash. */
static int flush_and_close(struct gw_spool_writer *w, char *err,
                           size_t err_size) {
  FILE *stream = w->stream;
  int rc = -1;
  w->stream = NULL;
  if (fflush(stream) != 0 || fsync(fileno(stream)) != 0) {
    text_format(err, err_size, "cannot write spool file %s: %s", w->tmp_path,
                strerror(errno));
    goto out;
  }
  rc = 0;
out:
  if (fclose(stream) != 0 && rc == 0) {
    text_format(err, err_size, "cannot close spool file %s: %s", w->tmp_path,
                strerror(errno));
    rc = -1;
  }
  return rc;
}

static int publish(struct gw_spool_writer *w, const char *final_path, char *err,
                   size_t err_size) {
  struct stat st;
  if (stat(final_path, &st) == 0) {
    /* Same name means same content: keep the existing file. */
    unlink(w->tmp_path);
    return 0;
  }
  if (rename(w->tmp_path, final_path) != 0) {
    text_format(err, err_size, "cannot rename %s to %s: %s", w->tmp_path,
                final_path, strerror(errno));
    return -1;
  }
  return fsync_dir(w->dir, err, err_size);
}

int spool_writer_finish(struct gw_spool_writer *w, char sha[GW_SHA256_HEX_SIZE],
                        char *path, size_t path_size, char *err,
                        size_t err_size) {
  char final_path[4096];
  struct gw_sha256 *st = w->sha;
  int rc = -1;
  sha[0] = '\0';
  if (path_size > 0)
    path[0] = '\0';
  if (flush_and_close(w, err, err_size) != 0)
    goto out;
  w->sha = NULL; /* sha256_finish_hex frees it, also on failure */
  if (sha256_finish_hex(st, sha) != 0) {
    text_format(err, err_size, "cannot compute SHA-256 of %s", w->tmp_path);
    goto out;
  }
  if (spool_path(w->dir, sha, final_path, sizeof final_path) != 0 ||
      text_copy(path, path_size, final_path) != 0) {
    text_format(err, err_size, "spool path too long in %s", w->dir);
    goto out;
  }
  if (publish(w, final_path, err, err_size) != 0)
    goto out;
  rc = 0;
out:
  if (rc != 0) {
    unlink(w->tmp_path);
    sha[0] = '\0';
    if (path_size > 0)
      path[0] = '\0';
  }
  writer_free(w);
  return rc;
}

void spool_writer_abort(struct gw_spool_writer *w) {
  if (!w)
    return;
  if (w->stream) {
    fclose(w->stream);
    w->stream = NULL;
  }
  if (w->tmp_path)
    unlink(w->tmp_path);
  writer_free(w);
}

int spool_path(const char *spool_dir, const char *sha, char *out,
               size_t out_size) {
  return text_format(out, out_size, "%s/%s", spool_dir, sha);
}
