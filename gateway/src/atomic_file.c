/*
 * atomic_file.c - write-to-temp, fsync, rename, fsync-dir publication.
 *
 * The temporary file is a hidden sibling (".NAME.tmp-PID-N") so the rename
 * stays within one file system and a consumer globbing "*.json" never picks
 * up a half-written feed. It is created with O_EXCL and mode 0666 (minus the
 * umask, like any new file) rather than mkstemp's 0600, and takes over the
 * permission bits of the file it replaces, so publishing a new version never
 * changes who may read the feed.
 */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gw_alloc.h"
#include "text.h"

#define TEMP_NAME_ATTEMPTS 64

struct gw_atomic_file {
  char *path;     /* the target */
  char *dir;      /* its directory, for the directory fsync */
  char *tmp_path; /* the sibling being written */
  FILE *stream;
};

static atomic_uint temp_counter;

static void atomic_file_free(struct gw_atomic_file *f) {
  if (!f)
    return;
  gw_free(f->path);
  gw_free(f->dir);
  gw_free(f->tmp_path);
  gw_free(f);
}

/* Splits path into its directory ("." when there is none) and base name. */
static int split_path(const char *path, char **dir, const char **base,
                      char *err, size_t err_size) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    *dir = gw_strdup(".");
    *base = path;
  } else if (slash == path) {
    *dir = gw_strdup("/");
    *base = slash + 1;
  } else {
    *dir = gw_strndup(path, (size_t)(slash - path));
    *base = slash + 1;
  }
  if (*dir == NULL) {
    text_format(err, err_size, "%s: out of memory", path);
    return -1;
  }
  if (**base == '\0') {
    text_format(err, err_size, "%s: path names a directory, not a file", path);
    gw_free(*dir);
    *dir = NULL;
    return -1;
  }
  return 0;
}

/* Creates the temporary sibling; retries on a name clash (a crashed earlier
 * writer may have left one behind). Returns the fd or -1. */
static int create_temp(struct gw_atomic_file *f, const char *base, char *err,
                       size_t err_size) {
  size_t size = strlen(f->dir) + strlen(base) + 64;
  f->tmp_path = gw_malloc(size);
  if (f->tmp_path == NULL) {
    text_format(err, err_size, "%s: out of memory", f->path);
    return -1;
  }
  for (int attempt = 0; attempt < TEMP_NAME_ATTEMPTS; attempt++) {
    struct timespec now;
    unsigned n = atomic_fetch_add(&temp_counter, 1u);
    clock_gettime(CLOCK_REALTIME, &now);
    if (text_format(f->tmp_path, size, "%s/.%s.tmp-%ld-%u-%lx", f->dir, base,
                    (long)getpid(), n,
                    (unsigned long)now.tv_nsec & 0xfffffUL) != 0) {
      text_format(err, err_size, "%s: temporary file name too long", f->path);
      return -1;
    }
    int fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0)
      return fd;
    if (errno != EEXIST) {
      text_format(err, err_size, "%s: cannot create temporary file %s: %s",
                  f->path, f->tmp_path, strerror(errno));
      return -1;
    }
  }
  text_format(err, err_size,
              "%s: cannot create temporary file: %d names in a row existed",
              f->path, TEMP_NAME_ATTEMPTS);
  return -1;
}

/* A replaced feed keeps its permission bits. */
static int copy_target_mode(const struct gw_atomic_file *f, int fd, char *err,
                            size_t err_size) {
  struct stat st;
  if (stat(f->path, &st) != 0 || !S_ISREG(st.st_mode))
    return 0; /* new file, or not replaceable anyway: rename will say so */
  if (fchmod(fd, st.st_mode & 07777) != 0) {
    text_format(err, err_size, "%s: cannot set mode of %s: %s", f->path,
                f->tmp_path, strerror(errno));
    return -1;
  }
  return 0;
}

int atomic_file_open(const char *path, struct gw_atomic_file **out, char *err,
                     size_t err_size) {
  struct gw_atomic_file *f = NULL;
  const char *base = NULL;
  int fd = -1;
  int rc = -1;

  *out = NULL;
  if (path == NULL || *path == '\0') {
    text_format(err, err_size, "atomic file: empty path");
    return -1;
  }
  f = gw_calloc(1, sizeof *f);
  if (f == NULL || (f->path = gw_strdup(path)) == NULL) {
    text_format(err, err_size, "%s: out of memory", path);
    goto out;
  }
  if (split_path(f->path, &f->dir, &base, err, err_size) != 0)
    goto out;
  fd = create_temp(f, base, err, err_size);
  if (fd < 0)
    goto out;
  if (copy_target_mode(f, fd, err, err_size) != 0)
    goto out;
  f->stream = fdopen(fd, "wb");
  if (f->stream == NULL) {
    text_format(err, err_size, "%s: cannot open stream on %s: %s", path,
                f->tmp_path, strerror(errno));
    goto out;
  }
  fd = -1; /* owned by the stream now */
  *out = f;
  f = NULL;
  rc = 0;
out:
  if (fd >= 0) {
    close(fd);
    unlink(f->tmp_path);
  }
  atomic_file_free(f);
  return rc;
}

FILE *atomic_file_stream(struct gw_atomic_file *f) {
  return f ? f->stream : NULL;
}

static int sync_directory(const char *dir, char *err, size_t err_size,
                          const char *path) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = 0;
  if (fd < 0) {
    text_format(err, err_size,
                "%s: published, but cannot open directory %s to fsync it: %s",
                path, dir, strerror(errno));
    return -1;
  }
  /* Some file systems refuse fsync on directories (EINVAL); nothing more can
   * be done there and the rename itself has happened. */
  if (fsync(fd) != 0 && errno != EINVAL) {
    text_format(err, err_size,
                "%s: published, but fsync of directory %s failed: %s", path,
                dir, strerror(errno));
    rc = -1;
  }
  close(fd);
  return rc;
}

int atomic_file_commit(struct gw_atomic_file *f, char *err, size_t err_size) {
  int rc = -1;
  int published = 0;
  FILE *stream;

  if (f == NULL) {
    text_format(err, err_size, "atomic file: commit without an open file");
    return -1;
  }
  stream = f->stream;
  f->stream = NULL;
  if (fflush(stream) != 0 || ferror(stream)) {
    text_format(err, err_size, "%s: writing %s failed: %s", f->path,
                f->tmp_path, strerror(errno));
    fclose(stream);
    goto out;
  }
  if (fsync(fileno(stream)) != 0) {
    text_format(err, err_size, "%s: fsync of %s failed: %s", f->path,
                f->tmp_path, strerror(errno));
    fclose(stream);
    goto out;
  }
  if (fclose(stream) != 0) {
    text_format(err, err_size, "%s: closing %s failed: %s", f->path,
                f->tmp_path, strerror(errno));
    goto out;
  }
  if (rename(f->tmp_path, f->path) != 0) {
    text_format(err, err_size, "%s: cannot rename %s over it: %s", f->path,
                f->tmp_path, strerror(errno));
    goto out;
  }
  published = 1;
  if (sync_directory(f->dir, err, err_size, f->path) != 0)
    goto out;
  rc = 0;
out:
  if (!published)
    unlink(f->tmp_path);
  atomic_file_free(f);
  return rc;
}

void atomic_file_abort(struct gw_atomic_file *f) {
  if (f == NULL)
    return;
  if (f->stream)
    fclose(f->stream);
  unlink(f->tmp_path);
  atomic_file_free(f);
}
